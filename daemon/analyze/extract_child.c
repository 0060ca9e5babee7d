/* extract_child.c — run an external converter (pdftotext, catdoc) on bytes
 * from memory, in a child process that cannot take the worker down: its own
 * address-space and CPU limits, a wall clock, capped output, no files. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extract_impl.h"
#include "intaked/util.h"

static const char default_path[] = "/usr/local/bin:/usr/bin:/bin";

bool extract_child_found(const char *prog)
{
	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0;
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = default_path;
	for (const char *p = path; *p != '\0';) {
		const char *colon = strchr(p, ':');
		size_t n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		char *full = xasprintf("%.*s/%s", (int)n, p, prog);
		bool ok = n > 0 && access(full, X_OK) == 0;
		free(full);
		if (ok)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void limit(int resource, rlim_t value)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = value;
	setrlimit(resource, &rl);
}

/* Between fork and exec: only async-signal-safe calls. */
static _Noreturn void child_exec(const char *const argv[], int in, int out, int errfd,
				 size_t mem_limit, long timeout, pid_t parent)
{
	/* A converter must not outlive a worker killed for its own timeout. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	closefrom(3);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (mem_limit > 0)
		limit(RLIMIT_AS, (rlim_t)mem_limit);
	struct rlimit cpu = { (rlim_t)timeout, (rlim_t)timeout + 1 };
	setrlimit(RLIMIT_CPU, &cpu);
	limit(RLIMIT_CORE, 0);
	limit(RLIMIT_FSIZE, 0);
	limit(RLIMIT_NOFILE, 64);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

struct child_io {
	int in, out, err;           /* parent ends, -1 once closed */
	const unsigned char *data;
	size_t len, off;
	struct buf *outbuf, *errbuf;
	bool too_large;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* One read from fd into b; stderr beyond its cap is read and dropped. */
static void drain(int *fd, struct buf *b, bool drop_excess, bool *overflow)
{
	char chunk[65536];
	ssize_t n = read(*fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	if (buf_append(b, chunk, (size_t)n) < 0 && !drop_excess)
		*overflow = true;
}

static void feed(struct child_io *io)
{
	size_t n = io->len - io->off;
	if (n > 65536)
		n = 65536;
	ssize_t w = n > 0 ? send(io->in, io->data + io->off, n, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0) /* the child closed its stdin: it has what it wanted */
		io->off = io->len;
	else
		io->off += (size_t)w;
	if (io->off == io->len)
		close_fd(&io->in);
}

/* Pump stdin/stdout/stderr until both outputs close, the deadline passes
 * (-1) or stdout overflows (-2). */
static int pump(struct child_io *io, long long deadline)
{
	while (io->out >= 0 || io->err >= 0) {
		struct pollfd p[3];
		int np = 0;
		int iin = -1, iout = -1, ierr = -1;
		if (io->in >= 0) {
			p[np] = (struct pollfd){ .fd = io->in, .events = POLLOUT };
			iin = np++;
		}
		if (io->out >= 0) {
			p[np] = (struct pollfd){ .fd = io->out, .events = POLLIN };
			iout = np++;
		}
		if (io->err >= 0) {
			p[np] = (struct pollfd){ .fd = io->err, .events = POLLIN };
			ierr = np++;
		}
		long long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		int r = poll(p, (nfds_t)np, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (iin >= 0 && p[iin].revents != 0)
			feed(io);
		if (iout >= 0 && p[iout].revents != 0)
			drain(&io->out, io->outbuf, false, &io->too_large);
		if (ierr >= 0 && p[ierr].revents != 0)
			drain(&io->err, io->errbuf, true, &io->too_large);
		if (io->too_large)
			return -2;
	}
	return 0;
}

/* Wait for the child until the deadline; 0 and *wstatus, or -1. */
static int reap(pid_t pid, long long deadline, int *wstatus)
{
	long nap_ms = 1; /* the child usually exits right after closing stdout */
	for (;;) {
		pid_t r = waitpid(pid, wstatus, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			return -1;
		struct timespec ts = { 0, nap_ms * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (nap_ms < 16)
			nap_ms *= 2;
	}
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	(void)reap_child(pid, NULL);
}

enum extract_child_result extract_child_run(const char *const argv[],
					    const unsigned char *data, size_t len,
					    size_t mem_limit, long timeout,
					    struct buf *out, struct buf *errout, int *status_r)
{
	int sv[2], po[2], pe[2];
	*status_r = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return EXTRACT_CHILD_FAILED;
	if (pipe2(po, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return EXTRACT_CHILD_FAILED;
	}
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		close(po[0]);
		close(po[1]);
		return EXTRACT_CHILD_FAILED;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		child_exec(argv, sv[1], po[1], pe[1], mem_limit, timeout, parent);
	close(sv[1]);
	close(po[1]);
	close(pe[1]);
	struct child_io io = { .in = sv[0], .out = po[0], .err = pe[0], .data = data, .len = len,
			       .outbuf = out, .errbuf = errout };
	if (pid < 0) {
		close_fd(&io.in);
		close_fd(&io.out);
		close_fd(&io.err);
		return EXTRACT_CHILD_FAILED;
	}
	fcntl(io.out, F_SETFL, O_NONBLOCK);
	fcntl(io.err, F_SETFL, O_NONBLOCK);
	if (len == 0)
		close_fd(&io.in);
	long long deadline = now_ms() + timeout * 1000;
	int pumped = pump(&io, deadline);
	close_fd(&io.in);
	close_fd(&io.out);
	close_fd(&io.err);
	int ws;
	if (pumped < 0 || reap(pid, deadline, &ws) < 0) {
		kill_and_reap(pid);
		return pumped == -2 ? EXTRACT_CHILD_TOO_LARGE : EXTRACT_CHILD_TIMEOUT;
	}
	if (WIFSIGNALED(ws)) {
		*status_r = WTERMSIG(ws);
		/* SIGKILL: the hard CPU limit. */
		return *status_r == SIGXCPU || *status_r == SIGKILL ? EXTRACT_CHILD_TIMEOUT
								 : EXTRACT_CHILD_SIGNALED;
	}
	*status_r = WEXITSTATUS(ws);
	return *status_r == 127 ? EXTRACT_CHILD_FAILED : EXTRACT_CHILD_EXITED;
}
