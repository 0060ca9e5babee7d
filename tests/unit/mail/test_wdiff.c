/* test_wdiff.c — the word diff of intakectl diff and the digest: the
 * script (through the text rendering), the counts, HTML escaping, and the
 * paragraph-level fallback past the bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/util.h"
#include "intaked/version_text.h"
#include "intaked/wdiff.h"

static char *render(const char *old, const char *new, bool html, long *add, long *rem)
{
	struct wdiff *d = wdiff_compute(old, strlen(old), new, strlen(new));
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	if (html)
		wdiff_render_html(d, f);
	else
		wdiff_render_text(d, f, false);
	fclose(f);
	if (add)
		*add = wdiff_added(d);
	if (rem)
		*rem = wdiff_removed(d);
	wdiff_free(&d);
	return out;
}

static void test_word_replaced(void **state)
{
	(void)state;
	long add, rem;
	char *out = render("The quick brown fox jumps.", "The quick red fox leaps.", false,
			   &add, &rem);
	assert_string_equal(out, "The quick [-brown-] {+red+} fox [-jumps.-] {+leaps.+}\n\n");
	assert_int_equal(add, 2);
	assert_int_equal(rem, 2);
	free(out);
}

static void test_identical(void **state)
{
	(void)state;
	long add, rem;
	char *out = render("Same words.\n\nAgain.", "Same  words.\n\nAgain.\n", false, &add, &rem);
	assert_string_equal(out, "(no change)\n");
	assert_int_equal(add + rem, 0);
	free(out);
}

static void test_unchanged_paragraphs_collapse(void **state)
{
	(void)state;
	long add, rem;
	char *out = render("One a.\n\nTwo b.\n\nThree c.\n\nFour d.",
			   "One a.\n\nTwo b.\n\nThree c and more.\n\nFour d.", false, &add, &rem);
	assert_string_equal(out, "…\n\nThree [-c.-] {+c and more.+}\n\n…\n\n");
	assert_int_equal(add, 3);
	assert_int_equal(rem, 1);
	free(out);
}

/* Extracted documents put a paragraph on each line, and may end in
 * empty ones; mail wraps its lines and separates paragraphs by a blank
 * line. */
static void test_one_paragraph_a_line(void **state)
{
	(void)state;
	char *out = render("One a.\nTwo b.\nThree c.\nFour d.\n\n\n",
			   "One a.\nTwo b.\nThree c and more.\nFour d.\n\n", false, NULL, NULL);
	assert_string_equal(out, "…\n\nThree [-c.-] {+c and more.+}\n\n…\n\n");
	free(out);
	out = render("One a\nwrapped.\n\nTwo b.", "One a\nwrapped.\n\nTwo c.", false, NULL, NULL);
	assert_string_equal(out, "…\n\nTwo [-b.-] {+c.+}\n\n");
	free(out);
}

static void test_sentence_removed_and_added(void **state)
{
	(void)state;
	long add, rem;
	char *out = render("We propose a plan. It has three steps. Thank you.",
			   "We propose a plan. Thank you. Funding is requested.", false,
			   &add, &rem);
	assert_string_equal(out, "We propose a plan. [-It has three steps.-] Thank you. "
				 "{+Funding is requested.+}\n\n");
	assert_int_equal(add, 3);
	assert_int_equal(rem, 4);
	free(out);
}

static void test_punctuation_is_no_word(void **state)
{
	(void)state;
	long add, rem;
	char *out = render("a b", "a — b", false, &add, &rem);
	assert_int_equal(add, 0);
	assert_int_equal(rem, 0);
	free(out);
}

static void test_html_escaped(void **state)
{
	(void)state;
	char *out = render("x <b>old</b> & 'q'", "x <script>alert(1)</script> \"q\"", true,
			   NULL, NULL);
	assert_null(strstr(out, "<script>"));
	assert_null(strstr(out, "<b>"));
	assert_non_null(strstr(out, "<del>&lt;b&gt;old&lt;/b&gt; &amp; &#39;q&#39;</del>"));
	assert_non_null(strstr(out, "<ins>&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;</ins>"));
	free(out);
}

static void test_control_characters_cleaned(void **state)
{
	(void)state;
	char *out = render("a", "a b\033[2Jc", false, NULL, NULL);
	assert_null(strchr(out, '\033'));
	free(out);
}

/* More edits than WDIFF_MAX_D: paragraphs compared whole, counts still
 * right, and fast. */
static void test_coarse_fallback(void **state)
{
	(void)state;
	struct buf a, b;
	buf_init(&a, SIZE_MAX);
	buf_init(&b, SIZE_MAX);
	for (int p = 0; p < 10; p++) {
		for (unsigned w = 0; w < WDIFF_MAX_D; w++) {
			buf_printf(&a, "a%u ", w);
			buf_printf(&b, p == 4 ? "b%u " : "a%u ", w);
		}
		buf_puts(&a, "\n\n");
		buf_puts(&b, "\n\n");
	}
	struct wdiff *d = wdiff_compute(a.data, a.len, b.data, b.len);
	assert_true(wdiff_coarse(d));
	assert_int_equal(wdiff_added(d), WDIFF_MAX_D);
	assert_int_equal(wdiff_removed(d), WDIFF_MAX_D);
	wdiff_free(&d);
	buf_free(&a);
	buf_free(&b);
}

static void test_empty_sides(void **state)
{
	(void)state;
	long add, rem;
	char *out = render("", "New text.", false, &add, &rem);
	assert_string_equal(out, "{+New text.+}\n\n");
	assert_int_equal(add, 2);
	free(out);
	out = render("Old text.", "", false, &add, &rem);
	assert_string_equal(out, "[-Old text.-]\n\n");
	assert_int_equal(rem, 2);
	free(out);
}

/* The version a held one supersedes is its metadata's, not vN-1. */
static void test_previous_path(void **state)
{
	(void)state;
	char *p = version_previous_path("calls/imrf/bd/v4", "v2");
	assert_string_equal(p, "calls/imrf/bd/v2");
	free(p);
	const char *bad[] = { NULL, "", "v", "v0", "x2", "v2/x", "v../v1", "v2 " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(version_previous_path("calls/imrf/bd/v4", bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_replaced),
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_unchanged_paragraphs_collapse),
		cmocka_unit_test(test_one_paragraph_a_line),
		cmocka_unit_test(test_sentence_removed_and_added),
		cmocka_unit_test(test_punctuation_is_no_word),
		cmocka_unit_test(test_html_escaped),
		cmocka_unit_test(test_control_characters_cleaned),
		cmocka_unit_test(test_coarse_fallback),
		cmocka_unit_test(test_empty_sides),
		cmocka_unit_test(test_previous_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
