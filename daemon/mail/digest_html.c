/* digest_html.c — the digest's HTML alternative (issue 16): the time left,
 * then one roster row per member (status, received, words against the
 * limit as a bar, version, language), what arrived since the last digest
 * and the acknowledgements that could not be delivered. Tables and inline
 * styles only (Outlook's Word engine, Gmail's stripping): no scripts, no
 * external images. Every value is HTML-escaped. Labels are English: the
 * plain text part carries the call's language. */
#include <stdlib.h>
#include <string.h>

#include "digest_impl.h"
#include "intaked/roster.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define HTML_MAX (8u * 1024 * 1024)
#define TD "<td style=\"padding:4px 8px;border-bottom:1px solid #ddd\">"

void digest_html_escape(struct buf *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_append(b, s, 1);
		}
	}
}

/* Escaped, each line break a <br>. */
static void escape_lines(struct buf *b, const char *s)
{
	while (s != NULL && *s) {
		size_t n = strcspn(s, "\n");
		char *line = xstrndup(s, n);
		digest_html_escape(b, line);
		free(line);
		s += n;
		if (*s == '\n') {
			buf_puts(b, "<br>");
			s++;
		}
	}
}

static void cell(struct buf *b, const char *text)
{
	buf_puts(b, TD);
	digest_html_escape(b, text && *text ? text : "-");
	buf_puts(b, "</td>");
}

/* The member's current row (the verified one with the highest version). */
static const struct digest_row *member_row(const struct digest *d, const char *slug)
{
	const struct digest_row *best = NULL;
	for (size_t i = 0; i < d->rows.n; i++) {
		const struct digest_row *r = &d->rows.v[i];
		if (r->slug && strcmp(r->slug, slug) == 0 && (r->current || r->held))
			if (best == NULL || r->version > best->version)
				best = r;
	}
	return best;
}

static const char *row_status(const struct digest_row *r, const char **colour)
{
	*colour = "#2e7d32";
	if (r == NULL)
		return *colour = "#9e9e9e", "missing";
	if (r->held)
		return *colour = "#ef6c00", "needs a decision";
	if (!r->verified)
		return *colour = "#ef6c00", "unverified";
	if (r->over_limit)
		return *colour = "#c62828", "over the limit";
	if (r->status && strcmp(r->status, "rejected") == 0)
		return *colour = "#c62828", "rejected";
	if (r->timeliness && strcmp(r->timeliness, "late") == 0)
		return *colour = "#c62828", "late";
	if (r->timeliness && strcmp(r->timeliness, "within_grace") == 0)
		return *colour = "#ef6c00", "within grace";
	if (r->timeliness && strcmp(r->timeliness, "early") == 0)
		return "before the opening";
	return "on time";
}

static void words_bar(struct buf *b, const struct digest_row *r)
{
	buf_puts(b, TD);
	if (r == NULL || r->words < 0) {
		buf_puts(b, "-</td>");
		return;
	}
	long pct = r->word_limit > 0 ? r->words * 100 / r->word_limit : 0;
	buf_printf(b, "%ld%s%ld", r->words, r->word_limit > 0 ? " / " : "", r->word_limit);
	if (r->word_limit > 0)
		buf_printf(b, "<div style=\"background:#eee;width:120px;height:8px\">"
			   "<div style=\"background:%s;width:%ld%%;height:8px\"></div></div>",
			   pct > 100 ? "#c62828" : "#1976d2", pct > 100 ? 100 : pct);
	buf_puts(b, "</td>");
}

static void roster_row(struct buf *b, const struct digest *d, const struct roster_member *m)
{
	const struct digest_row *r = member_row(d, m->slug);
	const char *colour, *status = row_status(r, &colour);
	char when[64] = "-", version[16] = "-";
	if (r != NULL) {
		tztime_format_local(r->received_at, d->call->zone, when, sizeof(when));
		snprintf(version, sizeof(version), "v%d", r->version);
	}
	buf_puts(b, "<tr>");
	cell(b, m->name);
	buf_printf(b, TD "<span style=\"color:%s;font-weight:bold\">", colour);
	digest_html_escape(b, status);
	buf_puts(b, "</span></td>");
	cell(b, when);
	words_bar(b, r);
	cell(b, version);
	cell(b, r ? r->language : NULL);
	buf_puts(b, "</tr>\n");
}

static int by_received(const void *a, const void *b)
{
	const struct digest_row *x = *(const struct digest_row *const *)a;
	const struct digest_row *y = *(const struct digest_row *const *)b;
	return x->received_at < y->received_at ? -1 : x->received_at > y->received_at;
}

static void list_end(struct buf *b, size_t n)
{
	buf_puts(b, n == 0 ? "<li>none</li>\n</ul>\n" : "</ul>\n");
}

/* What was filed since the last digest, in the order it arrived. */
static void section_arrived(struct buf *b, const struct digest *d)
{
	const struct digest_row **news = xcalloc(d->rows.n + 1, sizeof(*news));
	size_t n = 0;
	for (size_t i = 0; i < d->rows.n; i++)
		if (d->rows.v[i].filed_at > d->since)
			news[n++] = &d->rows.v[i];
	qsort(news, n, sizeof(*news), by_received);
	buf_puts(b, "<h3>Arrived since the last digest</h3>\n<ul>\n");
	for (size_t i = 0; i < n; i++) {
		char *who = digest_row_submitter(news[i]), when[64];
		tztime_format_local(news[i]->received_at, d->call->zone, when, sizeof(when));
		buf_puts(b, "<li>");
		digest_html_escape(b, who);
		buf_printf(b, ", v%d, ", news[i]->version);
		digest_html_escape(b, when);
		buf_puts(b, "</li>\n");
		free(who);
	}
	list_end(b, n);
	free(news);
}

static void section_acks(struct buf *b, const struct digest *d)
{
	size_t n = 0;
	buf_puts(b, "<h3>Acknowledgements not delivered</h3>\n<ul>\n");
	for (size_t i = 0; i < d->rows.n; i++) {
		const struct digest_row *r = &d->rows.v[i];
		if (!r->current || r->ack_state == NULL || strcmp(r->ack_state, "failed") != 0)
			continue;
		char *who = digest_row_submitter(r);
		buf_puts(b, "<li>");
		digest_html_escape(b, r->ack_to ? r->ack_to : r->from);
		buf_puts(b, " (");
		digest_html_escape(b, who);
		buf_printf(b, ", v%d)</li>\n", r->version);
		free(who);
		n++;
	}
	list_end(b, n);
}

char *digest_html(const struct digest *d, const char *deadline_line)
{
	struct buf b;
	buf_init(&b, HTML_MAX);
	buf_puts(&b, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>"
		     "<body style=\"font-family:Arial,sans-serif;font-size:14px;color:#222\">\n"
		     "<h2 style=\"margin:0 0 8px 0\">");
	digest_html_escape(&b, d->subject);
	buf_puts(&b, "</h2>\n<p style=\"font-size:16px;font-weight:bold\">");
	escape_lines(&b, deadline_line);
	buf_puts(&b, "</p>\n");
	if (d->chart != NULL)
		buf_puts(&b, "<p><img src=\"cid:" DIGEST_CHART_CID "\" width=\"600\" height=\"160\" "
			     "alt=\"Inputs received per day; the red line is the deadline\" "
			     "style=\"display:block;border:1px solid #ddd\"></p>\n");
	buf_puts(&b, "<table cellpadding=\"0\" cellspacing=\"0\" "
		     "style=\"border-collapse:collapse\">\n<tr style=\"background:#f0f0f0\">");
	static const char *const heads[] = { "Member", "Status", "Received", "Words",
					     "Version", "Language" };
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		buf_printf(&b, TD "<b>%s</b></td>", heads[i]);
	buf_puts(&b, "</tr>\n");
	const struct roster *ro = d->call->roster;
	for (size_t i = 0; ro != NULL && i < ro->n; i++)
		roster_row(&b, d, &ro->members[i]);
	buf_puts(&b, "</table>\n");
	section_arrived(&b, d);
	section_acks(&b, d);
	buf_puts(&b, "</body></html>\n");
	return buf_steal(&b);
}
