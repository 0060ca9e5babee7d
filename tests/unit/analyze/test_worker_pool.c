/* test_worker_pool.c — several analysis children, answers in the order
 * the messages went in, whichever child took them and whatever befell one
 * of the children. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fault.h"
#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/worker_pool.h"
#include "intaked/worker.h"
#include "worker_impl.h"

#define NMSG 6

struct fixture {
	char dir[64];
	char *raw[NMSG], *files;
	struct limits_config lim;
	struct worker_pool *p;
};

/* Message i has i + 1 words, so an answer says which message it is. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err err = { 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pool.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->files = xasprintf("%s/files", f->dir);
	if (mkdir(f->files, 0700) < 0)
		return -1;
	for (int i = 0; i < NMSG; i++) {
		struct buf b;
		buf_init(&b, 4096);
		buf_printf(&b, "From: m%d@example.org\r\nSubject: s\r\n\r\n", i);
		for (int w = 0; w <= i; w++)
			buf_puts(&b, "word ");
		buf_puts(&b, "\r\n");
		f->raw[i] = xasprintf("%s/m%d.eml", f->dir, i);
		if (fsio_replace(f->raw[i], b.data, b.len, 0600, &err) < 0)
			return -1;
		buf_free(&b);
	}
	f->lim.extract_timeout = 30;
	f->lim.workers = 2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	worker_pool_free(&f->p);
	fsio_rmtree(f->dir);
	for (int i = 0; i < NMSG; i++)
		free(f->raw[i]);
	free(f->files);
	free(f);
	return 0;
}

static void collect_expect(struct fixture *f, int i)
{
	struct analysis *a = NULL;
	struct err err = { 0 };
	assert_int_equal(worker_pool_collect(f->p, &a, &err), 0);
	assert_int_equal(a->word_count, i + 1);
	analysis_free(&a);
}

static void test_answers_in_submission_order_from_two_children(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	f->p = worker_pool_new(&f->lim);
	assert_int_equal(worker_pool_size(f->p), 2);
	assert_int_equal(worker_pool_capacity(f->p), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(worker_pool_submit(f->p, f->raw[i], f->files, 100, &err), 0);
	assert_int_equal(worker_pool_submit(f->p, f->raw[4], f->files, 100, &err), -1); /* full */
	pid_t a = worker_pool_pid(f->p, 0), b = worker_pool_pid(f->p, 1);
	assert_true(a > 0 && b > 0 && a != b);
	/* Collect one, submit one: the ring wraps and the order holds. */
	for (int i = 0; i < NMSG; i++) {
		collect_expect(f, i);
		if (i + 4 < NMSG)
			assert_int_equal(worker_pool_submit(f->p, f->raw[i + 4], f->files, 100, &err), 0);
	}
	struct analysis *none = NULL;
	assert_int_equal(worker_pool_collect(f->p, &none, &err), -1);
}

/* Each child dies at its second message (fault point, SIGKILL): each
 * death costs that message only, the order holds, and the next messages
 * get fresh children. */
static void collect_killed(struct fixture *f)
{
	struct analysis *a = NULL;
	struct err err = { 0 };
	assert_int_equal(worker_pool_collect(f->p, &a, &err), -1);
	assert_int_equal(err.cls, ERR_MESSAGE);
	assert_string_equal(err.msg, "worker killed by signal 9");
}

static void test_a_death_costs_its_message_only(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	setenv("INTAKED_FAULT", "worker-job:2", 1);
	fault_reset();
	f->p = worker_pool_new(&f->lim);
	for (int i = 0; i < 4; i++)
		assert_int_equal(worker_pool_submit(f->p, f->raw[i], f->files, 100, &err), 0);
	pid_t first = worker_pool_pid(f->p, 0), second = worker_pool_pid(f->p, 1);
	collect_expect(f, 0);
	collect_expect(f, 1);
	collect_killed(f); /* message 2, the first child's second */
	collect_killed(f); /* message 3, the second child's second */
	unsetenv("INTAKED_FAULT");
	fault_reset();
	for (int i = 4; i < NMSG; i++)
		assert_int_equal(worker_pool_submit(f->p, f->raw[i], f->files, 100, &err), 0);
	assert_true(worker_pool_pid(f->p, 0) != first && worker_pool_pid(f->p, 1) != second);
	collect_expect(f, 4);
	collect_expect(f, 5);
}

static void test_auto_is_one_per_core(void **state)
{
	struct fixture *f = *state;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	f->lim.workers = 0;
	f->p = worker_pool_new(&f->lim);
	assert_int_equal(worker_pool_size(f->p),
			 cores < 1 ? 1 : cores > CONFIG_WORKERS_MAX ? CONFIG_WORKERS_MAX : cores);
	worker_pool_free(&f->p);
	f->lim.workers = 1;
	f->p = worker_pool_new(&f->lim);
	assert_int_equal(worker_pool_size(f->p), 1);
	assert_int_equal(worker_pool_capacity(f->p), 2);
}

/* Messages go by bytes outstanding, not by count: a mailbox whose every
 * other message carries a document must keep both workers busy. */
static void test_heavy_and_light_messages_are_spread(void **state)
{
	(void)state;
	size_t load[2] = { 0, 0 }, bytes[2] = { 0, 0 }, next = 0;
	const size_t sizes[] = { 900000, 20000, 900000, 20000 };
	size_t heavy[2] = { 0, 0 };
	for (size_t m = 0; m < 4; m++) {
		size_t i = worker_pool_choose(load, bytes, 2, next);
		assert_true(i < 2);
		load[i]++;
		bytes[i] += sizes[m];
		heavy[i] += sizes[m] > 100000;
		next = (i + 1) % 2;
	}
	assert_int_equal(heavy[0], 1);
	assert_int_equal(heavy[1], 1);
	/* A full worker is passed over however light; none with room: n. */
	size_t full[2] = { WORKER_QUEUE, 0 }, few[2] = { 0, 500 };
	assert_int_equal(worker_pool_choose(full, few, 2, 0), 1);
	size_t all_full[2] = { WORKER_QUEUE, WORKER_QUEUE };
	assert_int_equal(worker_pool_choose(all_full, few, 2, 0), 2);
	/* Equal bytes: the next in turn. */
	size_t even[2] = { 7, 7 }, one[2] = { 1, 1 };
	assert_int_equal(worker_pool_choose(one, even, 2, 1), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_answers_in_submission_order_from_two_children),
		T(test_a_death_costs_its_message_only),
		T(test_auto_is_one_per_core),
		cmocka_unit_test(test_heavy_and_light_messages_are_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
