/* publish_render.c — the publication page as text: index.html and
 * submissions.json of a struct publish_page (see publish.h). Pure: no I/O,
 * no clock. Everything from a sender goes through publish_html_escape. */
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "intaked/json.h"
#include "intaked/language.h"
#include "publish.h"
#include "publish_labels.h"
#include "publish_template.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* index.html of a few thousand submissions stays far below this. */
#define PUBLISH_HTML_MAX (64u * 1024 * 1024)

/* ---- escaping ---- */

/* What could hide or reorder text, or is no text at all. */
static bool unprintable(ucs4_t u)
{
	if (u == '\t' || u == '\n')
		return false;
	return u < 0x20 || (u >= 0x7f && u < 0xa0) || u == 0xfffe || u == 0xffff ||
	       (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
}

int publish_html_escape(struct buf *b, const char *s)
{
	const uint8_t *p = (const uint8_t *)(s ? s : "");
	size_t left = strlen((const char *)p);
	while (left > 0) {
		ucs4_t u;
		int n = u8_mbtouc(&u, p, left);
		int rc;
		switch (u) {
		case '&': rc = buf_puts(b, "&amp;"); break;
		case '<': rc = buf_puts(b, "&lt;"); break;
		case '>': rc = buf_puts(b, "&gt;"); break;
		case '"': rc = buf_puts(b, "&quot;"); break;
		case '\'': rc = buf_puts(b, "&#39;"); break;
		default:
			if (u == 0xfffd || unprintable(u))
				rc = buf_puts(b, "\xef\xbf\xbd");
			else
				rc = buf_append(b, p, (size_t)n);
		}
		if (rc < 0)
			return -1;
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

static bool url_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

char *publish_url_path(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	buf_init(&b, 3 * strlen(path) + 1);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		if (url_unreserved(*p) || *p == '/')
			buf_append(&b, p, 1);
		else
			buf_append(&b, enc, 3);
	}
	return buf_steal(&b);
}

char *publish_safe_name(const char *name)
{
	static const char *const inert[] = { ".pdf", ".docx", ".odt", ".rtf", ".doc", ".txt",
					     ".md" };
	for (size_t i = 0; i < sizeof(inert) / sizeof(inert[0]); i++)
		if (str_has_suffix_ci(name, inert[i]) && strlen(name) > strlen(inert[i]))
			return xstrdup(name);
	return xasprintf("%s.txt", name);
}

static const char page_css[] =
	"body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\","
	"Arial,sans-serif;color:#1b1b1b;background:#fff;margin:0 auto;max-width:75rem;"
	"padding:1rem}\n"
	"h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0}\n"
	"h2{font-size:1.15rem;font-weight:normal;margin:0 0 1rem;color:#444}\n"
	"p{margin:.25rem 0}\n"
	"table{border-collapse:collapse;width:100%;margin-top:1rem}\n"
	"caption{text-align:left;font-weight:600;font-size:1.1rem;padding:.5rem 0}\n"
	"th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;"
	"border-bottom:1px solid #c8c8c8;overflow-wrap:break-word}\n"
	"td a{overflow-wrap:anywhere}\n"
	"time{white-space:nowrap}\n"
	"thead th{border-bottom:2px solid #333;white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:#f5f7fa}\n"
	".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"ul{margin:0;padding-left:1.1rem}\n"
	"a{color:#0b4fa8}\n"
	".note{color:#555;font-size:.9em}\n"
	".flag{color:#8a1c00}\n"
	".intro{max-width:50rem;margin:1rem 0}\n"
	"footer{margin-top:2rem;color:#555;font-size:.9em}\n"
	"@media (max-width:40rem){\n"
	" body{padding:.75rem}\n"
	" thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\n"
	" table,caption,tbody,tr,th,td{display:block;width:auto}\n"
	" tr{border:1px solid #c8c8c8;border-radius:.4rem;margin:0 0 1rem;padding:.4rem .6rem}\n"
	" tbody tr:nth-child(even){background:none}\n"
	" th,td{border:0;padding:.2rem 0}\n"
	" .num{text-align:left}\n"
	" tbody th{font-size:1.1rem}\n"
	" td::before{content:attr(data-label) \": \";font-weight:600}\n"
	"}\n"
	"@media print{\n"
	" body{max-width:none;padding:0;font-size:10pt;color:#000}\n"
	" a{color:#000;text-decoration:none}\n"
	" td a[href]::after{content:\" (\" attr(href) \")\";font-size:.85em;color:#444}\n"
	" tbody tr:nth-child(even){background:none}\n"
	" tr,li{break-inside:avoid}\n"
	" thead{display:table-header-group}\n"
	" footer a{display:none}\n"
	"}\n";

/* ---- the list ---- */

static void put(struct buf *b, const char *s)
{
	buf_puts(b, s);
}

static void put_esc(struct buf *b, const char *s)
{
	publish_html_escape(b, s);
}

static void put_time(struct buf *b, time_t t, const char *zone)
{
	char utc[32], local[80];
	tztime_format_utc(t, utc, sizeof(utc));
	if (zone && *zone)
		tztime_format_local(t, zone, local, sizeof(local));
	else
		tztime_format_utc(t, local, sizeof(local));
	buf_printf(b, "<time datetime=\"%s\">", utc);
	put_esc(b, local);
	put(b, "</time>");
}

static void put_link(struct buf *b, const char *path, const char *text)
{
	char *href = publish_url_path(path);
	put(b, "<a href=\"");
	put_esc(b, href);
	put(b, "\">");
	put_esc(b, text);
	put(b, "</a>");
	free(href);
}

/* A document: its name linking to the PDF; the original after it when
 * published; why there is no PDF when there is none. */
static void put_doc(struct buf *b, const struct publish_labels *L, const struct publish_doc *d)
{
	const char *name = d->body ? L->message_text : d->name && *d->name ? d->name : "?";
	put(b, "<li>");
	if (d->body && d->path)
		put_link(b, d->path, name);
	else if (d->pdf)
		put_link(b, d->pdf, name);
	else
		put_esc(b, name);
	if (!d->body && d->path && (d->pdf == NULL || strcmp(d->pdf, d->path) != 0)) {
		put(b, d->pdf ? " <span class=\"note\">(" : " <span class=\"note\">(");
		put_link(b, d->path, L->original);
		put(b, ")</span>");
	}
	if (!d->body && d->pdf == NULL && d->pdf_error) {
		put(b, " <span class=\"flag\">(");
		put_esc(b, L->no_pdf);
		put(b, ": ");
		put_esc(b, d->pdf_error);
		put(b, ")</span>");
	}
	put(b, "</li>");
}

static const enum publish_column default_columns[] = { COL_MEMBER, COL_RECEIVED,
							COL_DOCUMENTS, COL_LANGUAGE, COL_WORDS };

static const char *column_label(const struct publish_labels *L, enum publish_column c)
{
	switch (c) {
	case COL_MEMBER: return L->member;
	case COL_RECEIVED: return L->received;
	case COL_DOCUMENTS: return L->documents;
	case COL_LANGUAGE: return L->language;
	case COL_WORDS: return L->words;
	}
	return "";
}

int publish_parse_columns(struct publish_options *opt, const char *list, struct err *err)
{
	static const char *const names[] = { "member", "received", "documents", "language",
					     "words" };
	char *copy = xstrdup(list), *save = NULL;
	opt->ncolumns = 0;
	for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		size_t k = 0;
		while (k < 5 && strcmp(c, names[k]) != 0)
			k++;
		if (k == 5 || opt->ncolumns == PUBLISH_MAX_COLUMNS) {
			err_set(err, ERR_MESSAGE, "--columns: \"%s\" is no column (member, received, "
				"documents, language, words; each once)", c);
			free(copy);
			return -1;
		}
		opt->columns[opt->ncolumns++] = (enum publish_column)k;
	}
	free(copy);
	if (opt->ncolumns == 0) {
		err_set(err, ERR_MESSAGE, "--columns: name at least one column");
		return -1;
	}
	return 0;
}

int publish_parse_langs(struct publish_options *opt, char *list, struct err *err)
{
	char *save = NULL;
	opt->nlangs = 0;
	for (char *l = strtok_r(list, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
		if (!publish_labels_known(l) || opt->nlangs == PUBLISH_MAX_LANGS) {
			err_set(err, ERR_MESSAGE, "--lang: no page labels in \"%s\" (en, fr, es)", l);
			return -1;
		}
		opt->langs[opt->nlangs++] = l;
	}
	return 0;
}

static void put_cell(struct buf *b, const struct publish_labels *L, const struct publish_page *p,
		     const struct publish_row *r, enum publish_column c)
{
	put(b, c == COL_WORDS ? "<td class=\"num\"" : "<td");
	put(b, " data-label=\"");
	put_esc(b, column_label(L, c));
	put(b, "\">");
	if (c == COL_RECEIVED) {
		put_time(b, r->received_at, p->zone);
	} else if (c == COL_DOCUMENTS) {
		put(b, "<ul>");
		for (size_t i = 0; i < r->ndocs; i++)
			put_doc(b, L, &r->docs[i]);
		put(b, "</ul>");
	} else if (c == COL_LANGUAGE && r->language) {
		put_esc(b, language_name_in(r->language, L->lang));
	} else if (c == COL_WORDS && r->word_count >= 0) {
		buf_printf(b, "%ld", r->word_count);
	} else {
		put(b, "&#8211;");
	}
	put(b, "</td>\n");
}

static void put_member(struct buf *b, const struct publish_labels *L, const struct publish_row *r)
{
	put(b, "<th scope=\"row\">");
	put_esc(b, r->verified && r->name && *r->name ? r->name
		   : r->address && *r->address ? r->address : L->unknown_sender);
	if (!r->verified) {
		put(b, " <span class=\"flag\">(");
		put_esc(b, L->unverified);
		put(b, ")</span>");
	}
	put(b, "</th>\n");
}

static void put_row(struct buf *b, const struct publish_labels *L, const struct publish_page *p,
		    const enum publish_column *cols, size_t ncols, const struct publish_row *r)
{
	put(b, "<tr>\n");
	for (size_t i = 0; i < ncols; i++) {
		if (cols[i] == COL_MEMBER)
			put_member(b, L, r);
		else
			put_cell(b, L, p, r, cols[i]);
	}
	put(b, "</tr>\n");
}

static void put_intro(struct buf *b, const char *intro)
{
	if (intro == NULL)
		return;
	put(b, "<div class=\"intro\">\n");
	char *copy = xstrdup(intro);
	/* Paragraphs are parted by blank lines; lines within one run on. */
	for (char *para = copy; para && *para;) {
		char *end = strstr(para, "\n\n");
		if (end)
			*end = '\0';
		while (*para == '\n')
			para++;
		if (*para) {
			put(b, "<p>");
			put_esc(b, para);
			put(b, "</p>\n");
		}
		para = end ? end + 2 : NULL;
	}
	free(copy);
	put(b, "</div>\n");
}

/* The introduction and the table: the page's content, and the fragment. */
static void put_list(struct buf *b, const struct publish_labels *L, const struct publish_page *p)
{
	const enum publish_column *cols = p->opt.ncolumns ? p->opt.columns : default_columns;
	size_t ncols = p->opt.ncolumns ? p->opt.ncolumns : PUBLISH_MAX_COLUMNS;
	put_intro(b, p->opt.intro);
	if (p->nrows == 0) {
		put(b, "<p>");
		put_esc(b, L->none);
		put(b, "</p>\n");
		return;
	}
	put(b, "<table class=\"intaked-inputs\">\n<caption>");
	put_esc(b, L->caption);
	buf_printf(b, " (%zu)</caption>\n<thead>\n<tr>", p->nrows);
	for (size_t i = 0; i < ncols; i++) {
		put(b, "<th scope=\"col\">");
		put_esc(b, column_label(L, cols[i]));
		put(b, "</th>");
	}
	put(b, "</tr>\n</thead>\n<tbody>\n");
	for (size_t i = 0; i < p->nrows; i++)
		put_row(b, L, p, cols, ncols, &p->rows[i]);
	put(b, "</tbody>\n</table>\n");
}

char *publish_render_fragment(const struct publish_page *p, const char *lang)
{
	const struct publish_labels *L = publish_labels(lang ? lang : p->lang);
	struct buf b;
	buf_init(&b, PUBLISH_HTML_MAX);
	put(&b, "<section class=\"intaked-list\" lang=\"");
	put_esc(&b, L->lang);
	put(&b, "\">\n");
	put_list(&b, L, p);
	put(&b, "</section>\n");
	return buf_steal(&b);
}

/* ---- the page ---- */

/* Links to the same page in the other languages written. */
static void put_languages(struct buf *b, const struct publish_labels *L,
			  const struct publish_page *p)
{
	if (p->opt.nlangs < 2)
		return;
	put(b, "<nav><p class=\"note\">");
	put_esc(b, L->other_languages);
	put(b, ":");
	for (size_t i = 0; i < p->opt.nlangs; i++) {
		if (strcmp(p->opt.langs[i], L->lang) == 0)
			continue;
		char *file = xasprintf("index.%s.html", p->opt.langs[i]);
		put(b, " <a href=\"");
		put_esc(b, file);
		buf_printf(b, "\" hreflang=\"%s\" lang=\"%s\">", p->opt.langs[i], p->opt.langs[i]);
		put_esc(b, language_name_in(p->opt.langs[i], p->opt.langs[i]));
		put(b, "</a>");
		free(file);
	}
	put(b, "</p></nav>\n");
}

/* The placeholders of a template (publish_template.c): each rendered. */
static void template_values(const struct publish_page *p, const struct publish_labels *L,
			    struct publish_template_values *v)
{
	struct buf b;
	buf_init(&b, PUBLISH_HTML_MAX);
	put_list(&b, L, p);
	v->list = buf_steal(&b);
	buf_init(&b, 1 << 16);
	put_esc(&b, p->title);
	v->title = buf_steal(&b);
	buf_init(&b, 1 << 16);
	put_esc(&b, L->heading);
	v->heading = buf_steal(&b);
	buf_init(&b, 1 << 16);
	put_time(&b, p->deadline, p->zone);
	v->deadline = buf_steal(&b);
	buf_init(&b, 1 << 16);
	put_time(&b, p->generated, p->zone);
	v->generated = buf_steal(&b);
	buf_init(&b, 1 << 16);
	put_languages(&b, L, p);
	v->languages = buf_steal(&b);
	v->lang = xstrdup(L->lang);
	v->css = xstrdup(page_css);
}

static void put_head(struct buf *b, const struct publish_labels *L, const struct publish_page *p)
{
	put(b, "<!DOCTYPE html>\n<html lang=\"");
	put_esc(b, L->lang);
	put(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
	       "<meta name=\"referrer\" content=\"no-referrer\">\n"
	       "<meta name=\"generator\" content=\"intaked\">\n<title>");
	put_esc(b, p->title);
	put(b, " &#8211; ");
	put_esc(b, L->heading);
	put(b, "</title>\n<style>\n");
	put(b, page_css);
	put(b, "</style>\n</head>\n<body>\n<header>\n<h1>");
	put_esc(b, p->title);
	put(b, "</h1>\n<h2>");
	put_esc(b, L->heading);
	put(b, "</h2>\n<p>");
	put_esc(b, L->deadline);
	put(b, ": ");
	put_time(b, p->deadline, p->zone);
	put(b, "</p>\n");
	put_languages(b, L, p);
	put(b, "</header>\n");
}

char *publish_render_html(const struct publish_page *p, const char *lang)
{
	const struct publish_labels *L = publish_labels(lang ? lang : p->lang);
	if (p->opt.templ) {
		struct publish_template_values v = { 0 };
		template_values(p, L, &v);
		char *out = publish_template_apply(p->opt.templ, &v);
		publish_template_values_clear(&v);
		return out;
	}
	struct buf b;
	buf_init(&b, PUBLISH_HTML_MAX);
	put_head(&b, L, p);
	put(&b, "<main>\n");
	put_list(&b, L, p);
	put(&b, "</main>\n<footer>\n<p>");
	put_esc(&b, L->as_of);
	put(&b, " ");
	put_time(&b, p->generated, p->zone);
	put(&b, ". <a href=\"submissions.json\">");
	put_esc(&b, L->data);
	put(&b, " (JSON)</a></p>\n</footer>\n</body>\n</html>\n");
	return buf_steal(&b);
}

/* ---- submissions.json ---- */

static jnode *jlocal(time_t t, const char *zone)
{
	char local[80];
	if (t == 0 || zone == NULL)
		return jn_null();
	tztime_format_local(t, zone, local, sizeof(local));
	return jn_str(local);
}

static jnode *jcount(long n)
{
	return n < 0 ? jn_null() : jn_int(n);
}

static jnode *jlimit(long n)
{
	return n > 0 ? jn_int(n) : jn_null();
}

static jnode *json_docs(const struct publish_row *r)
{
	jnode *docs = jn_array();
	for (size_t i = 0; i < r->ndocs; i++) {
		const struct publish_doc *d = &r->docs[i];
		jnode *o = jn_object();
		jn_set_str(o, "name", d->name);
		jn_set_bool(o, "body", d->body);
		jn_set_str(o, "file", d->path);
		jn_set_str(o, "pdf", d->pdf);
		jn_set(o, "words", jcount(d->words));
		jn_set_str(o, "error", d->error);
		jn_set_int(o, "size", (long long)d->size);
		jn_set_str(o, "sha256", d->sha256);
		jn_push(docs, o);
	}
	return docs;
}

static jnode *json_row(const struct publish_page *p, const struct publish_row *r)
{
	jnode *o = jn_object();
	jn_set_str(o, "id", r->id);
	jn_set_str(o, "submitter", r->verified ? r->name : NULL);
	jn_set_str(o, "address", r->verified ? NULL : r->address);
	jn_set_bool(o, "in_roster", r->in_roster);
	jn_set_bool(o, "verified", r->verified);
	jn_set_int(o, "version", r->version);
	jn_set_str(o, "subject", r->subject);
	jn_set_time(o, "received_at", r->received_at);
	jn_set(o, "received_local", jlocal(r->received_at, p->zone));
	jn_set_str(o, "timeliness", r->timeliness);
	jn_set_str(o, "status", r->status);
	jn_set(o, "word_count", jcount(r->word_count));
	jn_set(o, "word_limit", jlimit(r->word_limit));
	jn_set(o, "over_limit", r->over_limit_unknown && !r->over_limit
				? jn_null() : jn_bool(r->over_limit));
	jn_set_str(o, "language", r->language);
	jn_set(o, "documents", json_docs(r));
	return o;
}

char *publish_render_json(const struct publish_page *p)
{
	jnode *rows = jn_array(), *included = jn_object(), *o = jn_object();
	for (size_t i = 0; i < p->nrows; i++)
		jn_push(rows, json_row(p, &p->rows[i]));
	jn_set_bool(included, "late", !p->opt.no_late);
	jn_set_bool(included, "rejected", !p->opt.no_rejected);
	jn_set_bool(included, "unverified", p->opt.include_unverified);
	jn_set_str(o, "call", p->call);
	jn_set_str(o, "title", p->title);
	jn_set_str(o, "language", p->lang);
	jn_set_str(o, "zone", p->zone);
	jn_set_time(o, "deadline", p->deadline);
	jn_set(o, "deadline_local", jlocal(p->deadline, p->zone));
	jn_set(o, "word_limit", jlimit(p->word_limit));
	jn_set_time(o, "generated_at", p->generated);
	jn_set(o, "included", included);
	jn_set(o, "submissions", rows);
	char *text = jn_dump(o, JN_INDENT2);
	jn_free(o);
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}

void publish_page_clear(struct publish_page *p)
{
	for (size_t i = 0; i < p->nrows; i++) {
		struct publish_row *r = &p->rows[i];
		for (size_t k = 0; k < r->ndocs; k++) {
			free(r->docs[k].name);
			free(r->docs[k].path);
			free(r->docs[k].pdf);
			free(r->docs[k].pdf_error);
			free(r->docs[k].error);
			free(r->docs[k].sha256);
		}
		free(r->docs);
		free(r->id);
		free(r->name);
		free(r->address);
		free(r->subject);
		free(r->language);
		free(r->status);
		free(r->timeliness);
	}
	free(p->rows);
	p->rows = NULL;
	p->nrows = 0;
}
