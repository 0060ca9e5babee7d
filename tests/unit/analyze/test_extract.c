/* test_extract.c — type detection, charsets, HTML, RTF, the child runner,
 * and every generated document (six languages, hostile files) against its
 * exact word count or expected error. The documents come from
 * tests/fixtures/make_docs.py, run into a temporary directory; run from the
 * repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "intaked/extract.h"
#include "extract_impl.h"
#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/wordcount.h"

#define FIXTURE_MAX ((size_t)256 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static const struct limits_config default_limits = {
	.max_attachment_size = (size_t)32 << 20,
	.max_unpacked_size = (size_t)256 << 20,
	.max_unpack_ratio = 100,
	.max_zip_entries = 10000,
	.max_xml_depth = 256,
	.extract_timeout = 30,
};

static const struct limits_config tight_limits = {
	.max_attachment_size = (size_t)1 << 20,
	.max_unpacked_size = (size_t)16 << 20,
	.max_unpack_ratio = 100,
	.max_zip_entries = 1000,
	.max_xml_depth = 32,
	.extract_timeout = 10,
};

/* Blank runs (ASCII) collapsed to one space, ends trimmed. Caller frees. */
static char *squash(const char *s)
{
	struct buf b;
	buf_init(&b, strlen(s) + 1);
	bool space = false;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_append(&b, " ", 1);
		space = false;
		buf_append(&b, s, 1);
	}
	return buf_steal(&b);
}

/* A string literal and its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

static void test_detect_type(void **state)
{
	(void)state;
	static const unsigned char cfb[] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1,
					     'W', 0, 'o', 0, 'r', 0, 'd', 0, 'D', 0, 'o', 0, 'c', 0,
					     'u', 0, 'm', 0, 'e', 0, 'n', 0, 't', 0 };
	static const unsigned char cfb_plain[] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0 };
	static const unsigned char tnef[] = { 0x78, 0x9F, 0x3E, 0x22, 1, 2 };
	static const struct {
		const char *data;
		size_t len;
		const char *name, *ctype, *want;
	} rows[] = {
		{ S("%PDF-1.7\n..."), "input.docx", "application/msword", "pdf" },
		{ S("\n\n%PDF-1.4"), NULL, NULL, "pdf" },
		{ S("{\\rtf1\\ansi x}"), "input.doc", NULL, "rtf" },
		{ S("PK\x03\x04....word/document.xml"), "a.zip", NULL, "docx" },
		{ S("PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		  "mimetypeapplication/vnd.oasis.opendocument.text"), NULL, NULL, "odt" },
		{ S("PK\x03\x04....xl/workbook.xml"), "book.xlsx", NULL, "other" },
		{ S("PK\x03\x04....xl/workbook.xml"), "renamed.docx", NULL, "docx" },
		{ (const char *)cfb, sizeof(cfb), "old.doc", NULL, "doc" },
		{ (const char *)cfb, sizeof(cfb), "renamed.docx", NULL, "doc" },
		{ (const char *)cfb_plain, sizeof(cfb_plain), "locked.docx", NULL, "docx" },
		{ (const char *)cfb_plain, sizeof(cfb_plain), "sheet.xls", NULL, "other" },
		{ (const char *)tnef, sizeof(tnef), "winmail.dat", NULL, "tnef" },
		{ S("plain words"), "notes.TXT", NULL, "txt" },
		{ S("# Title"), "README.md", NULL, "md" },
		{ S("<p>x</p>"), "page.HTM", NULL, "html" },
		{ S("hello"), NULL, "text/plain; charset=utf-8", "txt" },
		{ S("hello"), NULL, "application/octet-stream", "other" },
		{ S("\xEF\xBB\xBF  <!DOCTYPE html><p>x"), NULL, NULL, "html" },
		{ S("not a pdf"), "input.pdf", NULL, "pdf" },
		{ S("<html><body>Word web page</body></html>"), "saved.doc", NULL, "html" },
		{ S("text saved as doc"), "saved.doc", NULL, "doc" },
		{ S("\x89PNG\r\n"), "photo.png", "image/png", "other" },
		{ S(""), NULL, NULL, "other" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = extract_detect_type((const unsigned char *)rows[i].data, rows[i].len,
						      rows[i].name, rows[i].ctype);
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu (%s): got %s, want %s", i, rows[i].name, got, rows[i].want);
	}
}

static void test_to_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *charset, *want;
	} rows[] = {
		{ S("caf\xc3\xa9"), NULL, "café" },
		{ S("caf\xe9 \x80"), NULL, "café €" },                 /* not UTF-8: cp1252 */
		{ S("caf\xe9"), "ISO-8859-1", "café" },
		{ S("\x93q\x94"), "latin1", "\u201cq\u201d" },          /* latin1 read as cp1252 */
		{ S("\xcf\xf0\xe8\xe2\xe5\xf2"), "windows-1251", "Привет" },
		{ S("\xcf\xf0\xe8\xe2\xe5\xf2"), "CP1251", "Привет" },
		{ S("\xf0\xd2\xc9\xd7\xc5\xd4"), "koi8-r", "Привет" },
		{ S("\xbf\xe0\xd8\xd2\xd5\xe2"), "ISO-8859-5", "Привет" },
		{ S("\xe3\xd1\xcd\xc8\xc7"), "windows-1256", "مرحبا" },
		{ S("\xb9\xfa"), "GB2312", "国" },
		{ S("\xff\xfe" "a\0\x14\x04"), NULL, "aД" },            /* UTF-16LE BOM */
		{ S("\xfe\xff\0a\x04\x14"), "windows-1252", "aД" },     /* BOM beats charset */
		{ S("\xef\xbb\xbfok"), "koi8-r", "ok" },
		{ S("ok\xc3"), "utf8", "ok\uFFFD" },                    /* truncated sequence */
		{ S("x\xff y"), "UTF-8", "x\uFFFD y" },
		{ S("a\0b"), NULL, "a b" },                              /* NUL is a space */
		{ S("\xe9"), "x-unknown-charset", "é" },
		{ S("\xe9"), " \"US-ASCII\" ", "é" },
		{ S("\xe9"), "latin1//TRANSLIT", "é" },                 /* not a name: sniffed */
		{ S(""), "utf-8", "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = extract_to_utf8((const unsigned char *)rows[i].in, rows[i].len, rows[i].charset);
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu (%s): got [%s], want [%s]", i, rows[i].charset, got, rows[i].want);
		free(got);
	}
}

static void test_html(void **state)
{
	(void)state;
	static const struct {
		const char *in, *charset, *want;
	} rows[] = {
		{ "<p>one<b>two</b></p><p>three</p>", NULL, "onetwo three" },
		{ "<html><head><title>T</title><style>p{}</style></head><body>a<script>x=1</script>"
		  "<br>b<!-- c --></body></html>", NULL, "a b" },
		{ "caf&eacute; &amp; &#1044;&#x4E2D; &nbsp;", NULL, "café & Д中 \u00a0" },
		{ "<table><tr><td>a</td><td>b</td></tr></table><ul><li>c</li><li>d</li></ul>", NULL,
		  "a b c d" },
		{ "<meta charset=\"windows-1251\"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>", NULL, "Привет" },
		{ "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">\xf0\xd2\xc9",
		  NULL, "При" },
		{ "<meta charset=\"windows-1251\"><p>Привет</p>", "utf-8", "Привет" },
		{ "<p>unclosed <div>tags <span>everywhere", NULL, "unclosed tags everywhere" },
		{ "<noscript>shown</noscript><template>hidden</template>", NULL, "shown" },
		{ "", NULL, "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = extract_html_text((const unsigned char *)rows[i].in, strlen(rows[i].in),
					      rows[i].charset);
		assert_non_null(got);
		char *sq = squash(got);
		if (strcmp(sq, rows[i].want) != 0)
			fail_msg("row %zu: got [%s], want [%s]", i, sq, rows[i].want);
		free(sq);
		free(got);
	}
}

/* 100 000 nested elements must neither crash nor recurse. */
static void test_html_deep(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, (size_t)16 << 20);
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, "<div><span>");
	buf_puts(&b, "deep words");
	char *got = extract_html_text((const unsigned char *)b.data, b.len, NULL);
	assert_non_null(got);
	free(got);
	buf_free(&b);
}

static void test_rtf(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want, *error;
	} rows[] = {
		{ "{\\rtf1\\ansi\\ansicpg1251 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2 \\'ec\\'e8\\'f0\\par}", "Привет мир", NULL },
		{ "{\\rtf1\\ansi\\uc1 \\u1055?\\u1088?\\u1080?\\u-1000?}", "При\uFC18", NULL },
		{ "{\\rtf1\\ansi\\uc2 \\u22269\\'b9\\'fa\\u23478\\'bc\\'d2}", "国家", NULL },
		{ "{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0\\fcharset134 SimSun;}}\\f0 \\'b9\\'fa\\'bc\\'d2}",
		  "国家", NULL },
		{ "{\\rtf1\\ansi{\\fonttbl{\\f0\\fnil Arial;}{\\f1\\fcharset204 Times;}}\\f0 caf\\'e9 \\f1 \\'c4\\'e0}",
		  "café Да", NULL },
		{ "{\\rtf1 a\\tab b\\line c\\par d\\cell e\\row f}", "a b c d e f", NULL },
		{ "{\\rtf1 {\\*\\ignored x}{\\info{\\title t}}{\\colortbl;\\red1;}{\\stylesheet{s}}visible}",
		  "visible", NULL },
		{ "{\\rtf1 {\\field{\\*\\fldinst HYPERLINK \"u\"}{\\fldrslt shown}}}", "shown", NULL },
		{ "{\\rtf1 kept {\\deleted gone} {\\deleted1 gone\\plain back}}", "kept back", NULL },
		{ "{\\rtf1 \\{braces\\} back\\\\slash}", "{braces} back\\slash", NULL },
		{ "{\\rtf1 \\u55357?\\u56832?}", "\U0001F600", NULL },
		{ "{\\rtf1 {\\pict\\pngblip 89504e47}{\\header head}{\\footer foot}body}", "body", NULL },
		{ "{\\rtf1 a \\bin4 {{{{b}", "a b", NULL },
		{ "{\\rtf1 {\\upr{ansi}{\\*\\ud{unicode}}}}", "unicode", NULL },
		{ "{\\rtf1 x}trailing", "x", NULL },
		{ "{\\rtf1 unbalanced {group", "unbalanced group", NULL },
		{ "{\\rtf1 \\'e", "e", NULL }, /* a cut escape is text */
		{ "plain text", NULL, "corrupt" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *text = NULL;
		const char *error = NULL;
		int rc = extract_text("rtf", (const unsigned char *)rows[i].in, strlen(rows[i].in), NULL,
				      &default_limits, &text, &error);
		if (rows[i].error != NULL) {
			if (rc != -1 || error == NULL || strcmp(error, rows[i].error) != 0)
				fail_msg("row %zu: rc %d error %s", i, rc, error);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu: error %s", i, error);
		char *sq = squash(text);
		if (strcmp(sq, rows[i].want) != 0)
			fail_msg("row %zu: got [%s], want [%s]", i, sq, rows[i].want);
		free(sq);
		free(text);
	}
}

static void test_limits_and_unknown(void **state)
{
	(void)state;
	char *text = (char *)"sentinel";
	const char *error = NULL;
	static const unsigned char small[] = "some words";
	struct limits_config lim = default_limits;
	lim.max_attachment_size = 4;
	assert_int_equal(extract_text("txt", small, sizeof(small) - 1, NULL, &lim, &text, &error), -1);
	assert_string_equal(error, "too_large");
	assert_null(text);
	assert_int_equal(extract_text("tnef", small, 4, NULL, NULL, &text, &error), -1);
	assert_string_equal(error, "unsupported");
	assert_int_equal(extract_text("other", small, 4, NULL, NULL, &text, &error), -1);
	assert_string_equal(error, "unsupported");
	/* NULL limits mean the built-in defaults. */
	assert_int_equal(extract_text("md", small, sizeof(small) - 1, NULL, NULL, &text, &error), 0);
	assert_string_equal(text, "some words");
	free(text);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_child_runner(void **state)
{
	(void)state;
	struct buf out, err;
	int status;
	size_t big = (size_t)3 << 20;
	unsigned char *data = xmalloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (unsigned char)('a' + i % 26);

	/* Both directions at once: 3 MiB through cat without a deadlock. */
	static const char *const cat[] = { "cat", NULL };
	buf_init(&out, big);
	buf_init(&err, 1024);
	assert_int_equal(extract_child_run(cat, data, big, (size_t)256 << 20, 10, &out, &err, &status),
			 EXTRACT_CHILD_EXITED);
	assert_int_equal(status, 0);
	assert_int_equal(out.len, big);
	assert_memory_equal(out.data, data, big);
	buf_free(&out);

	/* Output beyond the cap stops the child. */
	buf_init(&out, 1 << 20);
	assert_int_equal(extract_child_run(cat, data, big, (size_t)256 << 20, 10, &out, &err, &status),
			 EXTRACT_CHILD_TOO_LARGE);
	buf_free(&out);

	static const char *const sleeper[] = { "sleep", "30", NULL };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	buf_init(&out, 1024);
	assert_int_equal(extract_child_run(sleeper, NULL, 0, (size_t)256 << 20, 1, &out, &err, &status),
			 EXTRACT_CHILD_TIMEOUT);
	assert_true(ms_since(&t0) < 5000);

	static const char *const cpu[] = { "sh", "-c", "while :; do :; done", NULL };
	assert_int_equal(extract_child_run(cpu, NULL, 0, (size_t)256 << 20, 1, &out, &err, &status),
			 EXTRACT_CHILD_TIMEOUT);

	static const char *const fails[] = { "sh", "-c", "echo oops >&2; exit 3", NULL };
	assert_int_equal(extract_child_run(fails, data, 10, (size_t)256 << 20, 5, &out, &err, &status),
			 EXTRACT_CHILD_EXITED);
	assert_int_equal(status, 3);
	assert_string_equal(err.data, "oops\n");

	/* The child may not write files. */
	static const char *const writer[] = { "sh", "-c", "echo x > /dev/null && head -c 10 /dev/zero > \"${TMPDIR:-/tmp}/intaked-fsize-test.$$\"; rc=$?; rm -f \"${TMPDIR:-/tmp}/intaked-fsize-test.$$\"; exit $rc", NULL };
	assert_int_equal(extract_child_run(writer, NULL, 0, (size_t)256 << 20, 5, &out, &err, &status),
			 EXTRACT_CHILD_EXITED);
	assert_int_not_equal(status, 0);

	static const char *const missing[] = { "intaked-no-such-program", NULL };
	assert_int_equal(extract_child_run(missing, NULL, 0, (size_t)256 << 20, 5, &out, &err, &status),
			 EXTRACT_CHILD_FAILED);
	assert_false(extract_child_found("intaked-no-such-program"));
	assert_true(extract_child_found("sh"));
	buf_free(&out);
	buf_free(&err);
	free(data);
}

/* ---- the generated documents */

struct fixture_row {
	char *cols[8];
};

static bool error_matches(const char *got, const char *alternatives)
{
	if (got == NULL)
		return false;
	size_t n = strlen(got);
	for (const char *p = alternatives; p != NULL && *p != '\0';) {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, got, n) == 0)
			return true;
		p = bar != NULL ? bar + 1 : NULL;
	}
	return false;
}

static int check_fixture(const char *dir, char **c)
{
	const char *file = c[0], *charset = c[1], *type = c[2], *profile = c[3], *words = c[4];
	const char *error = c[5], *contains = c[6], *absent = c[7];
	char *path = xasprintf("%s/%s", dir, file);
	char *data = NULL;
	size_t len = 0;
	struct err e;
	int failures = 0;
	if (fsio_read_file(path, FIXTURE_MAX, &data, &len, &e) < 0) {
		print_error("%s: %s\n", file, e.msg);
		free(path);
		return 1;
	}
	const char *got_type = extract_detect_type((unsigned char *)data, len, file, NULL);
	if (strcmp(got_type, type) != 0) {
		print_error("%s: type %s, want %s\n", file, got_type, type);
		failures++;
	}
	char *text = NULL;
	const char *why = NULL;
	const struct limits_config *lim = strcmp(profile, "tight") == 0 ? &tight_limits : &default_limits;
	int rc = extract_text(got_type, (unsigned char *)data, len,
			      strcmp(charset, "-") == 0 ? NULL : charset, lim, &text, &why);
	if (strcmp(error, "-") != 0) {
		if (rc != -1 || !error_matches(why, error)) {
			print_error("%s: rc %d error %s, want %s\n", file, rc, why ? why : "(none)", error);
			failures++;
		}
	} else if (rc != 0) {
		print_error("%s: error %s\n", file, why);
		failures++;
	} else {
		long n = wordcount_text(text, strlen(text));
		if (n != strtol(words, NULL, 10)) {
			print_error("%s: %ld words, want %s; text: %s\n", file, n, words, text);
			failures++;
		}
		if (strcmp(contains, "-") != 0 && strstr(text, contains) == NULL) {
			print_error("%s: no \"%s\" in: %s\n", file, contains, text);
			failures++;
		}
	}
	if (text != NULL && strcmp(absent, "-") != 0 && strstr(text, absent) != NULL) {
		print_error("%s: \"%s\" must not be read: %s\n", file, absent, text);
		failures++;
	}
	free(text);
	free(data);
	free(path);
	return failures;
}

static void test_generated_documents(void **state)
{
	(void)state;
	char dir[] = "/tmp/intaked-test-extract.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cmd = xasprintf("python3 tests/fixtures/make_docs.py '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		fsio_rmtree(dir);
		fail_msg("tests/fixtures/make_docs.py failed (%d); run from the repository root", rc);
	}
	char *manifest_path = xasprintf("%s/manifest.tsv", dir);
	char *manifest = NULL;
	size_t mlen = 0;
	struct err e;
	assert_int_equal(fsio_read_file(manifest_path, 1 << 20, &manifest, &mlen, &e), 0);
	int failures = 0, rows = 0;
	char *save = NULL;
	for (char *line = strtok_r(manifest, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *cols[8];
		int n = 0;
		char *csave = NULL;
		for (char *f = strtok_r(line, "\t", &csave); f != NULL && n < 8; f = strtok_r(NULL, "\t", &csave))
			cols[n++] = f;
		assert_int_equal(n, 8);
		failures += check_fixture(dir, cols);
		rows++;
	}
	free(manifest);
	free(manifest_path);
	fsio_rmtree(dir);
	assert_true(rows >= 60);
	assert_int_equal(failures, 0);
}

/* A zip bomb whose headers lie about its size must be refused within
 * bounded memory: the walk never holds more than a reader's window. */
static void test_bomb_memory(void **state)
{
	(void)state;
	char dir[] = "/tmp/intaked-test-extract.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cmd = xasprintf("python3 -c 'import sys; sys.path.insert(0, \"tests/fixtures\"); "
			      "import make_docs; open(\"%s/b.docx\", \"wb\").write(make_docs.make_lying_bomb(48))'",
			      dir);
	int rc = system(cmd);
	free(cmd);
	assert_int_equal(rc, 0);
	char *path = xasprintf("%s/b.docx", dir);
	char *data = NULL;
	size_t len = 0;
	struct err e;
	assert_int_equal(fsio_read_file(path, FIXTURE_MAX, &data, &len, &e), 0);
	/* In a fresh child: ru_maxrss is a high-water mark, and earlier tests
	 * have raised ours. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rusage before, after;
		getrusage(RUSAGE_SELF, &before);
		char *text = NULL;
		const char *error = NULL;
		rc = extract_text("docx", (unsigned char *)data, len, NULL, &default_limits, &text, &error);
		getrusage(RUSAGE_SELF, &after);
		long grew = after.ru_maxrss - before.ru_maxrss;
		fprintf(stderr, "lying bomb: %zu bytes, error %s, peak RSS grew by %ld KiB\n", len,
			error != NULL ? error : "none", grew);
		bool ok = rc == -1 && error_matches(error, "zip_bomb|corrupt");
#ifndef UNDER_ASAN /* ASan's quarantine keeps freed memory resident */
		ok = ok && grew < 40 * 1024;
#endif
		free(text);
		free(data);
		free(path);
		_exit(ok ? 0 : 1);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	free(data);
	free(path);
	fsio_rmtree(dir);
}

/* The PDF reader's verdicts for what pdftotext can do wrong, with fake
 * pdftotext scripts first in PATH. */
static void test_pdf_child_failures(void **state)
{
	(void)state;
	static const struct {
		const char *script, *error;
	} rows[] = {
		{ "exec sleep 30", "timeout" },
		{ "while :; do :; done", "timeout" },
		{ "exec cat /dev/zero", "too_large" },
		{ "kill -SEGV $$", "corrupt" },
		{ "echo 'Command Line Error: Incorrect password' >&2; exit 1", "encrypted" },
		{ "echo 'Permission Error: Copying of text from this document is not allowed.' >&2; exit 3",
		  "encrypted" },
		{ "echo 'Syntax Error: Couldn'\\''t read xref table' >&2; exit 1", "corrupt" },
		{ "printf '\\f\\n  \\f'", "no_text" },
		{ "cat >/dev/null; echo 'two words'", NULL },
	};
	char dir[] = "/tmp/intaked-test-pdf.XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *old = getenv("PATH");
	char *saved = xstrdup(old != NULL ? old : "/usr/bin:/bin");
	char *path = xasprintf("%s:%s", dir, saved);
	setenv("PATH", path, 1);
	struct limits_config lim = default_limits;
	lim.extract_timeout = 1;
	static const unsigned char pdf[] = "%PDF-1.4\n%%EOF\n";
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *script = xasprintf("#!/bin/sh\n%s\n", rows[i].script);
		char *file = xasprintf("%s/pdftotext", dir);
		unlink(file);
		struct err e;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);
		assert_true(dfd >= 0);
		assert_int_equal(fsio_write_new(dfd, "pdftotext", script, strlen(script), 0700, &e), 0);
		close(dfd);
		char *text = NULL;
		const char *error = NULL;
		int rc = extract_text("pdf", pdf, sizeof(pdf) - 1, NULL, &lim, &text, &error);
		if (rows[i].error == NULL ? rc != 0 : rc != -1 || error == NULL ||
						       strcmp(error, rows[i].error) != 0)
			fail_msg("row %zu (%s): rc %d error %s", i, rows[i].script, rc, error);
		if (rows[i].error == NULL)
			assert_int_equal(wordcount_text(text, strlen(text)), 2);
		free(text);
		free(script);
		unlink(file);
		free(file);
	}
	setenv("PATH", saved, 1);
	free(saved);
	free(path);
	fsio_rmtree(dir);
}

/* catdoc needs a file: it is staged in a private directory under TMPDIR
 * and removed. catdoc prints a file that is not OLE2 as text, which is
 * enough to check the plumbing without a Word 97 file. */
static void test_doc_via_catdoc(void **state)
{
	(void)state;
	if (!extract_doc_available())
		skip();
	char dir[] = "/tmp/intaked-test-doc.XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *old = getenv("TMPDIR");
	char *saved = old != NULL ? xstrdup(old) : NULL;
	setenv("TMPDIR", dir, 1);
	static const unsigned char doc[] = "three plain words";
	char *text = NULL;
	const char *error = NULL;
	int rc = extract_text("doc", doc, sizeof(doc) - 1, NULL, &default_limits, &text, &error);
	if (saved != NULL)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(wordcount_text(text, strlen(text)), 3);
	free(text);
	assert_int_equal(extract_text("doc", doc, 0, NULL, &default_limits, &text, &error), -1);
	assert_string_equal(error, "corrupt");
	assert_int_equal(rmdir(dir), 0); /* empty: the staged copy is gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_type),
		cmocka_unit_test(test_to_utf8),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_deep),
		cmocka_unit_test(test_rtf),
		cmocka_unit_test(test_limits_and_unknown),
		cmocka_unit_test(test_child_runner),
		cmocka_unit_test(test_pdf_child_failures),
		cmocka_unit_test(test_doc_via_catdoc),
		cmocka_unit_test(test_generated_documents),
		cmocka_unit_test(test_bomb_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
