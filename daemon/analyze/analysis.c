/* analysis.c — the result of parsing one message, and its JSON wire form
 * from the sandboxed worker to the daemon. The daemon trusts nothing in
 * that JSON: a crashed or subverted worker may write anything, so every
 * field is type-checked and bounded here. */
#include "intaked/analysis.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/json.h"
#include "intaked/language.h"
#include "intaked/log.h"

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
	char **strs[] = { &d->name, &d->file, &d->content_type, &d->type, &d->error };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
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

static jnode *jlist(const struct strlist *l)
{
	jnode *arr = jn_array();

	for (size_t i = 0; i < l->n; i++)
		jn_push(arr, jn_str(l->v[i]));
	return arr;
}

static jnode *jheaders(const struct analysis *a)
{
	jnode *arr = jn_array();

	for (size_t i = 0; i < a->nheaders; i++) {
		jnode *pair = jn_array();
		jn_push(pair, jn_str(a->headers[i].name));
		jn_push(pair, jn_str(a->headers[i].value));
		jn_push(arr, pair);
	}
	return arr;
}

static jnode *jdoc(const struct document *d)
{
	jnode *o = jn_object();

	jn_set_str(o, "name", d->name);
	jn_set_str(o, "file", d->file);
	jn_set_str(o, "content_type", d->content_type);
	jn_set_bool(o, "is_document", d->is_document);
	jn_set_str(o, "type", d->type);
	jn_set_int(o, "size", (long long)d->size);
	jn_set_str(o, "sha256", d->sha256);
	jn_set_int(o, "words", d->words);
	jn_set_str(o, "error", d->error);
	return o;
}

static jnode *jdocs(const struct analysis *a)
{
	jnode *arr = jn_array();

	for (size_t i = 0; i < a->ndocs; i++)
		jn_push(arr, jdoc(&a->docs[i]));
	return arr;
}

static jnode *junexamined(const struct analysis *a)
{
	jnode *arr = jn_array();

	for (size_t i = 0; i < a->nunexamined; i++) {
		const struct unexamined *u = &a->unexamined[i];
		jnode *o = jn_object();

		jn_set_str(o, "part", u->part);
		jn_set_str(o, "name", u->name);
		jn_set_str(o, "reason", u->reason);
		jn_push(arr, o);
	}
	return arr;
}

static jnode *jlinks(const struct analysis *a)
{
	jnode *arr = jn_array();

	for (size_t i = 0; i < a->nlinks; i++) {
		jnode *o = jn_object();

		jn_set_str(o, "url", a->links[i].url);
		jn_set_str(o, "service", a->links[i].service);
		jn_push(arr, o);
	}
	return arr;
}

static void set_envelope(jnode *o, const struct analysis *a)
{
	jn_set(o, "headers", jheaders(a));
	jn_set_str(o, "from_addr", a->from_addr);
	jn_set_str(o, "from_name", a->from_name);
	jn_set_str(o, "reply_to_addr", a->reply_to_addr);
	jn_set_str(o, "sender_addr", a->sender_addr);
	jn_set_str(o, "subject", a->subject);
	jn_set_str(o, "message_id", a->message_id);
	jn_set_str(o, "date_header", a->date_header);
	jn_set_str(o, "in_reply_to", a->in_reply_to);
	jn_set_str(o, "references", a->references);
	jn_set_bool(o, "has_return_path", a->has_return_path);
	jn_set_str(o, "return_path", a->return_path);
	jn_set(o, "to", jlist(&a->to));
	jn_set(o, "cc", jlist(&a->cc));
	jn_set(o, "delivered_to", jlist(&a->delivered_to));
	jn_set(o, "original_to", jlist(&a->original_to));
}

char *analysis_to_json(const struct analysis *a)
{
	jnode *o = jn_object();

	set_envelope(o, a);
	jn_set_str(o, "content_type", a->content_type);
	jn_set_str(o, "body_text", a->body_text);
	jn_set_int(o, "body_words", a->body_words);
	jn_set(o, "docs", jdocs(a));
	jn_set_int(o, "word_count", a->word_count);
	jn_set_str(o, "counted", a->counted);
	jn_set_str(o, "language", a->language[0] ? a->language : NULL);
	jn_set(o, "language_confidence", jn_real(a->language_confidence));
	jn_set_str(o, "warning", a->warning);
	jn_set(o, "unexamined", junexamined(a));
	jn_set(o, "links", jlinks(a));
	char *s = jn_dump(o, JN_COMPACT);
	jn_free(o);
	return s;
}

/* ---- from JSON: the first problem found wins (json.h) ---- */

/* A string that the analysis always has: "" when absent. */
static char *rd_text(const struct jval *o, const char *key)
{
	char *s = jr_str(o, key);

	return s != NULL ? s : xstrdup("");
}

static void rd_list(const struct jval *o, const char *key, struct strlist *l)
{
	struct jval arr;
	size_t n = jr_array(o, key, WIRE_MAX_LIST, &arr);

	for (size_t i = 0; i < n && !o->rd->failed; i++) {
		struct jval v = jr_item(&arr, i);
		const char *s = jr_strref(&v, NULL);

		if (s == NULL)
			jr_fail(&v, NULL, "is not a string");
		else
			strlist_push(l, s);
	}
}

static void rd_headers(const struct jval *o, struct analysis *a)
{
	struct jval arr, h;
	size_t n = jr_array(o, "headers", WIRE_MAX_LIST, &arr);

	a->headers = xcalloc(n, sizeof(*a->headers));
	for (size_t i = 0; i < n && !o->rd->failed; i++) {
		struct jval item = jr_item(&arr, i);
		size_t npair = jr_array(&item, NULL, 2, &h);
		struct jval name = jr_item(&h, 0), value = jr_item(&h, 1);
		const char *ns = jr_strref(&name, NULL), *vs = jr_strref(&value, NULL);

		if (npair != 2 || ns == NULL || vs == NULL) {
			jr_fail(&item, NULL, "is not a [name, value] pair");
			return;
		}
		a->headers[i].name = xstrdup(ns);
		a->headers[i].value = xstrdup(vs);
		a->nheaders++;
	}
}

/* The daemon builds paths from file: only "files/NAME" is acceptable. */
static bool document_file_ok(const char *file)
{
	return file == NULL || (strncmp(file, "files/", 6) == 0 &&
				strchr(file + 6, '/') == NULL && file[6] != '.' &&
				file[6] != '\0');
}

static void rd_document(const struct jval *o, struct document *d)
{
	char *sha;

	if (!jr_object(o, NULL, &(struct jval){ 0 })) {
		jr_fail(o, NULL, "is not an object");
		return;
	}
	d->name = rd_text(o, "name");
	d->file = jr_str(o, "file");
	d->content_type = rd_text(o, "content_type");
	d->type = rd_text(o, "type");
	d->size = (size_t)jr_int(o, "size", 0, (long long)(SIZE_MAX >> 1), 0);
	d->is_document = jr_bool(o, "is_document", false);
	d->words = (long)jr_int(o, "words", -1, LONG_MAX, -1);
	d->error = jr_str(o, "error");
	sha = rd_text(o, "sha256");
	if (strlen(sha) >= sizeof(d->sha256))
		jr_fail(o, "sha256", "is too long");
	else
		memcpy(d->sha256, sha, strlen(sha) + 1);
	free(sha);
	if (!document_file_ok(d->file))
		jr_fail(o, "file", "is not files/NAME");
}

static void rd_docs(const struct jval *o, struct analysis *a)
{
	struct jval arr;
	size_t n = jr_array(o, "docs", WIRE_MAX_LIST, &arr);

	a->docs = xcalloc(n, sizeof(*a->docs));
	for (size_t i = 0; i < n && !o->rd->failed; i++) {
		struct jval d = jr_item(&arr, i);

		a->ndocs++;
		rd_document(&d, &a->docs[i]);
	}
}

static void rd_unexamined(const struct jval *o, struct analysis *a)
{
	struct jval arr;
	size_t n = jr_array(o, "unexamined", WIRE_MAX_LIST, &arr);

	for (size_t i = 0; i < n && !o->rd->failed; i++) {
		struct jval u = jr_item(&arr, i);

		if (!jr_object(&u, NULL, &(struct jval){ 0 })) {
			jr_fail(&u, NULL, "is not an object");
			return;
		}
		char *part = jr_str(&u, "part"), *name = jr_str(&u, "name");
		char *reason = jr_str(&u, "reason");
		if (reason == NULL)
			jr_fail(&u, "reason", "is missing");
		if (!o->rd->failed)
			analysis_add_unexamined(a, part, name, reason);
		free(part);
		free(name);
		free(reason);
	}
}

static void rd_links(const struct jval *o, struct analysis *a)
{
	struct jval arr;
	size_t n = jr_array(o, "links", WIRE_MAX_LIST, &arr);

	for (size_t i = 0; i < n && !o->rd->failed; i++) {
		struct jval l = jr_item(&arr, i);

		if (!jr_object(&l, NULL, &(struct jval){ 0 })) {
			jr_fail(&l, NULL, "is not an object");
			return;
		}
		char *url = jr_str(&l, "url"), *service = jr_str(&l, "service");
		if (url == NULL || service == NULL)
			jr_fail(&l, url == NULL ? "url" : "service", "is missing");
		if (!o->rd->failed)
			analysis_add_link(a, url, service);
		free(url);
		free(service);
	}
}

static const char *rd_counted(const struct jval *o)
{
	const char *v = jr_strref(o, "counted");

	if (v == NULL || strcmp(v, "body") == 0)
		return "body";
	if (strcmp(v, "documents") == 0)
		return "documents";
	jr_fail(o, "counted", "is neither body nor documents");
	return "body";
}

/* The guess of language.c: a code of its list or null, and 0..1. */
static void rd_language(const struct jval *o, struct analysis *a)
{
	const char *v = jr_strref(o, "language");

	if (v != NULL && !language_code_valid(v)) {
		jr_fail(o, "language", "is not a known language code");
		return;
	}
	if (v != NULL)
		snprintf(a->language, sizeof(a->language), "%s", v);
	a->language_confidence = jr_real(o, "language_confidence", 0.0, 1.0, 0.0);
}

static void rd_envelope(const struct jval *o, struct analysis *a)
{
	rd_headers(o, a);
	a->from_addr = rd_text(o, "from_addr");
	a->from_name = rd_text(o, "from_name");
	a->reply_to_addr = jr_str(o, "reply_to_addr");
	a->sender_addr = jr_str(o, "sender_addr");
	a->subject = rd_text(o, "subject");
	a->message_id = jr_str(o, "message_id");
	a->date_header = jr_str(o, "date_header");
	a->in_reply_to = jr_str(o, "in_reply_to");
	a->references = jr_str(o, "references");
	a->has_return_path = jr_bool(o, "has_return_path", false);
	a->return_path = jr_str(o, "return_path");
	rd_list(o, "to", &a->to);
	rd_list(o, "cc", &a->cc);
	rd_list(o, "delivered_to", &a->delivered_to);
	rd_list(o, "original_to", &a->original_to);
}

static void rd_analysis(const struct jval *o, struct analysis *a)
{
	rd_envelope(o, a);
	a->content_type = jr_str(o, "content_type");
	a->body_text = rd_text(o, "body_text");
	a->body_words = (long)jr_int(o, "body_words", 0, LONG_MAX, 0);
	rd_docs(o, a);
	a->word_count = (long)jr_int(o, "word_count", 0, LONG_MAX, 0);
	a->counted = rd_counted(o);
	rd_language(o, a);
	a->warning = jr_str(o, "warning");
	rd_unexamined(o, a);
	rd_links(o, a);
}

int analysis_from_json(const char *json, size_t len, struct analysis **a_r,
		       struct err *err)
{
	struct jread rd;
	struct analysis *a;

	*a_r = NULL;
	/* The worker's reply was already capped by its reader. */
	if (jr_load(&rd, json, len, SIZE_MAX, JR_OBJECT | JR_UNIQUE_KEYS) < 0) {
		err_set(err, ERR_MESSAGE, "worker output malformed: %s", rd.error);
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	struct jval root = jr_root(&rd);
	rd_analysis(&root, a);
	jr_close(&rd);
	if (rd.failed) {
		analysis_free(&a);
		err_set(err, ERR_MESSAGE, "worker output malformed: field %s", rd.error);
		return -1;
	}
	*a_r = a;
	return 0;
}
