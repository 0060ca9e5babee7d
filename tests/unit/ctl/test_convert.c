/* test_convert.c — documents to PDF: the cleaning of tracked changes and
 * comments (XML and a whole .docx), and the runner: a real conversion read
 * back with pdftotext, PDFs copied as they are, no soffice, a soffice that
 * hangs (time limit), a file that is not there, several in parallel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>

#include "convert.h"
#include "convert_clean.h"
#include "intaked/fsio.h"
#include "intaked/util.h"

#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""

/* Accepted text "Kept words and added words." with the deletion "REMOVED
 * SENTENCE" and the comment "SECRET REMARK". */
static const char docx_document[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<w:document " W_NS "><w:body><w:p>"
	"<w:commentRangeStart w:id=\"0\"/>"
	"<w:r><w:t xml:space=\"preserve\">Kept words </w:t></w:r>"
	"<w:del w:id=\"1\" w:author=\"A\"><w:r><w:delText>REMOVED SENTENCE </w:delText></w:r></w:del>"
	"<w:ins w:id=\"2\" w:author=\"A\"><w:r><w:t xml:space=\"preserve\">and added words.</w:t></w:r></w:ins>"
	"<w:commentRangeEnd w:id=\"0\"/>"
	"<w:r><w:commentReference w:id=\"0\"/></w:r>"
	"</w:p></w:body></w:document>\n";

static const char docx_comments[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<w:comments " W_NS "><w:comment w:id=\"0\" w:author=\"B\"><w:p><w:r>"
	"<w:t>SECRET REMARK</w:t></w:r></w:p></w:comment></w:comments>\n";

static const char content_types[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	"<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
	"<Override PartName=\"/word/comments.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml\"/>"
	"</Types>\n";

static const char root_rels[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>"
	"</Relationships>\n";

static const char doc_rels[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments\" Target=\"comments.xml\"/>"
	"</Relationships>\n";

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_convert.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fsio_rmtree(dir);
	return 0;
}

static void add(zip_t *z, const char *name, const char *text)
{
	zip_source_t *s = zip_source_buffer(z, text, strlen(text), 0);
	assert_non_null(s);
	assert_true(zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8) >= 0);
}

static char *write_docx(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int zerr;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(z);
	add(z, "[Content_Types].xml", content_types);
	add(z, "_rels/.rels", root_rels);
	add(z, "word/_rels/document.xml.rels", doc_rels);
	add(z, "word/document.xml", docx_document);
	add(z, "word/comments.xml", docx_comments);
	assert_int_equal(zip_close(z), 0);
	return path;
}

static void test_clean_docx_xml(void **state)
{
	(void)state;
	size_t n = 0;
	char *out = convert_clean_docx_xml(docx_document, strlen(docx_document), &n);
	assert_non_null(out);
	assert_non_null(strstr(out, "Kept words "));
	assert_non_null(strstr(out, "and added words."));
	assert_null(strstr(out, "REMOVED"));
	assert_null(strstr(out, "w:ins"));
	assert_null(strstr(out, "comment"));
	free(out);
	assert_null(convert_clean_docx_xml("<w:document", 12, &n));
}

static void test_clean_odt_xml(void **state)
{
	(void)state;
	static const char odt[] =
		"<office:document-content "
		"xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
		"xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
		"xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><office:body><office:text>"
		"<text:tracked-changes><text:changed-region text:id=\"c1\"><text:deletion>"
		"<text:p>REMOVED SENTENCE</text:p></text:deletion></text:changed-region>"
		"</text:tracked-changes>"
		"<text:p>Kept words <text:change text:change-id=\"c1\"/>"
		"<text:change-start text:change-id=\"c2\"/>and added words.<text:change-end "
		"text:change-id=\"c2\"/><office:annotation><dc:creator>B</dc:creator>"
		"<text:p>SECRET REMARK</text:p></office:annotation></text:p>"
		"</office:text></office:body></office:document-content>";
	size_t n = 0;
	char *out = convert_clean_odt_xml(odt, strlen(odt), &n);
	assert_non_null(out);
	assert_non_null(strstr(out, "Kept words and added words."));
	assert_null(strstr(out, "REMOVED"));
	assert_null(strstr(out, "SECRET"));
	assert_null(strstr(out, "text:change"));
	free(out);
}

/* The package: the comments part and its relationship are gone, the
 * document has the accepted text only. */
static void test_clean_docx_package(void **state)
{
	(void)state;
	char reason[160] = "";
	char *path = write_docx("clean.docx");
	assert_int_equal(convert_clean_docx(path, reason, sizeof(reason)), 0);
	int zerr;
	zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
	assert_non_null(z);
	assert_true(zip_name_locate(z, "word/comments.xml", 0) < 0);
	zip_int64_t i = zip_name_locate(z, "word/document.xml", 0);
	assert_true(i >= 0);
	char buf[4096] = "";
	zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
	assert_true(zip_fread(f, buf, sizeof(buf) - 1) > 0);
	zip_fclose(f);
	assert_null(strstr(buf, "REMOVED"));
	assert_non_null(strstr(buf, "and added words."));
	zip_discard(z);
	char *bad = xasprintf("%s/bad.docx", dir);
	assert_int_equal(fsio_replace(bad, "not a zip", 9, 0600, NULL), 0);
	assert_int_equal(convert_clean_docx(bad, reason, sizeof(reason)), -1);
	assert_non_null(strstr(reason, "not a Word package"));
	free(bad);
	free(path);
}

static char *pdftotext(const char *pdf)
{
	char *cmd = xasprintf("pdftotext -q '%s' -", pdf);
	FILE *p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	char *text = xcalloc(1, 1 << 16);
	size_t n = fread(text, 1, (1 << 16) - 1, p);
	text[n] = '\0';
	pclose(p);
	for (char *c = text; *c; c++)
		if (*c == '\n')
			*c = ' ';
	return text;
}

/* A real LibreOffice conversion: the accepted text, neither the deletion
 * nor the comment. */
static void test_convert_docx(void **state)
{
	(void)state;
	if (!convert_available() || access("/usr/bin/pdftotext", X_OK) != 0) {
		skip();
		return;
	}
	char *src = write_docx("Our input.docx");
	char *dst = xasprintf("%s/out.pdf", dir);
	struct convert_job j = { .src = src, .dst_pdf = dst };
	assert_int_equal(convert_all(&j, 1, 0, 120, NULL, NULL), 0);
	assert_int_equal(j.status, CONVERT_OK);
	char *text = pdftotext(dst);
	assert_non_null(strstr(text, "Kept words and added words."));
	assert_null(strstr(text, "REMOVED"));
	assert_null(strstr(text, "SECRET"));
	free(text);
	free(src);
	free(dst);
}

struct seen {
	size_t calls, last_done;
};

static void count_progress(size_t done, size_t n, const struct convert_job *j, void *arg)
{
	struct seen *s = arg;
	assert_true(done >= 1 && done <= n && j != NULL);
	s->calls++;
	s->last_done = done;
}

/* No soffice: documents say so, PDFs are still copied, a missing file is
 * unreadable; progress is called once per job. */
static void test_unavailable(void **state)
{
	(void)state;
	char *old = xstrdup(getenv("PATH"));
	setenv("PATH", "/nonexistent", 1);
	unsetenv("INTAKED_SOFFICE");
	assert_false(convert_available());
	char *pdf = xasprintf("%s/in.pdf", dir), *docx = write_docx("x.docx");
	assert_int_equal(fsio_replace(pdf, "%PDF-1.4 fake\n", 14, 0600, NULL), 0);
	char *d1 = xasprintf("%s/1.pdf", dir), *d2 = xasprintf("%s/2.pdf", dir),
	     *d3 = xasprintf("%s/3.pdf", dir), *missing = xasprintf("%s/none.docx", dir);
	struct convert_job j[3] = { { .src = docx, .dst_pdf = d1 }, { .src = pdf, .dst_pdf = d2 },
				    { .src = missing, .dst_pdf = d3 } };
	setenv("INTAKED_SOFFICE", "", 1);
	struct seen s = { 0 };
	assert_int_equal(convert_all(j, 3, 2, 10, count_progress, &s), 2);
	setenv("PATH", old, 1);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.last_done, 3);
	assert_int_equal(j[0].status, CONVERT_UNAVAILABLE);
	assert_non_null(strstr(j[0].reason, "not installed"));
	assert_int_equal(j[1].status, CONVERT_OK);
	char *data = NULL;
	size_t n = 0;
	assert_int_equal(fsio_read_file(d2, 100, &data, &n, NULL), 0);
	assert_string_equal(data, "%PDF-1.4 fake\n");
	free(data);
	assert_int_equal(j[2].status, CONVERT_UNREADABLE);
	assert_false(fsio_exists(d1) > 0);
	free(old), free(pdf), free(docx), free(d1), free(d2), free(d3), free(missing);
}

/* A soffice that never ends is killed at the limit, with its children. */
static void test_timeout(void **state)
{
	(void)state;
	char *script = xasprintf("%s/soffice-hangs", dir);
	const char text[] = "#!/bin/sh\nsleep 60 &\nsleep 60\n";
	assert_int_equal(fsio_replace(script, text, strlen(text), 0700, NULL), 0);
	setenv("INTAKED_SOFFICE", script, 1);
	assert_true(convert_available());
	char *src = write_docx("slow.docx"), *dst = xasprintf("%s/slow.pdf", dir);
	struct convert_job j[2] = { { .src = src, .dst_pdf = dst }, { .src = src, .dst_pdf = dst } };
	time_t t0 = time(NULL);
	assert_int_equal(convert_all(j, 2, 2, 1, NULL, NULL), 2);
	assert_true(time(NULL) - t0 <= 4);
	assert_int_equal(j[0].status, CONVERT_TIMEOUT);
	assert_int_equal(j[1].status, CONVERT_TIMEOUT);
	assert_non_null(strstr(j[0].reason, "more than 1 s"));
	unsetenv("INTAKED_SOFFICE");
	free(script), free(src), free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_docx_xml),
		cmocka_unit_test(test_clean_odt_xml),
		cmocka_unit_test(test_clean_docx_package),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_convert_docx),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
