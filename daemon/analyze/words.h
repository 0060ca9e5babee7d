/* words.h — SPEC §4 in one place: which parts of a message count, and
 * documents against the body. Splitting text into words is wordcount.h's;
 * the MIME walk (mime.c) asks this module what each part is, hands it the
 * attachments' bytes, and lets it conclude. Private to analyze/. */
#ifndef INTAKED_WORDS_H
#define INTAKED_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/analysis.h"
#include "intaked/config.h"

/* What a leaf MIME part is to the count. */
enum words_role {
	WORDS_NONE,       /* neither body nor file: signatures, other text types */
	WORDS_ATTACHMENT, /* a file: kept, counted when it is a document */
	WORDS_BODY_PLAIN, /* a body candidate */
	WORDS_BODY_HTML,
};
/* ctype lower-case; disposition as written or NULL. A part is a file when
 * it says "attachment", has a file name, or is neither text nor message;
 * parts without content of their own (signatures, encryption control
 * data, external bodies) are NONE. */
enum words_role words_part_role(const char *ctype, const char *disposition,
				bool has_filename);

/* Body candidates in order of preference: plain over HTML, this message
 * over forwarded ones. A walk keeps the first part of each slot. */
enum { WORDS_BODY_SLOTS = 4 };
size_t words_body_slot(enum words_role role, bool nested);
bool words_body_slot_is_html(size_t slot);

/* Types whose words count (SPEC §4): docx odt pdf rtf txt md html, tnef
 * (always "unsupported": an unreadable document), and doc only when the
 * converter (catdoc) is installed. */
bool words_is_document(const char *type);

/* What the counted documents have said so far. */
struct words_tally {
	size_t docs_text_len; /* of a->docs_text */
};
/* One attachment whose d->type and d->is_document are set: for a
 * document its words, or an error naming why it could not be read. Its
 * text joins a->docs_text (capped) for intakectl diff and the language.
 * seconds_left: what the converters may still spend ("timeout" below 1). */
void words_document(struct analysis *a, struct words_tally *t, struct document *d,
		    const unsigned char *data, size_t len, const char *charset,
		    const struct limits_config *lim, long seconds_left);

/* word_count and counted from docs and body_words: when any document of a
 * counted type exists, the sum of the readable ones' words
 * ("documents"), else body_words ("body"). */
void words_total(struct analysis *a);
/* After the walk: body_words from a->body_text (quotes and signature
 * left out), the total, and the language of the counted text. */
void words_conclude(struct analysis *a, const struct words_tally *t);

#endif
