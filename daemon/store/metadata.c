/* metadata.c — metadata.json (SPEC §6) to and from struct metadata. Key
 * order is fixed so files diff cleanly. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/json.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/tztime.h"
#include "intaked/util.h"
#include "metadata_list.h"

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

/* ---- building (json.h repairs bad UTF-8: a field is never dropped) ---- */

/* v == null_value is written as null. */
static jnode *j_int_or_null(long long v, long long null_value)
{
	return v == null_value ? jn_null() : jn_int(v);
}

static jnode *submitter_to_json(const struct metadata *md)
{
	jnode *o = jn_object();
	jn_set_str(o, "name", md->submitter.name);
	jn_set_str(o, "slug", md->submitter.slug);
	jn_set_str(o, "matched_by", md->submitter.matched_by);
	jn_set_bool(o, "verified", md->submitter.verified);
	return o;
}

static jnode *documents_to_json(const struct metadata *md)
{
	jnode *a = jn_array();
	for (size_t i = 0; i < md->ndocuments; i++) {
		const struct md_document *d = &md->documents[i];
		jnode *o = jn_object();
		jn_set_str(o, "name", d->name);
		jn_set_str(o, "file", d->file);
		jn_set_str(o, "content_type", d->content_type);
		jn_set_str(o, "type", d->type);
		jn_set_int(o, "size", (long long)d->size);
		jn_set_str(o, "sha256", d->sha256);
		jn_set(o, "words", j_int_or_null(d->words, -1));
		jn_set_str(o, "error", d->error);
		jn_push(a, o);
	}
	return a;
}

static jnode *imap_to_json(const struct metadata *md)
{
	jnode *o = jn_object();
	jn_set_str(o, "mailbox", md->imap.mailbox);
	jn_set_int(o, "uidvalidity", md->imap.uidvalidity);
	jn_set_int(o, "uid", md->imap.uid);
	return o;
}

static jnode *ack_to_json(const struct metadata *md)
{
	jnode *o = jn_object();
	jn_set_str(o, "state", md->ack.state);
	jn_set_str(o, "to", md->ack.to);
	jn_set_str(o, "message_id", md->ack.message_id);
	jn_set_str(o, "suppressed", md->ack.suppressed);
	jn_set_str(o, "outbox_id", md->ack.outbox_id);
	jn_set_time(o, "sent_at", md->ack.sent_at);
	jn_set_str(o, "error", md->ack.error);
	return o;
}

static jnode *route_to_json(const struct metadata *md)
{
	jnode *o = jn_object();
	jnode *also = jn_array();
	for (size_t i = 0; i < md->route.also.n; i++)
		jn_push(also, jn_str(md->route.also.v[i]));
	jn_set_str(o, "matched_by", md->route.matched_by);
	jn_set(o, "also", also);
	return o;
}

static jnode *auth_to_json(const struct metadata *md)
{
	jnode *o = jn_object();
	jn_set_str(o, "raw", md->auth.raw);
	jn_set_str(o, "spf", md->auth.spf);
	jn_set_str(o, "dkim", md->auth.dkim);
	jn_set_str(o, "dmarc", md->auth.dmarc);
	return o;
}

static void set_message(jnode *o, const struct metadata *md)
{
	jn_set_str(o, "id", md->id);
	jn_set_str(o, "kind", md->kind);
	jn_set_str(o, "reason", md->reason);
	jn_set_str(o, "call", md->call);
	jn_set_str(o, "call_title", md->call_title);
	jn_set_str(o, "status", md->status);
	jn_set(o, "submitter", submitter_to_json(md));
	jn_set_str(o, "from", md->from);
	jn_set_str(o, "from_name", md->from_name);
	jn_set_str(o, "reply_to", md->reply_to);
	jn_set_str(o, "subject", md->subject);
	jn_set_str(o, "message_id", md->message_id);
	jn_set_str(o, "in_reply_to", md->in_reply_to);
	jn_set_str(o, "references", md->references);
	jn_set_time(o, "received_at", md->received_at);
	jn_set_str(o, "date_header", md->date_header);
	jn_set_time(o, "deadline", md->deadline);
	jn_set_str(o, "zone", md->zone);
	jn_set_bool(o, "extended", md->extended);
	jn_set_str(o, "timeliness", md->timeliness);
}

static void set_counting(jnode *o, const struct metadata *md)
{
	jn_set(o, "word_count", j_int_or_null(md->word_count, -1));
	jn_set(o, "word_limit", j_int_or_null(md->word_limit, 0));
	jn_set(o, "over_limit", md->over_limit_unknown && !md->over_limit
				? jn_null() : jn_bool(md->over_limit));
	jn_set_str(o, "counted", md->counted);
	/* Only when known: entries filed before detection keep their bytes. */
	if (md->language != NULL) {
		jn_set_str(o, "language", md->language);
		jn_set(o, "language_confidence", md->language_confidence < 0
					 ? jn_null() : jn_real(md->language_confidence));
	}
	jn_set(o, "documents", documents_to_json(md));
	jn_set(o, "unexamined", mdlist_to_json(&unexamined_desc, md->unexamined,
					       md->nunexamined));
	jn_set(o, "linked_documents", mdlist_to_json(&link_desc, md->linked, md->nlinked));
}

jnode *metadata_to_jnode(const struct metadata *md)
{
	jnode *o = jn_object();
	set_message(o, md);
	set_counting(o, md);
	jn_set(o, "version", j_int_or_null(md->version, 0));
	jn_set_str(o, "supersedes", md->supersedes);
	jn_set_bool(o, "held", md->held);
	jn_set_time(o, "accepted_at", md->accepted_at);
	jn_set_str(o, "raw_sha256", md->raw_sha256);
	jn_set_int(o, "raw_size", (long long)md->raw_size);
	jn_set(o, "imap", imap_to_json(md));
	jn_set(o, "ack", ack_to_json(md));
	jn_set(o, "route", route_to_json(md));
	jn_set(o, "auth", auth_to_json(md));
	jn_set_time(o, "filed_at", md->filed_at);
	return o;
}

char *metadata_to_json(const struct metadata *md)
{
	jnode *o = metadata_to_jnode(md);
	char *text = jn_dump(o, JN_INDENT2);
	jn_free(o);
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}

/* ---- reading: missing or null keys take their "null" value, a wrong type
 * is an error naming the key path (json.h) ---- */

static void rd_documents(const struct jval *root, struct metadata *md)
{
	struct jval arr;
	size_t n = jr_array(root, "documents", SIZE_MAX, &arr);

	md->documents = n > 0 ? xcalloc(n, sizeof(*md->documents)) : NULL;
	for (size_t i = 0; i < n && !root->rd->failed; i++) {
		struct jval o = jr_item(&arr, i);
		struct md_document *d = &md->documents[md->ndocuments++];
		d->words = -1;
		if (!jr_object(&o, NULL, &(struct jval){ 0 })) {
			jr_fail(&o, NULL, "is not an object");
			return;
		}
		d->name = jr_str(&o, "name");
		d->file = jr_str(&o, "file");
		d->content_type = jr_str(&o, "content_type");
		d->type = jr_str(&o, "type");
		d->size = (size_t)jr_int(&o, "size", 0, SIZE_LIMIT, 0);
		d->sha256 = jr_str(&o, "sha256");
		d->words = (long)jr_int(&o, "words", 0, LONG_MAX, -1);
		d->error = jr_str(&o, "error");
	}
}

static void rd_route(const struct jval *root, struct metadata *md)
{
	struct jval route, also;

	(void)jr_object(root, "route", &route);
	md->route.matched_by = jr_str(&route, "matched_by");
	size_t n = jr_array(&route, "also", SIZE_MAX, &also);
	for (size_t i = 0; i < n && !root->rd->failed; i++) {
		struct jval v = jr_item(&also, i);
		const char *s = jr_strref(&v, NULL);
		if (s == NULL)
			jr_fail(&v, NULL, "is not a string");
		else
			strlist_push(&md->route.also, s);
	}
}

static void rd_nested(const struct jval *root, struct metadata *md)
{
	struct jval o;

	(void)jr_object(root, "submitter", &o);
	md->submitter.name = jr_str(&o, "name");
	md->submitter.slug = jr_str(&o, "slug");
	md->submitter.matched_by = jr_str(&o, "matched_by");
	md->submitter.verified = jr_bool(&o, "verified", false);

	(void)jr_object(root, "imap", &o);
	md->imap.mailbox = jr_str(&o, "mailbox");
	md->imap.uidvalidity = (uint32_t)jr_int(&o, "uidvalidity", 0, UINT32_MAX, 0);
	md->imap.uid = (uint32_t)jr_int(&o, "uid", 0, UINT32_MAX, 0);

	(void)jr_object(root, "ack", &o);
	md->ack.state = jr_str(&o, "state");
	md->ack.to = jr_str(&o, "to");
	md->ack.message_id = jr_str(&o, "message_id");
	md->ack.suppressed = jr_str(&o, "suppressed");
	md->ack.outbox_id = jr_str(&o, "outbox_id");
	md->ack.error = jr_str(&o, "error");
	md->ack.sent_at = jr_time(&o, "sent_at");

	rd_route(root, md);

	(void)jr_object(root, "auth", &o);
	md->auth.raw = jr_str(&o, "raw");
	md->auth.spf = jr_str(&o, "spf");
	md->auth.dkim = jr_str(&o, "dkim");
	md->auth.dmarc = jr_str(&o, "dmarc");
}

static void rd_message(const struct jval *root, struct metadata *md)
{
	md->id = jr_str(root, "id");
	md->kind = jr_str(root, "kind");
	md->reason = jr_str(root, "reason");
	md->call = jr_str(root, "call");
	md->call_title = jr_str(root, "call_title");
	md->status = jr_str(root, "status");
	md->from = jr_str(root, "from");
	md->from_name = jr_str(root, "from_name");
	md->reply_to = jr_str(root, "reply_to");
	md->subject = jr_str(root, "subject");
	md->message_id = jr_str(root, "message_id");
	md->in_reply_to = jr_str(root, "in_reply_to");
	md->references = jr_str(root, "references");
	md->received_at = jr_time(root, "received_at");
	md->date_header = jr_str(root, "date_header");
	md->deadline = jr_time(root, "deadline");
	md->zone = jr_str(root, "zone");
	md->extended = jr_bool(root, "extended", false);
	md->timeliness = jr_str(root, "timeliness");
}

static void rd_top(const struct jval *root, struct metadata *md)
{
	rd_message(root, md);
	md->word_count = (long)jr_int(root, "word_count", 0, LONG_MAX, -1);
	md->word_limit = (long)jr_int(root, "word_limit", 0, LONG_MAX, 0);
	md->over_limit = jr_bool(root, "over_limit", false);
	/* null: not all words known; absent only in entries older than the key. */
	struct jval over = jr_member(root, "over_limit");
	md->over_limit_unknown = over.node != NULL && jr_absent(&over);
	md->counted = jr_str(root, "counted");
	md->language = jr_str(root, "language");
	/* null or missing (older entries) gives -1 */
	md->language_confidence = jr_real(root, "language_confidence", 0, 1, -1);
	md->version = (int)jr_int(root, "version", 0, INT_MAX, 0);
	md->supersedes = jr_str(root, "supersedes");
	md->held = jr_bool(root, "held", false);
	md->accepted_at = jr_time(root, "accepted_at");
	md->raw_sha256 = jr_str(root, "raw_sha256");
	md->raw_size = (size_t)jr_int(root, "raw_size", 0, SIZE_LIMIT, 0);
	md->filed_at = jr_time(root, "filed_at");
}

int metadata_from_json(const char *json, size_t len, struct metadata **md_r, struct err *err)
{
	struct jread rd;
	*md_r = NULL;
	/* Callers read the file with their own cap (SPOOL_METADATA_MAX). */
	if (jr_load(&rd, json, len, SIZE_MAX, JR_OBJECT | JR_UNIQUE_KEYS) < 0) {
		err_set(err, ERR_MESSAGE, "metadata: %s", rd.error);
		return -1;
	}
	struct metadata *md = metadata_new();
	struct jval root = jr_root(&rd);
	rd_top(&root, md);
	rd_nested(&root, md);
	rd_documents(&root, md);
	md->unexamined = mdlist_from_json(&unexamined_desc, &root, &md->nunexamined);
	md->linked = mdlist_from_json(&link_desc, &root, &md->nlinked);
	jr_close(&rd);
	if (rd.failed) {
		err_set(err, ERR_MESSAGE, "metadata: %s", rd.error);
		metadata_free(&md);
		return -1;
	}
	*md_r = md;
	return 0;
}
