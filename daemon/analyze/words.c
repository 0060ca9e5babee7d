/* words.c — SPEC §4's rule of what is counted: which parts are files and
 * which the body, which files are documents, and documents against the
 * body. The one place that decides what a message's word count is made
 * of; wordcount.c counts the words of a text. */
#include "words.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/extract.h"
#include "intaked/language.h"
#include "intaked/util.h"
#include "intaked/wordcount.h"

/* Parts without content of their own: signatures, encryption control
 * data, references to content stored elsewhere. */
static bool is_contentless(const char *ctype)
{
	return strcmp(ctype, "message/external-body") == 0 ||
	       strcmp(ctype, "application/pgp-signature") == 0 ||
	       strcmp(ctype, "application/pkcs7-signature") == 0 ||
	       strcmp(ctype, "application/x-pkcs7-signature") == 0 ||
	       strcmp(ctype, "application/pgp-encrypted") == 0;
}

enum words_role words_part_role(const char *ctype, const char *disposition,
				bool has_filename)
{
	bool is_text = strncmp(ctype, "text/", 5) == 0;
	bool is_message = strncmp(ctype, "message/", 8) == 0;

	if ((disposition != NULL && str_ieq(disposition, "attachment")) || has_filename ||
	    (!is_text && !is_message))
		return is_contentless(ctype) ? WORDS_NONE : WORDS_ATTACHMENT;
	if (strcmp(ctype, "text/plain") == 0)
		return WORDS_BODY_PLAIN;
	if (strcmp(ctype, "text/html") == 0)
		return WORDS_BODY_HTML;
	return WORDS_NONE;
}

size_t words_body_slot(enum words_role role, bool nested)
{
	return (nested ? 2 : 0) + (role == WORDS_BODY_HTML ? 1 : 0);
}

bool words_body_slot_is_html(size_t slot)
{
	return slot % 2 == 1;
}

bool words_is_document(const char *type)
{
	static const char *const docs[] = { "docx", "odt", "pdf", "rtf", "txt", "md", "html", "tnef" };

	if (type == NULL)
		return false;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		if (strcmp(type, docs[i]) == 0)
			return true;
	/* SPEC §4: .doc counts only where a converter exists. */
	return strcmp(type, "doc") == 0 && extract_doc_available();
}

/* Keep a counted document's text for text.txt (intakectl diff): what is
 * past the cap is left out, the words were counted all the same. */
static void docs_text_add(struct analysis *a, struct words_tally *t, const char *text)
{
	size_t have = t->docs_text_len, len = strlen(text);

	if (have + len + 2 > ANALYSIS_DOCS_TEXT_MAX)
		return;
	a->docs_text = xreallocarray(a->docs_text, have + len + 3, 1);
	if (have > 0)
		memcpy(a->docs_text + have, "\n\n", 2), have += 2;
	memcpy(a->docs_text + have, text, len + 1);
	t->docs_text_len = have + len;
}

void words_document(struct analysis *a, struct words_tally *t, struct document *d,
		    const unsigned char *data, size_t len, const char *charset,
		    const struct limits_config *lim, long seconds_left)
{
	struct limits_config budget = *lim;
	const char *reason = NULL;
	char *text = NULL;

	if (strcmp(d->type, "tnef") == 0) {
		/* winmail.dat: Outlook's wrapper; its contents are not read. */
		d->error = xstrdup("unsupported");
		return;
	}
	if (!d->is_document)
		return;
	budget.extract_timeout = seconds_left;
	if (budget.extract_timeout < 1) {
		d->error = xstrdup("timeout");
		return;
	}
	if (extract_text(d->type, data, len, charset, &budget, &text, &reason) < 0) {
		d->error = xstrdup(reason != NULL ? reason : "corrupt");
		/* A scan without a text layer was read: it has no words. */
		if (strcmp(d->error, "no_text") == 0)
			d->words = 0;
		return;
	}
	d->words = wordcount_text(text, strlen(text));
	docs_text_add(a, t, text);
	free(text);
}

void words_total(struct analysis *a)
{
	bool any_document = false;
	long sum = 0;

	for (size_t i = 0; i < a->ndocs; i++) {
		const struct document *d = &a->docs[i];

		if (!d->is_document)
			continue;
		any_document = true;
		if (d->error == NULL && d->words > 0 && sum <= LONG_MAX - d->words)
			sum += d->words;
	}
	if (any_document) {
		a->word_count = sum;
		a->counted = "documents";
	} else {
		a->word_count = a->body_words > 0 ? a->body_words : 0;
		a->counted = "body";
	}
}

/* The language of the text the words were counted on: language_detect
 * reads its first LANGUAGE_SAMPLE_MAX bytes. */
static void detect_language(struct analysis *a, const struct words_tally *t)
{
	struct language_guess g;
	bool docs = strcmp(a->counted, "documents") == 0 && a->docs_text != NULL;
	const char *text = docs ? a->docs_text : a->body_text;
	size_t len = docs ? t->docs_text_len : strlen(text);

	language_detect(text, len, &g);
	memcpy(a->language, g.code, sizeof(a->language));
	a->language_confidence = g.confidence;
}

void words_conclude(struct analysis *a, const struct words_tally *t)
{
	a->body_words = wordcount_body(a->body_text);
	words_total(a);
	detect_language(a, t);
}
