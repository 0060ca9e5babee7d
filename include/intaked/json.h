/* json.h — the one door to JSON (jansson stays inside daemon/lib/json.c).
 *
 * Writing: build a tree of jnode values and dump it in one of the styles
 * the on-disk formats use (each format keeps its bytes).
 *
 * Reading: load a document (size-capped), then read typed values out of it.
 * Every getter checks the type (and range); the first problem wins and names
 * the key path ("documents[2].size is not an integer"); once a document has
 * failed, later getters return their defaults, so a reader is written as a
 * straight list of gets and one check at the end. Missing and null read alike:
 * as the getter's default. */
#ifndef INTAKED_JSON_H
#define INTAKED_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct jnode jnode; /* a JSON value (opaque) */

/* ---- writing (out of memory is fatal: no NULL checks at call sites) ---- */

jnode *jn_object(void);
jnode *jn_array(void);
jnode *jn_null(void);
/* NULL gives null; bytes that are not well-formed UTF-8 become U+FFFD. */
jnode *jn_str(const char *s);
jnode *jn_int(long long v);
jnode *jn_bool(bool v);
jnode *jn_real(double v);
/* "YYYY-MM-DDTHH:MM:SSZ"; 0 (never) gives null. */
jnode *jn_time(time_t t);
/* Put v (taken over) under key of obj, replacing what was there. */
void jn_set(jnode *obj, const char *key, jnode *v);
void jn_set_str(jnode *obj, const char *key, const char *s);
void jn_set_int(jnode *obj, const char *key, long long v);
void jn_set_bool(jnode *obj, const char *key, bool v);
void jn_set_time(jnode *obj, const char *key, time_t t);
/* Append v (taken over) to arr. */
void jn_push(jnode *arr, jnode *v);
void jn_free(jnode *n);

enum jn_style {
	JN_COMPACT,        /* {"a":1} on one line: the worker's record, caches */
	JN_INDENT2,        /* two spaces, keys in insertion order: files people read */
	JN_INDENT2_SORTED, /* two spaces, keys sorted: records keyed by folder */
	JN_INDENT1_ASCII,  /* one space, \uXXXX for non-ASCII: health.json */
};
/* The text (no final newline), caller frees. */
char *jn_dump(const jnode *n, enum jn_style style);

/* ---- reading ---- */

enum {
	JR_OBJECT = 1 << 0,      /* the document must be an object */
	JR_UNIQUE_KEYS = 1 << 1, /* a key twice in one object is an error */
	JR_LENIENT = 1 << 2,     /* for records we only display: a value of the
				  * wrong type reads as the default and the
				  * reading goes on (the first error is kept) */
};

struct jread {
	jnode *root;             /* NULL when the load failed */
	bool failed;
	bool lenient;
	char path[96];           /* key path of the first problem, "" for the whole */
	char error[192];         /* "PATH WHY" or the parser's "line L column C: …" */
};

/* A value inside a document and the way to it (for error messages). Lives
 * on the stack of the reader; node is NULL when the key is missing. */
struct jval {
	struct jread *rd;
	const jnode *node;
	const struct jval *up;
	const char *key;         /* NULL: the value is item index of up */
	size_t index;
};

/* Parse len bytes of text (at most max, else an error). 0, or -1 with
 * rd->error set (rd->root is then NULL). Always jr_close afterwards. */
int jr_load(struct jread *rd, const char *text, size_t len, size_t max, unsigned flags);
/* The same reading fd to its end. */
int jr_load_fd(struct jread *rd, int fd, size_t max, unsigned flags);
void jr_close(struct jread *rd);

struct jval jr_root(struct jread *rd);
/* Members and items; a missing one (or one of a non-container) has node NULL. */
struct jval jr_member(const struct jval *obj, const char *key);
struct jval jr_item(const struct jval *arr, size_t i);
/* Missing or null. */
bool jr_absent(const struct jval *v);
/* An object (no error otherwise: for readers that name their own). */
bool jr_is_object(const struct jval *v);
/* Record a problem (the first one wins) at obj's key (NULL: obj itself). */
void jr_fail(const struct jval *obj, const char *key, const char *why);

/* The getters read obj's member key, or obj itself when key is NULL. */
/* A copy of the string (caller frees), NULL when absent. */
char *jr_str(const struct jval *obj, const char *key);
/* The same, borrowed from the document (valid until jr_close). */
const char *jr_strref(const struct jval *obj, const char *key);
long long jr_int(const struct jval *obj, const char *key, long long min, long long max,
		 long long dflt);
bool jr_bool(const struct jval *obj, const char *key, bool dflt);
/* Any number (integer or real) in [min, max]. */
double jr_real(const struct jval *obj, const char *key, double min, double max, double dflt);
/* An ISO 8601 time; 0 when absent. */
time_t jr_time(const struct jval *obj, const char *key);
/* An array of at most max items: their number (0 when absent), *arr_r set. */
size_t jr_array(const struct jval *obj, const char *key, size_t max, struct jval *arr_r);
/* An object: true and *o_r set; false when absent (and *o_r has node NULL). */
bool jr_object(const struct jval *obj, const char *key, struct jval *o_r);

#endif
