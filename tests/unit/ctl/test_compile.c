/* test_compile.c — the compilation's own pages and its check of input
 * PDFs: how many contents pages a count of inputs takes, a long text
 * flowed over several pages without losing a line, right-to-left and CJK
 * text typeset, and qpdf's verdict on a good, a damaged and an empty PDF. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "intaked/fsio.h"
#include "intaked/util.h"

static char workdir[] = "/tmp/test_compile.XXXXXX";

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	assert_int_equal(fclose(f), 0);
}

static struct compile_part part(const char *name, const char *src)
{
	struct compile_part p = { .kind = PART_TEXT, .name = (char *)name };
	p.src = xasprintf("%s/%s", workdir, src);
	p.pdf = xasprintf("%s/%s.pdf", workdir, src);
	return p;
}

static void part_done(struct compile_part *p)
{
	free(p->src);
	free(p->pdf);
}

/* The text of a PDF as pdftotext gives it. */
static char *pdf_text(const char *pdf)
{
	char *cmd = xasprintf("pdftotext -q '%s' -", pdf), *out = xcalloc(1, 1 << 20);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, (1 << 20) - 1, p);
	out[n] = '\0';
	pclose(p);
	free(cmd);
	return out;
}

static void toc_pages(void **state)
{
	(void)state;
	assert_int_equal(compile_toc_pages(0), 1);
	assert_int_equal(compile_toc_pages(1), 1);
	assert_int_equal(compile_toc_pages(30), 1);
	assert_int_equal(compile_toc_pages(31), 2);   /* 30 on the first, 34 on the others */
	assert_int_equal(compile_toc_pages(64), 2);
	assert_int_equal(compile_toc_pages(65), 3);
	assert_int_equal(compile_toc_pages(200), 6);
}

/* 300 numbered lines: several pages, every line once, in order. */
static void long_text_flows(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1 << 20);
	for (int i = 1; i <= 300; i++)
		buf_printf(&b, "Line %d of the statement.\n", i);
	char *text = buf_steal(&b);
	struct compile_part p = part("Message text", "long.txt");
	struct err err = { 0 };
	write_file(p.src, text);
	assert_int_equal(compile_typeset_text(&p, "en", &err), 0);
	assert_true(p.npages >= 5 && p.npages <= 12);
	assert_int_equal(compile_probe(&p), 0);
	char *out = pdf_text(p.pdf);
	const char *at = out;
	for (int i = 1; i <= 300; i++) {
		char want[64];
		snprintf(want, sizeof(want), "Line %d of the statement.", i);
		at = strstr(at, want);
		assert_non_null(at);
	}
	free(out);
	free(text);
	part_done(&p);
}

static void arabic_and_chinese(void **state)
{
	(void)state;
	struct compile_part ar = part("Message text", "ar.txt"), zh = part("Message text", "zh.txt");
	struct err err = { 0 };
	write_file(ar.src, "ندعو جميع الدول إلى العمل الآن\n");
	write_file(zh.src, "我们呼吁所有会员国立即采取行动。\n");
	assert_int_equal(compile_typeset_text(&ar, "ar", &err), 0);
	assert_int_equal(compile_typeset_text(&zh, "zh", &err), 0);
	assert_int_equal(ar.npages, 1);
	char *out = pdf_text(ar.pdf);
	assert_non_null(strstr(out, "ندعو"));
	assert_non_null(strstr(out, "العمل"));
	free(out);
	out = pdf_text(zh.pdf);
	assert_non_null(strstr(out, "会员国"));
	free(out);
	part_done(&ar);
	part_done(&zh);
}

static void probe(void **state)
{
	(void)state;
	struct compile_part bad = part("broken.pdf", "broken"), none = part("empty.pdf", "empty");
	struct compile_part err_page = part("Zambia statement.pdf", "zm");
	struct err err = { 0 };
	write_file(bad.pdf, "%PDF-1.4\n1 0 obj garbage\n%%EOF\n");
	assert_int_equal(compile_probe(&bad), -1);
	assert_non_null(strstr(bad.reason, "not a readable PDF"));
	write_file(none.pdf, "");
	assert_int_equal(compile_probe(&none), -1);
	/* The page that replaces it names the file and the reason. */
	snprintf(err_page.reason, sizeof(err_page.reason), "%s", bad.reason);
	assert_int_equal(compile_typeset_error(&err_page, &err), 0);
	assert_int_equal(compile_probe(&err_page), 0);
	assert_int_equal(err_page.npages, 1);
	char *out = pdf_text(err_page.pdf);
	assert_non_null(strstr(out, "Zambia statement.pdf"));
	assert_non_null(strstr(out, "not a readable PDF"));
	free(out);
	part_done(&bad);
	part_done(&none);
	part_done(&err_page);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	compile_typeset_done();
	return fsio_rmtree(workdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(toc_pages),
		cmocka_unit_test(long_text_flows),
		cmocka_unit_test(arabic_and_chinese),
		cmocka_unit_test(probe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
