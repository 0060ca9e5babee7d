/* language.c — libexttextcat's n-gram guess of a text's language, reduced
 * to the six UN languages and "other". All of textcat's fingerprints are
 * loaded, not only the six: with the six alone, German or Italian text is
 * scored against the nearest UN language and often "recognised" as
 * English or Spanish; with all of them it is "de" or "it", hence "other".
 * textcat's scoring of the sample against every fingerprint runs through
 * an index by n-gram (language_index.c): the same answers, at half the
 * cost of textcat_ClassifyFull. */
#include "intaked/language.h"

#include <stdio.h>
#include <string.h>

#include "intaked/log.h"
#include "intaked/text.h"
#include "language_index.h"

#define TEXTCAT_DIR "/usr/share/libexttextcat/"
#define TEXTCAT_CONF TEXTCAT_DIR "fpdb.conf"

static struct language_index *fingerprints;
static bool init_failed;

/* The six and "other", with their English names; in French and Spanish
 * (the digests and pages) from the catalogues, po/LANG.po (text.h). */
static const struct {
	const char *code, *en;
} UN_LANGUAGES[] = {
	{ "ar", N_("Arabic") },
	{ "zh", N_("Chinese") },
	{ "en", N_("English") },
	{ "fr", N_("French") },
	{ "ru", N_("Russian") },
	{ "es", N_("Spanish") },
	{ "other", N_("Other") },
};
#define N_NAMES (sizeof(UN_LANGUAGES) / sizeof(UN_LANGUAGES[0]))
#define N_UN (N_NAMES - 1)

int language_init(void)
{
	if (fingerprints != NULL)
		return 0;
	if (init_failed)
		return -1;
	fingerprints = language_index_load(TEXTCAT_CONF, TEXTCAT_DIR);
	if (fingerprints == NULL) {
		/* Said once: the guess is then null on every message. */
		log_warn("event=language-unavailable conf=%s", TEXTCAT_CONF);
		init_failed = true;
		return -1;
	}
	return 0;
}

void language_done(void)
{
	language_index_free(&fingerprints);
}

bool language_code_valid(const char *code)
{
	for (size_t i = 0; i < N_NAMES; i++)
		if (strcmp(code, UN_LANGUAGES[i].code) == 0)
			return true;
	return false;
}

const char *language_name_in(const char *code, const char *ui)
{
	size_t i = 0;

	while (i < N_NAMES - 1 && (code == NULL || strcmp(code, UN_LANGUAGES[i].code) != 0))
		i++;
	if (ui != NULL && (strcmp(ui, "fr") == 0 || strcmp(ui, "es") == 0))
		return text_lang(ui, UN_LANGUAGES[i].en);
	return UN_LANGUAGES[i].en;
}

const char *language_name(const char *code)
{
	return language_name_in(code, "en");
}

/* textcat's category names are "fr--utf8", "zh-CN-utf8", "zh-TW-utf8":
 * the language is what precedes the first '-'. */
static const char *un_code_of(const char *category)
{
	size_t n = strcspn(category, "-");

	for (size_t i = 0; i < N_UN; i++)
		if (strlen(UN_LANGUAGES[i].code) == n &&
		    strncmp(category, UN_LANGUAGES[i].code, n) == 0)
			return UN_LANGUAGES[i].code;
	return "other";
}

/* The length of at most max bytes of text, not cutting a UTF-8 sequence. */
static size_t sample_length(const char *text, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static bool has_alnum(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		/* Any non-ASCII byte may be part of a letter: let textcat judge. */
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return true;
	}
	return false;
}

static bool is_blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return false;
	return true;
}

void language_detect(const char *text, size_t len, struct language_guess *g)
{
	int cats[LANGUAGE_INDEX_CANDIDATES], n;
	const char *best;
	int same = 0;

	memset(g, 0, sizeof(*g));
	len = sample_length(text, len, LANGUAGE_SAMPLE_MAX);
	if (is_blank(text, len))
		return; /* nothing written: no language */
	if (language_init() < 0)
		return; /* no fingerprints installed: not known (null) */
	if (!has_alnum(text, len)) {
		/* Symbols only: written, but in no language textcat knows. */
		snprintf(g->code, sizeof(g->code), "other");
		return;
	}
	n = language_index_classify(fingerprints, text, len, cats);
	if (n <= 0) {
		/* UNKNOWN (too many close candidates) or SHORT. */
		snprintf(g->code, sizeof(g->code), "other");
		return;
	}
	best = un_code_of(language_index_name(fingerprints, cats[0]));
	/* Candidates naming the same result (zh-CN and zh-TW; de and nl, both
	 * "other") do not compete with it. */
	for (int i = 0; i < n; i++)
		if (strcmp(un_code_of(language_index_name(fingerprints, cats[i])), best) == 0)
			same++;
	snprintf(g->code, sizeof(g->code), "%s", best);
	g->confidence = (double)same / n;
}
