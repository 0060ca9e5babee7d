/* publish_labels.h — the words of the publication page, per language: the
 * one table of them (publish_labels.c). Private to ctl/. */
#ifndef INTAKED_PUBLISH_LABELS_H
#define INTAKED_PUBLISH_LABELS_H

#include <stdbool.h>

struct publish_labels {
	const char *lang;
	const char *heading, *deadline, *as_of, *caption, *none;
	const char *member, *received, *documents, *words, *language;
	const char *unverified, *unknown_sender, *unreadable, *message_text, *data;
	const char *original, *no_pdf, *other_languages;
};

/* The labels of lang (en, fr, es), English for any other. */
const struct publish_labels *publish_labels(const char *lang);
/* True if the page has labels of its own for lang. */
bool publish_labels_known(const char *lang);

#endif
