/* log.h — one line per event, key=value friendly, to stderr or syslog.
 * Callers write "event=filed id=... call=..."; values that may hold spaces
 * or quotes go through log_q(). Never pass a secret. */
#ifndef INTAKED_LOG_H
#define INTAKED_LOG_H

#include <stdbool.h>

/* verbosity: 0 = info and above, 1 = debug. */
void log_init(const char *ident, bool to_syslog, int verbosity);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)", log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Quote a value for a key=value line: "a b" -> "\"a b\"", control bytes
 * escaped, long values cut. Returns one of a few rotating static buffers:
 * valid until the fourth next call. */
const char *log_q(const char *s);

#endif
