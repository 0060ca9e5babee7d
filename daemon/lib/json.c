/* json.c — the only file that includes <jansson.h> (see json.h). A jnode is
 * a json_t; the casts below are the whole of the wrapping. */
#include "intaked/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define J(n) ((json_t *)(n))
#define N(j) ((jnode *)(j))

static _Noreturn void oom(void)
{
	fatalx("event=oom in=jansson");
}

static jnode *must(json_t *j)
{
	if (j == NULL)
		oom();
	return N(j);
}

/* ---- UTF-8 repair: jansson refuses invalid UTF-8, and one bad byte must
 * not lose a whole record ---- */

/* Length of the well-formed sequence at p (n bytes left), 0 if none. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* s with every byte outside a well-formed sequence replaced by U+FFFD. */
static char *utf8_repair(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n * 3 + 1); /* worst case: every byte becomes three */
	const unsigned char *p = (const unsigned char *)s;

	while (n > 0) {
		size_t len = utf8_seq_len(p, n);
		if (len == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			len = 1;
		} else {
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		n -= len;
	}
	out[o] = '\0';
	return out;
}

/* ---- writing ---- */

jnode *jn_object(void) { return must(json_object()); }
jnode *jn_array(void) { return must(json_array()); }
jnode *jn_null(void) { return must(json_null()); }
jnode *jn_int(long long v) { return must(json_integer((json_int_t)v)); }
jnode *jn_bool(bool v) { return must(json_boolean(v)); }
jnode *jn_real(double v) { return must(json_real(v)); }

jnode *jn_str(const char *s)
{
	if (s == NULL)
		return jn_null();
	json_t *j = json_string(s);
	if (j == NULL) {
		char *clean = utf8_repair(s);
		j = json_string(clean);
		free(clean);
	}
	return must(j);
}

jnode *jn_time(time_t t)
{
	char out[32];
	if (t == 0)
		return jn_null();
	tztime_format_utc(t, out, sizeof(out));
	return jn_str(out);
}

void jn_set(jnode *obj, const char *key, jnode *v)
{
	if (json_object_set_new(J(obj), key, J(v)) < 0)
		oom();
}

void jn_set_str(jnode *obj, const char *key, const char *s) { jn_set(obj, key, jn_str(s)); }
void jn_set_int(jnode *obj, const char *key, long long v) { jn_set(obj, key, jn_int(v)); }
void jn_set_bool(jnode *obj, const char *key, bool v) { jn_set(obj, key, jn_bool(v)); }
void jn_set_time(jnode *obj, const char *key, time_t t) { jn_set(obj, key, jn_time(t)); }

void jn_push(jnode *arr, jnode *v)
{
	if (json_array_append_new(J(arr), J(v)) < 0)
		oom();
}

void jn_free(jnode *n)
{
	json_decref(J(n));
}

static size_t style_flags(enum jn_style style)
{
	switch (style) {
	case JN_COMPACT:
		return JSON_COMPACT;
	case JN_INDENT2:
		return JSON_INDENT(2) | JSON_PRESERVE_ORDER;
	case JN_INDENT2_SORTED:
		return JSON_INDENT(2) | JSON_SORT_KEYS;
	case JN_INDENT1_ASCII:
		return JSON_INDENT(1) | JSON_ENSURE_ASCII;
	}
	return JSON_COMPACT;
}

char *jn_dump(const jnode *n, enum jn_style style)
{
	/* ENCODE_ANY: a lone string or number is a document too. */
	char *text = json_dumps((const json_t *)n, style_flags(style) | JSON_ENCODE_ANY);
	if (text == NULL)
		oom();
	return text;
}

/* ---- reading: loading ---- */

int jr_load(struct jread *rd, const char *text, size_t len, size_t max, unsigned flags)
{
	json_error_t jerr;

	memset(rd, 0, sizeof(*rd));
	if (len > max) {
		rd->failed = true;
		snprintf(rd->error, sizeof(rd->error), "larger than %zu bytes", max);
		return -1;
	}
	rd->root = N(json_loadb(text, len, (flags & JR_UNIQUE_KEYS) ? JSON_REJECT_DUPLICATES : 0,
			       &jerr));
	if (rd->root == NULL) {
		rd->failed = true;
		snprintf(rd->error, sizeof(rd->error), "line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return -1;
	}
	rd->lenient = (flags & JR_LENIENT) != 0;
	if ((flags & JR_OBJECT) && !json_is_object(J(rd->root))) {
		jr_close(rd);
		rd->failed = true;
		snprintf(rd->error, sizeof(rd->error), "not a JSON object");
		return -1;
	}
	return 0;
}

int jr_load_fd(struct jread *rd, int fd, size_t max, unsigned flags)
{
	char *text;
	size_t len;
	struct err err = { 0 };

	if (fsio_read_fd(fd, "document", max, &text, &len, &err) < 0) {
		memset(rd, 0, sizeof(*rd));
		rd->failed = true;
		snprintf(rd->error, sizeof(rd->error), "%.180s", err.msg);
		return -1;
	}
	int rc = jr_load(rd, text, len, max, flags);
	free(text);
	return rc;
}

void jr_close(struct jread *rd)
{
	json_decref(J(rd->root));
	rd->root = NULL;
}

/* ---- reading: values ---- */

/* After the first error, a strict reader reads nothing more. */
static bool stopped(const struct jread *rd)
{
	return rd->failed && !rd->lenient;
}

struct jval jr_root(struct jread *rd)
{
	return (struct jval){ .rd = rd, .node = rd->root };
}

struct jval jr_member(const struct jval *obj, const char *key)
{
	json_t *v = stopped(obj->rd) ? NULL : json_object_get(J(obj->node), key);
	return (struct jval){ .rd = obj->rd, .node = N(v), .up = obj, .key = key };
}

struct jval jr_item(const struct jval *arr, size_t i)
{
	json_t *v = stopped(arr->rd) ? NULL : json_array_get(J(arr->node), i);
	return (struct jval){ .rd = arr->rd, .node = N(v), .up = arr, .index = i };
}

bool jr_absent(const struct jval *v)
{
	return v->node == NULL || json_is_null(J(v->node));
}

bool jr_is_object(const struct jval *v)
{
	return v->node != NULL && json_is_object(J(v->node));
}

/* The path of v ("a.b[2].c") into out. */
static void path_of(const struct jval *v, char *out, size_t n)
{
	char here[64];

	if (v == NULL || v->up == NULL) {
		out[0] = '\0';
		return;
	}
	path_of(v->up, out, n);
	if (v->key != NULL)
		snprintf(here, sizeof(here), "%s%s", out[0] ? "." : "", v->key);
	else
		snprintf(here, sizeof(here), "[%zu]", v->index);
	size_t len = strlen(out);
	if (len < n)
		snprintf(out + len, n - len, "%s", here);
}

void jr_fail(const struct jval *obj, const char *key, const char *why)
{
	struct jread *rd = obj->rd;
	struct jval at = { .rd = rd, .up = obj, .key = key };

	if (rd->failed)
		return;
	rd->failed = true;
	path_of(key != NULL ? &at : obj, rd->path, sizeof(rd->path));
	snprintf(rd->error, sizeof(rd->error), "%s%s%s", rd->path, rd->path[0] ? " " : "", why);
}

/* The value a getter reads: obj's member key (obj itself for NULL); NULL
 * when absent or the document already failed. */
static json_t *value(const struct jval *obj, const char *key)
{
	json_t *v;
	if (stopped(obj->rd))
		return NULL;
	v = key != NULL ? json_object_get(J(obj->node), key) : J(obj->node);
	return json_is_null(v) ? NULL : v;
}

const char *jr_strref(const struct jval *obj, const char *key)
{
	json_t *v = value(obj, key);
	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		jr_fail(obj, key, "is not a string");
		return NULL;
	}
	return json_string_value(v);
}

char *jr_str(const struct jval *obj, const char *key)
{
	const char *s = jr_strref(obj, key);
	return s != NULL ? xstrdup(s) : NULL;
}

long long jr_int(const struct jval *obj, const char *key, long long min, long long max,
		 long long dflt)
{
	json_t *v = value(obj, key);
	if (v == NULL)
		return dflt;
	if (!json_is_integer(v)) {
		jr_fail(obj, key, "is not an integer");
		return dflt;
	}
	json_int_t i = json_integer_value(v);
	if (i < min || i > max) {
		jr_fail(obj, key, "is out of range");
		return dflt;
	}
	return i;
}

bool jr_bool(const struct jval *obj, const char *key, bool dflt)
{
	json_t *v = value(obj, key);
	if (v == NULL)
		return dflt;
	if (!json_is_boolean(v)) {
		jr_fail(obj, key, "is not a boolean");
		return dflt;
	}
	return json_is_true(v);
}

double jr_real(const struct jval *obj, const char *key, double min, double max, double dflt)
{
	json_t *v = value(obj, key);
	if (v == NULL)
		return dflt;
	if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
		jr_fail(obj, key, "is not a number in range");
		return dflt;
	}
	return json_number_value(v);
}

time_t jr_time(const struct jval *obj, const char *key)
{
	json_t *v = value(obj, key);
	time_t t;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || tztime_parse_iso8601(json_string_value(v), &t) < 0) {
		jr_fail(obj, key, "is not an ISO 8601 time");
		return 0;
	}
	return t;
}

size_t jr_array(const struct jval *obj, const char *key, size_t max, struct jval *arr_r)
{
	json_t *v = value(obj, key);
	*arr_r = (struct jval){ .rd = obj->rd, .up = obj, .key = key };
	if (key == NULL)
		*arr_r = *obj;
	if (v == NULL)
		return 0;
	if (!json_is_array(v)) {
		jr_fail(obj, key, "is not an array");
		return 0;
	}
	if (json_array_size(v) > max) {
		jr_fail(obj, key, "has too many items");
		return 0;
	}
	arr_r->node = N(v);
	return json_array_size(v);
}

bool jr_object(const struct jval *obj, const char *key, struct jval *o_r)
{
	json_t *v = value(obj, key);
	*o_r = (struct jval){ .rd = obj->rd, .up = obj, .key = key };
	if (key == NULL)
		*o_r = *obj;
	if (v == NULL) {
		o_r->node = NULL;
		return false;
	}
	if (!json_is_object(v)) {
		jr_fail(obj, key, "is not an object");
		o_r->node = NULL;
		return false;
	}
	o_r->node = N(v);
	return true;
}
