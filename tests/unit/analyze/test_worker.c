/* test_worker.c — the sandboxed parse: results, timeouts, crashes, and
 * the reuse of one child: a fresh one after each failure, recycling,
 * per-message CPU budget, death with the parent. */
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "intaked/fault.h"
#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/worker.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

/* dir/ holds message.eml; dir/files/ receives the attachments. */
struct fixture {
	char dir[64];
	char *raw_path, *files;
	struct limits_config lim;
	struct worker *w;
	struct analysis *a;
	struct err err;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_worker.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->raw_path = xasprintf("%s/message.eml", f->dir);
	f->files = xasprintf("%s/files", f->dir);
	if (mkdir(f->files, 0700) < 0)
		return -1;
	f->lim.extract_timeout = 30;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	worker_free(&f->w);
	analysis_free(&f->a);
	fsio_rmtree(f->dir);
	free(f->raw_path);
	free(f->files);
	free(f);
	return 0;
}

static void put_message(struct fixture *f, const char *raw, size_t len)
{
	struct err err = { 0 };

	(void)unlink(f->raw_path);
	assert_int_equal(fsio_replace(f->raw_path, raw, len, 0600, &err), 0);
}

/* The worker is made on first use, with the limits set by then. */
static int run_at(struct fixture *f, const char *raw_path, const char *files)
{
	if (f->w == NULL)
		f->w = worker_new(&f->lim);
	analysis_free(&f->a);
	err_clear(&f->err);
	return worker_analyze(f->w, raw_path, files, &f->a, &f->err);
}

static int run(struct fixture *f, const char *raw, size_t len)
{
	put_message(f, raw, len);
	return run_at(f, f->raw_path, f->files);
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
	assert_string_equal(f->a->from_addr, "X@mofa.gov.bd"); /* local part as written */
	assert_string_equal(f->a->subject, "été");
	assert_int_equal(f->a->ndocs, 1);
	assert_string_equal(f->a->docs[0].file, "files/input.txt");
	assert_int_equal(f->a->docs[0].words, 5);
	assert_string_equal(f->a->counted, "documents");
	assert_int_equal(f->a->word_count, 5);
	/* The body text crosses raw, after the JSON. */
	assert_string_equal(f->a->body_text, "cover note");
	/* The child wrote the attachment where it was told. */
	path = xasprintf("%s/input.txt", f->files);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(fsio_read_file(path, 1024, &data, NULL, &f->err), 0);
	assert_string_equal(data, "five words in this file");
	free(data);
	free(path);
}

/* A body of n words ("w w w ..."), as a message. */
static char *message_of_words(size_t n)
{
	static const char head[] = "From: a@b.org\r\nSubject: s\r\n\r\n";
	char *m = xmalloc(sizeof(head) + 2 * n + 3);
	char *p = m + sizeof(head) - 1;

	memcpy(m, head, sizeof(head) - 1);
	for (size_t i = 0; i < n; i++, p += 2)
		memcpy(p, "w ", 2);
	memcpy(p, "\r\n", 3);
	return m;
}

/* Small messages are read into a buffer the child keeps, larger ones
 * mapped: each is analysed whole and alone, whatever came before it. */
static void test_read_and_mapped_messages(void **state)
{
	struct fixture *f = *state;
	static const size_t words[] = { 10, 200000, 3, 150000, 1 }; /* 400 KB, 300 KB */

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char *m = message_of_words(words[i]);

		assert_int_equal(run(f, m, strlen(m)), 0);
		assert_string_equal(f->a->counted, "body");
		assert_int_equal(f->a->word_count, (long)words[i]);
		assert_true(strlen(f->a->body_text) <= 2 * words[i] + 2);
		free(m);
	}
}

static void test_no_fd_leak(void **state)
{
	struct fixture *f = *state;
	unsigned before = open_fds();

	for (int i = 0; i < 5; i++)
		assert_int_equal(run(f, "From: a@b.c\r\n\r\nhi\r\n", 19), 0);
	/* The channel to the child, and nothing per message. */
	assert_int_equal(open_fds(), before + 1);
	worker_free(&f->w);
	assert_int_equal(open_fds(), before);
}

/* One child serves message after message. */
static void test_child_is_reused(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	assert_int_equal(run(f, msg, strlen(msg)), 0);
	pid = worker_pid(f->w);
	assert_true(pid > 0);
	for (int i = 0; i < 3; i++) {
		char *raw = xasprintf("From: a@b.c\r\n\r\none two three %d\r\n", i);

		assert_int_equal(run(f, raw, strlen(raw)), 0);
		assert_int_equal(f->a->word_count, 4);
		free(raw);
	}
	assert_int_equal(worker_pid(f->w), pid);
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
	assert_int_equal(worker_pid(f->w), 0);
	/* The next message gets a fresh child (no attachment: with 1 s, no
	 * time is left for converters). */
	assert_int_equal(run(f, "From: a@b.c\r\n\r\none two three\r\n", 31), 0);
	assert_int_equal(f->a->word_count, 3);
}

static void test_memory_limit_is_a_message_error(void **state)
{
#ifdef TEST_ASAN
	(void)state;
	skip(); /* RLIMIT_AS is not applied under ASan */
#else
	struct fixture *f = *state;

	if (RUNNING_ON_VALGRIND)
		skip(); /* valgrind's own heap does not fit in 8 MiB */
	f->lim.worker_memory = (size_t)8 << 20;
	assert_int_equal(run(f, msg, strlen(msg)), -1);
	assert_null(f->a);
	assert_int_equal(f->err.cls, ERR_MESSAGE);
	/* Killed by a signal, exited with an error, or could not map the
	 * message, depending on which allocation failed first. */
	assert_true(strncmp(f->err.msg, "worker killed by signal", 23) == 0 ||
		    strstr(f->err.msg, "does not fit in worker_memory") != NULL ||
		    strncmp(f->err.msg, "worker exited with status", 25) == 0);
#endif
}

static void test_missing_directory_is_temporary(void **state)
{
	struct fixture *f = *state;
	char *dir = xasprintf("%s/absent", f->dir);
	pid_t pid;

	assert_int_equal(run(f, msg, strlen(msg)), 0);
	pid = worker_pid(f->w);
	assert_int_equal(run_at(f, f->raw_path, dir), -1);
	free(dir);
	assert_int_equal(f->err.cls, ERR_TEMP);
	assert_non_null(strstr(f->err.msg, "absent"));
	/* Not the child's fault: it stays. */
	assert_int_equal(worker_pid(f->w), pid);
	assert_int_equal(run(f, msg, strlen(msg)), 0);
}

static void test_symlinked_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	char *link = xasprintf("%s/link", f->dir);

	assert_int_equal(symlink("/tmp", link), 0);
	put_message(f, msg, strlen(msg));
	assert_int_equal(run_at(f, f->raw_path, link), -1);
	free(link);
	assert_int_equal(f->err.cls, ERR_TEMP);
}

static void test_symlinked_message_is_refused(void **state)
{
	struct fixture *f = *state;
	char *link = xasprintf("%s/link.eml", f->dir);

	put_message(f, msg, strlen(msg));
	assert_int_equal(symlink(f->raw_path, link), 0);
	assert_int_equal(run_at(f, link, f->files), -1);
	assert_int_equal(f->err.cls, ERR_TEMP);
	assert_non_null(strstr(f->err.msg, "link.eml"));
	free(link);
}

static void test_empty_message(void **state)
{
	struct fixture *f = *state;

	/* An empty file cannot be mapped: it is read as an empty message. */
	assert_int_equal(run(f, "", 0), 0);
	assert_int_equal(f->a->word_count, 0);
}

/* Gone, or a zombie nobody reaped: the process no longer runs. */
static bool process_gone(pid_t pid)
{
	char path[64], *stat = NULL;
	struct err err = { 0 };
	bool gone;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (fsio_read_file(path, 4096, &stat, NULL, &err) < 0)
		return true;
	gone = strstr(stat, ") Z ") != NULL;
	free(stat);
	return gone;
}

static void wait_gone(pid_t pid)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 1000 && !process_gone(pid); i++)
		nanosleep(&pause, NULL);
	assert_true(process_gone(pid));
}

static void test_crash_then_fresh_child(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	/* The child's second job dies (fault point: SIGKILL). */
	setenv("INTAKED_FAULT", "worker-job:2", 1);
	fault_reset();
	assert_int_equal(run(f, msg, strlen(msg)), 0);
	pid = worker_pid(f->w);
	assert_int_equal(run(f, msg, strlen(msg)), -1);
	assert_int_equal(f->err.cls, ERR_MESSAGE);
	assert_string_equal(f->err.msg, "worker killed by signal 9");
	assert_int_equal(worker_pid(f->w), 0);
	/* Reaped, process group and all. */
	assert_int_equal(kill(pid, 0), -1);
	/* A fresh child (its own first job) analyses the next message. */
	assert_int_equal(run(f, msg, strlen(msg)), 0);
	assert_int_equal(f->a->word_count, 5);
	assert_true(worker_pid(f->w) != pid);
	unsetenv("INTAKED_FAULT");
	fault_reset();
}

/* Two messages in the child's hands at once: answers come back in order;
 * when the child dies over the first, the second goes to a fresh child. */
static void test_submit_two_then_collect(void **state)
{
	struct fixture *f = *state;
	static const char other[] = "From: b@c.d\r\n\r\none two three\r\n";
	char *path2 = xasprintf("%s/second.eml", f->dir);
	struct analysis *a = NULL;
	struct err err = { 0 };

	put_message(f, msg, strlen(msg));
	assert_int_equal(fsio_replace(path2, other, strlen(other), 0600, &err), 0);
	f->w = worker_new(&f->lim);
	for (int round = 0; round < 2; round++) {
		/* Round 1: the first job of the child dies (SIGKILL). */
		if (round == 1) {
			setenv("INTAKED_FAULT", "worker-job:1", 1);
			fault_reset();
			assert_int_equal(worker_stop(f->w, &err), 0);
		}
		assert_int_equal(worker_submit(f->w, f->raw_path, f->files, &err), 0);
		pid_t pid = worker_pid(f->w);
		assert_int_equal(worker_submit(f->w, path2, f->files, &err), 0);
		assert_int_equal(worker_submit(f->w, path2, f->files, &err), -1); /* full */
		/* worker_analyze needs an empty queue. */
		assert_int_equal(worker_analyze(f->w, path2, f->files, &a, &err), -1);
		if (round == 0) {
			assert_int_equal(worker_collect(f->w, &a, &err), 0);
			assert_int_equal(a->word_count, 5);
			analysis_free(&a);
		} else {
			assert_int_equal(worker_collect(f->w, &a, &err), -1);
			assert_string_equal(err.msg, "worker killed by signal 9");
			unsetenv("INTAKED_FAULT");
			fault_reset();
		}
		assert_int_equal(worker_collect(f->w, &a, &err), 0);
		assert_string_equal(a->from_addr, "b@c.d");
		assert_int_equal(a->word_count, 3);
		analysis_free(&a);
		assert_true(round == 0 ? worker_pid(f->w) == pid : worker_pid(f->w) != pid);
		assert_int_equal(worker_collect(f->w, &a, &err), -1); /* nothing left */
	}
	free(path2);
}

static void test_child_that_cannot_start_is_temporary(void **state)
{
	struct fixture *f = *state;

	/* Every child dies before it is ready (fault point: SIGKILL). */
	setenv("INTAKED_FAULT", "worker-start", 1);
	fault_reset();
	assert_int_equal(run(f, msg, strlen(msg)), -1);
	assert_int_equal(f->err.cls, ERR_TEMP);
	assert_string_equal(f->err.msg, "worker failed to start: killed by signal 9");
	assert_int_equal(worker_pid(f->w), 0);
	unsetenv("INTAKED_FAULT");
	fault_reset();
	assert_int_equal(run(f, msg, strlen(msg)), 0);
	assert_int_equal(f->a->word_count, 5);
}

static void test_child_killed_while_idle(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	assert_int_equal(run(f, msg, strlen(msg)), 0);
	pid = worker_pid(f->w);
	assert_int_equal(kill(pid, SIGKILL), 0);
	wait_gone(pid);
	/* Not the message's fault: it goes to a fresh child. */
	assert_int_equal(run(f, msg, strlen(msg)), 0);
	assert_int_equal(f->a->word_count, 5);
	assert_true(worker_pid(f->w) != pid);
}

/* Our end of the child's channel: the one socket we hold. */
static int channel_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1, n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], target[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 7 && strncmp(target, "socket:", 7) == 0) {
			found = (int)strtol(e->d_name, NULL, 10);
			n++;
		}
	}
	closedir(d);
	assert_int_equal(n, 1);
	return found;
}

/* Replace the channel with a socket whose other end says `reply`, then
 * analyse: the parent must refuse the reply, kill the child, and give the
 * next message a fresh one. */
static void check_bad_reply(struct fixture *f, const void *reply, size_t len,
			    const char *expect)
{
	int sv[2], fd;
	pid_t pid;

	assert_int_equal(run(f, msg, strlen(msg)), 0);
	pid = worker_pid(f->w);
	fd = channel_fd();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(dup2(sv[0], fd), fd);
	close(sv[0]);
	assert_int_equal(write(sv[1], reply, len), (ssize_t)len);
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(run(f, msg, strlen(msg)), -1);
	close(sv[1]);
	assert_int_equal(f->err.cls, ERR_MESSAGE);
	assert_string_equal(f->err.msg, expect);
	assert_int_equal(worker_pid(f->w), 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(run(f, msg, strlen(msg)), 0);
	assert_int_equal(f->a->word_count, 5);
}

static void test_malformed_reply(void **state)
{
	static const unsigned char junk[] = { 5, 0, 0, 0, 'X', 'j', 'u', 'n', 'k' };

	check_bad_reply(*state, junk, sizeof(junk), "worker output malformed");
}

/* JSON without the NUL that ends it and starts the body text. */
static void test_reply_without_body_separator(void **state)
{
	static const unsigned char nosep[] = { 3, 0, 0, 0, 'A', '{', '}' };

	check_bad_reply(*state, nosep, sizeof(nosep), "worker output malformed");
}

static void test_reply_over_cap(void **state)
{
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 'A' };

	check_bad_reply(*state, huge, sizeof(huge),
			"worker output malformed: over 67108864 bytes");
}

static void test_reply_cut_short(void **state)
{
	static const unsigned char part[] = { 100, 0, 0, 0, 'A', '{' };

	/* The old child saw EOF on its channel and exited with status 0. */
	check_bad_reply(*state, part, sizeof(part), "worker output malformed: reply cut short");
}

static void test_recycled_after_max_jobs(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	put_message(f, "From: a@b.c\r\n\r\nhi\r\n", 19);
	assert_int_equal(run_at(f, f->raw_path, f->files), 0);
	pid = worker_pid(f->w);
	for (int i = 1; i < WORKER_MAX_JOBS - 1; i++) {
		assert_int_equal(run_at(f, f->raw_path, f->files), 0);
		assert_int_equal(f->a->word_count, 1);
	}
	assert_int_equal(worker_pid(f->w), pid);
	/* The last job of this child: retired (and reaped) right after. */
	assert_int_equal(run_at(f, f->raw_path, f->files), 0);
	assert_int_equal(worker_pid(f->w), 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(run_at(f, f->raw_path, f->files), 0);
	assert_true(worker_pid(f->w) > 0 && worker_pid(f->w) != pid);
}

/* CPU seconds (user + system) the process has used so far. */
static double cpu_seconds(pid_t pid)
{
	char path[64], *stat = NULL, *p;
	struct err err = { 0 };
	unsigned long utime = 0, stime = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	assert_int_equal(fsio_read_file(path, 4096, &stat, NULL, &err), 0);
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	p = strrchr(stat, ')');
	assert_non_null(p);
	for (int field = 2; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	assert_non_null(p);
	utime = strtoul(p + 1, &p, 10);
	stime = strtoul(p + 1, NULL, 10);
	free(stat);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Messages whose CPU time adds up to well over one message's budget
 * (extract_timeout + 1 s) in one child: RLIMIT_CPU counts a process's
 * whole life, so the child must renew it per message. */
static void test_cpu_budget_is_per_message(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	char *raw;
	pid_t pid = 0;
	double first = 0;

	buf_init(&b, 1 << 24);
	assert_int_equal(buf_puts(&b, "From: a@b.c\r\n"), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n"
					       "\r\n--b%d\r\n", i, i), 0);
	assert_int_equal(buf_puts(&b, "Content-Type: text/plain\r\n\r\n"), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_append(&b, "--x\r\n", 5), 0);
	raw = buf_steal(&b);
	f->lim.extract_timeout = 1;
	put_message(f, raw, strlen(raw));
	free(raw);
	if (run_at(f, f->raw_path, f->files) < 0 ||
	    (first = cpu_seconds(pid = worker_pid(f->w))) > 0.5)
		skip(); /* a slow machine or valgrind: no room under the 1 s timeout */
	printf("  %.2f s of CPU for the child's first message\n", first);
	/* Up to 3 s of CPU in one child (at most 100 messages). */
	for (int i = 0; i < 100 && cpu_seconds(pid) < 3.0; i++) {
		assert_int_equal(run_at(f, f->raw_path, f->files), 0);
		assert_int_equal(worker_pid(f->w), pid);
	}
	assert_true(cpu_seconds(pid) >= 3.0);
}

/* The daemon dies without worker_free: its child must not linger. */
static void test_child_dies_with_parent(void **state)
{
	struct fixture *f = *state;
	int pfd[2], status;
	pid_t mid, child = 0;

	/* Adopt the orphan, to see it end rather than rely on init. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(pfd), 0);
	put_message(f, msg, strlen(msg));
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		struct worker *w = worker_new(&f->lim);
		struct analysis *a = NULL;
		struct err err = { 0 };

		if (worker_analyze(w, f->raw_path, f->files, &a, &err) == 0) {
			pid_t pid = worker_pid(w);

			(void)!write(pfd[1], &pid, sizeof(pid));
		}
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	close(pfd[0]);
	assert_true(child > 0);
	assert_int_equal(waitpid(mid, &status, 0), mid);
	for (int i = 0; i < 1000; i++) {
		struct timespec pause = { 0, 10 * 1000 * 1000 };

		if (waitpid(child, &status, WNOHANG) == child)
			break;
		nanosleep(&pause, NULL);
	}
	assert_int_equal(kill(child, 0), -1);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_result_crosses_the_pipe),
		T(test_read_and_mapped_messages),
		T(test_no_fd_leak),
		T(test_blocked_signals_in_parent),
		T(test_timeout_kills_the_worker),
		T(test_memory_limit_is_a_message_error),
		T(test_missing_directory_is_temporary),
		T(test_symlinked_directory_is_refused),
		T(test_symlinked_message_is_refused),
		T(test_empty_message),
		T(test_child_is_reused),
		T(test_crash_then_fresh_child),
		T(test_child_that_cannot_start_is_temporary),
		T(test_child_killed_while_idle),
		T(test_submit_two_then_collect),
		T(test_malformed_reply),
		T(test_reply_without_body_separator),
		T(test_reply_over_cap),
		T(test_reply_cut_short),
		T(test_recycled_after_max_jobs),
		T(test_cpu_budget_is_per_message),
		T(test_child_dies_with_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
