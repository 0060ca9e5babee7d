/* text.c — see text.h: one gettext domain per language, looked up under a
 * C.UTF-8 thread locale. */
#include <libgen.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/log.h"
#include "intaked/text.h"
#include "intaked/util.h"

#ifndef INTAKED_LOCALEDIR
#define INTAKED_LOCALEDIR "/usr/local/share/locale"
#endif

/* The languages with a catalogue; English is the msgids themselves. */
static const char *const DOMAINS[][2] = {
	{ "fr", "intaked-fr" },
	{ "es", "intaked-es" },
};
#define NDOMAINS (sizeof(DOMAINS) / sizeof(DOMAINS[0]))

static pthread_once_t bound = PTHREAD_ONCE_INIT;
static locale_t lookup_locale = (locale_t)0;
static char catalogue_dir[PATH_MAX];

/* DIR/C/LC_MESSAGES/intaked-fr.mo: the French catalogue stands for all. */
static bool has_catalogues(const char *dir)
{
	char *mo = xasprintf("%s/C/LC_MESSAGES/%s.mo", dir, DOMAINS[0][1]);
	bool ok = access(mo, R_OK) == 0;
	free(mo);
	return ok;
}

/* The build tree's catalogues, beside the running executable: build/locale
 * for build/intaked, build/tests/mail/test_x and build/tools/x. */
static bool beside_executable(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *dir = dirname(exe);
	static const char *const up[] = { "/locale", "/../locale", "/../../locale" };
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		char *cand = xasprintf("%s%s", dir, up[i]);
		bool found = strlen(cand) < size && has_catalogues(cand);
		if (found)
			memcpy(out, cand, strlen(cand) + 1);
		free(cand);
		if (found)
			return true;
	}
	return false;
}

static void choose_dir(void)
{
	const char *env = getenv("INTAKED_LOCALEDIR");
	if (env != NULL && *env != '\0' && strlen(env) < sizeof(catalogue_dir))
		memcpy(catalogue_dir, env, strlen(env) + 1);
	else if (!beside_executable(catalogue_dir, sizeof(catalogue_dir)))
		memcpy(catalogue_dir, INTAKED_LOCALEDIR, sizeof(INTAKED_LOCALEDIR));
}

static void bind_domains(void)
{
	choose_dir();
	for (size_t i = 0; i < NDOMAINS; i++) {
		bindtextdomain(DOMAINS[i][1], catalogue_dir);
		bind_textdomain_codeset(DOMAINS[i][1], "UTF-8");
	}
	lookup_locale = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (lookup_locale == (locale_t)0)
		log_warnx("event=text-catalogue-unusable reason=no-C.UTF-8-locale");
	else if (!has_catalogues(catalogue_dir))
		log_warnx("event=text-catalogue-missing dir=%s", log_q(catalogue_dir));
}

void text_init(void)
{
	if (getenv("LANGUAGE") != NULL)
		unsetenv("LANGUAGE");
	pthread_once(&bound, bind_domains);
}

const char *text_catalogue_dir(void)
{
	pthread_once(&bound, bind_domains);
	return catalogue_dir;
}

static const char *domain_for(const char *lang)
{
	for (size_t i = 0; lang != NULL && i < NDOMAINS; i++)
		if (str_ieq(lang, DOMAINS[i][0]))
			return DOMAINS[i][1];
	return NULL;
}

/* A text left untranslated, without its context (NC_). */
static const char *untranslated(const char *msgid)
{
	const char *eot = msgid ? strchr(msgid, '\004') : NULL;
	return eot ? eot + 1 : msgid;
}

const char *text_lang(const char *lang, const char *msgid)
{
	const char *domain = domain_for(lang);
	if (domain == NULL || msgid == NULL || *msgid == '\0') /* "": the header */
		return untranslated(msgid);
	pthread_once(&bound, bind_domains);
	if (lookup_locale == (locale_t)0)
		return untranslated(msgid);
	locale_t was = uselocale(lookup_locale);
	const char *t = dgettext(domain, msgid);
	uselocale(was);
	return t == msgid ? untranslated(msgid) : t;
}

const char *text_lang_n(const char *lang, const char *one, const char *other, unsigned long n)
{
	const char *domain = domain_for(lang);
	if (domain == NULL)
		return n == 1 ? one : other;
	pthread_once(&bound, bind_domains);
	if (lookup_locale == (locale_t)0)
		return n == 1 ? one : other;
	locale_t was = uselocale(lookup_locale);
	const char *t = dngettext(domain, one, other, n);
	uselocale(was);
	return t;
}
