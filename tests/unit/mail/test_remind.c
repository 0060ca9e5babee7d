/* test_remind.c — the reminder rules: which offset is due (tables), and
 * remind_run against a real spool and outbox: once per (member, offset,
 * address), only the latest missed one after downtime, never after the
 * deadline, extensions and moved deadlines, remind = all, dry runs; and
 * the journal's crash recovery (schedstate). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "intaked/outbox.h"
#include "intaked/remind.h"
#include "intaked/schedstate.h"
#include "sched_fixture.h"

#define ZONE "America/New_York"
#define DEADLINE "2022-03-29 18:00"

static const long offsets[] = { 7 * DAY, DAY, 3 * HOUR };

static const char roster_csv[] =
	"name,addresses\n"
	"Bangladesh,\"@mofa.gov.bd;bangladesh@un.int;bd2@un.int\"\n"
	"France,france@diplomatie.gouv.fr\n"
	"Mexico,@sre.gob.mx\n"
	"China,china@mfa.gov.cn\n";

/* ---- the pure rule ---- */

static void test_due_index(void **state)
{
	(void)state;
	const time_t d = 1648591200; /* 2022-03-29T22:00:00Z */
	const struct {
		time_t now, opens;
		int want;
	} rows[] = {
		{ d - 8 * DAY, 0, -1 },
		{ d - 7 * DAY - 1, 0, -1 },
		{ d - 7 * DAY, 0, 0 },           /* due at the instant itself */
		{ d - 7 * DAY + 60, 0, 0 },
		{ d - DAY - 1, 0, 0 },
		{ d - DAY, 0, 1 },
		{ d - 2 * HOUR, 0, 2 },          /* downtime: the latest, not 7d or 1d */
		{ d - 1, 0, 2 },
		{ d, 0, -1 },                    /* never at or after the deadline */
		{ d + HOUR, 0, -1 },
		{ d - 5 * DAY, d - 3 * DAY, -1 },/* before the call opens */
		{ d - 3 * DAY, d - 3 * DAY, 0 }, /* at the opening: the 7d one */
		{ d - 2 * HOUR, d - 3 * DAY, 2 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = remind_due_index(offsets, 3, d, rows[i].opens, rows[i].now);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d want %d", i, got, rows[i].want);
	}
	/* Order of the offsets does not matter. */
	const long shuffled[] = { DAY, 3 * HOUR, 7 * DAY };
	assert_int_equal(remind_due_index(shuffled, 3, d, 0, d - 2 * DAY), 2);
	assert_int_equal(remind_due_index(shuffled, 3, d, 0, d - HOUR), 1);
	assert_int_equal(remind_due_index(NULL, 0, d, 0, d - HOUR), -1);
}

static void test_next_instant(void **state)
{
	(void)state;
	const time_t d = 1648591200;
	const struct {
		time_t now, opens, want;
	} rows[] = {
		{ d - 8 * DAY, 0, d - 7 * DAY },
		{ d - 7 * DAY, 0, d - DAY },
		{ d - DAY + 1, 0, d - 3 * HOUR },
		{ d - 2 * HOUR, 0, 0 },
		{ d + DAY, 0, 0 },
		{ d - 8 * DAY, d - 3 * DAY, d - 3 * DAY }, /* held back to the opening */
		{ d - 3 * DAY, d - 3 * DAY, d - DAY },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t got = remind_next_instant(offsets, 3, d, rows[i].opens, rows[i].now);
		if (got != rows[i].want)
			fail_msg("row %zu: got %lld want %lld", i, (long long)got,
				 (long long)rows[i].want);
	}
}

static void test_offset_name(void **state)
{
	(void)state;
	const struct {
		long v;
		const char *want;
	} rows[] = {
		{ 7 * DAY, "7d" }, { DAY, "1d" }, { 3 * HOUR, "3h" }, { 25 * HOUR, "25h" },
		{ 90 * 60, "90m" }, { 45, "45s" }, { 2 * DAY + 60, "2881m" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[24];
		remind_offset_name(rows[i].v, out, sizeof(out));
		assert_string_equal(out, rows[i].want);
	}
}

/* ---- remind_run on a spool ---- */

struct rfx {
	struct fx *f;
	struct call_config *c;
	time_t d;
};

static int setup(void **state)
{
	struct rfx *r = xcalloc(1, sizeof(*r));
	r->f = fx_new("remind");
	r->c = fx_call(r->f, "imrf-2022", DEADLINE, ZONE, roster_csv);
	strlist_push(&r->c->match_to, "intake+imrf@example.org");
	fx_reminders(r->c, offsets, 3);
	r->d = r->c->deadline;
	/* France has submitted; China only under an unverified sender. */
	fx_submit(r->f, r->c, fx_md(r->c, "france", "France", 1, r->d - 10 * DAY));
	struct metadata *md = fx_md(r->c, "china", "China", 1, r->d - 10 * DAY);
	md->submitter.verified = false;
	fx_submit(r->f, r->c, md);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rfx *r = *state;
	fx_free(&r->f);
	free(r);
	return 0;
}

static int run(struct rfx *r, time_t now)
{
	struct err err = { 0 };
	int n = remind_run(r->f->cfg, r->f->sp, NULL, now, &err);
	if (n < 0)
		fail_msg("remind_run: %s", err.msg);
	return n;
}

static bool recorded(struct rfx *r, const char *slug, const char *offset, const char *rcpt)
{
	struct schedstate *st;
	struct err err = { 0 };
	if (schedstate_open(r->f->sp, "reminders", &st, &err) < 0)
		fail_msg("schedstate_open: %s", err.msg);
	const char *fields[] = { r->c->name, slug, offset, rcpt };
	char *key = schedstate_key(fields, 4);
	bool found = schedstate_find(st, key) != NULL;
	free(key);
	schedstate_close(&st);
	return found;
}

static void test_offsets_once_each(void **state)
{
	struct rfx *r = *state;
	time_t d = r->d;
	assert_int_equal(run(r, d - 8 * DAY), 0);
	/* Bangladesh's two full addresses and China (unverified input does
	 * not count); France submitted; Mexico has only a domain. */
	assert_int_equal(run(r, d - 7 * DAY + 60), 3);
	assert_int_equal(fx_queued(r->f), 3);
	assert_int_equal(fx_queued_with(r->f, "To: bangladesh@un.int", NULL), 1);
	assert_int_equal(fx_queued_with(r->f, "To: bd2@un.int", NULL), 1);
	assert_int_equal(fx_queued_with(r->f, "To: china@mfa.gov.cn", NULL), 1);
	assert_int_equal(fx_queued_with(r->f, "Auto-Submitted: auto-generated",
					"From: GCM Written Inputs <intake@example.org>",
					"Title of imrf-2022", "2022-03-29 18:00 EDT",
					"2022-03-29T22:00:00Z", "not exceed 5000 words",
					"intake+imrf@example.org", "no input from China", NULL), 1);
	assert_true(recorded(r, "bangladesh", "7d", "bangladesh@un.int"));
	/* Again at the same time, and a minute later: nothing new. */
	assert_int_equal(run(r, d - 7 * DAY + 60), 0);
	assert_int_equal(run(r, d - 7 * DAY + 120), 0);
	fx_drain(r->f);
	assert_int_equal(run(r, d - DAY + 60), 3);
	assert_int_equal(run(r, d - DAY + 61), 0);
	assert_int_equal(run(r, d - 2 * HOUR), 3);
	assert_true(recorded(r, "china", "3h", "china@mfa.gov.cn"));
	assert_int_equal(run(r, d - HOUR), 0);
	assert_int_equal(run(r, d + HOUR), 0);
	assert_int_equal(fx_queued(r->f), 6);
}

static void test_downtime_sends_latest_only(void **state)
{
	struct rfx *r = *state;
	assert_int_equal(run(r, r->d - 2 * HOUR), 3);
	assert_true(recorded(r, "china", "3h", "china@mfa.gov.cn"));
	assert_false(recorded(r, "china", "1d", "china@mfa.gov.cn"));
	assert_false(recorded(r, "china", "7d", "china@mfa.gov.cn"));
	assert_int_equal(run(r, r->d - HOUR), 0);
	/* Down through the deadline: nothing at all. */
	fx_drain(r->f);
	assert_int_equal(run(r, r->d), 0);
	assert_int_equal(fx_queued(r->f), 0);
}

static void test_never_after_deadline(void **state)
{
	struct rfx *r = *state;
	assert_int_equal(run(r, r->d), 0);
	assert_int_equal(run(r, r->d + 1), 0);
	assert_int_equal(run(r, r->d + 8 * DAY), 0);
	assert_int_equal(fx_queued(r->f), 0);
}

static void test_extension_moves_reminders(void **state)
{
	struct rfx *r = *state;
	time_t d = r->d;
	fx_extend(r->c, "Bangladesh", d + 2 * DAY);
	assert_int_equal(run(r, d - 7 * DAY + 60), 1); /* China only: Bangladesh's is at d-5d */
	assert_int_equal(run(r, d - 5 * DAY + 60), 2);
	fx_drain(r->f);
	assert_int_equal(run(r, d - DAY + 60), 1);
	assert_int_equal(fx_queued_with(r->f, "To: china@mfa.gov.cn", NULL), 1);
	/* Past the call's deadline, Bangladesh still gets its 1d and 3h, which
	 * name its own deadline. */
	fx_drain(r->f);
	assert_int_equal(run(r, d + DAY + 60), 2);
	assert_int_equal(fx_queued_with(r->f, "2022-03-31 18:00 EDT", "no input from Bangladesh",
					NULL), 2);
	assert_int_equal(run(r, d + 2 * DAY - HOUR), 2);
	assert_int_equal(run(r, d + 2 * DAY + 1), 0);
}

static void test_moved_deadline_reschedules_unsent(void **state)
{
	struct rfx *r = *state;
	time_t d = r->d;
	assert_int_equal(run(r, d - 7 * DAY + 60), 3);
	/* SIGHUP with a deadline three days later: what was sent stays sent,
	 * the rest follows the new deadline. */
	r->c->deadline = d + 3 * DAY;
	assert_int_equal(run(r, d - 4 * DAY + 60), 0); /* the 7d one again? no */
	assert_int_equal(run(r, d - DAY + 60), 0);     /* the old 1d instant */
	assert_int_equal(run(r, d + 2 * DAY + 60), 3);
	assert_int_equal(fx_queued_with(r->f, "2022-04-01 18:00 EDT", NULL), 3);
	/* A deadline moved earlier: the 3h one comes at once if its instant
	 * has passed, and nothing after the new deadline. */
	r->c->deadline = d + 2 * DAY + 2 * HOUR;
	assert_int_equal(run(r, d + 2 * DAY + 120), 3);
	assert_int_equal(run(r, d + 2 * DAY + 3 * HOUR), 0);
}

static void test_remind_all_and_texts(void **state)
{
	struct rfx *r = *state;
	r->c->remind = REMIND_ALL;
	r->c->word_limit = 0;
	free(r->c->language);
	r->c->language = xstrdup("fr");
	assert_int_equal(run(r, r->d - 7 * DAY + 60), 4);
	assert_int_equal(fx_queued_with(r->f, "To: france@diplomatie.gouv.fr",
					"Une contribution de France a été reçue le 2022-03-19",
					"Aucune limite de mots", "Content-Language: fr", NULL), 1);
	assert_int_equal(fx_queued_with(r->f, "aucune contribution de China", NULL), 1);
}

static void test_dry_run_changes_nothing(void **state)
{
	struct rfx *r = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct err err = { 0 };
	int n = remind_explain(r->f->cfg, r->f->sp, r->c, r->d - DAY + 60, out, &err);
	fclose(out);
	assert_int_equal(n, 3);
	assert_non_null(strstr(text, "Bangladesh           bangladesh@un.int: would be reminded "
				     "(1d before "));
	assert_non_null(strstr(text, "china@mfa.gov.cn: would be reminded (1d before "));
	assert_non_null(strstr(text, "Mexico               not reminded: no full address"));
	assert_non_null(strstr(text, "France               not reminded: has submitted"));
	free(text);
	assert_int_equal(fx_queued(r->f), 0);
	assert_false(recorded(r, "china", "1d", "china@mfa.gov.cn"));
	/* The real run still sends them. */
	assert_int_equal(remind_run(r->f->cfg, r->f->sp, r->c, r->d - DAY + 60, &err), 3);
}

static void test_next_due(void **state)
{
	struct rfx *r = *state;
	time_t d = r->d;
	assert_int_equal(remind_next_due(r->f->cfg, r->f->sp, d - 8 * DAY), d - 7 * DAY);
	assert_int_equal(remind_next_due(r->f->cfg, r->f->sp, d - 7 * DAY), d - DAY);
	fx_extend(r->c, "China", d + DAY);
	assert_int_equal(remind_next_due(r->f->cfg, r->f->sp, d - DAY), d - 3 * HOUR);
	assert_int_equal(remind_next_due(r->f->cfg, r->f->sp, d - HOUR), d);
	assert_int_equal(remind_next_due(r->f->cfg, r->f->sp, d + 1), d + DAY - 3 * HOUR);
	assert_int_equal(remind_next_due(r->f->cfg, r->f->sp, d + DAY), 0);
}

/* ---- the journal after a crash ---- */

static struct schedstate *open_state(struct fx *f)
{
	struct schedstate *st;
	struct err err = { 0 };
	if (schedstate_open(f->sp, "reminders", &st, &err) < 0)
		fail_msg("schedstate_open: %s", err.msg);
	return st;
}

static char *state_text(struct fx *f)
{
	char *p = xasprintf("%s/state/reminders", f->dir), *data = NULL;
	size_t len;
	assert_int_equal(fsio_read_file(p, 1 << 20, &data, &len, NULL), 0);
	free(p);
	return data;
}

static void test_crash_between_record_and_queue(void **state)
{
	struct rfx *r = *state;
	const char *fields[] = { "c", "s", "7d", "a@b.example" };
	char *key = schedstate_key(fields, 4);
	struct err err = { 0 };
	/* Died after the intent: the mail never reached the outbox. */
	struct schedstate *st = open_state(r->f);
	assert_int_equal(schedstate_intend(st, key, 1000, 2000, "<m1@x>", &err), 0);
	assert_null(schedstate_find(st, key));
	schedstate_close(&st);
	st = open_state(r->f);
	assert_null(schedstate_find(st, key)); /* free again: the planner decides anew */
	schedstate_close(&st);
	char *text = state_text(r->f);
	assert_non_null(strstr(text, "S1\tX\t<m1@x>\n"));
	free(text);
	/* Died after queueing, before the Q line: found in the outbox. */
	st = open_state(r->f);
	assert_int_equal(schedstate_intend(st, key, 1000, 2000, "<m2@x>", &err), 0);
	char *oid = NULL;
	assert_int_equal(outbox_queue(r->f->sp, "reminder", NULL, "intake@example.org",
				      "a@b.example", "<m2@x>", "x\r\n", 3, 1000, &oid, &err), 0);
	schedstate_close(&st);
	st = open_state(r->f);
	const struct schedstate_rec *rec = schedstate_find(st, key);
	assert_non_null(rec);
	assert_string_equal(rec->outbox_id, oid);
	assert_string_equal(rec->message_id, "<m2@x>");
	assert_int_equal(rec->when, 1000);
	assert_int_equal(rec->deadline, 2000);
	schedstate_close(&st);
	/* Settled once: a third open finds it without a new line. */
	text = state_text(r->f);
	size_t len1 = strlen(text);
	free(text);
	st = open_state(r->f);
	assert_non_null(schedstate_find(st, key));
	schedstate_close(&st);
	text = state_text(r->f);
	assert_int_equal(strlen(text), len1);
	free(text);
	free(oid);
	free(key);
}

static void test_torn_and_bad_lines(void **state)
{
	struct rfx *r = *state;
	const char *fields[] = { "c\tx", "100%", "line\nbreak" };
	char *key = schedstate_key(fields, 3);
	assert_string_equal(key, "c%09x\t100%25\tline%0Abreak");
	struct err err = { 0 };
	struct schedstate *st = open_state(r->f);
	assert_int_equal(schedstate_intend(st, key, 1000, 0, "<k@x>", &err), 0);
	assert_int_equal(schedstate_settle(st, "<k@x>", true, "OID", &err), 0);
	assert_int_equal(schedstate_settle(st, "<k@x>", true, "OID", &err), -1);
	schedstate_close(&st);
	char *p = xasprintf("%s/state/reminders", r->f->dir);
	int fd = open(p, O_WRONLY | O_APPEND);
	const char junk[] = "garbage line\nS1\tQ\t<nobody@x>\tZ\nS1\tI\t2022-03-29T22:";
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), (ssize_t)(sizeof(junk) - 1));
	close(fd);
	st = open_state(r->f);
	const struct schedstate_rec *rec = schedstate_find(st, key);
	assert_non_null(rec);
	assert_string_equal(rec->outbox_id, "OID");
	assert_int_equal(rec->deadline, 0);
	schedstate_close(&st);
	char *text = state_text(r->f);
	assert_true(text[strlen(text) - 1] == '\n'); /* the torn tail is cut */
	assert_null(strstr(text, "2022-03-29T22:\n"));
	free(text);
	free(p);
	free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_index),
		cmocka_unit_test(test_next_instant),
		cmocka_unit_test(test_offset_name),
		cmocka_unit_test_setup_teardown(test_offsets_once_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_downtime_sends_latest_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_after_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extension_moves_reminders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_deadline_reschedules_unsent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remind_all_and_texts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_between_record_and_queue, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_and_bad_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
