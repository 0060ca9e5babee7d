/* imapcheck — exercise imap.c against a real server, for development and
 * tests: connect, select, list pending UIDs, fetch each and print
 *   uid=N internaldate=ISO-UTC size=N sha256=HEX
 * then optionally mark them filed, or wait for new mail.
 *
 * usage: imapcheck [options] HOST PORT imaps|starttls USER PASSFILE CAFILE [FOLDER]
 *   CAFILE "-" means the system store.
 *   --mark          mark fetched messages filed (+FLAGS \Seen $Filed)
 *   --move=FOLDER   mark by moving them to FOLDER instead
 *   --wait=SECONDS  after fetching, wait for new mail (IDLE if offered) and
 *                   print "wait=new|none elapsed_ms=N"
 *   --wake=SECONDS  during --wait, make the wake fd readable after SECONDS
 *                   (a timerfd), as the daemon's signal pipe would
 *   --no-idle       wait by polling even if the server offers IDLE
 *   --max-size=N    refuse bigger messages (default 50 MiB)
 *   --timeout=N     per read/write timeout in seconds (default 60)
 *   --token=FILE    XOAUTH2 with the access token in FILE, not PASSFILE
 *   -v              debug log to stderr
 * Exit: 0 ok, 75 temporary failure, 77 authentication refused, 78 config,
 *       65 when some message could not be fetched, 64 usage. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "intaked/config.h"
#include "intaked/fsio.h"
#include "intaked/imap.h"
#include "intaked/log.h"
#include "intaked/util.h"

struct options {
	bool mark;
	const char *move_to;
	long wait;
	long wake;
	bool no_idle;
	unsigned long max_size;
	unsigned long timeout;
	const char *token_file;
	int verbose;
	const char *args[7];
	int nargs;
};

static int usage(void)
{
	fprintf(stderr, "usage: imapcheck [--mark|--move=FOLDER] [--wait=SEC [--wake=SEC]] [--no-idle] "
		"[--max-size=N] [--timeout=N] [--token=FILE] [-v]\n"
		"                 HOST PORT imaps|starttls USER PASSFILE CAFILE|- [FOLDER]\n");
	return 64;
}

static int exit_code(const struct err *e)
{
	switch (e->cls) {
	case ERR_AUTH: return 77;
	case ERR_CONFIG: return 78;
	case ERR_MESSAGE: return 65;
	default: return 75;
	}
}

static bool opt_value(const char *arg, const char *name, const char **v)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return false;
	*v = arg + n + 1;
	return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	const char *v;
	unsigned long w;
	o->max_size = 50UL << 20;
	o->timeout = 60;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--mark") == 0)
			o->mark = true;
		else if (opt_value(a, "--move", &v))
			o->move_to = v;
		else if (opt_value(a, "--wait", &v) && parse_ulong(v, 86400, &w) == 0)
			o->wait = (long)w;
		else if (opt_value(a, "--wake", &v) && parse_ulong(v, 86400, &w) == 0)
			o->wake = (long)w;
		else if (strcmp(a, "--no-idle") == 0)
			o->no_idle = true;
		else if (opt_value(a, "--max-size", &v) && parse_ulong(v, 1UL << 32, &o->max_size) == 0)
			;
		else if (opt_value(a, "--timeout", &v) && parse_ulong(v, 3600, &o->timeout) == 0)
			;
		else if (opt_value(a, "--token", &v))
			o->token_file = v;
		else if (strcmp(a, "-v") == 0)
			o->verbose = 1;
		else if (a[0] == '-' && a[1] == '-')
			return -1;
		else if (o->nargs < 7)
			o->args[o->nargs++] = a;
		else
			return -1;
	}
	return o->nargs >= 6 ? 0 : -1;
}

/* A secret file's first line. */
static char *read_secret(const char *path, struct err *err)
{
	char *data;
	size_t len;
	if (fsio_read_file(path, 64 * 1024, &data, &len, err) < 0)
		return NULL;
	data[strcspn(data, "\r\n")] = '\0';
	return data;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static int fetch_all(struct imap_session *s, const struct options *o,
		     const struct mailbox_config *mc, struct err *err)
{
	uint32_t *uids;
	size_t n;
	if (imap_search_pending(s, 0, NULL, 0, &uids, &n, err) < 0)
		return -1;
	printf("pending=%zu\n", n);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct imap_message m;
		if (imap_fetch(s, uids[i], o->max_size, &m, err) < 0) {
			printf("uid=%u error=%s message=%s\n", uids[i], err_class_name(err->cls),
			       log_q(err->msg));
			if (err->cls != ERR_MESSAGE) {
				rc = -1;
				break;
			}
			rc = 1;
			continue;
		}
		char hex[65], when[32];
		struct tm tm;
		sha256_hex(m.raw, m.len, hex);
		gmtime_r(&m.internaldate, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("uid=%u internaldate=%s size=%zu sha256=%s\n", m.uid, when, m.len, hex);
		imap_message_clear(&m);
		if ((o->mark || o->move_to) && imap_mark_filed(s, uids[i], mc, err) < 0) {
			printf("uid=%u mark_error=%s\n", uids[i], log_q(err->msg));
			rc = -1;
			break;
		}
	}
	free(uids);
	return rc;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(const struct options *o, struct mailbox_config *mc, const char *token,
	       struct err *err)
{
	struct imap_session *s;
	uint32_t uidvalidity;
	const char *folder = o->nargs > 6 ? o->args[6] : "INBOX";
	if (imap_open(mc, token, &s, err) < 0)
		return -1;
	int rc = -1;
	if (imap_select(s, folder, &uidvalidity, err) == 0) {
		printf("folder=%s uidvalidity=%u\n", log_q(folder), uidvalidity);
		rc = fetch_all(s, o, mc, err);
	}
	if (rc >= 0 && o->wait > 0) {
		int wake_fd = -1;
		if (o->wake > 0) {
			struct itimerspec its = { .it_value = { .tv_sec = o->wake } };
			wake_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
			if (wake_fd < 0 || timerfd_settime(wake_fd, 0, &its, NULL) < 0) {
				err_setsys(err, ERR_TEMP, "timerfd");
				imap_close(&s);
				return -1;
			}
		}
		long long t0 = ms_now();
		int w = imap_wait(s, o->wait, wake_fd, err);
		if (wake_fd >= 0)
			close(wake_fd);
		if (w < 0)
			rc = -1;
		else
			printf("wait=%s elapsed_ms=%lld\n", w ? "new" : "none", ms_now() - t0);
	}
	imap_close(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	if (parse_args(argc, argv, &o) < 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	log_init("imapcheck", false, o.verbose);
	setvbuf(stdout, NULL, _IOLBF, 0);

	unsigned long port;
	const char *mode = o.args[2];
	if (parse_ulong(o.args[1], 65535, &port) < 0 ||
	    (strcmp(mode, "imaps") != 0 && strcmp(mode, "starttls") != 0))
		return usage();
	struct err err = { 0 };
	struct mailbox_config mc = {
		.host = (char *)o.args[0],
		.port = (int)port,
		.implicit_tls = strcmp(mode, "imaps") == 0,
		.user = (char *)o.args[3],
		.ca_file = strcmp(o.args[5], "-") == 0 ? NULL : (char *)o.args[5],
		.idle = !o.no_idle,
		.timeout = (long)o.timeout,
		.after_filing = o.move_to ? AFTER_MOVE : AFTER_FLAG,
		.move_to = (char *)o.move_to,
	};
	char *token = NULL;
	if (o.token_file != NULL) {
		mc.auth = AUTH_XOAUTH2;
		if ((token = read_secret(o.token_file, &err)) == NULL) {
			fprintf(stderr, "imapcheck: %s\n", err.msg);
			return 78;
		}
	} else if ((mc.password = read_secret(o.args[4], &err)) == NULL) {
		fprintf(stderr, "imapcheck: %s\n", err.msg);
		return 78;
	}
	int rc = run(&o, &mc, token, &err);
	wipe_free(mc.password);
	wipe_free(token);
	if (rc < 0) {
		fprintf(stderr, "imapcheck: %s error: %s\n", err_class_name(err.cls), err.msg);
		return exit_code(&err);
	}
	return rc > 0 ? 65 : 0;
}
