/* worker_child.c — the analysis child: rlimits, a CPU budget per message,
 * nothing of the daemon's open, then mime_analyze on each request and the
 * reply on the wire (worker.c has the protocol and the parent's side). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fault.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/mime.h"
#include "intaked/util.h"
#include "intaked/worker.h"
#include "worker_impl.h"


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

/* Hard CPU limit for the child's whole life: each job gets at most
 * extract_timeout + 1 s (its soft limit), plus a second of slack each. */
static rlim_t cpu_hard_limit(const struct limits_config *lim)
{
	return (rlim_t)WORKER_MAX_JOBS * ((rlim_t)lim->extract_timeout + 2);
}

static void child_limits(const struct limits_config *lim)
{
	rlim_t fsize = lim->max_attachment_size + ((rlim_t)1 << 20);

#ifndef WORKER_ASAN
	/* ASan reserves terabytes of shadow address space. */
	set_limit(RLIMIT_AS, lim->worker_memory, lim->worker_memory);
#endif
	set_limit(RLIMIT_CPU, cpu_hard_limit(lim), cpu_hard_limit(lim));
	set_limit(RLIMIT_NOFILE, CHILD_NOFILE, CHILD_NOFILE);
	/* Attachments are written only up to max_attachment_size. */
	set_limit(RLIMIT_FSIZE, fsize, fsize);
	set_limit(RLIMIT_CORE, 0, 0);
}

/* RLIMIT_CPU counts the process's whole life: give this job its own
 * budget on top of what earlier jobs used (rounded up). */
static void child_cpu_budget(const struct limits_config *lim)
{
	struct rusage ru;
	rlim_t used, soft, hard = cpu_hard_limit(lim);

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	used = (rlim_t)ru.ru_utime.tv_sec + (rlim_t)ru.ru_stime.tv_sec + 1;
	soft = used + (rlim_t)lim->extract_timeout + 1;
	set_limit(RLIMIT_CPU, soft < hard ? soft : hard, hard);
}

static _Noreturn void child_exit(int status)
{
	mime_deinit();
	_exit(status);
}

/* Under ASan a job that leaked ends the child, so the leak is pinned on
 * that message ("worker exited with status 23") as when every message
 * had its own child. */
static void child_leak_check(void)
{
#ifdef WORKER_ASAN
	if (__lsan_do_recoverable_leak_check() != 0)
		_exit(EXIT_LEAK);
#endif
}

static int child_reply(int fd, char kind, const char *head, size_t head_len,
		       const char *body, size_t body_len, const char *tail, size_t tail_len)
{
	/* A tail follows the body after a NUL of its own. */
	uint32_t len = (uint32_t)(1 + head_len + body_len + (tail ? 1 + tail_len : 0));
	struct iovec iov[] = {
		{ &len, sizeof(len) }, { &kind, 1 }, { (char *)head, head_len },
		{ (char *)body, body_len }, { (char *)"", 1 }, { (char *)tail, tail_len },
	};

	/* A dead parent kills the child by SIGPIPE, as it always did. */
	return worker_writev_all(fd, iov, tail ? 6 : 4, false);
}

static void child_send_error(int fd, const struct err *err)
{
	char cls = (char)('0' + (int)err->cls);

	(void)child_reply(fd, 'E', &cls, 1, err->msg, strnlen(err->msg, sizeof(err->msg)), NULL, 0);
}

/* The request: 1 and two NUL-terminated paths, 0 on EOF (the parent is
 * done or gone), -1 if it breaks the framing. */
static int child_read_request(int fd, char *path, char *dir)
{
	unsigned char head[1 + 2 * sizeof(uint32_t)];
	uint32_t plen, dlen;
	int rc = worker_read_full(fd, head, sizeof(head));

	if (rc <= 0)
		return rc;
	memcpy(&plen, head + 1, sizeof(plen));
	memcpy(&dlen, head + 1 + sizeof(plen), sizeof(dlen));
	if (head[0] != 'J' || plen == 0 || plen > PATH_CAP || dlen == 0 || dlen > PATH_CAP ||
	    worker_read_full(fd, path, plen) != 1 || worker_read_full(fd, dir, dlen) != 1)
		return -1;
	path[plen] = '\0';
	dir[dlen] = '\0';
	if (strlen(path) != plen || strlen(dir) != dlen)
		return -1;
	return 1;
}

/* Messages up to this size are read into a buffer the child keeps for
 * the next: mapping and unmapping each one cost a TLB flush on every CPU,
 * ~7% of the child's CPU on 20 KB messages. Larger ones are mapped and
 * parsed in place (a copy would double the child's peak RSS). */
#define CHILD_READ_MAX ((size_t)256 << 10)

static unsigned char *read_buf; /* CHILD_READ_MAX + 1 bytes once used */

/* Reads the len bytes of fd into read_buf, NUL after them as a mapping
 * has zeros; the bytes read (fewer when the file shrank), -1 on error. */
static ssize_t child_read(int fd, size_t len)
{
	size_t got = 0;
	ssize_t r = 1;

	if (read_buf == NULL && (read_buf = malloc(CHILD_READ_MAX + 1)) == NULL)
		return -1;
	while (got < len && (r = fsio_read(fd, read_buf + got, len - got)) > 0)
		got += (size_t)r;
	if (r < 0)
		return -1;
	read_buf[got] = '\0';
	return (ssize_t)got;
}

/* The message, read or mapped read-only (*mapped_r); an empty file is "". */
static int child_map(const char *path, const unsigned char **raw_r, size_t *len_r,
		     bool *mapped_r, struct err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t got;
	void *p;

	*mapped_r = false;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_setsys(err, ERR_TEMP, "open %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*raw_r = (const unsigned char *)"";
	*len_r = (size_t)st.st_size;
	if (st.st_size > 0 && (size_t)st.st_size <= CHILD_READ_MAX &&
	    (got = child_read(fd, (size_t)st.st_size)) >= 0) {
		*raw_r = read_buf;
		*len_r = (size_t)got;
	} else if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			/* ENOMEM: RLIMIT_AS, the message's own fault. */
			if (errno == ENOMEM)
				err_set(err, ERR_MESSAGE, "message of %jd bytes does not fit in "
					"worker_memory", (intmax_t)st.st_size);
			else
				err_setsys(err, ERR_TEMP, "mmap %s", path);
			close(fd);
			return -1;
		}
		*raw_r = p;
		*mapped_r = true;
	}
	close(fd);
	return 0;
}

/* One message. Everything is freed before the reply goes out: once the
 * parent has it, a crash must not be blamed on the next message. */
static void child_job(int fd, const char *path, const char *dir,
		      const struct limits_config *lim)
{
	struct err err = { 0 };
	struct analysis *a = NULL;
	const unsigned char *raw = NULL;
	size_t len = 0;
	char *json = NULL, *body = NULL, *docs = NULL;
	int dirfd = -1;
	bool mapped;

	fault_point("worker-job"); /* a crash of the child, for the tests */
	if (child_map(path, &raw, &len, &mapped, &err) == 0) {
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dirfd < 0) {
			err_setsys(&err, ERR_TEMP, "open %s", dir);
		} else if (mime_analyze(raw, len, dirfd, lim, &a, &err) == 0) {
			/* The body text travels raw after the JSON: escaping and
			 * parsing it as a JSON string was a third of the CPU of a
			 * first sync. */
			body = a->body_text;
			a->body_text = NULL;
			docs = a->docs_text;
			a->docs_text = NULL;
			json = analysis_to_json(a);
		}
		analysis_free(&a);
		if (dirfd >= 0)
			close(dirfd);
		if (mapped)
			(void)munmap((void *)raw, len);
	}
	child_leak_check();
	if (json == NULL) {
		child_send_error(fd, &err);
		return;
	}
	if (child_reply(fd, 'A', json, strlen(json) + 1, body ? body : "", body ? strlen(body) : 0,
			docs, docs ? strlen(docs) : 0) < 0)
		log_warn("event=worker-write-failed");
	free(json);
	free(body);
	free(docs);
}

_Noreturn void worker_child_main(int fd, pid_t parent, const struct limits_config *lim)
{
	char path[PATH_CAP + 1], dir[PATH_CAP + 1];
	int rc;

	child_reset_signals();
	(void)setpgid(0, 0);
	/* Die with the daemon; it may already be gone. EOF on the channel
	 * is the other way out. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Nothing of the daemon's (IMAP socket, spool, ledger) stays open. */
	if (fd > 3)
		(void)close_range(3, (unsigned)fd - 1, 0);
	(void)close_range((unsigned)fd + 1, ~0U, 0);
	child_limits(lim);
	mime_init();
	/* The language fingerprints are read at the first message
	 * (language_detect): a worker_memory too small for them is then
	 * that message's error, not a worker that cannot start. */
	/* Ready: a death before this is no message's fault. */
	fault_point("worker-start");
	if (fsio_write_all(fd, "R", 1) < 0)
		child_exit(1);
	while ((rc = child_read_request(fd, path, dir)) == 1) {
		child_cpu_budget(lim);
		child_job(fd, path, dir, lim);
	}
	child_exit(rc == 0 ? 0 : EXIT_BAD_REQUEST);
}

