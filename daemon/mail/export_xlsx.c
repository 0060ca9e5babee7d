/* export_xlsx.c — a call's submissions as an Excel workbook, written with
 * libxlsxwriter from the digest's rows (digest_rows_load), so the
 * workbook, the CSV and the digest agree by construction. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "intaked/config.h"
#include "digest_impl.h"
#include "intaked/export_xlsx.h"
#include "intaked/fsio.h"
#include "intaked/roster.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* Excel's limit on a cell's text is 32767 characters; bytes are fewer. */
#define TEXT_MAX 32000u

struct sheet {
	lxw_worksheet *ws;
	lxw_format *date;
	lxw_row_t row;            /* the next row to write */
	lxw_col_t col;            /* the next column of that row */
	lxw_col_t ncols;
	lxw_error status;         /* the first failure, if any */
};

static void note(struct sheet *s, lxw_error e)
{
	if (s->status == LXW_NO_ERROR)
		s->status = e;
}

/* Text as a string cell (never a formula, whatever it starts with):
 * control characters, which XML cannot carry, become spaces, and text
 * past Excel's limit is cut at a character boundary. */
static void put_text(struct sheet *s, const char *text)
{
	size_t len = strnlen(text ? text : "", TEXT_MAX);
	char *t = xstrndup(text ? text : "", len);
	if (len == TEXT_MAX)
		while (len > 0 && ((unsigned char)t[len] & 0xc0) == 0x80)
			t[--len] = '\0';
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n')
			*p = ' ';
	if (*t)
		note(s, worksheet_write_string(s->ws, s->row, s->col, t, NULL));
	free(t);
	s->col++;
}

/* A number, or an empty cell for an unknown one (negative: unknown). */
static void put_number(struct sheet *s, double v)
{
	if (v >= 0)
		note(s, worksheet_write_number(s->ws, s->row, s->col, v, NULL));
	s->col++;
}

static void put_bool(struct sheet *s, bool v)
{
	note(s, worksheet_write_boolean(s->ws, s->row, s->col, v, NULL));
	s->col++;
}

/* The instant t as the wall time in zone, a date cell to the minute (a
 * spreadsheet has no zones: the column's name says which). */
static void put_date(struct sheet *s, time_t t, const char *zone)
{
	if (t != 0) {
		struct tm tm;
		tztime_local(t, zone, &tm);
		lxw_datetime dt = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				    tm.tm_min, 0 };
		note(s, worksheet_write_datetime(s->ws, s->row, s->col, &dt, s->date));
	}
	s->col++;
}

/* t as ISO 8601 UTC text, beside put_date for those who need the instant. */
static void put_utc(struct sheet *s, time_t t)
{
	char utc[32] = "";
	if (t != 0)
		tztime_format_utc(t, utc, sizeof(utc));
	put_text(s, utc);
}

static void end_row(struct sheet *s)
{
	s->row++;
	s->col = 0;
}

static void sheet_start(struct sheet *s, lxw_workbook *wb, const char *name,
			const char *const *head, size_t n, lxw_format *bold, lxw_format *date)
{
	memset(s, 0, sizeof(*s));
	s->ws = workbook_add_worksheet(wb, name);
	s->date = date;
	s->ncols = (lxw_col_t)n;
	for (size_t i = 0; i < n; i++)
		note(s, worksheet_write_string(s->ws, 0, (lxw_col_t)i, head[i], bold));
	worksheet_set_column(s->ws, 0, s->ncols - 1, 16, NULL);
	end_row(s);
}

/* The header row stays in view, and every column can be filtered. */
static lxw_error sheet_finish(struct sheet *s)
{
	worksheet_freeze_panes(s->ws, 1, 0);
	note(s, worksheet_autofilter(s->ws, 0, 0, s->row - 1, s->ncols - 1));
	return s->status;
}

/* ---- the three sheets ---- */

static const char *const sub_head[] = {
	"submitter", "slug", "verified", "version", "current", "received_local", "received_at",
	"status", "timeliness", "words", "word_limit", "over_limit", "documents",
	"unreadable_documents", "ack_state", "from", "subject", "deadline_local", "deadline_at",
	"extension", "language", "id", "path",
};

static char *joined(const struct strlist *l)
{
	struct buf b;
	buf_init(&b, TEXT_MAX);
	for (size_t i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? "; " : "", l->v[i]);
	return buf_steal(&b);
}

static void submission_row(struct sheet *s, const struct digest_row *r, const char *zone)
{
	char *who = digest_row_submitter(r), *docs = joined(&r->documents);
	char *bad = joined(&r->unreadable);
	put_text(s, who);
	put_text(s, r->slug);
	put_bool(s, r->verified);
	put_number(s, r->version);
	put_bool(s, r->current);
	put_date(s, r->received_at, zone);
	put_utc(s, r->received_at);
	put_text(s, r->status);
	put_text(s, r->timeliness);
	put_number(s, (double)r->words);
	put_number(s, r->word_limit > 0 ? (double)r->word_limit : -1);
	if (r->over_limit_unknown)
		put_text(s, "unknown");
	else
		put_bool(s, r->over_limit);
	put_text(s, docs);
	put_text(s, bad);
	put_text(s, r->ack_state);
	put_text(s, r->from);
	put_text(s, r->subject);
	put_date(s, r->deadline, zone);
	put_utc(s, r->deadline);
	put_text(s, r->extended ? "yes" : "no");
	put_text(s, r->language);
	put_text(s, r->id);
	put_text(s, r->path);
	end_row(s);
	free(who);
	free(docs);
	free(bad);
}

static const char *const missing_head[] = {
	"member", "slug", "addresses", "deadline_local", "deadline_at", "extension",
};

static bool submitted(const struct digest_rows *rows, const char *slug)
{
	for (size_t i = 0; i < rows->n; i++)
		if (rows->v[i].slug != NULL && strcmp(rows->v[i].slug, slug) == 0)
			return true;
	return false;
}

static void missing_rows(struct sheet *s, const struct call_config *call,
			 const struct digest_rows *rows)
{
	for (size_t i = 0; call->roster != NULL && i < call->roster->n; i++) {
		const struct roster_member *m = &call->roster->members[i];
		if (submitted(rows, m->slug))
			continue;
		struct buf b;
		buf_init(&b, TEXT_MAX);
		for (size_t k = 0; k < m->addresses.n; k++)
			buf_printf(&b, "%s%s", b.len ? "; " : "", m->addresses.v[k]);
		for (size_t k = 0; k < m->domains.n; k++)
			buf_printf(&b, "%s@%s", b.len ? "; " : "", m->domains.v[k]);
		char *addrs = buf_steal(&b);
		time_t dl = config_deadline_for(call, m->name);
		put_text(s, m->name);
		put_text(s, m->slug);
		put_text(s, addrs);
		put_date(s, dl, call->zone);
		put_utc(s, dl);
		put_text(s, dl != call->deadline ? "yes" : "no");
		end_row(s);
		free(addrs);
	}
}

static const char *const unreadable_head[] = {
	"submitter", "version", "current", "document", "part", "reason", "id", "path",
};

static void unreadable_row(struct sheet *s, const struct digest_row *r, const char *document,
			   const char *part, const char *reason)
{
	char *who = digest_row_submitter(r);
	put_text(s, who);
	put_number(s, r->version);
	put_bool(s, r->current);
	put_text(s, document);
	put_text(s, part);
	put_text(s, reason);
	put_text(s, r->id);
	put_text(s, r->path);
	end_row(s);
	free(who);
}

/* Documents that could not be read, then parts that were not examined. */
static void unreadable_rows(struct sheet *s, const struct digest_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		const struct digest_row *r = &rows->v[i];
		for (size_t k = 0; k < r->unreadable.n; k++)
			unreadable_row(s, r, r->unreadable.v[k], "", r->reasons.v[k]);
		for (size_t k = 0; k < r->unexamined_parts.n; k++)
			unreadable_row(s, r, r->unexamined_names.v[k], r->unexamined_parts.v[k],
				       r->unexamined_reasons.v[k]);
	}
}

/* ---- the workbook ---- */

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static lxw_error write_workbook(const char *tmp, const struct call_config *call,
				const struct digest_rows *rows)
{
	lxw_workbook *wb = workbook_new(tmp);
	if (wb == NULL)
		return LXW_ERROR_CREATING_TMPFILE;
	lxw_format *bold = workbook_add_format(wb), *date = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_num_format(date, "yyyy-mm-dd hh:mm");
	struct sheet s[3];
	sheet_start(&s[0], wb, "Submissions", sub_head, NELEMS(sub_head), bold, date);
	for (size_t i = 0; i < rows->n; i++)
		submission_row(&s[0], &rows->v[i], rows->v[i].zone ? rows->v[i].zone : call->zone);
	sheet_start(&s[1], wb, "Missing", missing_head, NELEMS(missing_head), bold, date);
	missing_rows(&s[1], call, rows);
	sheet_start(&s[2], wb, "Unreadable", unreadable_head, NELEMS(unreadable_head), bold,
		    date);
	unreadable_rows(&s[2], rows);
	lxw_error status = LXW_NO_ERROR;
	for (size_t i = 0; i < 3; i++) {
		lxw_error e = sheet_finish(&s[i]);
		if (status == LXW_NO_ERROR)
			status = e;
	}
	lxw_error closed = workbook_close(wb);
	return status != LXW_NO_ERROR ? status : closed;
}

/* tmp on disk, then in path's place, then the directory entry on disk. */
static int publish_file(const char *tmp, const char *path, struct err *err)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		err_setsys(err, ERR_TEMP, "%s", tmp);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		err_setsys(err, ERR_TEMP, "%s: rename to %s", tmp, path);
		return -1;
	}
	char *dir = xstrdup(path);
	int rc = fsio_fsync_dir(dirname(dir), err);
	free(dir);
	return rc;
}

int export_xlsx(const struct spool *sp, const struct call_config *call, const char *path,
		struct err *err)
{
	struct digest_rows rows;
	if (digest_rows_load(sp, call, &rows, err) < 0)
		return -1;
	char *tmp = xasprintf("%s.tmp", path);
	lxw_error e = write_workbook(tmp, call, &rows);
	digest_rows_free(&rows);
	int rc = 0;
	if (e != LXW_NO_ERROR) {
		err_set(err, ERR_TEMP, "%s: %s", path, lxw_strerror(e));
		unlink(tmp);
		rc = -1;
	} else if (publish_file(tmp, path, err) < 0) {
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	return rc;
}
