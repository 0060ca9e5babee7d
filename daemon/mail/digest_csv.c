/* digest_csv.c — a call's submissions as rows, and as CSV (RFC 4180,
 * UTF-8, CRLF), for the digest's attachment and intakectl export.
 *
 * The CSV starts with a UTF-8 byte order mark, in the digest's attachment
 * too: Excel on Windows reads a CSV without one as the ANSI code page and
 * shows "Pérez" as "PÃ©rez"; LibreOffice, Numbers and Python's
 * utf-8-sig read it as it is. intakectl export --no-bom drops it. Times
 * are given twice: ISO 8601 UTC (*_at) and the call's wall time (*_local). */
#include <stdlib.h>
#include <string.h>

#include "intaked/address.h"
#include "intaked/digest.h"
#include "digest_impl.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define CSV_MAX   (256u * 1024 * 1024)
#define CELL_MAX  (64u * 1024)

static const char *const columns[] = {
	"submitter", "slug", "verified", "version", "current", "received_at",
	"received_local", "status", "timeliness", "words", "word_limit", "over_limit",
	"documents", "unreadable_documents", "ack_state", "from", "subject", "id", "path",
	"deadline_at", "deadline_local", "extension", "language",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* ---- rows ---- */

static void row_free(struct digest_row *r)
{
	char *strs[] = { r->path, r->id, r->slug, r->name, r->from, r->from_name, r->subject,
			 r->status, r->timeliness, r->ack_state, r->ack_to, r->zone,
			 r->language, r->supersedes };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	strlist_free(&r->documents);
	strlist_free(&r->unreadable);
	strlist_free(&r->reasons);
	strlist_free(&r->unexamined_parts);
	strlist_free(&r->unexamined_names);
	strlist_free(&r->unexamined_reasons);
	strlist_free(&r->links);
	strlist_free(&r->link_services);
}

static void add_hidden(struct digest_row *r, const struct metadata *md)
{
	for (size_t i = 0; i < md->nunexamined; i++) {
		const struct md_unexamined *u = &md->unexamined[i];
		/* Too large and too slow documents are listed as unreadable. */
		if (u->reason == NULL || strcmp(u->reason, "size") == 0 ||
		    strcmp(u->reason, "time") == 0)
			continue;
		strlist_push(&r->unexamined_parts, u->part ? u->part : "?");
		strlist_push(&r->unexamined_names, u->name ? u->name : "");
		strlist_push(&r->unexamined_reasons, u->reason);
	}
	for (size_t i = 0; i < md->nlinked; i++) {
		strlist_push(&r->links, md->linked[i].url ? md->linked[i].url : "");
		strlist_push(&r->link_services, md->linked[i].service ? md->linked[i].service : "");
	}
}

void digest_rows_free(struct digest_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		row_free(&rows->v[i]);
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

static int add_row(const char *relpath, const struct metadata *md, void *arg)
{
	struct digest_rows *rows = arg;
	rows->v = xreallocarray(rows->v, rows->n + 1, sizeof(*rows->v));
	struct digest_row *r = &rows->v[rows->n++];
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(relpath);
	r->id = xstrdup(md->id);
	r->slug = xstrdup(md->submitter.slug);
	r->name = xstrdup(md->submitter.name);
	r->from = xstrdup(md->from);
	r->from_name = xstrdup(md->from_name);
	r->subject = xstrdup(md->subject);
	r->status = xstrdup(md->status);
	r->timeliness = xstrdup(md->timeliness);
	r->ack_state = xstrdup(md->ack.state);
	r->ack_to = xstrdup(md->ack.to);
	r->zone = xstrdup(md->zone);
	r->language = xstrdup(md->language);
	r->verified = md->submitter.verified;
	r->held = md->held;
	r->over_limit = md->over_limit;
	r->over_limit_unknown = md->over_limit_unknown && !md->over_limit;
	add_hidden(r, md);
	r->extended = md->extended;
	r->version = md->version;
	r->supersedes = xstrdup(md->supersedes);
	r->words = md->word_count;
	r->word_limit = md->word_limit;
	r->received_at = md->received_at;
	/* Entries filed before filed_at existed: their receipt is the best guess. */
	r->filed_at = md->filed_at ? md->filed_at : md->received_at;
	r->deadline = md->deadline;
	for (size_t i = 0; i < md->ndocuments; i++) {
		const struct md_document *d = &md->documents[i];
		const char *name = d->name && *d->name ? d->name : d->file ? d->file : "";
		if (d->error != NULL) {
			strlist_push(&r->documents, name);
			strlist_push(&r->unreadable, name);
			strlist_push(&r->reasons, d->error);
		} else if (d->words >= 0) {
			strlist_push(&r->documents, name);
		}
	}
	return 0;
}

/* The slug of a relpath "calls/CALL/SLUG/vN", compared without copying. */
static bool same_slug(const char *a, const char *b)
{
	const char *ea = strrchr(a, '/'), *eb = strrchr(b, '/');
	return ea && eb && ea - a == eb - b && strncmp(a, b, (size_t)(ea - a)) == 0;
}

int digest_rows_load(const struct spool *sp, const struct call_config *call,
		     struct digest_rows *rows, struct err *err)
{
	rows->v = NULL;
	rows->n = 0;
	if (spool_each_submission(sp, call->name, add_row, rows, err) < 0) {
		digest_rows_free(rows);
		return -1;
	}
	/* Of each slug the last version not held is current (issue 14), or
	 * the last when all are. */
	for (size_t i = 0; i < rows->n;) {
		size_t end = i + 1, cur;
		while (end < rows->n && same_slug(rows->v[i].path, rows->v[end].path))
			end++;
		for (cur = end - 1; cur > i && rows->v[cur].held; cur--)
			;
		if (rows->v[cur].held)
			cur = end - 1;
		for (size_t k = i; k < end; k++)
			rows->v[k].current = k == cur;
		i = end;
	}
	return 0;
}

char *digest_row_submitter(const struct digest_row *r)
{
	if (r->verified && r->name != NULL && *r->name)
		return xstrdup(r->name);
	/* The address as people read it: an international domain in Unicode. */
	char *from = address_display(r->from ? r->from : "");
	if (r->from_name != NULL && *r->from_name) {
		char *s = xasprintf("%s (%s)", r->from_name, from);
		free(from);
		return s;
	}
	return from;
}

/* ---- CSV ---- */

/* A cell per RFC 4180; text a sender controls that a spreadsheet would
 * take for a formula (=, +, -, @, tab, CR first) gets a leading "'". */
static void put_cell(struct buf *b, const char *s, bool text)
{
	s = s ? s : "";
	bool guard = text && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	bool quote = guard || strpbrk(s, ",\"\r\n") != NULL;
	size_t len = strnlen(s, CELL_MAX);
	if (quote)
		buf_puts(b, "\"");
	if (guard)
		buf_puts(b, "'");
	for (size_t i = 0; i < len; i++)
		buf_append(b, s[i] == '"' ? "\"\"" : &s[i], s[i] == '"' ? 2 : 1);
	if (quote)
		buf_puts(b, "\"");
}

static char *joined(const struct strlist *names, const struct strlist *reasons)
{
	struct buf b;
	buf_init(&b, CELL_MAX);
	for (size_t i = 0; i < names->n; i++) {
		buf_puts(&b, i ? "; " : "");
		buf_puts(&b, names->v[i]);
		if (reasons != NULL)
			buf_printf(&b, " (%s)", reasons->v[i]);
	}
	return buf_steal(&b);
}

/* t as ISO 8601 UTC and as the wall time in zone; both empty for 0. */
static void put_times(time_t t, const char *zone, char utc[32], char local[96])
{
	utc[0] = local[0] = '\0';
	if (t != 0) {
		tztime_format_utc(t, utc, 32);
		tztime_format_local(t, zone, local, 96);
	}
}

static void put_row(struct buf *b, const struct digest_row *r, const char *zone)
{
	char utc[32], local[96], dl_utc[32], dl_local[96];
	char version[16], words[24] = "", limit[24] = "";
	zone = r->zone ? r->zone : zone;
	put_times(r->received_at, zone, utc, local);
	put_times(r->deadline, zone, dl_utc, dl_local);
	snprintf(version, sizeof(version), "%d", r->version);
	if (r->words >= 0)
		snprintf(words, sizeof(words), "%ld", r->words);
	if (r->word_limit > 0)
		snprintf(limit, sizeof(limit), "%ld", r->word_limit);
	char *submitter = digest_row_submitter(r);
	char *docs = joined(&r->documents, NULL);
	char *bad = joined(&r->unreadable, &r->reasons);
	const struct { const char *v; bool text; } cells[NCOLUMNS] = {
		{ submitter, true }, { r->slug, false }, { r->verified ? "true" : "false", false },
		{ version, false }, { r->current ? "true" : "false", false }, { utc, false },
		{ local, false }, { r->status, false }, { r->timeliness, false }, { words, false },
		{ limit, false }, { r->over_limit ? "true" : r->over_limit_unknown ? "unknown" : "false", false }, { docs, true },
		{ bad, true }, { r->ack_state, false }, { r->from, true }, { r->subject, true },
		{ r->id, false }, { r->path, false }, { dl_utc, false }, { dl_local, false },
		{ r->extended ? "yes" : "no", false }, { r->language, true },
	};
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (i > 0)
			buf_puts(b, ",");
		put_cell(b, cells[i].v, cells[i].text);
	}
	buf_puts(b, "\r\n");
	free(submitter);
	free(docs);
	free(bad);
}

char *digest_rows_csv(const struct digest_rows *rows, const char *zone, size_t *len_r)
{
	struct buf b;
	buf_init(&b, CSV_MAX);
	buf_puts(&b, "\xef\xbb\xbf");
	for (size_t i = 0; i < NCOLUMNS; i++) {
		buf_puts(&b, i ? "," : "");
		buf_puts(&b, columns[i]);
	}
	buf_puts(&b, "\r\n");
	for (size_t i = 0; i < rows->n; i++) {
		struct buf row;
		buf_init(&row, CELL_MAX * NCOLUMNS);
		put_row(&row, &rows->v[i], zone ? zone : "UTC");
		/* Whole rows only: past the cap the list ends, it never breaks. */
		int full = buf_append(&b, row.data, row.len);
		buf_free(&row);
		if (full < 0) {
			log_warnx("event=csv-truncated rows=%zu of=%zu", i, rows->n);
			break;
		}
	}
	*len_r = b.len;
	return buf_steal(&b);
}

char *digest_csv(const struct spool *sp, const struct call_config *call, size_t *len_r,
		 struct err *err)
{
	struct digest_rows rows;
	if (digest_rows_load(sp, call, &rows, err) < 0)
		return NULL;
	char *csv = digest_rows_csv(&rows, call->zone, len_r);
	digest_rows_free(&rows);
	return csv;
}
