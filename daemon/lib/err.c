/* err.c — classed error reports. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "intaked/err.h"

static void err_vset(struct err *e, enum err_class cls, int errnum, const char *fmt, va_list ap)
{
	if (e == NULL)
		return;
	e->cls = cls;
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (errnum != 0 && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(errnum));
}

void err_set(struct err *e, enum err_class cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(e, cls, 0, fmt, ap);
	va_end(ap);
}

void err_setsys(struct err *e, enum err_class cls, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	err_vset(e, cls, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->cls = ERR_NONE;
	e->msg[0] = '\0';
}

const char *err_class_name(enum err_class cls)
{
	switch (cls) {
	case ERR_NONE: return "none";
	case ERR_TEMP: return "temporary";
	case ERR_MESSAGE: return "message";
	case ERR_CONFIG: return "config";
	case ERR_AUTH: return "auth";
	case ERR_PROTOCOL: return "protocol";
	}
	return "unknown";
}
