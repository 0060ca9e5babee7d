/* log.c — one line per event to stderr (journald adds the time) or syslog. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "intaked/log.h"

static const char *log_ident = "intaked";
static bool log_syslog;
static int log_verbosity;

void log_init(const char *ident, bool to_syslog, int verbosity)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_verbosity = verbosity;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void log_vwrite(int prio, const char *level, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, " error=%s", log_q(strerror(errnum)));
	if (log_syslog)
		syslog(prio, "%s", line);
	else
		fprintf(stderr, "%s: level=%s %s\n", log_ident, level, line);
}

#define LOG_FN(fname, prio, level, with_errno, gate)            \
	void fname(const char *fmt, ...)                         \
	{                                                        \
		int saved = errno;                               \
		if (!(gate))                                     \
			return;                                  \
		va_list ap;                                      \
		va_start(ap, fmt);                               \
		log_vwrite(prio, level, with_errno ? saved : 0, fmt, ap); \
		va_end(ap);                                      \
		errno = saved;                                   \
	}

LOG_FN(log_debug, LOG_DEBUG, "debug", 0, log_verbosity > 0)
LOG_FN(log_info, LOG_INFO, "info", 0, 1)
LOG_FN(log_warn, LOG_WARNING, "warn", 1, 1)
LOG_FN(log_warnx, LOG_WARNING, "warn", 0, 1)
LOG_FN(log_err, LOG_ERR, "error", 0, 1)

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(70);
}

const char *log_q(const char *s)
{
	static char bufs[4][512];
	static unsigned next;
	char *out = bufs[next++ % 4];
	size_t o = 0, cap = sizeof(bufs[0]);
	bool quote = false;

	if (s == NULL)
		return "-";
	if (*s == '\0')
		return "\"\"";
	for (const char *p = s; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20 || *p == 0x7f)
			quote = true;
	if (quote)
		out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < cap; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}
