/* sendmail.c — outgoing mail through the local MTA's sendmail(8). The
 * program is started with posix_spawn (no shell, no inherited descriptor,
 * default signal mask and dispositions, a one-variable environment) in its
 * own process group, so a timeout can kill whatever it started (Postfix's
 * sendmail runs postdrop). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "intaked/log.h"
#include "sendmail.h"
#include "smtp.h"
#include "intaked/util.h"

#define SENDMAIL_DEFAULT_TIMEOUT 60L
#define EX_DATAERR 65 /* sysexits.h: the input data was incorrect */
#define EX_NOUSER  67 /* sysexits.h: addressee unknown */

struct sendmail_session {
	char *program;
	long timeout;
	bool transport_failed;
};

int sendmail_open(const struct smtp_config *sc, struct sendmail_session **s_r,
		  struct err *err)
{
	*s_r = NULL;
	if (sc->sendmail == NULL) {
		err_set(err, ERR_CONFIG, "sendmail: no program configured");
		return -1;
	}
	struct sendmail_session *s = xcalloc(1, sizeof(*s));
	s->program = xstrdup(sc->sendmail);
	s->timeout = sc->timeout > 0 ? sc->timeout : SENDMAIL_DEFAULT_TIMEOUT;
	*s_r = s;
	return 0;
}

void sendmail_close(struct sendmail_session **s)
{
	if (*s == NULL)
		return;
	free((*s)->program);
	free(*s);
	*s = NULL;
}

bool sendmail_failed_transport(const struct sendmail_session *s)
{
	return s->transport_failed;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The message with CRLF turned into LF: sendmail reads local text files,
 * and some MTAs would keep the CR as part of the line. Caller frees. */
static char *to_lf(const char *msg, size_t len, size_t *len_r)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
			out[n++] = msg[i];
	out[n] = '\0';
	*len_r = n;
	return out;
}

/* Start program with stdin from in_child and stdout+stderr to out_child.
 * posix_spawn reports a failed exec as its result (glibc waits for it). */
static int spawn(const char *program, char *const argv[], int in_child, int out_child,
		 pid_t *pid_r)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_child, 0);
	posix_spawn_file_actions_adddup2(&fa, out_child, 1);
	posix_spawn_file_actions_adddup2(&fa, out_child, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	/* Our signalfd mask and ignored SIGPIPE must not reach the MTA. */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	int rc = posix_spawn(pid_r, program, &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

struct run {
	int in, out;              /* our ends, -1 once closed */
	const char *data;
	size_t len, off;
	char output[SENDMAIL_OUTPUT_MAX + 1];
	size_t outlen;
	bool truncated;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void feed(struct run *r)
{
	size_t n = r->len - r->off;
	ssize_t w = n > 0 ? send(r->in, r->data + r->off, n > 65536 ? 65536 : n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0) /* it stopped reading: its exit status will say why */
		r->off = r->len;
	else
		r->off += (size_t)w;
	if (r->off == r->len)
		close_fd(&r->in); /* end of the message */
}

static void collect(struct run *r)
{
	char chunk[4096];
	ssize_t n = read(r->out, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(&r->out);
		return;
	}
	size_t room = SENDMAIL_OUTPUT_MAX - r->outlen, k = (size_t)n < room ? (size_t)n : room;
	memcpy(r->output + r->outlen, chunk, k);
	r->outlen += k;
	r->truncated |= k < (size_t)n;
}

/* 1 and *status once pid exited, 0 while it runs, -1 on error. */
static int exited(pid_t pid, int *status)
{
	pid_t w = waitpid(pid, status, WNOHANG);
	return w == pid ? 1 : w == 0 || errno == EINTR ? 0 : -1;
}

/* Write the message and read the output until the program exits (1,
 * *status set) or closes its output (0), or the deadline passes (-1). An
 * idle output is checked for an exit: a descendant that kept the pipe open
 * (a background delivery) must not hold us until the deadline. */
static int pump(struct run *r, pid_t pid, long long deadline, int *status)
{
	while (r->out >= 0) {
		struct pollfd p[2] = { { .fd = r->out, .events = POLLIN },
				       { .fd = r->in, .events = POLLOUT } };
		long long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		int n = poll(p, r->in >= 0 ? 2 : 1, left > 200 ? 200 : (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && r->in >= 0 && p[1].revents != 0)
			feed(r);
		if (n > 0 && p[0].revents != 0)
			collect(r);
		if (n == 0 && r->in < 0) {
			int e = exited(pid, status);
			if (e != 0)
				return e;
		}
	}
	return 0;
}

/* 0 and *status once pid exited, -1 at the deadline. */
static int reap(pid_t pid, long long deadline, int *status)
{
	for (;;) {
		int e = exited(pid, status);
		if (e != 0)
			return e > 0 ? 0 : -1;
		if (now_ms() >= deadline)
			return -1;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* What the program said, on one printable line. */
static void output_text(const struct run *r, char *out, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < r->outlen && k + 4 < n; i++) {
		unsigned char c = (unsigned char)r->output[i];
		if (c == '\n' && i + 1 < r->outlen) {
			out[k++] = ';';
			out[k++] = ' ';
		} else if (c >= 0x20 && c < 0x7F) {
			out[k++] = (char)c;
		} else if (c != '\n' && c != '\r') {
			out[k++] = '?';
		}
	}
	if (r->truncated && k + 4 < n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

static void report(struct sendmail_session *s, const struct run *r, int status, bool timed_out,
		   struct err *err)
{
	/* Room for the status line in err->msg (512): the output is cut to
	 * fit, with "..." when it was longer. */
	char said[SENDMAIL_OUTPUT_MAX + 40];
	output_text(r, said, sizeof(said));
	const char *sep = said[0] ? ": " : "";
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	/* Only these two are about this message; anything else would fail
	 * the next one too. */
	s->transport_failed = timed_out || !(code == EX_DATAERR || code == EX_NOUSER);
	if (timed_out)
		err_set(err, ERR_TEMP, "sendmail: timed out after %lds (killed)%s%s", s->timeout,
			sep, said);
	else if (WIFSIGNALED(status))
		err_set(err, ERR_TEMP, "sendmail: killed by signal %d%s%s", WTERMSIG(status), sep,
			said);
	else
		err_set(err, s->transport_failed ? ERR_TEMP : ERR_MESSAGE, "sendmail: exit %d%s%s",
			code, sep, said);
	log_debug("event=sendmail-failed program=%s status=%d timed_out=%d", log_q(s->program),
		  code, timed_out);
}

/* Kill the whole process group (sendmail and what it started). */
static void kill_and_reap(pid_t pid, int *status)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	(void)reap_child(pid, status);
}

int sendmail_send(struct sendmail_session *s, const char *from, const char *rcpt,
		  const char *msg, size_t len, struct err *err)
{
	s->transport_failed = false;
	if (!smtp_envelope_ok(from ? from : "", true) || !smtp_envelope_ok(rcpt ? rcpt : "", false)) {
		err_set(err, ERR_MESSAGE, "sendmail: unusable envelope address");
		return -1;
	}
	char *argv[] = { s->program, "-oi", "-f", (char *)(from && *from ? from : "<>"), "--",
			 (char *)rcpt, NULL };
	int in[2], out[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) {
		s->transport_failed = true;
		err_setsys(err, ERR_TEMP, "sendmail: socketpair");
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		s->transport_failed = true;
		err_setsys(err, ERR_TEMP, "sendmail: pipe");
		return -1;
	}
	pid_t pid;
	int rc = spawn(s->program, argv, in[1], out[1], &pid);
	close(in[1]);
	close(out[1]);
	if (rc != 0) {
		close(in[0]);
		close(out[0]);
		s->transport_failed = true;
		err_set(err, ERR_TEMP, "sendmail: cannot run %s: %s", s->program, strerror(rc));
		return -1;
	}
	struct run r = { .in = in[0], .out = out[0] };
	char *lf = to_lf(msg, len, &r.len);
	r.data = lf;
	long long deadline = now_ms() + s->timeout * 1000;
	int status = 0;
	int pumped = pump(&r, pid, deadline, &status);
	bool timed_out = pumped < 0 || (pumped == 0 && reap(pid, deadline, &status) < 0);
	if (timed_out)
		kill_and_reap(pid, &status);
	close_fd(&r.in);
	close_fd(&r.out);
	free(lf);
	if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	report(s, &r, status, timed_out, err);
	return -1;
}
