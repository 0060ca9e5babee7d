/* test_health.c — SPOOL/state/health.json: what the daemon writes is what
 * intakectl reads; a state change is written at once and keeps its
 * "since" when repeated; mere progress waits for the rate limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "intaked/fsio.h"
#include "intaked/health.h"
#include "intaked/spool.h"
#include "intaked/util.h"

static char dir[64];
static struct spool *sp;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_health.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return spool_open(dir, &sp, NULL);
}

static int teardown(void **state)
{
	(void)state;
	spool_close(&sp);
	return fsio_rmtree(dir);
}

static struct health *load(void)
{
	struct health *h = NULL;
	struct err err = { 0 };
	assert_int_equal(health_load(sp, &h, &err), 1);
	return h;
}

static struct health *new_two(void)
{
	struct strlist folders = { 0 };
	strlist_push(&folders, "INBOX");
	strlist_push(&folders, "Late");
	struct health *h = health_new(sp, &folders);
	strlist_free(&folders);
	return h;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct health *h = new_two(), *r;
	struct err err = { 0 };
	assert_int_equal(health_load(sp, &r, &err), 0); /* nothing written yet */
	health_set_state(h, NULL, HEALTH_CONNECTED);
	health_set_state(h, "INBOX", HEALTH_IDLE);
	health_set_state(h, "Late", HEALTH_POLLING);
	health_set_error(h, NULL, "imap: connection reset \"by peer\"");
	r = load();
	assert_int_equal(r->pid, (long)getpid());
	assert_int_equal(r->nfolders, 2);
	assert_string_equal(r->folders[0].name, "INBOX");
	assert_int_equal(r->folders[0].state, HEALTH_IDLE);
	assert_int_equal(r->folders[1].state, HEALTH_POLLING);
	assert_string_equal(r->folders[1].last_error, "imap: connection reset \"by peer\"");
	assert_true(r->folders[0].since > 0 && r->folders[0].last_error_at > 0);
	assert_int_equal(r->folders[0].last_fetch, 0);
	health_free(&r);
	char *path = xasprintf("%s/state/health.json", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
	health_free(&h);
}

/* The same state again is no change: "since" stays, nothing written. */
static void test_same_state_keeps_since(void **state)
{
	(void)state;
	struct health *h = new_two();
	health_set_state(h, NULL, HEALTH_IDLE);
	time_t since = h->folders[0].since;
	h->folders[0].since = since - 100; /* as if it had been idle a while */
	health_flush(h);
	time_t written = h->written;
	health_set_state(h, "INBOX", HEALTH_IDLE);
	assert_int_equal(h->folders[0].since, since - 100);
	assert_false(h->dirty);
	assert_int_equal(h->written, written);
	health_set_state(h, "INBOX", HEALTH_DISCONNECTED);
	assert_true(h->folders[0].since >= since);
	health_free(&h);
}

/* Progress within HEALTH_WRITE_EVERY of the last write waits (dirty);
 * the first of a sync and a flush write it. */
static void test_progress_is_rate_limited(void **state)
{
	(void)state;
	struct health *h = new_two(), *r;
	health_progress(h, "INBOX", 0, 5000); /* a sync starts: written */
	r = load();
	assert_int_equal(r->folders[0].sync_total, 5000);
	health_free(&r);
	h->written = time(NULL) + 3600; /* "just written": the limit holds */
	health_progress(h, "INBOX", 500, 5000);
	assert_true(h->dirty);
	r = load();
	assert_int_equal(r->folders[0].sync_done, 0);
	health_free(&r);
	h->written = 0; /* the second is over */
	health_progress(h, "INBOX", 1000, 5000);
	assert_false(h->dirty);
	r = load();
	assert_int_equal(r->folders[0].sync_done, 1000);
	health_free(&r);
	health_fetched(h, "INBOX"); /* done: the sync is over, written at once */
	r = load();
	assert_int_equal(r->folders[0].sync_total, 0);
	assert_true(r->folders[0].last_fetch > 0);
	health_free(&r);
	health_free(&h);
}

static void test_garbage_is_an_error(void **state)
{
	(void)state;
	char *path = xasprintf("%s/state/health.json", dir);
	struct err err = { 0 };
	assert_int_equal(fsio_replace(path, "[1,2]", 5, 0600, &err), 0);
	struct health *h = NULL;
	assert_int_equal(health_load(sp, &h, &err), -1);
	assert_null(h);
	assert_non_null(strstr(err.msg, "not a health record"));
	assert_int_equal(fsio_replace(path, "{\"folders\":[{\"state\":\"weird\"}]}", 31, 0600,
				      &err), 0);
	assert_int_equal(health_load(sp, &h, &err), 1);
	assert_string_equal(h->folders[0].name, "?");
	assert_int_equal(h->folders[0].state, HEALTH_DISCONNECTED);
	health_free(&h);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_state_keeps_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_is_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_is_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
