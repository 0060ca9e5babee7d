/* publish_labels.c — the words of the publication page, in English here
 * and in the same gettext catalogues as the mail (po/fr.po, po/es.po). */
#include <stddef.h>
#include <string.h>

#include "intaked/text.h"
#include "publish_labels.h"

static const struct publish_labels english = {
	"en", N_("Written inputs received"), N_("Deadline"), N_("List as of"), N_("Inputs"),
	N_("No inputs to show yet."), N_("Member"), NC_("page", "Received"), N_("Documents"),
	N_("Words"), N_("Language"), N_("unverified sender"), N_("Unknown sender"),
	NC_("page", "could not be read"), N_("Message text"), N_("The same list as data"),
	N_("original"), N_("PDF not available"), N_("Other languages"),
};

static const char *const page_langs[] = { "en", "fr", "es" };

/* Each label of the English table, in lang. */
static void translate(struct publish_labels *o, const char *lang)
{
	o->heading = text_lang(lang, english.heading);
	o->deadline = text_lang(lang, english.deadline);
	o->as_of = text_lang(lang, english.as_of);
	o->caption = text_lang(lang, english.caption);
	o->none = text_lang(lang, english.none);
	o->member = text_lang(lang, english.member);
	o->received = text_lang(lang, english.received);
	o->documents = text_lang(lang, english.documents);
	o->words = text_lang(lang, english.words);
	o->language = text_lang(lang, english.language);
	o->unverified = text_lang(lang, english.unverified);
	o->unknown_sender = text_lang(lang, english.unknown_sender);
	o->unreadable = text_lang(lang, english.unreadable);
	o->message_text = text_lang(lang, english.message_text);
	o->data = text_lang(lang, english.data);
	o->original = text_lang(lang, english.original);
	o->no_pdf = text_lang(lang, english.no_pdf);
	o->other_languages = text_lang(lang, english.other_languages);
}

/* English too goes through text_lang: it drops the context of NC_ texts. */
const struct publish_labels *publish_labels(const char *lang)
{
	static struct publish_labels cache[sizeof(page_langs) / sizeof(page_langs[0])];
	size_t i = sizeof(page_langs) / sizeof(page_langs[0]);
	while (--i > 0 && (lang == NULL || strcmp(lang, page_langs[i]) != 0))
		;
	if (cache[i].lang == NULL) {
		translate(&cache[i], page_langs[i]);
		cache[i].lang = page_langs[i];
	}
	return &cache[i];
}

bool publish_labels_known(const char *lang)
{
	return lang && strcmp(publish_labels(lang)->lang, lang) == 0;
}
