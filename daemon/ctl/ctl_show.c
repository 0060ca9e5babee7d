/* ctl_show.c — intakectl's reading commands: calls, list, show, missing.
 * (status is in ctl_status.c.) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "ctl.h"
#include "intaked/json.h"
#include "intaked/language.h"
#include "intaked/metadata.h"
#include "intaked/printable.h"
#include "intaked/roster.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* Longest documents cell in the list table, in characters. */

static int spool_failed(struct ctl *c, const struct err *err)
{
	fprintf(c->err, "intakectl: %s\n", err->msg);
	return CTL_IOERR;
}

/* ---- calls ---- */

/* Whether a roster member has filed anything (any status). */
static bool slug_submitted(const struct ctl_subs *subs, const char *slug)
{
	for (size_t i = 0; i < subs->n; i++)
		if (subs->v[i].md->submitter.slug && strcmp(subs->v[i].md->submitter.slug, slug) == 0)
			return true;
	return false;
}


/* "3 of 6 members, 1 other": senders the roster does not know are not
 * counted as members, verified or not. */
static void submitters_cell(const struct call_config *call, const struct ctl_subs *subs,
			    char *out, size_t n)
{
	size_t members = 0, others = 0;
	for (size_t k = 0; k < call->roster->n; k++)
		members += slug_submitted(subs, call->roster->members[k].slug);
	for (size_t k = 0; k < subs->n; k++) {
		const struct metadata *md = subs->v[k].md;
		others += subs->v[k].current &&
			  (md->submitter.name == NULL || *md->submitter.name == '\0');
	}
	snprintf(out, n, "%zu of %zu, %zu other%s", members, call->roster->n, others,
		 others == 1 ? "" : "s");
}

int ctl_cmd_calls(struct ctl *c, const struct ctl_args *a)
{
	static const char *const head[] = { "CALL", "TITLE", "DEADLINE", "MEMBERS IN",
					    "VERSIONS", "MISSING" };
	(void)a;
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	struct ctl_table *t = ctl_table_new(head, 6);
	ctl_table_cap(t, 0, 16);
	ctl_table_cap(t, 1, 24);
	for (size_t i = 0; i < c->cfg->ncalls; i++) {
		const struct call_config *call = &c->cfg->calls[i];
		struct ctl_subs subs;
		struct err err = { 0 };
		if (ctl_subs_load(c, call->name, &subs, &err) < 0) {
			ctl_table_free(&t);
			return spool_failed(c, &err);
		}
		size_t missing = 0;
		for (size_t k = 0; k < call->roster->n; k++)
			missing += !slug_submitted(&subs, call->roster->members[k].slug);
		char deadline[64], members[64], nver[32], nmiss[48];
		ctl_format_time(call->deadline, call->zone, deadline, sizeof(deadline));
		submitters_cell(call, &subs, members, sizeof(members));
		snprintf(nver, sizeof(nver), "%zu", subs.n);
		snprintf(nmiss, sizeof(nmiss), "%zu of %zu", missing, call->roster->n);
		const char *row[] = { call->name, call->title, deadline, members, nver, nmiss };
		ctl_table_add(t, row);
		ctl_subs_free(&subs);
	}
	ctl_table_print(t, c->out);
	ctl_table_free(&t);
	return CTL_OK;
}

/* ---- list ---- */

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* "Bangladesh", "~ France" (not verified), "? x@y.org" (not in the
 * roster): the mark first, so that a cut cell keeps it. */
static char *submitter_cell(const struct metadata *md)
{
	if (md->submitter.name == NULL || *md->submitter.name == '\0')
		return xasprintf("? %s", or_dash(md->from));
	if (!md->submitter.verified)
		return xasprintf("~ %s", md->submitter.name);
	return xstrdup(md->submitter.name);
}

static bool has_unreadable_document(const struct metadata *md)
{
	for (size_t i = 0; i < md->ndocuments; i++)
		if (md->documents[i].error != NULL)
			return true;
	return false;
}

/* "212/400", "412/400 over", "0/400 !" (a document could not be read),
 * ">=5/400" (parts not examined: at least that many words). */
static char *words_cell(const struct metadata *md)
{
	const char *mark = has_unreadable_document(md) ? " !" : md->over_limit ? " over" : "";
	const char *atleast = md->over_limit_unknown ? ">=" : "";
	if (md->word_count < 0)
		return xasprintf("-%s", mark);
	if (md->word_limit <= 0)
		return xasprintf("%s%ld%s", atleast, md->word_count, mark);
	return xasprintf("%s%ld/%ld%s", atleast, md->word_count, md->word_limit, mark);
}

static char *ack_cell(const struct metadata *md)
{
	if (md->ack.state && strcmp(md->ack.state, "suppressed") == 0 && md->ack.suppressed)
		return xasprintf("suppressed: %s", md->ack.suppressed);
	return xstrdup(or_dash(md->ack.state));
}

/* The language code in list's last column: two letters, "oth" for a
 * language outside the six, "-" when none was detected. */
static const char *lang_cell(const struct metadata *md)
{
	if (md->language == NULL)
		return "-";
	return strcmp(md->language, "other") == 0 ? "oth" : md->language;
}

/* Ids are shown to their 21st character ("20220329T221000Z-4f1c"): the
 * second of receipt and 16 bits of the hash; show takes any unambiguous
 * prefix. */
#define LIST_ID_WIDTH 21

/* One table within 100 columns: the documents are in show. */
static void list_table(struct ctl *c, const struct call_config *call, const struct ctl_subs *subs)
{
	static const char *const head[] = { "ID", "SUBMITTER", "VER", "RECEIVED",
					    "STATUS", "WORDS", "ACK", "LANG" };
	struct ctl_table *t = ctl_table_new(head, 8);
	ctl_table_cap(t, 1, 14);
	ctl_table_cap(t, 5, 14);
	ctl_table_cap(t, 6, 6);
	size_t superseded = 0, unreadable = 0, strangers = 0, unknown = 0;
	for (size_t i = 0; i < subs->n; i++) {
		const struct metadata *md = subs->v[i].md;
		char received[32], version[32], id[LIST_ID_WIDTH + 1];
		struct tm tm;
		tztime_local(md->received_at, call->zone, &tm);
		strftime(received, sizeof(received), "%d %b %H:%M", &tm);
		snprintf(version, sizeof(version), "v%d%s", md->version,
			 md->held ? " held" : subs->v[i].current ? "" : " old");
		snprintf(id, sizeof(id), "%s", or_dash(md->id));
		superseded += !subs->v[i].current;
		unreadable += has_unreadable_document(md);
		strangers += !md->submitter.verified;
		unknown += md->over_limit_unknown;
		char *who = submitter_cell(md), *words = words_cell(md), *ack = ack_cell(md);
		const char *row[] = { id, who, version, received, md->status, words, ack,
				      lang_cell(md) };
		ctl_table_add(t, row);
		free(who);
		free(words);
		free(ack);
	}
	ctl_table_print(t, c->out);
	ctl_table_free(&t);
	fprintf(c->out, "%zu submission%s, %zu superseded (old); times in %s\n", subs->n,
		subs->n == 1 ? "" : "s", superseded, call->zone);
	if (strangers > 0)
		fprintf(c->out, "? not in the roster  ~ the roster does not verify this sender\n");
	if (unreadable > 0)
		fprintf(c->out, "! a document could not be read: its words are not counted "
			"(intakectl show ID)\n");
	if (unknown > 0)
		fprintf(c->out, ">= parts were not examined or linked: the word count is unknown, "
			"at least this\n");
}

static jnode *docs_json(const struct metadata *md)
{
	jnode *docs = jn_array();
	for (size_t i = 0; i < md->ndocuments; i++) {
		const struct md_document *d = &md->documents[i];
		jnode *o = jn_object();
		jn_set_str(o, "name", d->name);
		jn_set_str(o, "file", d->file);
		jn_set(o, "words", d->words < 0 ? jn_null() : jn_int(d->words));
		jn_set_str(o, "error", d->error);
		jn_push(docs, o);
	}
	return docs;
}

/* The counts of a row, in list_json_row's key order. */
static void set_counts(jnode *row, const struct metadata *md)
{
	jn_set(row, "word_count", md->word_count < 0 ? jn_null() : jn_int(md->word_count));
	jn_set(row, "word_limit", md->word_limit > 0 ? jn_int(md->word_limit) : jn_null());
	jn_set(row, "over_limit", md->over_limit_unknown && !md->over_limit
				  ? jn_null() : jn_bool(md->over_limit));
}

static jnode *list_json_row(const struct call_config *call, const struct ctl_sub *s)
{
	const struct metadata *md = s->md;
	char local[64];
	ctl_format_time(md->received_at, call->zone, local, sizeof(local));
	jnode *row = jn_object();
	jn_set_str(row, "id", md->id);
	jn_set_str(row, "path", s->relpath);
	jn_set_str(row, "submitter", md->submitter.name);
	jn_set_str(row, "slug", md->submitter.slug);
	jn_set_bool(row, "verified", md->submitter.verified);
	jn_set_int(row, "version", md->version);
	jn_set_bool(row, "current", s->current);
	jn_set_bool(row, "held", md->held);
	jn_set_time(row, "received_at", md->received_at);
	jn_set_str(row, "received_local", local);
	jn_set_str(row, "timeliness", md->timeliness);
	jn_set_str(row, "status", md->status);
	set_counts(row, md);
	jn_set(row, "documents", docs_json(md));
	jn_set_str(row, "from", md->from);
	jn_set_str(row, "ack", md->ack.state);
	jn_set_str(row, "ack_suppressed", md->ack.suppressed);
	jn_set_str(row, "language", md->language);
	jn_set(row, "language_confidence", md->language_confidence < 0
				       ? jn_null() : jn_real(md->language_confidence));
	return row;
}

static void list_json(struct ctl *c, const struct call_config *call, const struct ctl_subs *subs)
{
	jnode *arr = jn_array();
	for (size_t i = 0; i < subs->n; i++)
		jn_push(arr, list_json_row(call, &subs->v[i]));
	char *text = jn_dump(arr, JN_INDENT2);
	fprintf(c->out, "%s\n", text);
	free(text);
	jn_free(arr);
}

/* The call named on the command line and its submissions: CTL_OK (subs
 * to be freed by the caller), or the exit code once the reason is printed. */
static int load_call(struct ctl *c, const char *name, const struct call_config **call_r,
		     struct ctl_subs *subs)
{
	struct err err = { 0 };
	*call_r = ctl_find_call(c, name);
	if (*call_r == NULL)
		return CTL_FAIL;
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	if (ctl_subs_load(c, (*call_r)->name, subs, &err) < 0)
		return spool_failed(c, &err);
	return CTL_OK;
}

/* --since: "2022-03-28" (midnight in zone), "2022-03-28 09:00" in zone,
 * or ISO 8601. -1 if it is none of them. */
static int parse_since(const char *s, const char *zone, time_t *t_r)
{
	char local[32];
	if (strlen(s) == 10 && snprintf(local, sizeof(local), "%s 00:00", s) > 0 &&
	    tztime_parse_local(local, zone, t_r) == 0)
		return 0;
	if (strchr(s, 'T') == NULL && tztime_parse_local(s, zone, t_r) == 0)
		return 0;
	return tztime_parse_iso8601(s, t_r);
}

static bool sub_wanted(const struct ctl_args *a, const struct ctl_sub *s, time_t since)
{
	const struct metadata *md = s->md;
	return (!a->current || s->current) &&
	       (!a->late || (md->timeliness && strcmp(md->timeliness, "late") == 0)) &&
	       (!a->over_limit || md->over_limit) &&
	       (!a->unverified || !md->submitter.verified) &&
	       (!a->unreadable || has_unreadable_document(md)) &&
	       md->received_at >= since;
}

/* Keep the versions the filters of a want; the others are freed. */
static void filter_subs(const struct ctl_args *a, struct ctl_subs *subs, time_t since)
{
	size_t kept = 0;
	for (size_t i = 0; i < subs->n; i++) {
		if (sub_wanted(a, &subs->v[i], since)) {
			subs->v[kept++] = subs->v[i];
			continue;
		}
		free(subs->v[i].relpath);
		metadata_free(&subs->v[i].md);
	}
	subs->n = kept;
}

int ctl_cmd_list(struct ctl *c, const struct ctl_args *a)
{
	const struct call_config *call;
	struct ctl_subs subs;
	time_t since = 0;
	if (a->since && (call = ctl_find_call(c, a->pos[0])) != NULL &&
	    parse_since(a->since, call->zone, &since) < 0) {
		char *shown = printable_copy(a->since);
		fprintf(c->err, "intakectl: --since: \"%s\" is not a date (2022-03-28, "
			"\"2022-03-28 09:00\" or ISO 8601)\n", shown);
		free(shown);
		return CTL_USAGE;
	}
	int rc = load_call(c, a->pos[0], &call, &subs);
	if (rc != CTL_OK)
		return rc;
	filter_subs(a, &subs, since);
	if (a->json)
		list_json(c, call, &subs);
	else
		list_table(c, call, &subs);
	ctl_subs_free(&subs);
	return CTL_OK;
}

/* ---- show ---- */

static void show_line(struct ctl *c, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	char *clean = printable_copy(value);
	fprintf(c->out, "%-12s %s\n", key, clean);
	free(clean);
}

static void show_fmt(struct ctl *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void show_fmt(struct ctl *c, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	show_line(c, key, s);
	free(s);
}

static void show_times(struct ctl *c, const struct metadata *md, const char *zone)
{
	char local[64], utc[32];
	if (md->received_at) {
		ctl_format_time(md->received_at, zone, local, sizeof(local));
		tztime_format_utc(md->received_at, utc, sizeof(utc));
		if (zone)
			show_fmt(c, "received:", "%s (%s)", local, utc);
		else
			show_line(c, "received:", utc);
	}
	if (md->deadline) {
		ctl_format_time(md->deadline, zone, local, sizeof(local));
		show_fmt(c, "deadline:", "%s%s", local, md->extended ? " (extension)" : "");
	}
	if (md->filed_at) {
		tztime_format_utc(md->filed_at, utc, sizeof(utc));
		show_line(c, "filed:", utc);
	}
}

/* "late" when the status says it all, else "accepted (within the grace
 * period)". */
static void show_status(struct ctl *c, const struct metadata *md)
{
	static const struct { const char *word, *text; } timeliness[] = {
		{ "early", "before the call opened" }, { "on_time", "on time" },
		{ "within_grace", "within the grace period" }, { "late", "late" },
	};
	const char *when = md->timeliness;
	for (size_t i = 0; when && i < sizeof(timeliness) / sizeof(timeliness[0]); i++)
		if (strcmp(when, timeliness[i].word) == 0)
			when = timeliness[i].text;
	if (when == NULL || (md->status && strcmp(md->status, md->timeliness) == 0))
		show_line(c, "status:", or_dash(md->status));
	else
		show_fmt(c, "status:", "%s (%s)", or_dash(md->status), when);
}

static void show_submission(struct ctl *c, const struct metadata *md)
{
	const struct call_config *call = md->call ? config_find_call(c->cfg, md->call) : NULL;
	show_fmt(c, "call:", "%s%s%s%s", or_dash(md->call), md->call_title ? " (" : "",
		 md->call_title ? md->call_title : "", md->call_title ? ")" : "");
	if (md->call && call == NULL)
		show_line(c, "", "(this call is no longer in the configuration)");
	show_status(c, md);
	/* A filed entry is never rewritten: the newer version is vN+1 beside it. */
	int latest = md->call && md->submitter.slug
			     ? spool_latest_version(c->sp, md->call, md->submitter.slug) : 0;
	char later[64] = "";
	if (latest > md->version + 1)
		snprintf(later, sizeof(later), ", superseded by v%d (latest v%d)", md->version + 1,
			 latest);
	else if (latest > md->version)
		snprintf(later, sizeof(later), ", superseded by v%d", latest);
	show_fmt(c, "version:", "v%d%s%s%s", md->version,
		 md->supersedes ? ", supersedes " : "", md->supersedes ? md->supersedes : "", later);
	show_fmt(c, "submitter:", "%s (%s, matched by %s, %s)", ctl_submitter_name(md),
		 or_dash(md->submitter.slug), or_dash(md->submitter.matched_by),
		 md->submitter.verified ? "verified" : "not verified");
	if (md->held)
		show_fmt(c, "held:", "%s", "not authenticated while a verified version exists: "
			 "not current until intakectl accept");
	if (md->word_count >= 0 && md->word_limit > 0)
		show_fmt(c, "words:", "%ld of %ld, counted in the %s%s", md->word_count,
			 md->word_limit, or_dash(md->counted),
			 md->over_limit ? ", OVER THE LIMIT"
			 : md->over_limit_unknown ? ", over the limit: unknown (not all read)" : "");
	else if (md->word_count >= 0)
		show_fmt(c, "words:", "%ld, counted in the %s", md->word_count, or_dash(md->counted));
	if (md->language != NULL)
		show_fmt(c, "language:", "%s (%s), confidence %.2f", language_name(md->language),
			 md->language, md->language_confidence < 0 ? 0.0 : md->language_confidence);
}

static void show_documents(struct ctl *c, const struct metadata *md, const char *abs)
{
	if (md->ndocuments == 0)
		return;
	fprintf(c->out, "documents:\n");
	for (size_t i = 0; i < md->ndocuments; i++) {
		const struct md_document *d = &md->documents[i];
		char *name = printable_copy(or_dash(d->name)), *file = printable_copy(or_dash(d->file));
		char *err = printable_copy(d->error);
		if (d->error)
			fprintf(c->out, "  %s: unreadable (%s), %zu bytes\n", name, err, d->size);
		else if (d->words >= 0)
			fprintf(c->out, "  %s: %ld words, %zu bytes\n", name, d->words, d->size);
		else
			fprintf(c->out, "  %s: not counted (%s), %zu bytes\n", name,
				or_dash(d->type), d->size);
		if (d->file)
			fprintf(c->out, "    %s/%s\n", abs, file);
		free(name);
		free(file);
		free(err);
	}
}

/* What was not read: parts past a limit, documents shared as links. */
static void show_hidden(struct ctl *c, const struct metadata *md)
{
	if (md->nunexamined > 0)
		fprintf(c->out, "not examined:\n");
	for (size_t i = 0; i < md->nunexamined; i++) {
		const struct md_unexamined *u = &md->unexamined[i];
		char *part = printable_copy(or_dash(u->part)), *name = printable_copy(or_dash(u->name));
		char *why = printable_copy(or_dash(u->reason));
		fprintf(c->out, "  part %s: %s (%s)\n", part, name, why);
		free(part);
		free(name);
		free(why);
	}
	if (md->nlinked > 0)
		fprintf(c->out, "linked documents (not fetched, not counted):\n");
	for (size_t i = 0; i < md->nlinked; i++) {
		char *url = printable_copy(or_dash(md->linked[i].url));
		char *service = printable_copy(or_dash(md->linked[i].service));
		fprintf(c->out, "  %s: %s\n", service, url);
		free(url);
		free(service);
	}
}

static void show_ack(struct ctl *c, const struct metadata *md)
{
	char sent[32] = "";
	if (md->ack.state == NULL)
		return;
	if (md->ack.sent_at)
		tztime_format_utc(md->ack.sent_at, sent, sizeof(sent));
	if (strcmp(md->ack.state, "suppressed") == 0)
		show_fmt(c, "ack:", "suppressed (%s)", or_dash(md->ack.suppressed));
	else
		show_fmt(c, "ack:", "%s to %s", md->ack.state, or_dash(md->ack.to));
	if (sent[0])
		show_line(c, "ack-sent:", sent);
	show_line(c, "ack-msgid:", md->ack.message_id);
	show_line(c, "ack-outbox:", md->ack.outbox_id);
}

int ctl_cmd_show(struct ctl *c, const struct ctl_args *a)
{
	char *rel = NULL;
	struct metadata *md = NULL;
	int rc = ctl_open_entry(c, a->pos[0], &rel, &md);
	if (rc != CTL_OK)
		return rc;
	char *abs = spool_abs(c->sp, rel);
	const struct call_config *call = md->call ? config_find_call(c->cfg, md->call) : NULL;
	const char *zone = md->zone ? md->zone : call ? call->zone : NULL;
	show_line(c, "id:", md->id);
	show_line(c, "kind:", md->kind);
	show_line(c, "reason:", md->reason);
	if (md->kind && strcmp(md->kind, "submission") == 0)
		show_submission(c, md);
	show_fmt(c, "from:", "%s%s%s%s", md->from_name && *md->from_name ? md->from_name : "",
		 md->from_name && *md->from_name ? " <" : "", or_dash(md->from),
		 md->from_name && *md->from_name ? ">" : "");
	show_line(c, "subject:", md->subject);
	show_line(c, "message-id:", md->message_id);
	show_line(c, "date:", md->date_header);
	show_times(c, md, zone);
	show_documents(c, md, abs);
	show_hidden(c, md);
	show_ack(c, md);
	show_line(c, "path:", abs);
	show_fmt(c, "metadata:", "%s/metadata.json", abs);
	show_fmt(c, "message:", "%s/message.eml (%zu bytes)", abs, md->raw_size);
	show_line(c, "sha256:", or_dash(md->raw_sha256));
	free(abs);
	free(rel);
	metadata_free(&md);
	return CTL_OK;
}

/* ---- missing ---- */

static char *addresses_cell(const struct roster_member *m)
{
	struct buf b;
	buf_init(&b, 1u << 16);
	for (size_t i = 0; i < m->addresses.n; i++)
		buf_printf(&b, "%s%s", b.len ? "; " : "", m->addresses.v[i]);
	for (size_t i = 0; i < m->domains.n; i++)
		buf_printf(&b, "%s@%s", b.len ? "; " : "", m->domains.v[i]);
	return buf_steal(&b);
}

int ctl_cmd_missing(struct ctl *c, const struct ctl_args *a)
{
	static const char *const head[] = { "MEMBER", "ADDRESSES", "DEADLINE" };
	const struct call_config *call;
	struct ctl_subs subs;
	int rc = load_call(c, a->pos[0], &call, &subs);
	if (rc != CTL_OK)
		return rc;
	if (call->roster->n == 0) {
		fprintf(c->out, "%s has no roster: nobody is expected\n", call->name);
		ctl_subs_free(&subs);
		return CTL_OK;
	}
	struct ctl_table *t = ctl_table_new(head, 3);
	size_t missing = 0;
	for (size_t i = 0; i < call->roster->n; i++) {
		const struct roster_member *m = &call->roster->members[i];
		if (slug_submitted(&subs, m->slug))
			continue;
		time_t dl = config_deadline_for(call, m->name);
		char deadline[80], shown[96];
		ctl_format_time(dl, call->zone, deadline, sizeof(deadline));
		snprintf(shown, sizeof(shown), "%s%s", deadline, dl != call->deadline ? " (extension)" : "");
		char *addrs = addresses_cell(m);
		const char *row[] = { m->name, addrs, shown };
		ctl_table_add(t, row);
		free(addrs);
		missing++;
	}
	if (missing > 0)
		ctl_table_print(t, c->out);
	fprintf(c->out, "%zu of %zu members have not submitted to %s\n", missing,
		call->roster->n, call->name);
	ctl_table_free(&t);
	ctl_subs_free(&subs);
	return CTL_OK;
}
