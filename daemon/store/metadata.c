/* metadata.c — metadata.json (SPEC §6) to and from struct metadata. jansson
 * stays inside this file. Key order is fixed so files diff cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/tztime.h"
#include "intaked/util.h"
#include "metadata_list.h"

/* metadata.json never gets near this; it keeps a damaged file from eating
 * memory. */
#define METADATA_MAX_BYTES (16u * 1024 * 1024)
#define SIZE_LIMIT ((long long)(SIZE_MAX < INT64_MAX ? SIZE_MAX : INT64_MAX))

static const struct mdlist_field unexamined_fields[] = {
	{ "part", offsetof(struct md_unexamined, part), false },
	{ "name", offsetof(struct md_unexamined, name), false },
	{ "reason", offsetof(struct md_unexamined, reason), true },
};
static const struct mdlist_desc unexamined_desc = {
	"unexamined", sizeof(struct md_unexamined), unexamined_fields, 3
};
static const struct mdlist_field link_fields[] = {
	{ "url", offsetof(struct md_link, url), true },
	{ "service", offsetof(struct md_link, service), true },
};
static const struct mdlist_desc link_desc = {
	"linked_documents", sizeof(struct md_link), link_fields, 2
};

struct metadata *metadata_new(void)
{
	struct metadata *md = xcalloc(1, sizeof(*md));
	md->word_count = -1;
	md->language_confidence = -1;
	return md;
}

static void md_document_clear(struct md_document *d)
{
	free(d->name);
	free(d->file);
	free(d->content_type);
	free(d->type);
	free(d->sha256);
	free(d->error);
}

void metadata_free(struct metadata **mdp)
{
	struct metadata *md = *mdp;
	if (md == NULL)
		return;
	char **strs[] = {
		&md->id, &md->kind, &md->reason, &md->call, &md->call_title, &md->status,
		&md->submitter.name, &md->submitter.slug, &md->submitter.matched_by,
		&md->from, &md->from_name, &md->subject, &md->message_id, &md->date_header,
		&md->in_reply_to, &md->references, &md->reply_to, &md->zone, &md->timeliness,
		&md->counted, &md->language, &md->supersedes, &md->raw_sha256,
		&md->imap.mailbox, &md->ack.state, &md->ack.to, &md->ack.message_id,
		&md->ack.suppressed, &md->ack.outbox_id, &md->ack.error, &md->route.matched_by,
		&md->auth.raw, &md->auth.spf, &md->auth.dkim, &md->auth.dmarc,
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < md->ndocuments; i++)
		md_document_clear(&md->documents[i]);
	free(md->documents);
	mdlist_free(&unexamined_desc, md->unexamined, md->nunexamined);
	mdlist_free(&link_desc, md->linked, md->nlinked);
	strlist_free(&md->route.also);
	free(md);
	*mdp = NULL;
}

/* ---- UTF-8: jansson refuses invalid strings, and we never drop a field ---- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp;
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

/* s with every byte that is not part of a well-formed sequence replaced by
 * U+FFFD. Caller frees. */
static char *utf8_sanitize(const char *s)
{
	size_t n = strlen(s);
	/* Worst case: every byte becomes three. */
	char *out = xmalloc(n * 3 + 1);
	size_t o = 0;
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

/* ---- building ---- */

static _Noreturn void oom(void)
{
	fatalx("event=oom in=jansson");
}

static json_t *j_str(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j == NULL) {
		char *clean = utf8_sanitize(s);
		j = json_string(clean);
		free(clean);
	}
	/* Only out-of-memory is left. */
	if (j == NULL)
		oom();
	return j;
}

static json_t *j_time(time_t t)
{
	if (t == 0)
		return json_null();
	char out[32];
	tztime_format_utc(t, out, sizeof(out));
	return json_string(out);
}

/* v == null_value is written as null. */
static json_t *j_int_or_null(long long v, long long null_value)
{
	return v == null_value ? json_null() : json_integer((json_int_t)v);
}

static void set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) < 0)
		oom(); /* jansson fails only on out-of-memory here */
}

static json_t *submitter_to_json(const struct metadata *md)
{
	json_t *o = json_object();
	set(o, "name", j_str(md->submitter.name));
	set(o, "slug", j_str(md->submitter.slug));
	set(o, "matched_by", j_str(md->submitter.matched_by));
	set(o, "verified", json_boolean(md->submitter.verified));
	return o;
}

static json_t *documents_to_json(const struct metadata *md)
{
	json_t *a = json_array();
	for (size_t i = 0; i < md->ndocuments; i++) {
		const struct md_document *d = &md->documents[i];
		json_t *o = json_object();
		set(o, "name", j_str(d->name));
		set(o, "file", j_str(d->file));
		set(o, "content_type", j_str(d->content_type));
		set(o, "type", j_str(d->type));
		set(o, "size", json_integer((json_int_t)d->size));
		set(o, "sha256", j_str(d->sha256));
		set(o, "words", j_int_or_null(d->words, -1));
		set(o, "error", j_str(d->error));
		if (json_array_append_new(a, o) < 0)
			oom();
	}
	return a;
}

static json_t *imap_to_json(const struct metadata *md)
{
	json_t *o = json_object();
	set(o, "mailbox", j_str(md->imap.mailbox));
	set(o, "uidvalidity", json_integer(md->imap.uidvalidity));
	set(o, "uid", json_integer(md->imap.uid));
	return o;
}

static json_t *ack_to_json(const struct metadata *md)
{
	json_t *o = json_object();
	set(o, "state", j_str(md->ack.state));
	set(o, "to", j_str(md->ack.to));
	set(o, "message_id", j_str(md->ack.message_id));
	set(o, "suppressed", j_str(md->ack.suppressed));
	set(o, "outbox_id", j_str(md->ack.outbox_id));
	set(o, "sent_at", j_time(md->ack.sent_at));
	set(o, "error", j_str(md->ack.error));
	return o;
}

static json_t *route_to_json(const struct metadata *md)
{
	json_t *o = json_object();
	json_t *also = json_array();
	for (size_t i = 0; i < md->route.also.n; i++)
		if (json_array_append_new(also, j_str(md->route.also.v[i])) < 0)
			oom();
	set(o, "matched_by", j_str(md->route.matched_by));
	set(o, "also", also);
	return o;
}

static json_t *auth_to_json(const struct metadata *md)
{
	json_t *o = json_object();
	set(o, "raw", j_str(md->auth.raw));
	set(o, "spf", j_str(md->auth.spf));
	set(o, "dkim", j_str(md->auth.dkim));
	set(o, "dmarc", j_str(md->auth.dmarc));
	return o;
}

static json_t *metadata_to_object(const struct metadata *md)
{
	json_t *o = json_object();
	set(o, "id", j_str(md->id));
	set(o, "kind", j_str(md->kind));
	set(o, "reason", j_str(md->reason));
	set(o, "call", j_str(md->call));
	set(o, "call_title", j_str(md->call_title));
	set(o, "status", j_str(md->status));
	set(o, "submitter", submitter_to_json(md));
	set(o, "from", j_str(md->from));
	set(o, "from_name", j_str(md->from_name));
	set(o, "reply_to", j_str(md->reply_to));
	set(o, "subject", j_str(md->subject));
	set(o, "message_id", j_str(md->message_id));
	set(o, "in_reply_to", j_str(md->in_reply_to));
	set(o, "references", j_str(md->references));
	set(o, "received_at", j_time(md->received_at));
	set(o, "date_header", j_str(md->date_header));
	set(o, "deadline", j_time(md->deadline));
	set(o, "zone", j_str(md->zone));
	set(o, "extended", json_boolean(md->extended));
	set(o, "timeliness", j_str(md->timeliness));
	set(o, "word_count", j_int_or_null(md->word_count, -1));
	set(o, "word_limit", j_int_or_null(md->word_limit, 0));
	set(o, "over_limit", md->over_limit_unknown && !md->over_limit
				     ? json_null() : json_boolean(md->over_limit));
	set(o, "counted", j_str(md->counted));
	/* Only when known: entries filed before detection keep their bytes. */
	if (md->language != NULL) {
		set(o, "language", j_str(md->language));
		set(o, "language_confidence", md->language_confidence < 0
					      ? json_null() : json_real(md->language_confidence));
	}
	set(o, "documents", documents_to_json(md));
	set(o, "unexamined", mdlist_to_json(&unexamined_desc, md->unexamined, md->nunexamined,
					     j_str));
	set(o, "linked_documents", mdlist_to_json(&link_desc, md->linked, md->nlinked, j_str));
	set(o, "version", j_int_or_null(md->version, 0));
	set(o, "supersedes", j_str(md->supersedes));
	set(o, "held", json_boolean(md->held));
	set(o, "accepted_at", j_time(md->accepted_at));
	set(o, "raw_sha256", j_str(md->raw_sha256));
	set(o, "raw_size", json_integer((json_int_t)md->raw_size));
	set(o, "imap", imap_to_json(md));
	set(o, "ack", ack_to_json(md));
	set(o, "route", route_to_json(md));
	set(o, "auth", auth_to_json(md));
	set(o, "filed_at", j_time(md->filed_at));
	return o;
}

char *metadata_to_json(const struct metadata *md)
{
	json_t *o = metadata_to_object(md);
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		oom();
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}

/* ---- reading: missing or null keys take their "null" value, a wrong type
 * is an error naming the key ---- */

struct rd {
	struct err *err;
	bool failed;
};

static void rd_fail(struct rd *rd, const char *where, const char *key, const char *what)
{
	if (!rd->failed)
		err_set(rd->err, ERR_MESSAGE, "metadata: %s%s %s", where, key, what);
	rd->failed = true;
}

static json_t *rd_get(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static char *rd_str(struct rd *rd, json_t *obj, const char *where, const char *key)
{
	json_t *v = rd_get(obj, key);
	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		rd_fail(rd, where, key, "is not a string");
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

static bool rd_bool(struct rd *rd, json_t *obj, const char *where, const char *key)
{
	json_t *v = rd_get(obj, key);
	if (v == NULL)
		return false;
	if (!json_is_boolean(v)) {
		rd_fail(rd, where, key, "is not a boolean");
		return false;
	}
	return json_is_true(v);
}

/* A number in [0, 1]; null or missing (older entries) gives -1. */
static double rd_fraction(struct rd *rd, json_t *obj, const char *key)
{
	json_t *v = rd_get(obj, key);
	if (v == NULL)
		return -1;
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
		rd_fail(rd, "", key, "is not a number in [0, 1]");
		return -1;
	}
	return json_number_value(v);
}

/* An integer in [min, max]; null or missing gives null_value. */
static long long rd_int(struct rd *rd, json_t *obj, const char *where, const char *key,
			long long min, long long max, long long null_value)
{
	json_t *v = rd_get(obj, key);
	if (v == NULL)
		return null_value;
	if (!json_is_integer(v)) {
		rd_fail(rd, where, key, "is not an integer");
		return null_value;
	}
	json_int_t i = json_integer_value(v);
	if (i < min || i > max) {
		rd_fail(rd, where, key, "is out of range");
		return null_value;
	}
	return i;
}

static time_t rd_time(struct rd *rd, json_t *obj, const char *where, const char *key)
{
	json_t *v = rd_get(obj, key);
	if (v == NULL)
		return 0;
	time_t t;
	if (!json_is_string(v) || tztime_parse_iso8601(json_string_value(v), &t) < 0) {
		rd_fail(rd, where, key, "is not an ISO 8601 time");
		return 0;
	}
	return t;
}

/* An object member; a missing or null one reads as an empty object. */
static json_t *rd_obj(struct rd *rd, json_t *obj, const char *key, json_t *empty)
{
	json_t *v = rd_get(obj, key);
	if (v == NULL)
		return empty;
	if (!json_is_object(v)) {
		rd_fail(rd, "", key, "is not an object");
		return empty;
	}
	return v;
}

static void rd_documents(struct rd *rd, json_t *root, struct metadata *md)
{
	json_t *a = rd_get(root, "documents");
	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		rd_fail(rd, "", "documents", "is not an array");
		return;
	}
	size_t n = json_array_size(a);
	md->documents = xcalloc(n, sizeof(*md->documents));
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		struct md_document *d = &md->documents[md->ndocuments++];
		d->words = -1;
		if (!json_is_object(o)) {
			rd_fail(rd, "", "documents[]", "is not an object");
			return;
		}
		d->name = rd_str(rd, o, "documents[].", "name");
		d->file = rd_str(rd, o, "documents[].", "file");
		d->content_type = rd_str(rd, o, "documents[].", "content_type");
		d->type = rd_str(rd, o, "documents[].", "type");
		d->size = (size_t)rd_int(rd, o, "documents[].", "size", 0, SIZE_LIMIT, 0);
		d->sha256 = rd_str(rd, o, "documents[].", "sha256");
		d->words = (long)rd_int(rd, o, "documents[].", "words", 0, LONG_MAX, -1);
		d->error = rd_str(rd, o, "documents[].", "error");
	}
}

static void *rd_list(struct rd *rd, json_t *root, const struct mdlist_desc *d, size_t *n_r)
{
	const char *bad = NULL;
	void *recs;

	if (mdlist_from_json(d, json_object_get(root, d->key), &recs, n_r, &bad) < 0) {
		char *where = xasprintf("%s[].", d->key);
		if (bad == d->key)
			rd_fail(rd, "", d->key, "is not an array of objects");
		else
			rd_fail(rd, where, bad, "is not a string");
		free(where);
	}
	return recs;
}

static void rd_route(struct rd *rd, json_t *route, struct metadata *md)
{
	md->route.matched_by = rd_str(rd, route, "route.", "matched_by");
	json_t *also = rd_get(route, "also");
	if (also == NULL)
		return;
	if (!json_is_array(also)) {
		rd_fail(rd, "route.", "also", "is not an array");
		return;
	}
	size_t i;
	json_t *v;
	json_array_foreach(also, i, v) {
		if (!json_is_string(v)) {
			rd_fail(rd, "route.", "also[]", "is not a string");
			return;
		}
		strlist_push(&md->route.also, json_string_value(v));
	}
}

static void rd_nested(struct rd *rd, json_t *root, struct metadata *md)
{
	json_t *empty = json_object();
	json_t *o = rd_obj(rd, root, "submitter", empty);
	md->submitter.name = rd_str(rd, o, "submitter.", "name");
	md->submitter.slug = rd_str(rd, o, "submitter.", "slug");
	md->submitter.matched_by = rd_str(rd, o, "submitter.", "matched_by");
	md->submitter.verified = rd_bool(rd, o, "submitter.", "verified");

	o = rd_obj(rd, root, "imap", empty);
	md->imap.mailbox = rd_str(rd, o, "imap.", "mailbox");
	md->imap.uidvalidity = (uint32_t)rd_int(rd, o, "imap.", "uidvalidity", 0, UINT32_MAX, 0);
	md->imap.uid = (uint32_t)rd_int(rd, o, "imap.", "uid", 0, UINT32_MAX, 0);

	o = rd_obj(rd, root, "ack", empty);
	md->ack.state = rd_str(rd, o, "ack.", "state");
	md->ack.to = rd_str(rd, o, "ack.", "to");
	md->ack.message_id = rd_str(rd, o, "ack.", "message_id");
	md->ack.suppressed = rd_str(rd, o, "ack.", "suppressed");
	md->ack.outbox_id = rd_str(rd, o, "ack.", "outbox_id");
	md->ack.error = rd_str(rd, o, "ack.", "error");
	md->ack.sent_at = rd_time(rd, o, "ack.", "sent_at");

	rd_route(rd, rd_obj(rd, root, "route", empty), md);

	o = rd_obj(rd, root, "auth", empty);
	md->auth.raw = rd_str(rd, o, "auth.", "raw");
	md->auth.spf = rd_str(rd, o, "auth.", "spf");
	md->auth.dkim = rd_str(rd, o, "auth.", "dkim");
	md->auth.dmarc = rd_str(rd, o, "auth.", "dmarc");
	json_decref(empty);
}

static void rd_top(struct rd *rd, json_t *root, struct metadata *md)
{
	md->id = rd_str(rd, root, "", "id");
	md->kind = rd_str(rd, root, "", "kind");
	md->reason = rd_str(rd, root, "", "reason");
	md->call = rd_str(rd, root, "", "call");
	md->call_title = rd_str(rd, root, "", "call_title");
	md->status = rd_str(rd, root, "", "status");
	md->from = rd_str(rd, root, "", "from");
	md->from_name = rd_str(rd, root, "", "from_name");
	md->reply_to = rd_str(rd, root, "", "reply_to");
	md->subject = rd_str(rd, root, "", "subject");
	md->message_id = rd_str(rd, root, "", "message_id");
	md->in_reply_to = rd_str(rd, root, "", "in_reply_to");
	md->references = rd_str(rd, root, "", "references");
	md->received_at = rd_time(rd, root, "", "received_at");
	md->date_header = rd_str(rd, root, "", "date_header");
	md->deadline = rd_time(rd, root, "", "deadline");
	md->zone = rd_str(rd, root, "", "zone");
	md->extended = rd_bool(rd, root, "", "extended");
	md->timeliness = rd_str(rd, root, "", "timeliness");
	md->word_count = (long)rd_int(rd, root, "", "word_count", 0, LONG_MAX, -1);
	md->word_limit = (long)rd_int(rd, root, "", "word_limit", 0, LONG_MAX, 0);
	md->over_limit = rd_bool(rd, root, "", "over_limit");
	/* null: not all words known; absent only in entries older than the key. */
	md->over_limit_unknown = json_is_null(json_object_get(root, "over_limit"));
	md->counted = rd_str(rd, root, "", "counted");
	md->language = rd_str(rd, root, "", "language");
	md->language_confidence = rd_fraction(rd, root, "language_confidence");
	md->version = (int)rd_int(rd, root, "", "version", 0, INT_MAX, 0);
	md->supersedes = rd_str(rd, root, "", "supersedes");
	md->held = rd_bool(rd, root, "", "held");
	md->accepted_at = rd_time(rd, root, "", "accepted_at");
	md->raw_sha256 = rd_str(rd, root, "", "raw_sha256");
	md->raw_size = (size_t)rd_int(rd, root, "", "raw_size", 0, SIZE_LIMIT, 0);
	md->filed_at = rd_time(rd, root, "", "filed_at");
}

int metadata_from_json(const char *json, size_t len, struct metadata **md_r, struct err *err)
{
	json_error_t jerr;
	*md_r = NULL;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		err_set(err, ERR_MESSAGE, "metadata: line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		err_set(err, ERR_MESSAGE, "metadata: not a JSON object");
		json_decref(root);
		return -1;
	}
	struct rd rd = { .err = err };
	struct metadata *md = metadata_new();
	rd_top(&rd, root, md);
	rd_nested(&rd, root, md);
	rd_documents(&rd, root, md);
	md->unexamined = rd_list(&rd, root, &unexamined_desc, &md->nunexamined);
	md->linked = rd_list(&rd, root, &link_desc, &md->nlinked);
	json_decref(root);
	if (rd.failed) {
		metadata_free(&md);
		return -1;
	}
	*md_r = md;
	return 0;
}

int metadata_save(const char *dir, const struct metadata *md, struct err *err)
{
	char *path = xasprintf("%s/metadata.json", dir);
	char *text = metadata_to_json(md);
	int rc = fsio_replace(path, text, strlen(text), 0640, err);
	free(text);
	free(path);
	return rc;
}

int metadata_load(const char *dir, struct metadata **md_r, struct err *err)
{
	char *path = xasprintf("%s/metadata.json", dir);
	char *text;
	size_t len;
	*md_r = NULL;
	int rc = fsio_read_file(path, METADATA_MAX_BYTES, &text, &len, err);
	if (rc == 0) {
		rc = metadata_from_json(text, len, md_r, err);
		free(text);
		if (rc < 0 && err != NULL) {
			/* Name the file: the operator has to find it. */
			char msg[sizeof(err->msg)];
			memcpy(msg, err->msg, sizeof(msg));
			err_set(err, ERR_MESSAGE, "%s: %s", path, msg);
		}
	}
	free(path);
	return rc;
}
