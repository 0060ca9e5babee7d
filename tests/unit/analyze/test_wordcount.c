/* test_wordcount.c — SPEC §4's word rule, one row per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>

#include "intaked/wordcount.h"

struct row {
	const char *name;
	const char *text;
	long words;
};

static const struct row text_rows[] = {
	{ "empty", "", 0 },
	{ "english", "The quick brown fox jumps over the lazy dog.", 9 },
	{ "blanks at both ends", "  \t hello \n world \r\n ", 2 },
	{ "french elision", "l'ONU et d'autres", 3 },
	{ "french typographic apostrophe", "l\u2019ONU aujourd\u2019hui", 2 },
	{ "french punctuation apart", "Vraiment ? Oui !", 2 },
	{ "spanish inverted marks", "¿Qué tal? ¡Muy bien!", 4 },
	{ "arabic with harakat", "بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ", 4 },
	{ "arabic plain", "الأمم المتحدة", 2 },
	{ "hindi with matras", "संयुक्त राष्ट्र महासभा", 3 },
	{ "russian", "Организация Объединённых Наций", 3 },
	{ "chinese", "我们今天去北京大学。", 9 },
	{ "chinese with ascii comma", "你好,世界", 4 },
	{ "latin then han", "IMRF2022年", 2 },
	{ "han between latin", "abc中def", 3 },
	{ "japanese hiragana", "ひらがな", 4 },
	{ "japanese katakana with long mark", "コーヒー", 4 },
	{ "japanese mixed", "東京タワーへ行く", 8 },
	{ "korean uses spaces", "국제 연합", 2 },
	{ "punctuation only", "... --- !!! ???", 0 },
	{ "em dash alone", "word \u2014 word", 2 },
	{ "em dash only", "\u2014", 0 },
	{ "number with separator", "5,000 words", 2 },
	{ "decimal", "3.14", 1 },
	{ "symbols only", "$ % & @ # +", 0 },
	{ "letters attached to symbols", "(a) [b] {c}", 3 },
	{ "no-break space separates", "one\u00A0two", 2 },
	{ "ideographic space separates", "one\u3000two", 2 },
	{ "zero width space is not white space", "one\u200Btwo", 1 },
	{ "word joiner is not white space", "one\u2060two", 1 },
	{ "BOM is not white space", "one\uFEFFtwo three", 2 },
	{ "next line separates", "one\xC2\x85two", 2 },
	{ "paragraph separator", "one\u2029two", 2 },
	{ "line separator", "one\u2028two", 2 },
	{ "en quad", "one\u2000two", 2 },
	{ "combining mark starting a token", "\u0301abc", 1 },
	{ "superscript digit", "x\u00B2", 1 },
	{ "emoji alone", "\U0001F389", 0 },
	{ "invalid byte separates", "abc\xFF" "def", 2 },
	{ "truncated sequence at end", "abc \xE4\xB8", 1 },
	{ "overlong encoding", "a\xC0\xAF" "b", 2 },
	{ "surrogate encoded", "a\xED\xA0\x80" "b", 2 },
};

static void test_text_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_rows) / sizeof(text_rows[0]); i++) {
		const struct row *r = &text_rows[i];
		long got = wordcount_text(r->text, strlen(r->text));

		if (got != r->words)
			fail_msg("%s: \"%s\" = %ld, want %ld", r->name, r->text, got, r->words);
	}
}

static void test_text_uses_length_not_nul(void **state)
{
	const char s[] = "one two\0three four";

	(void)state;
	assert_int_equal(wordcount_text(s, 7), 2);
	/* An embedded NUL is a control character, not a letter: a
	 * separator of nothing, the token goes on. */
	assert_int_equal(wordcount_text(s, sizeof(s) - 1), 3);
	assert_int_equal(wordcount_text(NULL, 0), 0);
}

struct body_row {
	const char *name;
	const char *body;
	const char *filtered;
	long words;
};

static const struct body_row body_rows[] = {
	{ "plain", "Hello there\nfriend\n", "Hello there\nfriend\n", 3 },
	{ "no final newline", "one two", "one two\n", 2 },
	{ "quoted lines out", "reply\n> quoted text\n>> deeper\nmore\n", "reply\nmore\n", 2 },
	{ "indented > kept", "a\n > b\n", "a\n > b\n", 2 },
	{ "signature cut", "text here\n-- \nJohn Doe\nPhone 123\n", "text here\n", 2 },
	{ "signature with CRLF", "text here\r\n-- \r\nJohn Doe\r\n", "text here\r\n", 2 },
	{ "dashes without space are text", "a\n--\nb\n", "a\n--\nb\n", 2 },
	{ "dashes with text are text", "a\n-- b\nc\n", "a\n-- b\nc\n", 3 },
	{ "signature first", "-- \nonly sig\n", "", 0 },
	{ "empty", "", "", 0 },
	{ "quote with CRLF", "x\r\n> y\r\nz\r\n", "x\r\nz\r\n", 2 },
};

/* The ASCII shortcut answers as libunistring's tables: each of the 128
 * characters alone is a word exactly when it is a letter or digit, and
 * between two letters cuts them apart exactly when it is white space. */
static void test_ascii_like_unicode(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 0x80; c++) {
		char one[1] = { (char)c }, three[3] = { 'a', (char)c, 'a' };
		bool alnum = uc_is_general_category(c, UC_CATEGORY_L) ||
			     uc_is_general_category(c, UC_CATEGORY_N);
		bool space = uc_is_property_white_space(c);

		if (wordcount_text(one, 1) != (alnum ? 1 : 0))
			fail_msg("U+%04X alone: %ld words", c, wordcount_text(one, 1));
		if (wordcount_text(three, 3) != (space ? 2 : 1))
			fail_msg("U+%04X between letters: %ld words", c, wordcount_text(three, 3));
	}
}

static void test_body_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(body_rows) / sizeof(body_rows[0]); i++) {
		const struct body_row *r = &body_rows[i];
		char *got = wordcount_body_filter(r->body);

		if (strcmp(got, r->filtered) != 0)
			fail_msg("%s: filtered to \"%s\", want \"%s\"", r->name, got, r->filtered);
		free(got);
		if (wordcount_body(r->body) != r->words)
			fail_msg("%s: %ld words, want %ld", r->name, wordcount_body(r->body), r->words);
	}
}

static void test_body_null(void **state)
{
	char *s = wordcount_body_filter(NULL);

	(void)state;
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(wordcount_body(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_rows),
		cmocka_unit_test(test_text_uses_length_not_nul),
		cmocka_unit_test(test_ascii_like_unicode),
		cmocka_unit_test(test_body_rows),
		cmocka_unit_test(test_body_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
