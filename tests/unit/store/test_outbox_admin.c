/* test_outbox_admin.c — intakectl outbox retry/drop on the queue on disk:
 * what moves where with which envelope, ids that name nothing (or try to
 * leave the outbox), and the flush lock: a change waits while another
 * process flushes, and a flush that meets the operator's lock does
 * nothing that round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "intaked/fsio.h"
#include "intaked/outbox.h"
#include "intaked/outbox_admin.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#define T0 1648555200 /* 2022-03-29T12:00:00Z */

struct fx {
	char dir[64];
	struct spool *sp;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	memcpy(f->dir, "/tmp/test_oadmin.XXXXXX", 24);
	assert_non_null(mkdtemp(f->dir));
	struct err e = { 0 };
	assert_int_equal(spool_open(f->dir, &f->sp, &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	spool_close(&f->sp);
	fsio_rmtree(f->dir);
	free(f);
	return 0;
}

static char *queue(struct fx *f, time_t now)
{
	char *id = NULL;
	struct err e = { 0 };
	const char *msg = "Subject: x\r\n\r\nx\r\n";
	assert_int_equal(outbox_queue(f->sp, "ack", NULL, "inputs@example.org",
				      "bangladesh@mofa.gov.bd", "<m@example.org>", msg, strlen(msg),
				      now, &id, &e), 0);
	return id;
}

static bool in(struct fx *f, const char *where, const char *id)
{
	char *p = xasprintf("%s/outbox/%s/%s/message.eml", f->dir, where, id);
	bool yes = fsio_exists(p);
	free(p);
	return yes;
}

/* The one item of the outbox is in state, with last_error. */
static void check_one(struct fx *f, const char *state, const char *last_error)
{
	struct outbox_entry *v;
	size_t n;
	struct err e = { 0 };
	assert_int_equal(outbox_list_items(f->sp, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].state, state);
	if (last_error != NULL)
		assert_string_equal(v[0].it.last_error, last_error);
	outbox_entries_free(v, n);
}

static void test_drop_then_retry(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	char *id = queue(f, T0);
	check_one(f, "queued", NULL);
	assert_int_equal(outbox_drop(f->sp, id, T0 + 60, &e), OUTBOX_DONE);
	assert_true(in(f, "failed", id) && !in(f, "queue", id));
	check_one(f, "failed", OUTBOX_DROPPED);
	/* Dropped once: not queued any more. */
	assert_int_equal(outbox_drop(f->sp, id, T0 + 61, &e), OUTBOX_NOT_FOUND);
	/* Retried: back in the queue, due now, three more days. */
	assert_int_equal(outbox_retry(f->sp, id, T0 + 7200, &e), OUTBOX_DONE);
	assert_true(in(f, "queue", id) && !in(f, "failed", id));
	struct outbox_entry *v;
	size_t n;
	assert_int_equal(outbox_list_items(f->sp, &v, &n, &e), 0);
	assert_string_equal(v[0].state, "queued");
	assert_int_equal(v[0].it.next_attempt, T0 + 7200);
	assert_int_equal(v[0].it.created, T0 + 7200);
	outbox_entries_free(v, n);
	free(id);
}

static void test_unknown_and_hostile_ids(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	const char *bad[] = { "no-such-id", "", "..", "../queue", ".lock", "a/b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(outbox_retry(f->sp, bad[i], T0, &e), OUTBOX_NOT_FOUND);
		assert_int_equal(outbox_drop(f->sp, bad[i], T0, &e), OUTBOX_NOT_FOUND);
	}
}

/* Another process holds the flush lock for a moment (a flush under way):
 * the drop waits for it, then happens. */
static void test_waits_for_a_flush(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	char *id = queue(f, T0);
	char *lock = xasprintf("%s/outbox/.lock", f->dir);
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(lock, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		(void)!write(pipefd[1], "x", 1);
		usleep(700000);
		_exit(0);
	}
	char c;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(outbox_drop(f->sp, id, T0, &e), OUTBOX_DONE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 400);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(in(f, "failed", id));
	close(pipefd[0]);
	close(pipefd[1]);
	free(lock);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drop_then_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_hostile_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_a_flush, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
