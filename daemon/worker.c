/* worker.c — mime_analyze in a child process with rlimits and a
 * wall-clock timeout. A crash, a hang or a memory blow-up on hostile input
 * only quarantines that message; the daemon goes on.
 *
 * Wire (child -> parent, one pipe): 'A' + analysis JSON, or
 * 'E' + class digit + message. Anything else is "malformed". */
#include "intaked/fsio.h"
#include "intaked/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "intaked/log.h"
#include "intaked/mime.h"
#include "intaked/util.h"

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ASAN 1
#endif
#endif
#ifdef WORKER_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#define DEFAULT_TIMEOUT 60
#define DEFAULT_MEMORY ((size_t)1 << 30)
#define DEFAULT_ATTACHMENT_SIZE ((size_t)32 << 20)
#define OUTPUT_BASE_MAX ((size_t)64 << 20)
#define CHILD_NOFILE 64
#define REAP_GRACE_MS 2000  /* after EOF, for the child to finish exiting */

static void limits_resolve(const struct limits_config *in, struct limits_config *out)
{
	*out = *in;
	if (out->extract_timeout <= 0)
		out->extract_timeout = DEFAULT_TIMEOUT;
	if (out->worker_memory == 0)
		out->worker_memory = DEFAULT_MEMORY;
	if (out->max_attachment_size == 0)
		out->max_attachment_size = DEFAULT_ATTACHMENT_SIZE;
}

/* ---- child ---- */

/* The daemon's handlers and blocked signals (signalfd) must not leak into
 * the worker or the converters it runs. */
static void child_reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };

	/* Lowering a limit cannot fail for lack of privilege; if the kernel
	 * still refuses, the wall-clock timeout remains. */
	if (setrlimit(resource, &rl) < 0)
		log_warn("event=worker-rlimit resource=%d", resource);
}

static void child_limits(const struct limits_config *lim)
{
	rlim_t cpu = (rlim_t)lim->extract_timeout + 1;

#ifndef WORKER_ASAN
	/* ASan reserves terabytes of shadow address space. */
	set_limit(RLIMIT_AS, lim->worker_memory, lim->worker_memory);
#endif
	set_limit(RLIMIT_CPU, cpu, cpu + 1);
	set_limit(RLIMIT_NOFILE, CHILD_NOFILE, CHILD_NOFILE);
	/* Attachments are written only up to max_attachment_size. */
	set_limit(RLIMIT_FSIZE, lim->max_attachment_size + ((rlim_t)1 << 20),
		  lim->max_attachment_size + ((rlim_t)1 << 20));
	set_limit(RLIMIT_CORE, 0, 0);
}

static void child_send_error(int wfd, const struct err *err)
{
	char head[2] = { 'E', (char)('0' + (int)err->cls) };

	(void)fsio_write_all(wfd, head, sizeof(head));
	(void)fsio_write_all(wfd, err->msg, strnlen(err->msg, sizeof(err->msg)));
}

static _Noreturn void child_exit(int status)
{
	mime_deinit();
#ifdef WORKER_ASAN
	/* _exit skips LeakSanitizer's atexit check: run it here, so leaks in
	 * the worker show up as "worker exited with status 23". */
	__lsan_do_leak_check();
#endif
	_exit(status);
}

static _Noreturn void child_main(int wfd, pid_t parent, const unsigned char *raw,
				 size_t len, const char *files_dir,
				 const struct limits_config *lim)
{
	struct err err = { 0 };
	struct analysis *a = NULL;
	int dirfd;

	child_reset_signals();
	(void)setpgid(0, 0);
	/* Die with the daemon; it may already be gone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Nothing of the daemon's (IMAP socket, spool, ledger) stays open. */
	if (wfd > 3)
		(void)close_range(3, (unsigned)wfd - 1, 0);
	(void)close_range((unsigned)wfd + 1, ~0U, 0);
	child_limits(lim);
	mime_init();
	dirfd = open(files_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		err_setsys(&err, ERR_TEMP, "open %s", files_dir);
		child_send_error(wfd, &err);
	} else if (mime_analyze(raw, len, dirfd, lim, &a, &err) < 0) {
		child_send_error(wfd, &err);
	} else {
		char *json = analysis_to_json(a);

		if (fsio_write_all(wfd, "A", 1) < 0 || fsio_write_all(wfd, json, strlen(json)) < 0)
			log_warn("event=worker-write-failed");
		free(json);
		analysis_free(&a);
	}
	if (dirfd >= 0)
		close(dirfd);
	close(wfd);
	child_exit(0);
}

/* ---- parent ---- */

static struct timespec deadline_in(long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static long ms_until(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

enum read_result { READ_EOF, READ_TIMEOUT, READ_TOO_LARGE, READ_ERROR };

static enum read_result read_output(int fd, const struct timespec *deadline, struct buf *out)
{
	char chunk[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long ms = ms_until(deadline);
		int rc;
		ssize_t n;

		if (ms <= 0)
			return READ_TIMEOUT;
		rc = poll(&pfd, 1, ms > 60000 ? 60000 : (int)ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return READ_ERROR;
		if (rc == 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return READ_ERROR;
		if (n == 0)
			return READ_EOF;
		if (buf_append(out, chunk, (size_t)n) < 0)
			return READ_TOO_LARGE;
	}
}

/* Wait for the worker to end (up to the deadline), kill whatever is left
 * of its process group while the zombie still holds the group id, reap.
 * Returns the wait status, or -1 if there was no child to reap. */
static int reap(pid_t pid, const struct timespec *deadline, bool kill_now)
{
	/* The worker exits right after its output: look again soon, then
	 * back off to 5 ms so a slow one costs no CPU. */
	struct timespec pause = { 0, 50 * 1000 };
	siginfo_t info;
	int status;

	if (kill_now)
		(void)kill(pid, SIGKILL);
	for (;;) {
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (info.si_pid == pid)
			break;
		if (ms_until(deadline) <= 0)
			(void)kill(pid, SIGKILL);
		(void)nanosleep(&pause, NULL);
		if (pause.tv_nsec < 5 * 1000 * 1000)
			pause.tv_nsec *= 2;
	}
	(void)kill(-pid, SIGKILL); /* converters the worker may have left */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static int decode_output(const struct buf *out, struct analysis **a_r, struct err *err)
{
	const char *d = out->data;

	if (out->len >= 1 && d[0] == 'A')
		return analysis_from_json(d + 1, out->len - 1, a_r, err);
	if (out->len >= 2 && d[0] == 'E' && (d[1] == '0' + ERR_TEMP || d[1] == '0' + ERR_MESSAGE)) {
		err_set(err, (enum err_class)(d[1] - '0'), "%.*s", (int)(out->len - 2), d + 2);
		return -1;
	}
	err_set(err, ERR_MESSAGE, "worker output malformed");
	return -1;
}

static const char *signal_note(int sig)
{
	switch (sig) {
	case SIGXCPU: return " (CPU time limit)";
	case SIGXFSZ: return " (file size limit)";
	default: return "";
	}
}

/* What the run amounts to, from the way it ended and what it wrote. */
static int outcome(enum read_result rr, int read_errno, int status, const struct buf *out,
		   long timeout, struct analysis **a_r, struct err *err)
{
	if (rr == READ_TIMEOUT) {
		err_set(err, ERR_MESSAGE, "worker timed out after %lds", timeout);
	} else if (rr == READ_TOO_LARGE) {
		err_set(err, ERR_MESSAGE, "worker output malformed: over %zu bytes", out->max);
	} else if (rr == READ_ERROR) {
		errno = read_errno;
		err_setsys(err, ERR_TEMP, "worker read");
	} else if (status != -1 && WIFSIGNALED(status)) {
		err_set(err, ERR_MESSAGE, "worker killed by signal %d%s", WTERMSIG(status),
			signal_note(WTERMSIG(status)));
	} else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		err_set(err, ERR_MESSAGE, "worker exited with status %d", WEXITSTATUS(status));
	} else {
		/* status -1: SIGCHLD ignored by someone; trust the output. */
		return decode_output(out, a_r, err);
	}
	return -1;
}

int worker_analyze(const unsigned char *raw, size_t len, const char *files_dir,
		   const struct limits_config *limits, struct analysis **a_r,
		   struct err *err)
{
	struct limits_config lim;
	struct timespec deadline;
	struct buf out;
	enum read_result rr;
	int pfd[2], status, read_errno, rc;
	pid_t pid, parent = getpid();

	*a_r = NULL;
	limits_resolve(limits, &lim);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		err_setsys(err, ERR_TEMP, "worker pipe");
		return -1;
	}
	/* The child must not write out what the parent has buffered. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_setsys(err, ERR_TEMP, "worker fork");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(pfd[1], parent, raw, len, files_dir, &lim);
	}
	close(pfd[1]);
	(void)setpgid(pid, pid);
	deadline = deadline_in(lim.extract_timeout * 1000);
	buf_init(&out, OUTPUT_BASE_MAX + 2 * lim.max_message_size);
	rr = read_output(pfd[0], &deadline, &out);
	read_errno = errno;
	close(pfd[0]);
	if (rr == READ_EOF) {
		/* The child exits right after closing its end. */
		struct timespec grace = deadline_in(REAP_GRACE_MS);

		status = reap(pid, ms_until(&grace) < ms_until(&deadline) ? &grace : &deadline,
			      false);
	} else {
		status = reap(pid, &deadline, true);
	}
	rc = outcome(rr, read_errno, status, &out, lim.extract_timeout, a_r, err);
	buf_free(&out);
	return rc;
}
