/* test_worker.c — the sandboxed parse: results, timeouts, crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/worker.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

struct fixture {
	char dir[64];
	struct limits_config lim;
	struct analysis *a;
	struct err err;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_worker.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->lim.extract_timeout = 30;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	analysis_free(&f->a);
	fsio_rmtree(f->dir);
	free(f);
	return 0;
}

static int run(struct fixture *f, const char *raw, size_t len)
{
	analysis_free(&f->a);
	err_clear(&f->err);
	return worker_analyze((const unsigned char *)raw, len, f->dir, &f->lim, &f->a, &f->err);
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static const char msg[] =
	"From: Mission <X@Mofa.gov.bd>\r\n"
	"Subject: =?UTF-8?B?w6l0w6k=?=\r\n"
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	"--b\r\nContent-Type: text/plain\r\n\r\ncover note\r\n"
	"--b\r\nContent-Type: text/plain; name=\"input.txt\"\r\n"
	"Content-Disposition: attachment\r\n\r\nfive words in this file\r\n"
	"--b--\r\n";

static void test_result_crosses_the_pipe(void **state)
{
	struct fixture *f = *state;
	char *path, *data = NULL;
	struct stat st;

	assert_int_equal(run(f, msg, strlen(msg)), 0);
	assert_string_equal(f->a->from_addr, "x@mofa.gov.bd");
	assert_string_equal(f->a->subject, "été");
	assert_int_equal(f->a->ndocs, 1);
	assert_string_equal(f->a->docs[0].file, "files/input.txt");
	assert_int_equal(f->a->docs[0].words, 5);
	assert_string_equal(f->a->counted, "documents");
	assert_int_equal(f->a->word_count, 5);
	/* The child wrote the attachment where it was told. */
	path = xasprintf("%s/input.txt", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(fsio_read_file(path, 1024, &data, NULL, &f->err), 0);
	assert_string_equal(data, "five words in this file");
	free(data);
	free(path);
}

static void test_no_fd_leak(void **state)
{
	struct fixture *f = *state;
	unsigned before = open_fds();

	for (int i = 0; i < 5; i++)
		assert_int_equal(run(f, "From: a@b.c\r\n\r\nhi\r\n", 19), 0);
	assert_int_equal(open_fds(), before);
}

static void test_blocked_signals_in_parent(void **state)
{
	struct fixture *f = *state;
	sigset_t set, old;

	/* A daemon using signalfd blocks its signals; the worker must
	 * still work and be killable. */
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	assert_int_equal(run(f, msg, strlen(msg)), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(f->a->word_count, 5);
}

/* GMime compares each "--" line with every open boundary: 1000 nested
 * multiparts and a million such lines take seconds. */
static char *slow_message(void)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	assert_int_equal(buf_puts(&b, "From: a@b.c\r\n"), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n"
					       "\r\n--b%d\r\n", i, i), 0);
	assert_int_equal(buf_puts(&b, "Content-Type: text/plain\r\n\r\n"), 0);
	for (int i = 0; i < 1000000; i++)
		assert_int_equal(buf_append(&b, "--x\r\n", 5), 0);
	return buf_steal(&b);
}

static void test_timeout_kills_the_worker(void **state)
{
	struct fixture *f = *state;
	char *raw = slow_message();
	struct timespec t0, t1;

	f->lim.extract_timeout = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run(f, raw, strlen(raw)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(raw);
	assert_null(f->a);
	assert_int_equal(f->err.cls, ERR_MESSAGE);
	assert_string_equal(f->err.msg, "worker timed out after 1s");
	assert_true(t1.tv_sec - t0.tv_sec <= 3);
}

static void test_memory_limit_is_a_message_error(void **state)
{
#ifdef TEST_ASAN
	(void)state;
	skip(); /* RLIMIT_AS is not applied under ASan */
#else
	struct fixture *f = *state;

	f->lim.worker_memory = (size_t)8 << 20;
	assert_int_equal(run(f, msg, strlen(msg)), -1);
	assert_null(f->a);
	assert_int_equal(f->err.cls, ERR_MESSAGE);
	/* Killed by a signal or exited with an error, depending on which
	 * allocation failed first. */
	assert_true(strncmp(f->err.msg, "worker killed by signal", 23) == 0 ||
		    strncmp(f->err.msg, "worker exited with status", 25) == 0);
#endif
}

static void test_missing_directory_is_temporary(void **state)
{
	struct fixture *f = *state;
	char *dir = xasprintf("%s/absent", f->dir);

	err_clear(&f->err);
	assert_int_equal(worker_analyze((const unsigned char *)msg, strlen(msg), dir, &f->lim,
					&f->a, &f->err), -1);
	free(dir);
	assert_int_equal(f->err.cls, ERR_TEMP);
	assert_non_null(strstr(f->err.msg, "absent"));
}

static void test_symlinked_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	char *link = xasprintf("%s/link", f->dir);

	assert_int_equal(symlink("/tmp", link), 0);
	err_clear(&f->err);
	assert_int_equal(worker_analyze((const unsigned char *)msg, strlen(msg), link, &f->lim,
					&f->a, &f->err), -1);
	free(link);
	assert_int_equal(f->err.cls, ERR_TEMP);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_result_crosses_the_pipe),
		T(test_no_fd_leak),
		T(test_blocked_signals_in_parent),
		T(test_timeout_kills_the_worker),
		T(test_memory_limit_is_a_message_error),
		T(test_missing_directory_is_temporary),
		T(test_symlinked_directory_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
