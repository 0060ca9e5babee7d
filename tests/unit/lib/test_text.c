/* test_text.c — the catalogues: French, Spanish and English looked up in
 * turn by several threads at once, each getting its own language, with
 * the process's locale and environment left alone. */
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "intaked/text.h"

#define THREADS 4
#define ROUNDS  3000

static const char *const LANGS[] = { "fr", "es", "en" };
/* msgids of po/LANG.po */
#define SUBJECT "Receipt acknowledged: {subject}"
#define ONE     "- {name}: {words} word"
#define OTHER   "- {name}: {words} words"

/* What each language must give, checked by the main thread first. */
static const char *want_subject[3];
static const char *want_one[3], *want_zero[3];

struct worker {
	int first;      /* the language this thread starts with */
	int wrong;
	int global;     /* times the thread's locale was left switched */
};

static void *interleave(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < ROUNDS; i++) {
		int l = (w->first + i) % 3;
		if (strcmp(text_lang(LANGS[l], SUBJECT), want_subject[l]) != 0 ||
		    strcmp(text_lang_n(LANGS[l], ONE, OTHER, 1), want_one[l]) != 0 ||
		    strcmp(text_lang_n(LANGS[l], ONE, OTHER, 0), want_zero[l]) != 0)
			w->wrong++;
		if (uselocale((locale_t)0) != LC_GLOBAL_LOCALE)
			w->global++;
	}
	return NULL;
}

static void test_interleaved_threads(void **state)
{
	(void)state;
	static const char *const subjects[] = { "Accusé de réception : {subject}",
						"Acuse de recibo: {subject}",
						"Receipt acknowledged: {subject}" };
	static const char *const ones[] = { "- {name} : {words} mot", "- {name}: {words} palabra",
					    "- {name}: {words} word" };
	static const char *const zeros[] = { "- {name} : {words} mot",
					     "- {name}: {words} palabras",
					     "- {name}: {words} words" };
	for (int l = 0; l < 3; l++) {
		want_subject[l] = subjects[l];
		want_one[l] = ones[l];
		want_zero[l] = zeros[l];
		assert_string_equal(text_lang(LANGS[l], SUBJECT), subjects[l]);
	}
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .first = i % 3 };
		assert_int_equal(pthread_create(&t[i], NULL, interleave, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].wrong, 0);
		assert_int_equal(w[i].global, 0);
	}
	/* Nothing process-wide was switched. */
	assert_string_equal(setlocale(LC_ALL, NULL), "C");
	assert_null(getenv("LANGUAGE"));
}

/* $LANGUAGE (a user's "de:en") would override every message's language in
 * glibc; text_init drops it, once, before threads. */
static void test_language_variable_ignored(void **state)
{
	(void)state;
	assert_string_equal(text_lang("FR", "none"), "aucune");
	assert_string_equal(text_lang("fr", "Spanish"), "espagnol");
	assert_string_equal(text_lang("es", "none"), "ninguno");
	assert_string_equal(text_lang("de", "none"), "none");
	assert_string_equal(text_lang(NULL, "none"), "none");
	assert_string_equal(text_lang("fr", ""), ""); /* not the catalogue's header */
	assert_string_equal(text_lang("fr", "no such text"), "no such text");
	assert_string_equal(text_lang_n("fr", "{n} reply", "{n} replies", 5), "{n} replies");
	assert_string_equal(text_lang_n("es", "{n} reply", "{n} replies", 1), "{n} reply");
}

/* The catalogues of the build tree, beside the test's executable. */
static void test_catalogue_dir(void **state)
{
	(void)state;
	const char *dir = text_catalogue_dir();
	size_t n = strlen(dir);
	assert_true(n >= 6 && strcmp(dir + n - 6, "locale") == 0);
}

int main(void)
{
	setenv("LANGUAGE", "de:en", 1);
	text_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_threads),
		cmocka_unit_test(test_language_variable_ignored),
		cmocka_unit_test(test_catalogue_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
