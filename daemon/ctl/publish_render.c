/* publish_render.c — the publication page as text: index.html and
 * submissions.json of a struct publish_page (see publish.h). Pure: no I/O,
 * no clock. Everything from a sender goes through publish_html_escape. */
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "intaked/json.h"
#include "intaked/language.h"
#include "publish.h"
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

/* ---- labels ---- */

struct labels {
	const char *lang;
	const char *heading, *deadline, *word_limit, *as_of, *caption, *none;
	const char *submitter, *received, *subject, *documents, *words, *status;
	const char *early, *on_time, *within_grace, *late, *rejected;
	const char *over_limit, *unverified, *not_in_roster, *unknown_sender, *version;
	const char *unreadable, *message_text, *words_unit, *data;
	const char *left_late, *left_rejected, *left_unverified;
	const char *limit_unknown;
	const char *language;
};

static const struct labels labels_all[] = {
	{ "en", "Written inputs received", "Deadline", "Word limit", "List as of",
	  "Submissions", "No submissions to show yet.",
	  "Submitter", "Received", "Subject", "Documents", "Words", "Status",
	  "Before the opening", "On time", "Within the grace period", "Late", "rejected",
	  "over the word limit", "unverified sender", "not in the roster",
	  "Unknown sender", "version", "could not be read", "Message text", "words",
	  "The same list as data",
	  "Late submissions are not listed.", "Rejected submissions are not listed.",
	  "Submissions from senders not verified are not listed.", "word count unknown",
	  "Language" },
	{ "fr", "Contributions écrites reçues", "Date limite", "Nombre de mots maximal",
	  "Liste au", "Contributions", "Aucune contribution à afficher pour l’instant.",
	  "Délégation", "Reçue le", "Objet", "Documents", "Mots", "Statut",
	  "Avant l’ouverture", "Dans les délais", "Dans le délai de grâce", "En retard",
	  "refusée", "au-delà du nombre de mots", "expéditeur non vérifié",
	  "hors de la liste", "Expéditeur inconnu", "version", "illisible", "Texte du message",
	  "mots", "La même liste en données",
	  "Les contributions en retard ne sont pas listées.",
	  "Les contributions refusées ne sont pas listées.",
	  "Les contributions d’expéditeurs non vérifiés ne sont pas listées.",
	  "nombre de mots inconnu", "Langue" },
	{ "es", "Contribuciones escritas recibidas", "Plazo", "Límite de palabras", "Lista al",
	  "Contribuciones", "Todavía no hay contribuciones que mostrar.",
	  "Remitente", "Recibida", "Asunto", "Documentos", "Palabras", "Estado",
	  "Antes de la apertura", "A tiempo", "Dentro del período de gracia", "Fuera de plazo",
	  "rechazada", "supera el límite de palabras",
	  "remitente no verificado", "fuera de la lista", "Remitente desconocido", "versión",
	  "no se pudo leer", "Texto del mensaje", "palabras", "La misma lista como datos",
	  "Las contribuciones fuera de plazo no se listan.",
	  "Las contribuciones rechazadas no se listan.",
	  "Las contribuciones de remitentes no verificados no se listan.",
	  "número de palabras desconocido", "Idioma" },
};

static const struct labels *labels_for(const char *lang)
{
	for (size_t i = 0; i < sizeof(labels_all) / sizeof(labels_all[0]); i++)
		if (lang && strcmp(lang, labels_all[i].lang) == 0)
			return &labels_all[i];
	return &labels_all[0];
}

static const char *timeliness_label(const struct labels *L, const char *t)
{
	if (t == NULL)
		return NULL;
	if (strcmp(t, "early") == 0)
		return L->early;
	if (strcmp(t, "on_time") == 0)
		return L->on_time;
	if (strcmp(t, "within_grace") == 0)
		return L->within_grace;
	if (strcmp(t, "late") == 0)
		return L->late;
	return t;
}

/* ---- index.html ---- */

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

static void put_doc(struct buf *b, const struct labels *L, const struct publish_doc *d)
{
	put(b, "<li>");
	if (d->path) {
		char *href = publish_url_path(d->path);
		put(b, "<a href=\"");
		put_esc(b, href);
		put(b, "\">");
		put_esc(b, d->body ? L->message_text : d->name && *d->name ? d->name : d->path);
		put(b, "</a>");
		free(href);
	} else {
		put_esc(b, d->name);
	}
	if (d->error) {
		put(b, " <span class=\"flag\">(");
		put_esc(b, L->unreadable);
		put(b, ": ");
		put_esc(b, d->error);
		put(b, ")</span>");
	} else if (d->words >= 0) {
		buf_printf(b, " <span class=\"note\">(%ld ", d->words);
		put_esc(b, L->words_unit);
		put(b, ")</span>");
	}
	put(b, "</li>");
}

static void put_status(struct buf *b, const struct labels *L, const struct publish_row *r)
{
	const char *notes[6];
	size_t n = 0;
	put_esc(b, timeliness_label(L, r->timeliness));
	if (r->status && strcmp(r->status, "rejected") == 0)
		notes[n++] = L->rejected;
	if (r->over_limit)
		notes[n++] = L->over_limit;
	else if (r->over_limit_unknown)
		notes[n++] = L->limit_unknown;
	if (!r->verified)
		notes[n++] = L->unverified;
	if (!r->in_roster)
		notes[n++] = L->not_in_roster;
	for (size_t i = 0; i < n; i++) {
		put(b, i ? ", " : "; <span class=\"flag\">");
		put_esc(b, notes[i]);
	}
	if (n > 0)
		put(b, "</span>");
	if (r->version > 1) {
		put(b, "<br><span class=\"note\">");
		put_esc(b, L->version);
		buf_printf(b, " %d</span>", r->version);
	}
}

static void put_cell_open(struct buf *b, const char *cls, const char *label)
{
	put(b, "<td");
	if (cls)
		buf_printf(b, " class=\"%s\"", cls);
	put(b, " data-label=\"");
	put_esc(b, label);
	put(b, "\">");
}

static void put_row(struct buf *b, const struct labels *L, const struct publish_page *p,
		    const struct publish_row *r)
{
	put(b, "<tr>\n<th scope=\"row\">");
	put_esc(b, r->verified && r->name && *r->name ? r->name
		   : r->address && *r->address ? r->address : L->unknown_sender);
	put(b, "</th>\n");
	put_cell_open(b, NULL, L->received);
	put_time(b, r->received_at, p->zone);
	put(b, "</td>\n");
	put_cell_open(b, NULL, L->subject);
	put_esc(b, r->subject);
	put(b, "</td>\n");
	put_cell_open(b, NULL, L->documents);
	put(b, "<ul>");
	for (size_t i = 0; i < r->ndocs; i++)
		put_doc(b, L, &r->docs[i]);
	put(b, "</ul></td>\n");
	put_cell_open(b, "num", L->words);
	if (r->word_count >= 0)
		buf_printf(b, "%ld", r->word_count);
	else
		put(b, "&#8211;");
	if (r->word_limit > 0)
		buf_printf(b, " / %ld", r->word_limit);
	put(b, "</td>\n");
	put_cell_open(b, NULL, L->status);
	put_status(b, L, r);
	put(b, "</td>\n");
	/* Last, so that the columns before keep their places. */
	put_cell_open(b, NULL, L->language);
	if (r->language != NULL)
		put_esc(b, language_name_in(r->language, L->lang));
	else
		put(b, "&#8211;");
	put(b, "</td>\n</tr>\n");
}

static void put_head(struct buf *b, const struct labels *L, const struct publish_page *p)
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
	if (p->word_limit > 0) {
		put(b, "<p>");
		put_esc(b, L->word_limit);
		buf_printf(b, ": %ld</p>\n", p->word_limit);
	}
	const char *left[3] = { p->opt.no_late ? L->left_late : NULL,
				p->opt.no_rejected ? L->left_rejected : NULL,
				!p->opt.include_unverified ? L->left_unverified : NULL };
	for (size_t i = 0; i < 3; i++)
		if (left[i]) {
			put(b, "<p class=\"note\">");
			put_esc(b, left[i]);
			put(b, "</p>\n");
		}
	put(b, "</header>\n");
}

char *publish_render_html(const struct publish_page *p)
{
	const struct labels *L = labels_for(p->lang);
	struct buf b;
	buf_init(&b, PUBLISH_HTML_MAX);
	put_head(&b, L, p);
	put(&b, "<main>\n");
	if (p->nrows == 0) {
		put(&b, "<p>");
		put_esc(&b, L->none);
		put(&b, "</p>\n");
	} else {
		put(&b, "<table>\n<caption>");
		put_esc(&b, L->caption);
		buf_printf(&b, " (%zu)</caption>\n<thead>\n<tr>", p->nrows);
		const char *cols[] = { L->submitter, L->received, L->subject, L->documents,
				       L->words, L->status, L->language };
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			put(&b, "<th scope=\"col\">");
			put_esc(&b, cols[i]);
			put(&b, "</th>");
		}
		put(&b, "</tr>\n</thead>\n<tbody>\n");
		for (size_t i = 0; i < p->nrows; i++)
			put_row(&b, L, p, &p->rows[i]);
		put(&b, "</tbody>\n</table>\n");
	}
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
