/* wordcount.c — SPEC §4's word rule on libunistring character properties.
 *
 * A token (text between white space) is cut by its CJK characters into
 * segments: every CJK character is one word, every segment that holds a
 * letter or digit is one more. A token without CJK is one segment, so
 * "l'ONU", "5,000" and "¿Qué?" are one word each, "IMRF2022年" is two and
 * "—" is none. Combining marks never open or close anything, so Arabic
 * harakat or Devanagari matras stay inside their word. */
#include "intaked/wordcount.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "intaked/util.h"

struct scripts {
	const uc_script_t *han;
	const uc_script_t *hiragana;
	const uc_script_t *katakana;
};

/* Exactly Unicode's White_Space property (SPEC §4). U+200B ZERO WIDTH
 * SPACE is not in it: a hidden character must not let a text count more
 * words than a reader sees, so "one\u200Btwo" is one word. */
static bool is_space(ucs4_t uc)
{
	return uc_is_property_white_space(uc);
}

static bool is_cjk(const struct scripts *s, ucs4_t uc)
{
	const uc_script_t *sc;

	/* Iteration and prolonged-sound marks are "Common" by script but are
	 * written inside Japanese words as full characters. */
	if (uc == 0x3005 || uc == 0x30FC || uc == 0xFF70)
		return true;
	sc = uc_script(uc);
	return sc != NULL && (sc == s->han || sc == s->hiragana || sc == s->katakana);
}

static bool is_alnum(ucs4_t uc)
{
	return uc_is_general_category(uc, UC_CATEGORY_L) ||
	       uc_is_general_category(uc, UC_CATEGORY_N);
}

static bool ascii_space(ucs4_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool ascii_alnum(ucs4_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

long wordcount_text(const char *utf8, size_t len)
{
	const uint8_t *p = (const uint8_t *)utf8;
	const uint8_t *end;
	struct scripts s = {
		uc_script_byname("Han"),
		uc_script_byname("Hiragana"),
		uc_script_byname("Katakana"),
	};
	long words = 0;
	bool segment_counted = false; /* current segment already holds a letter */

	if (utf8 == NULL)
		return 0;
	end = p + len;
	while (p < end) {
		ucs4_t uc;
		int n;

		if (*p < 0x80) {
			/* ASCII, most of most texts, without the tables: its white
			 * space is \t-\r and ' ', its letters and digits the
			 * alphanumerics, and none of it is CJK (test_wordcount
			 * checks all 128 against libunistring). */
			uc = *p++;
			if (ascii_space(uc))
				segment_counted = false;
			else if (!segment_counted && ascii_alnum(uc)) {
				words++;
				segment_counted = true;
			}
			continue;
		}
		n = u8_mbtoucr(&uc, p, (size_t)(end - p));
		if (n <= 0) {
			/* Invalid or truncated sequence: one byte, as a space. */
			segment_counted = false;
			p++;
			continue;
		}
		p += n;
		if (is_space(uc)) {
			segment_counted = false;
		} else if (is_cjk(&s, uc)) {
			words++;
			segment_counted = false;
		} else if (!segment_counted && is_alnum(uc)) {
			words++;
			segment_counted = true;
		}
	}
	return words;
}

/* A signature separator: "-- " alone on its line (CRLF text keeps its CR). */
static bool is_signature_line(const char *line, size_t n)
{
	return (n == 3 && memcmp(line, "-- ", 3) == 0) ||
	       (n == 4 && memcmp(line, "-- \r", 4) == 0);
}

char *wordcount_body_filter(const char *body)
{
	struct buf out;
	const char *line = body;

	if (body == NULL)
		return xstrdup("");
	buf_init(&out, strlen(body) + 1);
	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);

		if (is_signature_line(line, n))
			break;
		/* The output is never longer than the input: cannot fail. */
		if (line[0] != '>') {
			(void)buf_append(&out, line, n);
			(void)buf_append(&out, "\n", 1);
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return buf_steal(&out);
}

long wordcount_body(const char *body)
{
	char *text = wordcount_body_filter(body);
	long words = wordcount_text(text, strlen(text));

	xfree(&text);
	return words;
}
