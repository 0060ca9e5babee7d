/* test_alarm.c — when the alarm goes out, to whom, how often, and that its
 * state survives a restart (it lives on disk, so every step below reads it
 * afresh, as a new --once run would). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "intaked/alarm.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#define T0 1648591200 /* 2022-03-29T22:00:00Z */
#define MIN 60

struct fx {
	char dir[64];
	struct spool *sp;
	struct config cfg;
	struct call_config calls[2];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err err = { 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_alarm.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(spool_open(f->dir, &f->sp, &err), 0);
	f->cfg.mailbox.url = "imaps://imap.example.org:993/INBOX";
	f->cfg.mailbox.user = "intake@example.org";
	f->cfg.mailbox.alarm_after = 30 * MIN;
	f->cfg.mailbox.oauth.refresh_token_file = "/var/lib/intaked/refresh.token";
	f->cfg.smtp.from = "Written Inputs <intake@example.org>";
	f->cfg.smtp.from_addr = "intake@example.org";
	strlist_push(&f->cfg.smtp.operators, "ops@example.org");
	strlist_push(&f->calls[0].coordinators, "coord@example.org");
	strlist_push(&f->calls[0].coordinators, "OPS@example.org"); /* same as an operator */
	strlist_push(&f->calls[1].coordinators, "expert@example.org");
	f->cfg.calls = f->calls;
	f->cfg.ncalls = 2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	spool_close(&f->sp);
	fsio_rmtree(f->dir);
	strlist_free(&f->cfg.smtp.operators);
	strlist_free(&f->calls[0].coordinators);
	strlist_free(&f->calls[1].coordinators);
	free(f);
	return 0;
}

static unsigned queued(struct fx *f)
{
	struct outbox_stats st = { 0 };
	struct err err = { 0 };
	assert_int_equal(outbox_stat(f->sp, &st, &err), 0);
	return st.queued;
}

static int failure(struct fx *f, time_t now, bool token)
{
	struct err err = { 0 };
	int rc = alarm_failure(&f->cfg, f->sp, now, token, "imap: refused the login\r\nX", &err);
	if (rc < 0)
		fail_msg("alarm_failure: %s", err.msg);
	return rc;
}

static struct alarm_state load(struct fx *f)
{
	struct alarm_state st;
	struct err err = { 0 };
	assert_int_equal(alarm_state_load(f->sp, &st, &err), 0);
	return st;
}

static void test_alarm_after_delay_once_then_daily_then_clear(void **state)
{
	struct fx *f = *state;
	struct err err = { 0 };

	/* Nothing yet: a clear state. */
	struct alarm_state st = load(f);
	assert_int_equal(st.first_failure, 0);
	assert_int_equal(alarm_success(&f->cfg, f->sp, T0, &err), 0);

	/* Failures shorter than alarm_after: recorded, no mail. */
	assert_int_equal(failure(f, T0, false), 0);
	assert_int_equal(failure(f, T0 + 29 * MIN, false), 0);
	st = load(f);
	assert_int_equal(st.first_failure, T0);
	assert_int_equal(st.last_failure, T0 + 29 * MIN);
	assert_int_equal(st.raised_at, 0);
	assert_string_equal(st.reason, "imap: refused the login??X");
	assert_int_equal(queued(f), 0);

	/* At alarm_after: one mail to each distinct recipient (3). */
	assert_int_equal(failure(f, T0 + 30 * MIN, false), 1);
	assert_int_equal(queued(f), 3);
	st = load(f);
	assert_int_equal(st.raised_at, T0 + 30 * MIN);

	/* Not again, however often it fails, until a day has passed. */
	assert_int_equal(failure(f, T0 + 31 * MIN, false), 0);
	assert_int_equal(failure(f, T0 + 30 * MIN + ALARM_REMIND_EVERY - 1, false), 0);
	assert_int_equal(queued(f), 3);
	assert_int_equal(failure(f, T0 + 30 * MIN + ALARM_REMIND_EVERY, false), 1);
	assert_int_equal(queued(f), 6);
	assert_int_equal(failure(f, T0 + 30 * MIN + ALARM_REMIND_EVERY + MIN, false), 0);
	assert_int_equal(load(f).reminded_at, T0 + 30 * MIN + ALARM_REMIND_EVERY);

	/* Read again: the all-clear, and the state is gone. */
	assert_int_equal(alarm_success(&f->cfg, f->sp, T0 + 2 * ALARM_REMIND_EVERY, &err), 1);
	assert_int_equal(queued(f), 9);
	assert_int_equal(load(f).first_failure, 0);
	assert_int_equal(alarm_success(&f->cfg, f->sp, T0 + 2 * ALARM_REMIND_EVERY, &err), 0);
	assert_int_equal(queued(f), 9);
}

static void test_short_outage_recovers_silently(void **state)
{
	struct fx *f = *state;
	struct err err = { 0 };
	assert_int_equal(failure(f, T0, false), 0);
	assert_int_equal(alarm_success(&f->cfg, f->sp, T0 + 10 * MIN, &err), 0);
	assert_int_equal(queued(f), 0);
	/* A later outage counts from its own start. */
	assert_int_equal(failure(f, T0 + 20 * MIN, false), 0);
	assert_int_equal(failure(f, T0 + 45 * MIN, false), 0);
	assert_int_equal(failure(f, T0 + 50 * MIN, false), 1);
}

static void test_rejected_refresh_token_alarms_at_once(void **state)
{
	struct fx *f = *state;
	char line[512];
	assert_int_equal(failure(f, T0, true), 1);
	assert_int_equal(queued(f), 3);
	struct alarm_state st = load(f);
	assert_true(st.token_rejected);
	alarm_describe(&st, line, sizeof(line));
	assert_string_equal(line, "ALARM sent 2022-03-29T22:00:00Z: mailbox unreadable since "
				  "2022-03-29T22:00:00Z (refresh token rejected): imap: refused the login??X");
	/* A later failure of another kind keeps the cause. */
	assert_int_equal(failure(f, T0 + MIN, false), 0);
	assert_true(load(f).token_rejected);
}

/* A BAD from the server: no retry cures it, so at once, and saying so. */
static void test_rejected_command_alarms_at_once(void **state)
{
	struct fx *f = *state;
	struct err err = { 0 };
	char line[512];
	assert_int_equal(alarm_failure_rejected(&f->cfg, f->sp, T0, "imap: h: UID SEARCH rejected as "
						"malformed (BAD): Invalid flag name", &err), 1);
	assert_int_equal(queued(f), 3);
	struct alarm_state st = load(f);
	assert_true(st.command_rejected);
	assert_false(st.token_rejected);
	alarm_describe(&st, line, sizeof(line));
	assert_non_null(strstr(line, "(command rejected by the server): imap: h: UID SEARCH"));
	/* Not again at the next failure; a plain failure clears the cause. */
	assert_int_equal(alarm_failure_rejected(&f->cfg, f->sp, T0 + MIN, "again", &err), 0);
	assert_int_equal(failure(f, T0 + 2 * MIN, false), 0);
	assert_false(load(f).command_rejected);
	assert_int_equal(queued(f), 3);
}

static void test_describe_and_damaged_state(void **state)
{
	struct fx *f = *state;
	struct alarm_state st = { 0 };
	struct err err = { 0 };
	char line[512];

	alarm_describe(&st, line, sizeof(line));
	assert_string_equal(line, "");
	assert_int_equal(failure(f, T0, false), 0);
	st = load(f);
	alarm_describe(&st, line, sizeof(line));
	assert_string_equal(line, "mailbox unreadable since 2022-03-29T22:00:00Z: "
				  "imap: refused the login??X");

	char *path = xasprintf("%s/state/alarm", f->dir);
	assert_int_equal(fsio_replace(path, "{not json", 9, 0640, &err), 0);
	assert_int_equal(alarm_state_load(f->sp, &st, &err), -1);
	assert_int_equal(st.first_failure, 0);
	/* A damaged state starts afresh rather than blocking the alarm. */
	assert_int_equal(failure(f, T0 + 40 * MIN, false), 0);
	assert_int_equal(load(f).first_failure, T0 + 40 * MIN);
	free(path);
}

int main(void)
{
	log_init("test_alarm", false, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alarm_after_delay_once_then_daily_then_clear,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_outage_recovers_silently, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_refresh_token_alarms_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rejected_command_alarms_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe_and_damaged_state, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
