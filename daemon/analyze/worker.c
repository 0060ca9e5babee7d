/* worker.c — mime_analyze in a long-lived child process with rlimits and
 * a per-message wall-clock timeout. A crash, a hang or a memory blow-up
 * on hostile input only quarantines that message; the child is replaced
 * and the daemon goes on. One fork per WORKER_MAX_JOBS messages instead
 * of one per message: fork (page tables, COW faults, signal and fd resets,
 * lazy binding) was half the CPU of a first sync.
 *
 * Wire, one stream socketpair, lengths in host order (same machine):
 *   child -> parent, once started: 'R'
 *   parent -> child: 'J', u32 path length, u32 dir length, path, dir
 *   child -> parent: u32 length, then 'A' + analysis JSON (without
 *                    body_text) + NUL + the body text [+ NUL + the
 *                    documents' text, docs_text, when there is one], or
 *                    'E' + class digit + message.
 * Every length is capped on the side that reads it. A reply that breaks
 * the framing is "malformed" and costs the child its life. */
#include "intaked/fault.h"
#include "intaked/fsio.h"
#include "intaked/worker.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "intaked/log.h"
#include "intaked/util.h"
#include "worker_impl.h"

#define DEFAULT_TIMEOUT 60
#define DEFAULT_MEMORY ((size_t)1 << 30)
#define DEFAULT_ATTACHMENT_SIZE ((size_t)32 << 20)
#define OUTPUT_BASE_MAX ((size_t)64 << 20)
#define REAP_GRACE_MS 2000      /* after EOF, for the child to finish exiting */
#define SPAWN_TIMEOUT_MS 30000  /* for the child's "R" (seconds under valgrind) */
#define STOP_GRACE_MS 5000      /* for an idle child told to stop (valgrind's
				 * leak check at exit takes seconds) */

/* A message handed to the child and not yet answered. */
struct pending {
	char *raw_path, *files_dir;
	pid_t sent_to;              /* the child that has the request */
};

struct worker {
	struct limits_config lim;   /* defaults filled in */
	pid_t pid;                  /* the child, 0 when there is none */
	int fd;                     /* our end of its channel, -1 without child */
	unsigned served;            /* jobs the current child has run */
	struct pending queue[WORKER_QUEUE]; /* oldest first */
	size_t queued;
};

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

size_t worker_reply_cap(const struct limits_config *lim)
{
	return OUTPUT_BASE_MAX + 2 * lim->max_message_size;
}

/* Whole reads and writes on a blocking descriptor: 1 done, 0 EOF before
 * the first byte, -1 error or EOF part way. */
int worker_read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = fsio_read(fd, (char *)p + got, n - got);

		if (r < 0)
			return -1;
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

int worker_writev_all(int fd, struct iovec *iov, int n, bool nosignal)
{
	while (n > 0) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t r = nosignal ? sendmsg(fd, &m, MSG_NOSIGNAL) : writev(fd, iov, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		for (; n > 0 && (size_t)r >= iov->iov_len; iov++, n--)
			r -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
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

/* Wait for the child to end (up to the deadline, then SIGKILL), kill
 * whatever is left of its process group while the zombie still holds the
 * group id, reap. Returns the wait status, or -1 if there was no child to
 * reap (SIGCHLD ignored by someone). */
static int reap(pid_t pid, const struct timespec *deadline, bool kill_now)
{
	/* A child that got EOF exits at once: look again soon, then back
	 * off to 5 ms so a slow one costs no CPU. */
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
	if (reap_child(pid, &status) < 0)
		return -1;
	return status;
}

/* Close the channel and reap the child: politely (EOF, a grace period)
 * or at once. Returns its wait status or -1. */
static int child_end(struct worker *w, bool kill_now)
{
	struct timespec grace = deadline_in(STOP_GRACE_MS);
	int status;

	if (w->pid == 0)
		return -1;
	close(w->fd);
	status = reap(w->pid, &grace, kill_now);
	log_debug("event=worker-end pid=%d jobs=%u status=%d", (int)w->pid, w->served, status);
	w->pid = 0;
	w->fd = -1;
	w->served = 0;
	return status;
}

enum read_result { READ_OK, READ_EOF, READ_TIMEOUT, READ_ERROR };

/* Exactly n bytes before the deadline; READ_EOF also when cut short. */
static enum read_result read_until(int fd, void *p, size_t n, const struct timespec *deadline)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long ms = ms_until(deadline);
		ssize_t r;
		int rc;

		if (ms <= 0)
			return READ_TIMEOUT;
		rc = poll(&pfd, 1, ms > 60000 ? 60000 : (int)ms);
		if (rc < 0 && errno != EINTR)
			return READ_ERROR;
		if (rc <= 0)
			continue;
		r = read(fd, (char *)p + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		/* A child that died with a request still unread resets the
		 * stream: gone, as with EOF. */
		if (r < 0 && errno == ECONNRESET)
			return READ_EOF;
		if (r < 0)
			return READ_ERROR;
		if (r == 0)
			return READ_EOF;
		got += (size_t)r;
	}
	return READ_OK;
}

/* Wait for the new child's "R". One that cannot even start (worker_memory
 * too small for the libraries, say) is a temporary failure, not a verdict
 * on the message about to be sent. */
static int child_ready(struct worker *w, struct err *err)
{
	struct timespec deadline = deadline_in(SPAWN_TIMEOUT_MS);
	enum read_result rr;
	char ready = 0;
	int status;

	rr = read_until(w->fd, &ready, 1, &deadline);
	if (rr == READ_OK && ready == 'R') {
		log_debug("event=worker-start pid=%d", (int)w->pid);
		return 0;
	}
	status = child_end(w, true);
	if (status != -1 && WIFSIGNALED(status))
		err_set(err, ERR_TEMP, "worker failed to start: killed by signal %d",
			WTERMSIG(status));
	else if (status != -1 && WIFEXITED(status))
		err_set(err, ERR_TEMP, "worker failed to start: exited with status %d",
			WEXITSTATUS(status));
	else
		err_set(err, ERR_TEMP, "worker failed to start");
	return -1;
}

static int child_spawn(struct worker *w, struct err *err)
{
	pid_t pid, parent = getpid();
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		err_setsys(err, ERR_TEMP, "worker socketpair");
		return -1;
	}
	/* The child must not write out what the parent has buffered. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_setsys(err, ERR_TEMP, "worker fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_child_main(sv[1], parent, &w->lim);
	}
	close(sv[1]);
	(void)setpgid(pid, pid);
	w->pid = pid;
	w->fd = sv[0];
	w->served = 0;
	return child_ready(w, err);
}

struct worker *worker_new(const struct limits_config *limits)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	limits_resolve(limits, &w->lim);
	w->fd = -1;
	return w;
}

int worker_stop(struct worker *w, struct err *err)
{
	int status;

	if (w->pid == 0)
		return 0;
	status = child_end(w, false);
	if (status != -1 && WIFSIGNALED(status)) {
		err_set(err, ERR_MESSAGE, "worker killed by signal %d", WTERMSIG(status));
		return -1;
	}
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		err_set(err, ERR_MESSAGE, "worker exited with status %d", WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

static void pending_clear(struct pending *p)
{
	free(p->raw_path);
	free(p->files_dir);
	memset(p, 0, sizeof(*p));
}

void worker_free(struct worker **wp)
{
	struct err err = { 0 };

	if (*wp == NULL)
		return;
	if (worker_stop(*wp, &err) < 0)
		log_warnx("event=worker-stop error=%s", log_q(err.msg));
	for (size_t i = 0; i < (*wp)->queued; i++)
		pending_clear(&(*wp)->queue[i]);
	xfree(wp);
}

pid_t worker_pid(const struct worker *w)
{
	return w->pid;
}

static int send_request(struct worker *w, const char *raw_path, const char *files_dir)
{
	unsigned char head[1 + 2 * sizeof(uint32_t)];
	uint32_t plen = (uint32_t)strlen(raw_path), dlen = (uint32_t)strlen(files_dir);
	struct iovec iov[] = {
		{ head, sizeof(head) }, { (char *)raw_path, plen }, { (char *)files_dir, dlen },
	};

	head[0] = 'J';
	memcpy(head + 1, &plen, sizeof(plen));
	memcpy(head + 1 + sizeof(plen), &dlen, sizeof(dlen));
	return worker_writev_all(w->fd, iov, 3, true);
}

/* The request reaches a live child: a child that died while idle (killed
 * from outside) is not this message's fault, so one fresh child is tried. */
static int dispatch(struct worker *w, const char *raw_path, const char *files_dir,
		    struct err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (w->pid == 0 && child_spawn(w, err) < 0)
			return -1;
		if (send_request(w, raw_path, files_dir) == 0)
			return 0;
		pid_t pid = w->pid;
		unsigned served = w->served;
		int status = child_end(w, true);

		err_setsys(err, ERR_TEMP, "worker send");
		log_warnx("event=worker-lost pid=%d jobs=%u status=%d", (int)pid, served, status);
	}
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

/* The child closed the channel mid-job: say how it ended. */
static void died(struct worker *w, const struct timespec *deadline, struct err *err)
{
	struct timespec grace = deadline_in(REAP_GRACE_MS);
	int status;

	close(w->fd);
	status = reap(w->pid, ms_until(&grace) < ms_until(deadline) ? &grace : deadline, false);
	w->pid = 0;
	w->fd = -1;
	if (status != -1 && WIFSIGNALED(status))
		err_set(err, ERR_MESSAGE, "worker killed by signal %d%s", WTERMSIG(status),
			signal_note(WTERMSIG(status)));
	else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		err_set(err, ERR_MESSAGE, "worker exited with status %d", WEXITSTATUS(status));
	else
		err_set(err, ERR_MESSAGE, "worker output malformed: reply cut short");
}

/* 0 with the analysis, -1 with the child's error (*sane_r: the child
 * spoke the protocol and may serve again) or with "malformed". */
static int decode_reply(const struct buf *out, struct analysis **a_r, bool *sane_r,
			struct err *err)
{
	const char *d = out->data;

	*sane_r = false;
	const char *nul = out->len >= 1 && d[0] == 'A' ? memchr(d + 1, '\0', out->len - 1) : NULL;
	if (nul != NULL) {
		if (analysis_from_json(d + 1, (size_t)(nul - d - 1), a_r, err) < 0)
			return -1;
		/* body NUL docs_text, or the body alone when no document was read. */
		size_t rest = out->len - (size_t)(nul + 1 - d);
		const char *sep = memchr(nul + 1, '\0', rest);
		free((*a_r)->body_text);
		(*a_r)->body_text = xstrndup(nul + 1, sep ? (size_t)(sep - nul - 1) : rest);
		if (sep != NULL)
			(*a_r)->docs_text = xstrndup(sep + 1, rest - (size_t)(sep - nul));
		*sane_r = true;
		return 0;
	}
	if (out->len >= 2 && d[0] == 'E' && (d[1] == '0' + ERR_TEMP || d[1] == '0' + ERR_MESSAGE)) {
		err_set(err, (enum err_class)(d[1] - '0'), "%.*s", (int)(out->len - 2), d + 2);
		*sane_r = true;
		return -1;
	}
	err_set(err, ERR_MESSAGE, "worker output malformed");
	return -1;
}

/* Read and decode one reply. A child that broke the protocol or the
 * clock is killed: its state is unknown. */
static int receive(struct worker *w, struct analysis **a_r, struct err *err)
{
	struct timespec deadline = deadline_in(w->lim.extract_timeout * 1000);
	enum read_result rr;
	uint32_t len = 0;
	struct buf out;
	bool sane;
	int rc = -1;

	buf_init(&out, worker_reply_cap(&w->lim));
	rr = read_until(w->fd, &len, sizeof(len), &deadline);
	if (rr == READ_OK && len > out.max) {
		err_set(err, ERR_MESSAGE, "worker output malformed: over %zu bytes", out.max);
		goto kill;
	}
	while (rr == READ_OK && out.len < len) {
		char chunk[65536];
		size_t n = len - out.len < sizeof(chunk) ? len - out.len : sizeof(chunk);

		if ((rr = read_until(w->fd, chunk, n, &deadline)) == READ_OK)
			(void)buf_append(&out, chunk, n); /* len <= out.max: cannot fail */
	}
	if (rr == READ_EOF) {
		died(w, &deadline, err);
		goto out;
	}
	if (rr == READ_TIMEOUT) {
		err_set(err, ERR_MESSAGE, "worker timed out after %lds", w->lim.extract_timeout);
		goto kill;
	}
	if (rr == READ_ERROR) {
		err_setsys(err, ERR_TEMP, "worker read");
		goto kill;
	}
	rc = decode_reply(&out, a_r, &sane, err);
	if (sane)
		goto out;
kill:
	(void)child_end(w, true);
out:
	buf_free(&out);
	return rc;
}

int worker_submit(struct worker *w, const char *raw_path, const char *files_dir,
		  struct err *err)
{
	size_t plen = strlen(raw_path), dlen = strlen(files_dir);

	if (plen == 0 || plen > PATH_CAP || dlen == 0 || dlen > PATH_CAP) {
		err_set(err, ERR_TEMP, "worker: path empty or over %d bytes", PATH_CAP);
		return -1;
	}
	if (w->queued == WORKER_QUEUE) {
		err_set(err, ERR_TEMP, "worker: %d messages already submitted", WORKER_QUEUE);
		return -1;
	}
	if (dispatch(w, raw_path, files_dir, err) < 0)
		return -1;
	w->queue[w->queued++] = (struct pending){ xstrdup(raw_path), xstrdup(files_dir), w->pid };
	return 0;
}

int worker_collect(struct worker *w, struct analysis **a_r, struct err *err)
{
	struct pending p;
	int rc = -1;

	*a_r = NULL;
	if (w->queued == 0) {
		err_set(err, ERR_TEMP, "worker: nothing submitted");
		return -1;
	}
	p = w->queue[0];
	memmove(&w->queue[0], &w->queue[1], (--w->queued) * sizeof(w->queue[0]));
	/* Its child died or was killed over an earlier message: the request
	 * went down with it; a fresh child gets it again. */
	if (w->pid == 0 || p.sent_to != w->pid) {
		if (dispatch(w, p.raw_path, p.files_dir, err) < 0)
			goto out;
		for (size_t i = 0; i < w->queued; i++)
			w->queue[i].sent_to = 0; /* queued behind it: not in this child */
	}
	rc = receive(w, a_r, err);
	if (w->pid != 0 && ++w->served >= WORKER_MAX_JOBS && w->queued == 0)
		(void)child_end(w, false);
out:
	pending_clear(&p);
	return rc;
}

int worker_analyze(struct worker *w, const char *raw_path, const char *files_dir,
		   struct analysis **a_r, struct err *err)
{
	*a_r = NULL;
	if (w->queued > 0) {
		err_set(err, ERR_TEMP, "worker: submitted messages not collected");
		return -1;
	}
	if (worker_submit(w, raw_path, files_dir, err) < 0)
		return -1;
	return worker_collect(w, a_r, err);
}
