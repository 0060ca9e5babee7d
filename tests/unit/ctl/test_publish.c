/* test_publish.c — the publication page: escaping, links, safe names, the
 * selection, the rendered rows, and the site written from a real spool
 * (atomic replacement, refusals, no symlink followed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "publish.h"
#include "publish_template.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

static char *escaped(const char *s)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(publish_html_escape(&b, s), 0);
	return buf_steal(&b);
}

static void test_html_escape(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } rows[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "a & b", "a &amp; b" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;" },
		{ "<img src=x onerror=alert(1)>.txt", "&lt;img src=x onerror=alert(1)&gt;.txt" },
		{ "Côte d’Ivoire 中文", "Côte d’Ivoire 中文" },
		{ "tab\there\nline", "tab\there\nline" },
		{ "esc\x1b[31m", "esc\xef\xbf\xbd[31m" },
		{ "bad \xff byte", "bad \xef\xbf\xbd byte" },
		{ "rtl \xe2\x80\xae override", "rtl \xef\xbf\xbd override" },
		{ "c1 \xc2\x85 nel", "c1 \xef\xbf\xbd nel" },
		{ "&amp;", "&amp;amp;" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = escaped(rows[i].in);
		assert_string_equal(got, rows[i].out);
		free(got);
	}
	char *got = escaped(NULL);
	assert_string_equal(got, "");
	free(got);

	struct buf small;
	buf_init(&small, 8);
	assert_int_equal(publish_html_escape(&small, "<<<<<<<<"), -1);
	buf_free(&small);
}

static void test_url_path(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } rows[] = {
		{ "files/bangladesh/Bangladesh_input.docx", "files/bangladesh/Bangladesh_input.docx" },
		{ "files/a/Our input.pdf", "files/a/Our%20input.pdf" },
		{ "files/f/img_src=x_onerror=alert(1)_.txt",
		  "files/f/img_src%3Dx_onerror%3Dalert%281%29_.txt" },
		{ "files/x/É.txt", "files/x/%C3%89.txt" },
		{ "files/x/a?b#c%d\"e", "files/x/a%3Fb%23c%25d%22e" },
		{ "files/x/java:script", "files/x/java%3Ascript" },
		{ "~-._", "~-._" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = publish_url_path(rows[i].in);
		assert_string_equal(got, rows[i].out);
		free(got);
	}
}

static void test_safe_name(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } rows[] = {
		{ "input.pdf", "input.pdf" },
		{ "input.PDF", "input.PDF" },
		{ "input.docx", "input.docx" },
		{ "input.odt", "input.odt" },
		{ "input.rtf", "input.rtf" },
		{ "input.doc", "input.doc" },
		{ "input.txt", "input.txt" },
		{ "notes.md", "notes.md" },
		{ "page.html", "page.html.txt" },
		{ "page.htm", "page.htm.txt" },
		{ "image.svg", "image.svg.txt" },
		{ "page.xhtml", "page.xhtml.txt" },
		{ "noext", "noext.txt" },
		{ "x.pdf.html", "x.pdf.html.txt" },
		{ ".pdf", ".pdf.txt" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = publish_safe_name(rows[i].in);
		assert_string_equal(got, rows[i].out);
		free(got);
	}
}

static void test_selects(void **state)
{
	(void)state;
	static const struct {
		const char *kind, *status, *timeliness;
		bool verified, no_late, no_rejected, include_unverified, include_late, want;
	} rows[] = {
		{ "submission", "accepted", "on_time", true, false, false, false, false, true },
		{ "submission", "accepted", "on_time", true, true, true, true, false, true },
		{ "submission", "accepted", "within_grace", true, true, true, true, false, true },
		/* The current ACCEPTED version: flagged late only when asked for. */
		{ "submission", "late", "late", true, false, false, false, false, false },
		{ "submission", "late", "late", true, false, false, false, true, true },
		{ "submission", "late", "late", true, true, false, false, true, false },
		{ "submission", "accepted", "late", true, false, false, false, false, true },
		{ "submission", "accepted", "late", true, true, false, false, false, false },
		/* Rejected: never. */
		{ "submission", "rejected", "late", true, false, true, false, false, false },
		{ "submission", "rejected", "late", true, false, false, false, true, false },
		/* Senders the roster does not verify: only when asked for. */
		{ "submission", "accepted", "on_time", false, false, false, false, false, false },
		{ "submission", "accepted", "on_time", false, false, false, true, false, true },
		{ "unmatched", NULL, NULL, false, false, false, false, false, false },
		{ "auto-reply", NULL, NULL, false, false, false, false, false, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct metadata md = { 0 };
		md.kind = (char *)rows[i].kind;
		md.status = (char *)rows[i].status;
		md.timeliness = (char *)rows[i].timeliness;
		md.submitter.verified = rows[i].verified;
		struct publish_options opt = { .no_late = rows[i].no_late,
					       .no_rejected = rows[i].no_rejected,
					       .include_unverified = rows[i].include_unverified,
					       .include_late = rows[i].include_late };
		assert_int_equal(publish_selects(&md, &opt), rows[i].want);
	}
}

/* ---- rendering ---- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static struct publish_doc doc(const char *name, const char *path, long words, const char *error)
{
	return (struct publish_doc){ .name = (char *)name, .path = (char *)path, .words = words,
				     .error = (char *)error, .size = 10, .sha256 = (char *)"ab" };
}

static void test_render_html(void **state)
{
	(void)state;
	struct publish_doc d1[] = { doc("<img src=x onerror=alert(1)>.txt",
					"files/france/img_src=x_onerror=alert(1)_.txt", 10, NULL),
				    doc("locked.pdf", "files/france/locked.pdf", -1, "encrypted") };
	struct publish_doc d2[] = { { .name = (char *)"message.txt", .body = true,
				      .path = (char *)"files/mexico/message.txt", .words = 5 } };
	struct publish_row rows[] = {
		{ .id = (char *)"id1", .name = (char *)"France", .in_roster = true, .verified = true,
		  .subject = (char *)"<script>alert(1)</script>", .received_at = 1648587600,
		  .version = 2, .status = (char *)"accepted", .timeliness = (char *)"on_time",
		  .word_count = 10, .word_limit = 60, .language = (char *)"fr", .docs = d1,
		  .ndocs = 2 },
		{ .id = (char *)"id2", .name = (char *)"M\"exico <b>", .in_roster = true,
		  .address = (char *)"m\"x<b>@sre.gob.mx", .verified = false, .subject = (char *)"Aporte & más", .received_at = 1648596600,
		  .version = 1, .status = (char *)"rejected", .timeliness = (char *)"late",
		  .word_count = 75, .word_limit = 60, .over_limit = true, .docs = d2, .ndocs = 1 },
		{ .id = (char *)"id3", .name = NULL, .subject = (char *)"x", .received_at = 1648596600,
		  .version = 1, .status = (char *)"accepted", .timeliness = (char *)"on_time",
		  .word_count = -1 },
	};
	struct publish_page p = { .call = "imrf", .title = "IMRF <2022>", .lang = "fr",
				  .zone = "America/New_York", .deadline = 1648591200,
				  .word_limit = 60, .generated = 1648600000, .rows = rows, .nrows = 3,
				  .opt = { .no_late = true } };
	d1[0].pdf = (char *)"files/france/img.pdf";
	d1[1].pdf_error = (char *)"encrypted";
	char *html = publish_render_html(&p, NULL);

	assert_non_null(strstr(html, "<!DOCTYPE html>\n<html lang=\"fr\">"));
	assert_non_null(strstr(html, "<meta name=\"viewport\" content=\"width=device-width, "
				     "initial-scale=1\">"));
	assert_non_null(strstr(html, "Content-Security-Policy"));
	assert_non_null(strstr(html, "@media print"));
	assert_non_null(strstr(html, "@media (max-width:40rem)"));
	assert_non_null(strstr(html, "<caption>Contributions (3)</caption>"));
	/* The default columns: member, received, documents, language, words. */
	assert_non_null(strstr(html, "<tr><th scope=\"col\">Délégation</th><th scope=\"col\">Reçue "
				     "le</th><th scope=\"col\">Documents</th><th scope=\"col\">Langue"
				     "</th><th scope=\"col\">Mots</th></tr>"));
	assert_int_equal(count(html, "<th scope=\"col\">"), 5);
	assert_int_equal(count(html, "<th scope=\"row\">"), 3);
	assert_non_null(strstr(html, "<td data-label=\"Langue\">français</td>"));
	assert_non_null(strstr(html, "<td data-label=\"Langue\">&#8211;</td>"));
	assert_int_equal(count(html, "<tr>"), 4);         /* header + 3 rows */
	/* Nothing from a sender becomes markup. */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_non_null(strstr(html, "<h1>IMRF &lt;2022&gt;</h1>"));
	/* A page to post: no subject ("RE: ..."), no status, no "Late", no
	 * "393 / 400", no version. */
	assert_null(strstr(html, "alert(1)&lt;/script"));
	assert_null(strstr(html, "Objet"));
	assert_null(strstr(html, "Statut"));
	assert_null(strstr(html, "En retard"));
	assert_null(strstr(html, "retard ne sont pas"));
	assert_null(strstr(html, "/ 60"));
	assert_null(strstr(html, "version 2"));
	assert_non_null(strstr(html, ">75</td>"));
	/* Not verified: the address, never a name, and said so. */
	assert_non_null(strstr(html, "<th scope=\"row\">m&quot;x&lt;b&gt;@sre.gob.mx <span "
				     "class=\"flag\">(expéditeur non vérifié)</span></th>"));
	assert_null(strstr(html, "M&quot;exico"));
	/* The document's name links to its PDF; the original next to it. */
	assert_non_null(strstr(html, "<a href=\"files/france/img.pdf\">&lt;img src=x "
				     "onerror=alert(1)&gt;.txt</a> <span class=\"note\">(<a href=\""
				     "files/france/img_src%3Dx_onerror%3Dalert%281%29_.txt\">original"
				     "</a>)</span>"));
	assert_non_null(strstr(html, "<a href=\"files/mexico/message.txt\">Texte du message</a>"));
	assert_non_null(strstr(html, "(PDF non disponible: encrypted)"));
	assert_non_null(strstr(html, "<time datetime=\"2022-03-29T21:00:00Z\">2022-03-29 17:00 EDT</time>"));
	assert_non_null(strstr(html, "<th scope=\"row\">Expéditeur inconnu"));
	assert_non_null(strstr(html, ">&#8211;</td>"));
	free(html);

	/* Columns chosen, an introduction, a fragment. */
	struct err err = { 0 };
	assert_int_equal(publish_parse_columns(&p.opt, "words,member", &err), 0);
	p.opt.intro = (char *)"First <paragraph>\nruns on.\n\nSecond.\n";
	html = publish_render_fragment(&p, "en");
	assert_null(strstr(html, "<html"));
	assert_null(strstr(html, "<style"));
	assert_non_null(strstr(html, "<section class=\"intaked-list\" lang=\"en\">"));
	assert_non_null(strstr(html, "<p>First &lt;paragraph&gt;\nruns on.</p>\n<p>Second.\n</p>"));
	assert_non_null(strstr(html, "<tr><th scope=\"col\">Words</th><th scope=\"col\">Member</th>"
				     "</tr>"));
	assert_int_equal(count(html, "<th scope=\"col\">"), 2);
	assert_null(strstr(html, "<time"));
	free(html);
	assert_int_equal(publish_parse_columns(&p.opt, "member,subject", &err), -1);
	assert_non_null(strstr(err.msg, "\"subject\" is no column"));
	p.opt = (struct publish_options){ 0 };

	/* No rows: a sentence, no empty table; unknown language: English. */
	p.nrows = 0;
	p.lang = "xx";
	html = publish_render_html(&p, NULL);
	assert_non_null(strstr(html, "<html lang=\"en\">"));
	assert_non_null(strstr(html, "No inputs to show yet."));
	assert_null(strstr(html, "<table"));
	free(html);
}

/* --lang: a page per language linking to the others; --template: the
 * site's page with the placeholders filled in, an unknown one refused. */
static void test_render_lang_template(void **state)
{
	(void)state;
	struct publish_page p = { .call = "imrf", .title = "IMRF & co", .lang = "en",
				  .zone = "UTC", .deadline = 1648591200, .generated = 1648600000 };
	struct err err = { 0 };
	char langs[] = "en,fr";
	assert_int_equal(publish_parse_langs(&p.opt, langs, &err), 0);
	char *html = publish_render_html(&p, "fr");
	assert_non_null(strstr(html, "<html lang=\"fr\">"));
	assert_non_null(strstr(html, "Contributions écrites reçues"));
	assert_non_null(strstr(html, "<a href=\"index.en.html\" hreflang=\"en\" lang=\"en\">"));
	assert_null(strstr(html, "index.fr.html"));
	free(html);
	char bad[] = "en,de";
	assert_int_equal(publish_parse_langs(&p.opt, bad, &err), -1);
	assert_non_null(strstr(err.msg, "\"de\""));

	const char *templ = "<html lang=\"{{lang}}\"><h1>{{title}}</h1>\n{{list}}<p>{{deadline}}"
			    "</p></html>\n";
	assert_int_equal(publish_template_check(templ, "site.html", &err), 0);
	p.opt = (struct publish_options){ .templ = (char *)templ };
	html = publish_render_html(&p, NULL);
	assert_string_equal(html, "<html lang=\"en\"><h1>IMRF &amp; co</h1>\n<p>No inputs to show "
			    "yet.</p>\n<p><time datetime=\"2022-03-29T22:00:00Z\">2022-03-29 22:00 "
			    "UTC</time></p></html>\n");
	free(html);
	assert_int_equal(publish_template_check("<p>\n{{list}}\n{{titel}}</p>", "site.html", &err),
			 -1);
	assert_non_null(strstr(err.msg, "site.html:3: unknown placeholder {{titel}}"));
	assert_int_equal(publish_template_check("<p>{{title}}</p>", "t.html", &err), -1);
	assert_non_null(strstr(err.msg, "no {{list}}"));
}

static void test_render_json(void **state)
{
	(void)state;
	struct publish_doc d[] = { doc("<x>.pdf", "files/s/x.pdf", 7, NULL) };
	struct publish_row row = { .id = (char *)"id1", .name = (char *)"Spain", .in_roster = true,
				   .verified = true, .subject = (char *)"<b>", .received_at = 1648587600,
				   .version = 1, .status = (char *)"accepted",
				   .timeliness = (char *)"on_time", .word_count = 7, .docs = d,
				   .ndocs = 1 };
	struct publish_page p = { .call = "c", .title = "T", .lang = "es", .zone = "UTC",
				  .deadline = 1648591200, .generated = 1648600000, .rows = &row,
				  .nrows = 1, .opt = { 0 } };
	char *text = publish_render_json(&p);
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "call")), "c");
	assert_string_equal(json_string_value(json_object_get(o, "deadline")), "2022-03-29T22:00:00Z");
	assert_true(json_is_null(json_object_get(o, "word_limit")));
	assert_true(json_is_false(json_object_get(json_object_get(o, "included"), "unverified")));
	assert_true(json_is_true(json_object_get(json_object_get(o, "included"), "late")));
	json_t *subs = json_object_get(o, "submissions");
	assert_int_equal(json_array_size(subs), 1);
	json_t *s = json_array_get(subs, 0);
	assert_string_equal(json_string_value(json_object_get(s, "subject")), "<b>");
	assert_string_equal(json_string_value(json_object_get(s, "received_local")),
			    "2022-03-29 21:00 UTC");
	json_t *jd = json_array_get(json_object_get(s, "documents"), 0);
	assert_string_equal(json_string_value(json_object_get(jd, "file")), "files/s/x.pdf");
	assert_int_equal(json_integer_value(json_object_get(jd, "words")), 7);
	json_decref(o);
	free(text);
}

/* ---- the site from a spool ---- */

struct bed {
	char dir[64];
	char *out, *site;             /* OUTDIR, and OUTDIR/imrf where the call goes */
	struct spool *sp;
	struct call_config call;
};

static void file_entry(struct bed *b, const char *slug, int version, const char *status,
		       const char *timeliness, bool verified, const char *docname,
		       const char *docfile, const char *content)
{
	struct metadata *md = metadata_new();
	char id[40];
	char sha[65];
	sha256_hex(content, strlen(content), sha);
	spool_make_id(1648500000 + version * 3600, sha, id);
	md->id = xasprintf("%s-%s", id, slug);
	md->kind = xstrdup("submission");
	md->call = xstrdup("imrf");
	md->status = xstrdup(status);
	md->timeliness = xstrdup(timeliness);
	md->submitter.name = xstrdup(verified ? slug : NULL);
	md->submitter.slug = xstrdup(slug);
	md->submitter.verified = verified;
	md->from = xasprintf("%s@example.org", slug);
	md->subject = xasprintf("<script>alert('%s')</script>", slug);
	md->received_at = 1648500000 + version * 3600;
	md->version = version;
	md->word_count = 3;
	md->counted = xstrdup(docname ? "documents" : "body");
	if (docname) {
		md->ndocuments = 1;
		md->documents = xcalloc(1, sizeof(*md->documents));
		md->documents[0].name = xstrdup(docname);
		md->documents[0].file = xasprintf("files/%s", docfile);
		md->documents[0].type = xstrdup("txt");
		md->documents[0].words = 3;
		md->documents[0].size = strlen(content);
	}
	struct spool_entry *e = NULL;
	struct err err = { 0 };
	assert_int_equal(spool_begin(b->sp, md->id, &e, &err), 0);
	char *json = metadata_to_json(md);
	assert_int_equal(spool_entry_write(e, "metadata.json", json, strlen(json), &err), 0);
	if (docname) {
		char *f = xasprintf("files/%s", docfile);
		assert_int_equal(spool_entry_write(e, f, content, strlen(content), &err), 0);
		free(f);
	} else {
		assert_int_equal(spool_entry_write(e, "body.txt", content, strlen(content), &err), 0);
	}
	char *rel = spool_submission_path("imrf", slug, version);
	assert_int_equal(spool_commit(b->sp, &e, rel, &err), 0);
	free(rel);
	free(json);
	metadata_free(&md);
}

static int bed_setup(void **state)
{
	struct bed *b = xcalloc(1, sizeof(*b));
	struct err err = { 0 };
	snprintf(b->dir, sizeof(b->dir), "/tmp/test_publish.XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	char *spool = xasprintf("%s/spool", b->dir);
	assert_int_equal(spool_open(spool, &b->sp, &err), 0);
	free(spool);
	b->out = xasprintf("%s/site", b->dir);
	b->site = xasprintf("%s/imrf", b->out);
	/* No LibreOffice here: the site tests run with --originals (the
	 * conversions are test_convert's and the integration tests'). */
	setenv("INTAKED_SOFFICE", "/nonexistent/soffice", 1);
	b->call = (struct call_config){ .name = (char *)"imrf", .title = (char *)"IMRF",
					.zone = (char *)"America/New_York", .deadline = 1648591200,
					.word_limit = 60, .language = (char *)"en" };
	file_entry(b, "bangladesh", 1, "accepted", "on_time", true, "Our input.txt",
		   "Our_input.txt", "one two three\n");
	file_entry(b, "bangladesh", 2, "late", "late", true, "Late input.txt", "Late_input.txt",
		   "four five six\n");
	file_entry(b, "france", 1, "accepted", "on_time", true, "<img src=x>.html",
		   "img_src=x_.html", "<p>hello</p>\n");
	file_entry(b, "unknown-0123456789", 1, "accepted", "on_time", false, NULL, NULL,
		   "body words here\n> quoted line\n\n-- \nDesk Officer (Migration)\n");
	*state = b;
	return 0;
}

static int bed_teardown(void **state)
{
	struct bed *b = *state;
	spool_close(&b->sp);
	fsio_rmtree(b->dir);
	free(b->out);
	free(b->site);
	free(b);
	return 0;
}

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *data = NULL;
	size_t len;
	struct err err = { 0 };
	int rc = fsio_read_file(path, 1 << 20, &data, &len, &err);
	free(path);
	return rc == 0 ? data : NULL;
}

static void test_publish_site(void **state)
{
	struct bed *b = *state;
	struct publish_options opt = { .include_unverified = true, .include_late = true,
				       .originals = true };
	struct err err = { 0 };
	size_t n;

	assert_int_equal(publish_call(b->sp, &b->call, b->out, &opt, 1648600000, &n, &err), 0);
	assert_int_equal(n, 3);
	char *html = slurp(b->site, "index.html");
	assert_non_null(html);
	assert_int_equal(count(html, "<th scope=\"row\">"), 3);
	assert_null(strstr(html, "<script"));
	/* The current (late, asked for) version of Bangladesh, the body of the
	 * unknown sender; the originals, and why there is no PDF. */
	assert_non_null(strstr(html, "href=\"files/bangladesh/Late_input.txt\""));
	assert_non_null(strstr(html, "href=\"files/unknown-0123456789/message.txt\""));
	assert_non_null(strstr(html, "PDF not available: LibreOffice (soffice) is not installed"));
	/* An HTML document is served as text. */
	assert_non_null(strstr(html, "href=\"files/france/img_src%3Dx_.html.txt\""));
	free(html);
	char *copy = slurp(b->site, "files/france/img_src=x_.html.txt");
	assert_string_equal(copy, "<p>hello</p>\n");
	free(copy);
	/* The body without the quoted line and the signature. */
	copy = slurp(b->site, "files/unknown-0123456789/message.txt");
	assert_string_equal(copy, "body words here\n");
	free(copy);
	char *json = slurp(b->site, "submissions.json");
	json_t *o = json_loads(json, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(o, "submissions")), 3);
	json_decref(o);
	free(json);
	char *marker = slurp(b->site, ".intaked-publish");
	assert_non_null(strstr(marker, "call imrf\n"));
	assert_non_null(strstr(marker, "\nfiles/france/img_src=x_.html.txt\n"));
	free(marker);
	struct stat st;
	char *idx = xasprintf("%s/index.html", b->site);
	assert_int_equal(stat(idx, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(stat(b->site, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	free(idx);

	/* Again by default: replaces the site; Bangladesh's accepted v1. */
	opt = (struct publish_options){ .originals = true };
	assert_int_equal(publish_call(b->sp, &b->call, b->out, &opt, 1648600000, &n, &err), 0);
	assert_int_equal(n, 2);
	html = slurp(b->site, "index.html");
	assert_non_null(strstr(html, "href=\"files/bangladesh/Our_input.txt\""));
	assert_null(strstr(html, "Late_input"));
	assert_null(strstr(html, "unknown-0123456789"));
	free(html);
	char *gone = xasprintf("%s/files/unknown-0123456789", b->site);
	assert_int_equal(fsio_exists(gone), 0);
	free(gone);
	/* No staging or old directory is left next to the site. */
	DIR *d = opendir(b->out);
	struct dirent *de;
	size_t names = 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			assert_string_equal(de->d_name, "imrf");
			names++;
		}
	closedir(d);
	assert_int_equal(names, 1);

	/* Without LibreOffice and without --originals: said, nothing written. */
	opt.originals = false;
	assert_int_equal(publish_call(b->sp, &b->call, b->out, &opt, 1648600000, &n, &err), -1);
	assert_int_equal(err.cls, ERR_MESSAGE);
	assert_non_null(strstr(err.msg, "not installed"));
	assert_non_null(strstr(err.msg, "--originals"));
}

static void test_publish_refusals(void **state)
{
	struct bed *b = *state;
	struct publish_options opt = { .originals = true };
	struct err err = { 0 };
	size_t n;

	/* A call folder that holds someone else's files is never replaced. */
	char *foreign = xasprintf("%s/foreign", b->dir);
	char *foreign_site = xasprintf("%s/imrf", foreign);
	assert_int_equal(fsio_mkdirs(foreign_site, 0755, &err), 0);
	char *keep = xasprintf("%s/keep.txt", foreign_site);
	assert_int_equal(fsio_replace(keep, "mine", 4, 0644, &err), 0);
	assert_int_equal(publish_call(b->sp, &b->call, foreign, &opt, 0, &n, &err), -1);
	assert_int_equal(err.cls, ERR_MESSAGE);
	assert_non_null(strstr(err.msg, "keep.txt was not written by intakectl publish"));
	assert_int_equal(fsio_exists(keep), 1);

	/* Nor one publish wrote, once a file was added to it. */
	assert_int_equal(publish_call(b->sp, &b->call, b->out, &opt, 0, &n, &err), 0);
	char *added = xasprintf("%s/files/.htaccess", b->site);
	assert_int_equal(fsio_replace(added, "x", 1, 0644, &err), 0);
	assert_int_equal(publish_call(b->sp, &b->call, b->out, &opt, 0, &n, &err), -1);
	assert_non_null(strstr(err.msg, "files/.htaccess was not written"));
	assert_int_equal(fsio_exists(added), 1);
	assert_int_equal(unlink(added), 0);
	free(added);

	/* Nor a symlink, nor a file in the call's place. */
	char *other = xasprintf("%s/other", b->dir);
	char *link = xasprintf("%s/imrf", other);
	assert_int_equal(mkdir(other, 0755), 0);
	assert_int_equal(symlink(foreign_site, link), 0);
	assert_int_equal(publish_call(b->sp, &b->call, other, &opt, 0, &n, &err), -1);
	assert_non_null(strstr(err.msg, "symlink"));
	assert_int_equal(publish_call(b->sp, &b->call, keep, &opt, 0, &n, &err), -1);
	assert_int_equal(publish_call(b->sp, &b->call, "/", &opt, 0, &n, &err), -1);

	/* Two calls side by side in one OUTDIR: the second leaves the first. */
	struct call_config gcm = b->call;
	gcm.name = (char *)"gcm";
	assert_int_equal(publish_call(b->sp, &gcm, b->out, &opt, 0, &n, &err), 0);
	char *first = xasprintf("%s/index.html", b->site);
	assert_int_equal(fsio_exists(first), 1);
	free(first);

	/* A document replaced by a symlink in the spool is not followed: the
	 * publication fails and the old site stays as it was. */
	char *before = slurp(b->site, "index.html");
	char *doc = xasprintf("%s/spool/calls/imrf/france/v1/files/img_src=x_.html", b->dir);
	assert_int_equal(unlink(doc), 0);
	assert_int_equal(symlink("/etc/passwd", doc), 0);
	assert_int_equal(publish_call(b->sp, &b->call, b->out, &opt, 1, &n, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "calls/imrf/france/v1"));
	char *after = slurp(b->site, "index.html");
	assert_string_equal(before, after);
	char *text = slurp(b->site, "files/france/img_src=x_.html.txt");
	assert_string_equal(text, "<p>hello</p>\n");

	free(text);
	free(after);
	free(before);
	free(doc);
	free(link);
	free(other);
	free(keep);
	free(foreign_site);
	free(foreign);
}

int main(void)
{
	log_init("test_publish", false, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_url_path),
		cmocka_unit_test(test_safe_name),
		cmocka_unit_test(test_selects),
		cmocka_unit_test(test_render_html),
		cmocka_unit_test(test_render_lang_template),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test_setup_teardown(test_publish_site, bed_setup, bed_teardown),
		cmocka_unit_test_setup_teardown(test_publish_refusals, bed_setup, bed_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
