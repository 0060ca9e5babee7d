/* text.h — the built-in texts in the language of each message: gettext
 * catalogues (po/fr.po, po/es.po; msgid is the English text), compiled by
 * make into LOCALEDIR/C/LC_MESSAGES/intaked-LANG.mo.
 *
 * The language changes from one message to the next in one process (an
 * acknowledgement in French to one mission, in Spanish to another), so
 * neither the process's locale nor its environment is switched per
 * message. glibc's gettext picks the catalogue by the calling thread's
 * locale name: a fresh Debian 12 has no fr_FR or es_ES locale, only
 * C.UTF-8. So each language is its own text domain ("intaked-fr"), looked
 * up with the thread's locale set to C.UTF-8 (uselocale, this thread only)
 * around the call; glibc then reads DIR/C/LC_MESSAGES/intaked-fr.mo.
 *
 * The catalogues are found in, first to last: $INTAKED_LOCALEDIR; beside
 * the executable (build tree: build/locale for build/intaked and
 * build/tests/...); the LOCALEDIR compiled in ($(PREFIX)/share/locale). */
#ifndef INTAKED_TEXT_H
#define INTAKED_TEXT_H

/* Marks a literal for xgettext (make pot) without translating it here. */
#define N_(s) s
/* A text in a context, where the same English has another translation
 * elsewhere (msgctxt; "Received" on the page is not the digest's). */
#define NC_(ctx, s) ctx "\004" s
/* A text with a plural form, for a table: "{n} day", "{n} days". */
#define NN_(one, other) one, other

/* Call once at start, before threads: drops $LANGUAGE from the
 * environment (glibc would let it override every message's language) and
 * binds the catalogues. Lookups also bind them lazily, thread-safely. */
void text_init(void);

/* msgid (English) in lang ("fr", "es", any case; anything else: English).
 * Static: a catalogue's string, or msgid itself when it has none. */
const char *text_lang(const char *lang, const char *msgid);

/* The form of one/other for the count n in lang, by the catalogue's
 * plural rule (French: n > 1 is plural; Spanish and English: n != 1). */
const char *text_lang_n(const char *lang, const char *one, const char *other, unsigned long n);

/* Where the catalogues were looked for (for logs and intakectl). */
const char *text_catalogue_dir(void);

#endif
