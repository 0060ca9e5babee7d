/* convert.c — documents to PDF with LibreOffice headless (see convert.h).
 *
 * Each job runs in a child of its own process group: the child copies the
 * source into a private directory, cleans the copy (convert_clean.c), runs
 * soffice, and writes the PDF aside next to dst_pdf, fsyncs and renames it.
 * Each of the `parallel` slots has a LibreOffice profile of its own (two
 * soffice processes sharing one block each other), kept from one job to
 * the next of that slot: making a profile costs seconds, more than most
 * conversions. A slot whose child was killed starts a fresh one. It reports "STATUS REASON" on a
 * pipe. The parent runs up to `parallel` children, and kills the whole
 * group of one that outlives its time limit (soffice and its helpers). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "convert_clean.h"
#include "intaked/fsio.h"
#include "intaked/util.h"

#define COPY_CHUNK 65536
#define PDF_MODE 0644

/* ---- finding soffice ---- */

static char *soffice_path(void)
{
	const char *env = getenv("INTAKED_SOFFICE");
	if (env && *env)
		return access(env, X_OK) == 0 ? xstrdup(env) : NULL;
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL, *found = NULL;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/soffice", *d ? d : ".");
		if (access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}

bool convert_available(void)
{
	char *p = soffice_path();
	free(p);
	return p != NULL;
}

/* ---- in the child ---- */

struct result {
	int status;
	char reason[160];
};

static int fail(struct result *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct result *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r->status = status;
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return -1;
}

static int copy_fd(int in, int out)
{
	char *buf = xmalloc(COPY_CHUNK);
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		if (fsio_write_all(out, buf, (size_t)n) < 0) {
			rc = -1;
			break;
		}
	}
	free(buf);
	return rc;
}

/* Copy a regular file to dst: aside in dst's directory, fsync, rename. */
static int copy_atomic(const char *src, const char *dst, struct result *r)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (in >= 0)
			close(in);
		return fail(r, CONVERT_UNREADABLE, "cannot be read: %s",
			    in < 0 ? strerror(errno) : "not a regular file");
	}
	char *tmp = xasprintf("%s.tmp-XXXXXX", dst);
	int out = mkostemp(tmp, O_CLOEXEC);
	int rc = out < 0 || fchmod(out, PDF_MODE) < 0 || copy_fd(in, out) < 0 ||
			 fsync(out) < 0 ? -1 : 0;
	close(in);
	if (out >= 0 && close(out) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = -1;
	if (rc < 0) {
		fail(r, CONVERT_FAILED, "cannot write %s: %s", dst, strerror(errno));
		if (out >= 0)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

static const char *extension(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	return dot ? dot + 1 : "";
}

/* The last non-empty line of soffice's output, for the reason. */
static void last_line(const char *log, char *out, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	out[0] = '\0';
	if (fsio_read_file(log, 1 << 20, &text, &n, NULL) < 0)
		return;
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		text[--n] = '\0';
	char *nl = strrchr(text, '\n');
	snprintf(out, len, "%s", nl ? nl + 1 : text);
	free(text);
}

/* soffice --convert-to FILTER IN, into dir/out/; what it wrote, or NULL. */
static char *run_soffice(const char *soffice, const char *dir, const char *profile_dir,
			 const char *in, const char *filter, const char *ext, struct result *r)
{
	char *profile = xasprintf("-env:UserInstallation=file://%s", profile_dir);
	char *outdir = xasprintf("%s/out", dir), *log = xasprintf("%s/soffice.log", dir);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && nul >= 0) {
			dup2(nul, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("HOME", dir, 1);
		execl(soffice, soffice, profile, "--headless", "--invisible", "--norestore",
		      "--nolockcheck", "--nodefault", "--convert-to", filter, "--outdir", outdir,
		      in, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	const char *base = strrchr(in, '/') + 1;
	char *stem = xstrdup(base);
	*strrchr(stem, '.') = '\0';
	char *made = xasprintf("%s/%s.%s", outdir, stem, ext);
	free(stem);
	if (pid < 0 || access(made, R_OK) != 0) {
		char tail[120];
		last_line(log, tail, sizeof(tail));
		fail(r, CONVERT_FAILED, "LibreOffice could not convert it%s%s",
		     *tail ? ": " : "", tail);
		free(made);
		made = NULL;
	}
	free(profile);
	free(outdir);
	free(log);
	return made;
}

static char *lower(const char *s)
{
	char *l = xstrdup(s);
	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

/* The source, in dir, ready for the PDF export: cleaned .docx/.odt, or
 * the .odt LibreOffice made of a .rtf/.doc, cleaned. */
static char *prepare(const char *soffice, const char *dir, const char *profile,
		     const char *src, const char *ext, struct result *r)
{
	char *in = xasprintf("%s/input.%s", dir, ext);
	if (copy_atomic(src, in, r) < 0)
		goto fail;
	if (strcmp(ext, "rtf") == 0 || strcmp(ext, "doc") == 0) {
		char *odt = run_soffice(soffice, dir, profile, in, "odt", "odt", r);
		free(in);
		if (odt == NULL)
			return NULL;
		in = odt;
		ext = "odt";
	}
	int rc = 0;
	if (strcmp(ext, "docx") == 0)
		rc = convert_clean_docx(in, r->reason, sizeof(r->reason));
	else if (strcmp(ext, "odt") == 0)
		rc = convert_clean_odt(in, r->reason, sizeof(r->reason));
	if (rc == 0)
		return in;
	r->status = CONVERT_UNREADABLE;
fail:
	free(in);
	return NULL;
}

static bool convertible(const char *ext)
{
	static const char *const exts[] = { "docx", "odt", "rtf", "doc", "txt", NULL };
	for (const char *const *e = exts; *e; e++)
		if (strcmp(ext, *e) == 0)
			return true;
	return false;
}

static void run_job(const struct convert_job *j, const char *soffice, const char *profile,
		    struct result *r)
{
	char *ext = lower(extension(j->src));
	r->status = CONVERT_OK;
	if (access(j->src, R_OK) != 0) {
		fail(r, CONVERT_UNREADABLE, "cannot be read: %s", strerror(errno));
	} else if (strcmp(ext, "pdf") == 0) {
		copy_atomic(j->src, j->dst_pdf, r);
	} else if (!convertible(ext)) {
		fail(r, CONVERT_FAILED, "no conversion to PDF for .%s files", ext);
	} else if (soffice == NULL) {
		fail(r, CONVERT_UNAVAILABLE, "LibreOffice (soffice) is not installed");
	} else {
		const char *tmpdir = getenv("TMPDIR");
		char *dir = xasprintf("%s/intaked-convert-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (mkdtemp(dir) == NULL) {
			fail(r, CONVERT_FAILED, "cannot create a work directory: %s", strerror(errno));
		} else {
			char *own = profile ? xstrdup(profile) : xasprintf("%s/profile", dir);
			char *in = prepare(soffice, dir, own, j->src, ext, r);
			char *pdf = in ? run_soffice(soffice, dir, own, in, "pdf", "pdf", r) : NULL;
			free(own);
			if (pdf)
				copy_atomic(pdf, j->dst_pdf, r);
			free(in);
			free(pdf);
			fsio_rmtree(dir);
		}
		free(dir);
	}
	free(ext);
}

static void child(const struct convert_job *j, const char *soffice, const char *profile, int fd)
{
	struct result r = { 0 };
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	run_job(j, soffice, profile, &r);
	char msg[200];
	int len = snprintf(msg, sizeof(msg), "%d %s", r.status, r.reason);
	fsio_write_all(fd, msg, (size_t)len < sizeof(msg) ? (size_t)len : sizeof(msg) - 1);
	_exit(r.status);
}

/* ---- in the parent ---- */

struct slot {
	pid_t pid;
	int fd;
	size_t job;
	time_t deadline;
	char msg[200];
	size_t len;
};

static int start(struct convert_job *j, size_t index, const char *soffice,
		 const char *profile, int timeout_s, struct slot *s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child(j, soffice, profile, p[1]);
	}
	setpgid(pid, pid); /* both sides: whichever runs first */
	close(p[1]);
	*s = (struct slot){ .pid = pid, .fd = p[0], .job = index,
			    .deadline = time(NULL) + (timeout_s > 0 ? timeout_s : 3600) };
	return 0;
}

static void finish(struct convert_job *j, struct slot *s, bool timed_out, int timeout_s)
{
	int st = 0;
	if (timed_out)
		kill(-s->pid, SIGKILL);
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		kill(-s->pid, SIGKILL); /* whatever soffice left behind */
	close(s->fd);
	s->msg[s->len] = '\0';
	char *sp = strchr(s->msg, ' ');
	j->status = CONVERT_FAILED;
	snprintf(j->reason, sizeof(j->reason), "the conversion stopped unexpectedly");
	if (timed_out) {
		j->status = CONVERT_TIMEOUT;
		snprintf(j->reason, sizeof(j->reason), "conversion took more than %d s", timeout_s);
	} else if (sp && s->len > 0) {
		j->status = atoi(s->msg);
		snprintf(j->reason, sizeof(j->reason), "%s", sp + 1);
	}
	s->pid = 0;
}

/* Wait for the next child to end (pipe at EOF) or to run out of time. */
static size_t wait_one(struct slot *slots, size_t nslots, bool *timed_out)
{
	struct pollfd pf[nslots];
	for (;;) {
		time_t now = time(NULL), first = 0;
		for (size_t i = 0; i < nslots; i++) {
			pf[i] = (struct pollfd){ .fd = slots[i].pid ? slots[i].fd : -1,
						 .events = POLLIN };
			if (slots[i].pid && now >= slots[i].deadline) {
				*timed_out = true;
				return i;
			}
			if (slots[i].pid && (first == 0 || slots[i].deadline < first))
				first = slots[i].deadline;
		}
		int rc = poll(pf, nslots, (int)(first - now) * 1000 + 50);
		for (size_t i = 0; rc > 0 && i < nslots; i++) {
			if (!slots[i].pid || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct slot *s = &slots[i];
			ssize_t n = read(s->fd, s->msg + s->len, sizeof(s->msg) - 1 - s->len);
			if (n > 0)
				s->len += (size_t)n;
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) ||
			    s->len == sizeof(s->msg) - 1) {
				*timed_out = false;
				return i;
			}
		}
	}
}

/* Where the slots' profiles live for this call; NULL: each job makes its
 * own profile in its work directory. */
static char *profiles_dir(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char *dir = xasprintf("%s/intaked-profiles-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void forget_profile(const char *profiles, size_t slot)
{
	if (profiles == NULL)
		return;
	char *p = xasprintf("%s/%zu", profiles, slot);
	fsio_rmtree(p);
	free(p);
}

size_t convert_all(struct convert_job *jobs, size_t n, unsigned parallel, int timeout_s,
		   void (*progress)(size_t done, size_t n, const struct convert_job *j, void *arg),
		   void *arg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t width = parallel ? parallel : cores > 0 ? (size_t)cores : 1;
	if (width > n)
		width = n ? n : 1;
	char *soffice = soffice_path();
	struct slot *slots = xcalloc(width, sizeof(*slots));
	char *profiles = profiles_dir();
	size_t next = 0, done = 0, failed = 0, running = 0;
	while (done < n) {
		for (size_t i = 0; i < width && next < n; i++) {
			if (slots[i].pid)
				continue;
			char *profile = profiles ? xasprintf("%s/%zu", profiles, i) : NULL;
			int rc = start(&jobs[next], next, soffice, profile, timeout_s, &slots[i]);
			free(profile);
			if (rc < 0) {
				jobs[next].status = CONVERT_FAILED;
				snprintf(jobs[next].reason, sizeof(jobs[next].reason),
					 "cannot start a conversion: %s", strerror(errno));
				failed++, done++, next++;
				if (progress)
					progress(done, n, &jobs[next - 1], arg);
				continue;
			}
			next++, running++;
		}
		if (running == 0)
			continue;
		bool timed_out = false;
		size_t i = wait_one(slots, width, &timed_out);
		struct convert_job *j = &jobs[slots[i].job];
		finish(j, &slots[i], timed_out, timeout_s);
		if (timed_out)
			forget_profile(profiles, i);
		running--, done++;
		failed += j->status != CONVERT_OK;
		if (progress)
			progress(done, n, j, arg);
	}
	free(slots);
	free(soffice);
	if (profiles)
		fsio_rmtree(profiles);
	free(profiles);
	return failed;
}
