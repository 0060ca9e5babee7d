/* analysis.c — the result of parsing one message, and its JSON wire form
 * from the sandboxed worker to the daemon. The daemon trusts nothing in
 * that JSON: a crashed or subverted worker may write anything, so every
 * field is type-checked and bounded here. */
#include "intaked/analysis.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/language.h"
#include "intaked/log.h"
#include "intaked/sanitize.h"

#define WIRE_MAX_LIST 100000 /* headers, addresses or documents */

struct analysis *analysis_new(void)
{
	struct analysis *a = xcalloc(1, sizeof(*a));

	a->from_addr = xstrdup("");
	a->from_name = xstrdup("");
	a->subject = xstrdup("");
	a->body_text = xstrdup("");
	a->counted = "body";
	return a;
}

static void document_clear(struct document *d)
{
	free(d->name);
	free(d->file);
	free(d->content_type);
	free(d->type);
	free(d->error);
}

void analysis_free(struct analysis **ap)
{
	struct analysis *a = *ap;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nheaders; i++) {
		free(a->headers[i].name);
		free(a->headers[i].value);
	}
	free(a->headers);
	free(a->from_addr);
	free(a->from_name);
	free(a->reply_to_addr);
	free(a->sender_addr);
	free(a->subject);
	free(a->message_id);
	free(a->date_header);
	free(a->in_reply_to);
	free(a->references);
	free(a->return_path);
	strlist_free(&a->to);
	strlist_free(&a->cc);
	strlist_free(&a->delivered_to);
	strlist_free(&a->original_to);
	free(a->content_type);
	free(a->body_text);
	free(a->docs_text);
	for (size_t i = 0; i < a->ndocs; i++)
		document_clear(&a->docs[i]);
	free(a->docs);
	free(a->warning);
	for (size_t i = 0; i < a->nunexamined; i++) {
		free(a->unexamined[i].part);
		free(a->unexamined[i].name);
		free(a->unexamined[i].reason);
	}
	free(a->unexamined);
	for (size_t i = 0; i < a->nlinks; i++) {
		free(a->links[i].url);
		free(a->links[i].service);
	}
	free(a->links);
	free(a);
	*ap = NULL;
}

bool analysis_words_unknown(const struct analysis *a)
{
	return a->nunexamined > 0 || (a->nlinks > 0 && strcmp(a->counted, "body") == 0);
}

/* Lists grow by doubling: a count that is a power of two (or zero) is
 * also the capacity. */
static void *grow(void *v, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		v = xreallocarray(v, n ? n * 2 : 4, size);
	return v;
}

void analysis_add_unexamined(struct analysis *a, const char *part, const char *name,
			     const char *reason)
{
	a->unexamined = grow(a->unexamined, a->nunexamined, sizeof(*a->unexamined));
	a->unexamined[a->nunexamined].part = part ? xstrdup(part) : NULL;
	a->unexamined[a->nunexamined].name = name ? xstrdup(name) : NULL;
	a->unexamined[a->nunexamined].reason = xstrdup(reason);
	a->nunexamined++;
}

void analysis_add_link(struct analysis *a, const char *url, const char *service)
{
	a->links = grow(a->links, a->nlinks, sizeof(*a->links));
	a->links[a->nlinks].url = xstrdup(url);
	a->links[a->nlinks].service = xstrdup(service);
	a->nlinks++;
}

const char *analysis_header(const struct analysis *a, const char *name)
{
	for (size_t i = 0; i < a->nheaders; i++)
		if (str_ieq(a->headers[i].name, name))
			return a->headers[i].value;
	return NULL;
}

/* ---- to JSON ---- */

/* jansson refuses invalid UTF-8; the worker should never produce it, but
 * one bad byte must not lose the whole message. */
static json_t *jstr(const char *s)
{
	json_t *j;
	char *clean;

	if (s == NULL)
		return json_null();
	j = json_string(s);
	if (j != NULL)
		return j;
	clean = sanitize_utf8(s, strlen(s));
	j = json_string(clean);
	free(clean);
	return j != NULL ? j : json_string("");
}

static json_t *jlist(const struct strlist *l)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, jstr(l->v[i]));
	return arr;
}

static json_t *jheaders(const struct analysis *a)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->nheaders; i++)
		json_array_append_new(arr, json_pack("[oo]", jstr(a->headers[i].name),
						     jstr(a->headers[i].value)));
	return arr;
}

static json_t *jdocs(const struct analysis *a)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->ndocs; i++) {
		const struct document *d = &a->docs[i];

		json_array_append_new(arr, json_pack(
			"{s:o s:o s:o s:o s:I s:o s:b s:I s:o}",
			"name", jstr(d->name), "file", jstr(d->file),
			"content_type", jstr(d->content_type), "type", jstr(d->type),
			"size", (json_int_t)d->size, "sha256", jstr(d->sha256),
			"is_document", d->is_document, "words", (json_int_t)d->words,
			"error", jstr(d->error)));
	}
	return arr;
}

static json_t *junexamined(const struct analysis *a)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->nunexamined; i++) {
		const struct unexamined *u = &a->unexamined[i];

		json_array_append_new(arr, json_pack("{s:o s:o s:o}", "part", jstr(u->part),
						     "name", jstr(u->name),
						     "reason", jstr(u->reason)));
	}
	return arr;
}

static json_t *jlinks(const struct analysis *a)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->nlinks; i++)
		json_array_append_new(arr, json_pack("{s:o s:o}", "url", jstr(a->links[i].url),
						     "service", jstr(a->links[i].service)));
	return arr;
}

char *analysis_to_json(const struct analysis *a)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "headers", jheaders(a));
	json_object_set_new(o, "from_addr", jstr(a->from_addr));
	json_object_set_new(o, "from_name", jstr(a->from_name));
	json_object_set_new(o, "reply_to_addr", jstr(a->reply_to_addr));
	json_object_set_new(o, "sender_addr", jstr(a->sender_addr));
	json_object_set_new(o, "subject", jstr(a->subject));
	json_object_set_new(o, "message_id", jstr(a->message_id));
	json_object_set_new(o, "date_header", jstr(a->date_header));
	json_object_set_new(o, "in_reply_to", jstr(a->in_reply_to));
	json_object_set_new(o, "references", jstr(a->references));
	json_object_set_new(o, "has_return_path", json_boolean(a->has_return_path));
	json_object_set_new(o, "return_path", jstr(a->return_path));
	json_object_set_new(o, "to", jlist(&a->to));
	json_object_set_new(o, "cc", jlist(&a->cc));
	json_object_set_new(o, "delivered_to", jlist(&a->delivered_to));
	json_object_set_new(o, "original_to", jlist(&a->original_to));
	json_object_set_new(o, "content_type", jstr(a->content_type));
	json_object_set_new(o, "body_text", jstr(a->body_text));
	json_object_set_new(o, "body_words", json_integer(a->body_words));
	json_object_set_new(o, "docs", jdocs(a));
	json_object_set_new(o, "word_count", json_integer(a->word_count));
	json_object_set_new(o, "counted", jstr(a->counted));
	json_object_set_new(o, "language", a->language[0] ? json_string(a->language) : json_null());
	json_object_set_new(o, "language_confidence", json_real(a->language_confidence));
	json_object_set_new(o, "warning", jstr(a->warning));
	json_object_set_new(o, "unexamined", junexamined(a));
	json_object_set_new(o, "links", jlinks(a));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("event=oom in=analysis_to_json");
	return s;
}

/* ---- from JSON ---- */

/* Reader state: the first problem found wins, later reads become no-ops. */
struct rd {
	const char *bad; /* field that was malformed, or NULL */
};

static json_t *rd_get(struct rd *rd, json_t *o, const char *key)
{
	return rd->bad == NULL ? json_object_get(o, key) : NULL;
}

/* A string or null (absent = null). */
static char *rd_str(struct rd *rd, json_t *o, const char *key)
{
	json_t *v = rd_get(rd, o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		rd->bad = key;
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

/* A string that the analysis always has: "" when absent. */
static char *rd_text(struct rd *rd, json_t *o, const char *key)
{
	char *s = rd_str(rd, o, key);

	return s != NULL ? s : xstrdup("");
}

static long long rd_int(struct rd *rd, json_t *o, const char *key, long long min,
			long long max)
{
	json_t *v = rd_get(rd, o, key);
	long long n;

	if (v == NULL)
		return min < 0 ? -1 : 0;
	if (!json_is_integer(v)) {
		rd->bad = key;
		return 0;
	}
	n = json_integer_value(v);
	if (n < min || n > max) {
		rd->bad = key;
		return 0;
	}
	return n;
}

static bool rd_bool(struct rd *rd, json_t *o, const char *key)
{
	json_t *v = rd_get(rd, o, key);

	if (v != NULL && !json_is_boolean(v))
		rd->bad = key;
	return v != NULL && json_is_true(v);
}

/* An array of at most WIRE_MAX_LIST items (absent = empty). */
static size_t rd_array(struct rd *rd, json_t *o, const char *key, json_t **arr_r)
{
	json_t *v = rd_get(rd, o, key);

	*arr_r = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > WIRE_MAX_LIST) {
		rd->bad = key;
		return 0;
	}
	*arr_r = v;
	return json_array_size(v);
}

static void rd_list(struct rd *rd, json_t *o, const char *key, struct strlist *l)
{
	json_t *arr;
	size_t n = rd_array(rd, o, key, &arr);

	for (size_t i = 0; i < n && rd->bad == NULL; i++) {
		json_t *v = json_array_get(arr, i);

		if (!json_is_string(v))
			rd->bad = key;
		else
			strlist_push(l, json_string_value(v));
	}
}

static void rd_headers(struct rd *rd, json_t *o, struct analysis *a)
{
	json_t *arr;
	size_t n = rd_array(rd, o, "headers", &arr);

	a->headers = xcalloc(n, sizeof(*a->headers));
	for (size_t i = 0; i < n && rd->bad == NULL; i++) {
		json_t *h = json_array_get(arr, i);
		json_t *name = json_array_get(h, 0);
		json_t *value = json_array_get(h, 1);

		if (!json_is_array(h) || json_array_size(h) != 2 ||
		    !json_is_string(name) || !json_is_string(value)) {
			rd->bad = "headers";
			return;
		}
		a->headers[i].name = xstrdup(json_string_value(name));
		a->headers[i].value = xstrdup(json_string_value(value));
		a->nheaders++;
	}
}

static void rd_document(struct rd *rd, json_t *o, struct document *d)
{
	char *sha;

	if (!json_is_object(o)) {
		rd->bad = "docs";
		return;
	}
	d->name = rd_text(rd, o, "name");
	d->file = rd_str(rd, o, "file");
	d->content_type = rd_text(rd, o, "content_type");
	d->type = rd_text(rd, o, "type");
	d->size = (size_t)rd_int(rd, o, "size", 0, (long long)(SIZE_MAX >> 1));
	d->is_document = rd_bool(rd, o, "is_document");
	d->words = (long)rd_int(rd, o, "words", -1, LONG_MAX);
	d->error = rd_str(rd, o, "error");
	sha = rd_text(rd, o, "sha256");
	if (strlen(sha) >= sizeof(d->sha256))
		rd->bad = "sha256";
	else
		memcpy(d->sha256, sha, strlen(sha) + 1);
	free(sha);
	/* The daemon builds paths from file: only "files/NAME" is acceptable. */
	if (d->file != NULL && (strncmp(d->file, "files/", 6) != 0 ||
				strchr(d->file + 6, '/') != NULL || d->file[6] == '.' ||
				d->file[6] == '\0'))
		rd->bad = "file";
}

static void rd_docs(struct rd *rd, json_t *o, struct analysis *a)
{
	json_t *arr;
	size_t n = rd_array(rd, o, "docs", &arr);

	a->docs = xcalloc(n, sizeof(*a->docs));
	for (size_t i = 0; i < n && rd->bad == NULL; i++) {
		a->ndocs++;
		rd_document(rd, json_array_get(arr, i), &a->docs[i]);
	}
}

static void rd_unexamined(struct rd *rd, json_t *o, struct analysis *a)
{
	json_t *arr;
	size_t n = rd_array(rd, o, "unexamined", &arr);

	for (size_t i = 0; i < n && rd->bad == NULL; i++) {
		json_t *u = json_array_get(arr, i);
		char *part, *name, *reason;

		if (!json_is_object(u)) {
			rd->bad = "unexamined";
			return;
		}
		part = rd_str(rd, u, "part");
		name = rd_str(rd, u, "name");
		reason = rd_str(rd, u, "reason");
		if (rd->bad == NULL && reason == NULL)
			rd->bad = "unexamined";
		if (rd->bad == NULL)
			analysis_add_unexamined(a, part, name, reason);
		free(part);
		free(name);
		free(reason);
	}
}

static void rd_links(struct rd *rd, json_t *o, struct analysis *a)
{
	json_t *arr;
	size_t n = rd_array(rd, o, "links", &arr);

	for (size_t i = 0; i < n && rd->bad == NULL; i++) {
		json_t *l = json_array_get(arr, i);
		char *url, *service;

		if (!json_is_object(l)) {
			rd->bad = "links";
			return;
		}
		url = rd_str(rd, l, "url");
		service = rd_str(rd, l, "service");
		if (rd->bad == NULL && (url == NULL || service == NULL))
			rd->bad = "links";
		if (rd->bad == NULL)
			analysis_add_link(a, url, service);
		free(url);
		free(service);
	}
}

static const char *rd_counted(struct rd *rd, json_t *o)
{
	json_t *v = rd_get(rd, o, "counted");

	if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), "body") == 0))
		return "body";
	if (json_is_string(v) && strcmp(json_string_value(v), "documents") == 0)
		return "documents";
	rd->bad = "counted";
	return "body";
}

/* The guess of language.c: a code of its list or null, and 0..1. */
static void rd_language(struct rd *rd, json_t *o, struct analysis *a)
{
	json_t *v = rd_get(rd, o, "language");
	json_t *c = rd_get(rd, o, "language_confidence");

	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || !language_code_valid(json_string_value(v))) {
			rd->bad = "language";
			return;
		}
		snprintf(a->language, sizeof(a->language), "%s", json_string_value(v));
	}
	if (c == NULL || json_is_null(c))
		return;
	if (!json_is_number(c) || json_number_value(c) < 0.0 || json_number_value(c) > 1.0) {
		rd->bad = "language_confidence";
		return;
	}
	a->language_confidence = json_number_value(c);
}

static void rd_analysis(struct rd *rd, json_t *o, struct analysis *a)
{
	rd_headers(rd, o, a);
	a->from_addr = rd_text(rd, o, "from_addr");
	a->from_name = rd_text(rd, o, "from_name");
	a->reply_to_addr = rd_str(rd, o, "reply_to_addr");
	a->sender_addr = rd_str(rd, o, "sender_addr");
	a->subject = rd_text(rd, o, "subject");
	a->message_id = rd_str(rd, o, "message_id");
	a->date_header = rd_str(rd, o, "date_header");
	a->in_reply_to = rd_str(rd, o, "in_reply_to");
	a->references = rd_str(rd, o, "references");
	a->has_return_path = rd_bool(rd, o, "has_return_path");
	a->return_path = rd_str(rd, o, "return_path");
	rd_list(rd, o, "to", &a->to);
	rd_list(rd, o, "cc", &a->cc);
	rd_list(rd, o, "delivered_to", &a->delivered_to);
	rd_list(rd, o, "original_to", &a->original_to);
	a->content_type = rd_str(rd, o, "content_type");
	a->body_text = rd_text(rd, o, "body_text");
	a->body_words = (long)rd_int(rd, o, "body_words", 0, LONG_MAX);
	rd_docs(rd, o, a);
	a->word_count = (long)rd_int(rd, o, "word_count", 0, LONG_MAX);
	a->counted = rd_counted(rd, o);
	rd_language(rd, o, a);
	a->warning = rd_str(rd, o, "warning");
	rd_unexamined(rd, o, a);
	rd_links(rd, o, a);
}

int analysis_from_json(const char *json, size_t len, struct analysis **a_r,
		       struct err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	struct rd rd = { NULL };
	struct analysis *a;

	*a_r = NULL;
	if (root == NULL) {
		err_set(err, ERR_MESSAGE, "worker output malformed: %s (offset %d)",
			jerr.text, jerr.position);
		return -1;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		err_set(err, ERR_MESSAGE, "worker output malformed: not an object");
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	rd_analysis(&rd, root, a);
	json_decref(root);
	if (rd.bad != NULL) {
		analysis_free(&a);
		err_set(err, ERR_MESSAGE, "worker output malformed: field %s", rd.bad);
		return -1;
	}
	*a_r = a;
	return 0;
}
