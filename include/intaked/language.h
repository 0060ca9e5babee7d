/* language.h — the language of a message's counted text, for translation
 * planning: one of the six UN languages (ar zh en fr ru es) or "other".
 * Runs in the parsing worker only: it reads untrusted text. */
#ifndef INTAKED_LANGUAGE_H
#define INTAKED_LANGUAGE_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many bytes of the text are looked at (cut back to a
 * character boundary): the start of a document says its language, and
 * classification time grows with the sample. */
#define LANGUAGE_SAMPLE_MAX 8192

struct language_guess {
	/* "ar" "zh" "en" "fr" "ru" "es" "other", or "" when the text has no
	 * letter or digit to judge (language null in metadata.json). */
	char code[8];
	/* 1 / (candidates textcat keeps within 3 % of the best score), counting
	 * only the candidates whose code differs from the winner's as rivals:
	 * 1.0 when the text is unambiguous. 0.0 when textcat could not say
	 * ("other" by default). Meaningless when code is "". */
	double confidence;
};

/* Load the fingerprints (/usr/share/libexttextcat/fpdb.conf). Idempotent;
 * -1 when the data is missing (then every guess is ""). Called by the
 * worker before its first job; language_detect calls it otherwise. */
int language_init(void);
void language_done(void);

/* Guess the language of text (UTF-8, len bytes; only the first
 * LANGUAGE_SAMPLE_MAX are read). */
void language_detect(const char *text, size_t len, struct language_guess *g);

/* True for the codes language_detect may return (not ""). */
bool language_code_valid(const char *code);
/* English name of a code ("French"), "Other" for "other" and any code
 * not in the list. */
const char *language_name(const char *code);
/* The same in ui, a page's or digest's language: "en" "fr" "es" (others:
 * English). "français", "autre". */
const char *language_name_in(const char *code, const char *ui);

#endif
