/* digest_lang.c — the digest's line of languages, for translation
 * planning: per language of the current inputs, how many and how many
 * words. "Languages: French: 4 inputs, 12300 words; English: ...", the
 * largest share first; inputs whose language is null are left out. */
#include <stdlib.h>
#include <string.h>

#include "digest_impl.h"
#include "intaked/language.h"
#include "schedtext.h"
#include "intaked/util.h"

/* Tallied in language.c's order: the six, then "other". */
static const char *const CODES[] = { "ar", "zh", "en", "fr", "ru", "es", "other" };
#define NLANG (sizeof(CODES) / sizeof(CODES[0]))

struct tally {
	size_t lang;   /* index into NAMES */
	long inputs, words;
};

static size_t lang_index(const char *code)
{
	for (size_t i = 0; i < NLANG; i++)
		if (strcmp(code, CODES[i]) == 0)
			return i;
	return NLANG - 1; /* an unknown code read from disk counts as other */
}

static int by_inputs(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	if (x->inputs != y->inputs)
		return x->inputs > y->inputs ? -1 : 1;
	return x->lang < y->lang ? -1 : x->lang > y->lang;
}

/* Fills t (NLANG entries) from the current rows; the number of languages seen. */
static size_t count_languages(const struct digest *d, struct tally *t)
{
	size_t seen = 0;
	for (size_t i = 0; i < NLANG; i++)
		t[i] = (struct tally){ i, 0, 0 };
	for (size_t i = 0; i < d->rows.n; i++) {
		const struct digest_row *r = &d->rows.v[i];
		if (!r->current || r->language == NULL)
			continue;
		struct tally *x = &t[lang_index(r->language)];
		seen += x->inputs == 0;
		x->inputs++;
		x->words += r->words > 0 ? r->words : 0;
	}
	qsort(t, NLANG, sizeof(*t), by_inputs);
	return seen;
}

void digest_section_languages(const struct digest *d, struct buf *b)
{
	struct tally t[NLANG];
	size_t seen = count_languages(d, t);
	struct buf parts;

	if (seen == 0)
		return;
	buf_init(&parts, 4096);
	for (size_t i = 0; i < seen; i++) {
		struct schedtext st;
		schedtext_init(&st, d->lang);
		schedtext_printf(&st, "language", "%s", language_name_in(CODES[t[i].lang], d->lang));
		schedtext_printf(&st, "inputs", "%ld", t[i].inputs);
		schedtext_printf(&st, "words", "%ld", t[i].words);
		char *s = schedtext_builtin_n(&st, "digest_language_part", t[i].inputs);
		buf_puts(&parts, i ? "; " : "");
		buf_puts(&parts, s);
		free(s);
		schedtext_free(&st);
	}
	struct schedtext st;
	schedtext_init(&st, d->lang);
	schedtext_take(&st, "languages", buf_steal(&parts));
	char *line = schedtext_builtin(&st, "digest_languages");
	buf_puts(b, "\n");
	buf_puts(b, line);
	free(line);
	schedtext_free(&st);
}
