/* test_ctl.c — intakectl's shared helpers: text made safe for a terminal,
 * tables aligned in terminal columns, times, and submitter names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "intaked/metadata.h"
#include "intaked/printable.h"
#include "intaked/util.h"

static void test_clean(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } rows[] = {
		{ "France", "France" },
		{ "Côte d’Ivoire 中国", "Côte d’Ivoire 中国" },
		{ "tab\there", "tab here" },
		{ "esc\x1b]0;title\x07", "esc\xef\xbf\xbd]0;title\xef\xbf\xbd" },
		{ "line\r\nbreak", "line\xef\xbf\xbd\xef\xbf\xbd" "break" },
		{ "bad \xff", "bad \xef\xbf\xbd" },
		{ "csi \xc2\x9b" "31m", "csi \xef\xbf\xbd" "31m" },
		{ "rlo \xe2\x80\xae" "fdp.exe", "rlo \xef\xbf\xbd" "fdp.exe" },
		{ "lri \xe2\x81\xa6x", "lri \xef\xbf\xbdx" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = printable_copy(rows[i].in);
		assert_string_equal(got, rows[i].out);
		free(got);
	}
	char *got = printable_copy(NULL);
	assert_string_equal(got, "");
	free(got);
}

static char *print_table(struct ctl_table *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ctl_table_print(t, f);
	fclose(f);
	return text;
}

static void test_table(void **state)
{
	(void)state;
	static const char *const head[] = { "NAME", "N", "NOTE" };
	struct ctl_table *t = ctl_table_new(head, 3);
	const char *r1[] = { "中国", "12", "wide" };
	const char *r2[] = { "Côte d’Ivoire", NULL, "x\x1b[2J" };
	ctl_table_add(t, r1);
	ctl_table_add(t, r2);
	char *text = print_table(t);
	/* Columns line up in terminal cells: 中国 is 4 wide, Côte d’Ivoire 13. */
	assert_string_equal(text,
			    "NAME           N   NOTE\n"
			    "中国           12  wide\n"
			    "Côte d’Ivoire  -   x\xef\xbf\xbd[2J\n");
	free(text);
	ctl_table_free(&t);
	assert_null(t);
}

static void test_format_time(void **state)
{
	(void)state;
	char out[64];
	ctl_format_time(0, "America/New_York", out, sizeof(out));
	assert_string_equal(out, "-");
	ctl_format_time(1648591200, "America/New_York", out, sizeof(out));
	assert_string_equal(out, "2022-03-29 18:00 EDT");
	ctl_format_time(1648591200, NULL, out, sizeof(out));
	assert_string_equal(out, "2022-03-29T22:00:00Z");
}

static void test_submitter_name(void **state)
{
	(void)state;
	struct metadata md = { 0 };
	assert_string_equal(ctl_submitter_name(&md), "?");
	md.from = (char *)"x@y.org";
	assert_string_equal(ctl_submitter_name(&md), "x@y.org");
	md.from_name = (char *)"";
	assert_string_equal(ctl_submitter_name(&md), "x@y.org");
	md.from_name = (char *)"X Y";
	assert_string_equal(ctl_submitter_name(&md), "X Y");
	md.submitter.name = (char *)"Bangladesh";
	assert_string_equal(ctl_submitter_name(&md), "Bangladesh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_submitter_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
