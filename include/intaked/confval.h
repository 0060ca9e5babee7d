/* confval.h — parsers for single configuration values (durations, sizes,
 * URLs, addresses, dates). Pure apart from tzdata. Each returns 0, or -1
 * with err->cls = ERR_CONFIG and a short problem text (no file, line or
 * key: config.c adds those). Outputs are owned by the caller. */
#ifndef INTAKED_CONFVAL_H
#define INTAKED_CONFVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/err.h"
#include "intaked/util.h"

/* yes/no, true/false, on/off, 1/0 (any case). */
int confval_bool(const char *s, bool *v_r, struct err *err);
/* "30s" "15m" "3h" "7d", or bare seconds; must be >= min and <= max. */
int confval_duration(const char *s, long min, long max, long *v_r, struct err *err);
/* Bytes with an optional K, M or G suffix (powers of 1024); 1 .. max. */
int confval_size(const char *s, size_t max, size_t *v_r, struct err *err);
/* Decimal integer min .. max. */
int confval_uint(const char *s, unsigned long min, unsigned long max,
		 unsigned long *v_r, struct err *err);

/* local@domain: no blanks, controls or "<>(),;:\"[]\\", one '@', a domain
 * of letters, digits, '-' and dots (no empty label). */
bool confval_is_address(const char *s);
/* The domain part alone, same rules. */
bool confval_is_domain(const char *s);
/* Comma-separated addresses, appended lower-case to out (at least one). */
int confval_address_list(const char *s, struct strlist *out, struct err *err);
/* "Display Name <addr>" or a bare addr: *addr_r the address, lower-case. */
int confval_from(const char *s, char **addr_r, struct err *err);

/* scheme://host[:port][/path]; host may be an IPv6 literal in brackets
 * (stored without them). No user info, query or fragment. The path is
 * percent-decoded, without its leading '/', "" when absent. */
struct confval_url {
	char *scheme;  /* lower-case */
	char *host;
	int port;      /* 0 when not given */
	char *path;
};
int confval_url(const char *s, struct confval_url *u, struct err *err);
void confval_url_clear(struct confval_url *u);
/* host (as confval_url gives it, IPv6 without brackets) is a loopback
 * address: an IPv4 literal in 127.0.0.0/8, ::1 (or ::ffff:127.x.y.z), or
 * "localhost", which libcurl resolves to loopback itself. Names that
 * merely begin with "127." are not. */
bool confval_loopback_host(const char *host);

/* "HH:MM" -> minutes after midnight. */
int confval_minute_of_day(const char *s, int *minute_r, struct err *err);
/* "7d, 1d, 3h" -> seconds, sorted descending, duplicates removed.
 * *v_r: caller frees. */
int confval_reminders(const char *s, long **v_r, size_t *n_r, struct err *err);
/* "YYYY-MM-DD HH:MM ZONE" (ZONE required): instant and zone (caller frees). */
int confval_datetime_zone(const char *s, time_t *t_r, char **zone_r, struct err *err);
/* "NAME YYYY-MM-DD HH:MM [ZONE]": the name may contain blanks, so the date
 * is read from the end. *zone_r is NULL when no zone was written. */
int confval_extend(const char *s, char **name_r, char **when_r, char **zone_r,
		   struct err *err);
/* [a-z0-9][a-z0-9._-]*, at most max bytes, no "..". */
bool confval_is_slug(const char *s, size_t max);
/* 90 -> "1m30s", 0 -> "0s". Returns out. */
char *confval_format_duration(long seconds, char *out, size_t n);

#endif
