/* util.h — allocation, bounded buffers, strings, hashes. No I/O. */
#ifndef INTAKED_UTIL_H
#define INTAKED_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x*alloc abort on out-of-memory (as OpenSMTPD's xmalloc): a daemon that
 * cannot allocate 100 bytes cannot do anything useful either. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);             /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* free(*p) and set *p = NULL. */
void xfree(void *pp);

/* A growable byte buffer with a hard maximum; data is always NUL-terminated
 * so text buffers can be used as C strings. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};
void buf_init(struct buf *b, size_t max);
/* Returns 0, or -1 (nothing appended) when max would be exceeded. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (who frees it) and reset the buffer. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* A NULL-terminated list of owned strings. */
struct strlist {
	char **v;
	size_t n;
};
void strlist_push(struct strlist *l, const char *s); /* copies s */
void strlist_free(struct strlist *l);
bool strlist_contains_ci(const struct strlist *l, const char *s);
/* Split on sep (e.g. ','), trim blanks, skip empty items; appends copies. */
void strlist_split(struct strlist *l, const char *s, char sep);

void str_lower(char *s);                       /* ASCII only */
char *str_trim(char *s);                       /* in place, returns s+k */
bool str_ieq(const char *a, const char *b);    /* ASCII case-insensitive */
/* ASCII case-insensitive substring search. */
const char *str_icase_find(const char *haystack, const char *needle);
bool str_has_prefix_ci(const char *s, const char *prefix);
bool str_has_suffix_ci(const char *s, const char *suffix);

/* Value of a hex digit, -1 if c is not one. */
int hex_value(int c);
/* Journal fields on one line: '%', controls and DEL become %XX. Returns
 * -1 when b's cap is reached. */
int str_percent_escape(struct buf *b, const char *s);
/* Inverse of str_percent_escape, in place; -1 on a bad escape or an
 * escaped NUL. */
int str_percent_unescape(char *s);

/* "30s", "15m", "3h", "7d", or a bare number of seconds. -1 on error. */
int parse_duration(const char *s, long *seconds_r);
/* Decimal without sign, no trailing junk, <= max. -1 on error. */
int parse_ulong(const char *s, unsigned long max, unsigned long *v_r);

/* Lower-case hex SHA-256 of data. */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Fill out with 2*nbytes lower-case hex characters from the kernel RNG
 * and a NUL (out holds 2*nbytes+1). */
void random_hex(char *out, size_t nbytes);
/* waitpid(pid, status, 0) retrying on EINTR: pid, or -1/errno. */
int reap_child(int pid, int *status);

#endif
