/* test_language.c — the language of the six UN languages' generated
 * documents (tests/fixtures/make_docs.py, run from the repository root),
 * "other" for anything else, and the field's trip across the worker wire. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "intaked/extract.h"
#include "intaked/fsio.h"
#include "intaked/language.h"
#include "intaked/util.h"

#define FIXTURE_MAX ((size_t)64 << 20)

static const struct limits_config limits = {
	.max_attachment_size = (size_t)32 << 20,
	.max_unpacked_size = (size_t)256 << 20,
	.max_unpack_ratio = 100,
	.max_zip_entries = 10000,
	.max_xml_depth = 256,
	.extract_timeout = 30,
};

static const char *const UN[] = { "ar", "en", "es", "fr", "ru", "zh" };

/* The language a fixture is written in, from its name ("fr.docx"), or
 * NULL for the hostile and mixed files. */
static const char *fixture_language(const char *file)
{
	for (size_t i = 0; i < sizeof(UN) / sizeof(UN[0]); i++)
		if (strncmp(file, UN[i], 2) == 0 && file[2] == '.')
			return UN[i];
	return NULL;
}

static int check_document(const char *dir, const char *file, const char *charset,
			  const char *want, int *seen)
{
	char *path = xasprintf("%s/%s", dir, file), *data = NULL, *text = NULL;
	size_t len = 0;
	struct err e;
	const char *why = NULL;
	struct language_guess g;
	int failures = 0;

	if (fsio_read_file(path, FIXTURE_MAX, &data, &len, &e) < 0) {
		print_error("%s: %s\n", file, e.msg);
		free(path);
		return 1;
	}
	const char *type = extract_detect_type((unsigned char *)data, len, file, NULL);
	if (extract_text(type, (unsigned char *)data, len, strcmp(charset, "-") == 0 ? NULL : charset,
			 &limits, &text, &why) < 0) {
		print_error("%s: extraction failed: %s\n", file, why);
		failures++;
	} else {
		language_detect(text, strlen(text), &g);
		if (strcmp(g.code, want) != 0 || g.confidence <= 0.0 || g.confidence > 1.0) {
			print_error("%s: language \"%s\" (%.2f), want %s\n", file, g.code, g.confidence, want);
			failures++;
		}
		seen[0]++;
	}
	free(text);
	free(data);
	free(path);
	return failures;
}

/* Every readable document of the six languages, in every format and
 * charset make_docs.py writes, is recognised. */
static void test_six_languages(void **state)
{
	(void)state;
	char dir[] = "/tmp/intaked-test-language.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cmd = xasprintf("python3 tests/fixtures/make_docs.py '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	assert_int_equal(rc, 0);
	char *mpath = xasprintf("%s/manifest.tsv", dir), *manifest = NULL, *save = NULL;
	size_t mlen = 0;
	struct err e;
	int failures = 0, seen = 0;
	assert_int_equal(fsio_read_file(mpath, 1 << 20, &manifest, &mlen, &e), 0);
	for (char *line = strtok_r(manifest, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cols[8], *csave = NULL;
		int n = 0;
		for (char *f = strtok_r(line, "\t", &csave); f && n < 8; f = strtok_r(NULL, "\t", &csave))
			cols[n++] = f;
		const char *want = n == 8 ? fixture_language(cols[0]) : NULL;
		if (want != NULL && strcmp(cols[5], "-") == 0)
			failures += check_document(dir, cols[0], cols[1], want, &seen);
	}
	free(manifest);
	free(mpath);
	fsio_rmtree(dir);
	assert_true(seen >= 48); /* 6 languages x 8 forms */
	assert_int_equal(failures, 0);
}

static void expect(const char *text, const char *want)
{
	struct language_guess g;

	language_detect(text, strlen(text), &g);
	if (strcmp(g.code, want) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", text, g.code, want);
}

/* Languages outside the six, and text that is no language, are "other";
 * text without a letter is not judged. */
static void test_other(void **state)
{
	(void)state;
	expect("Die Delegation begrüßt den Bericht des Generalsekretärs über nachhaltige "
	       "Entwicklung. Wir fordern alle Mitgliedstaaten auf, jetzt zu handeln.", "other");
	expect("Il Segretario generale presenta la relazione sullo sviluppo sostenibile. "
	       "Chiediamo a tutti gli Stati membri di agire ora.", "other");
	expect("#@!%% ^&*() +++ === ~~~ ||| <<< >>> ### $$$ &&& ***", "other");
	expect("", "");
	expect(" \n\t ", "");
}

/* Only the start of a long text is read, and a cut never splits a
 * character: 8 KB of French then Russian is French. */
static void test_sample_cap(void **state)
{
	(void)state;
	const char *fr = "Nous appuyons ce projet de résolution sans réserve. ";
	const char *ru = "Мы призываем все государства-члены действовать сейчас. ";
	size_t cap = LANGUAGE_SAMPLE_MAX * 4;
	char *s = xmalloc(cap + 1);
	size_t n = 0;
	while (n + strlen(fr) < LANGUAGE_SAMPLE_MAX + 1) {
		memcpy(s + n, fr, strlen(fr));
		n += strlen(fr);
	}
	while (n + strlen(ru) < cap) {
		memcpy(s + n, ru, strlen(ru));
		n += strlen(ru);
	}
	s[n] = '\0';
	expect(s, "fr");
	free(s);
}

/* The guess crosses the worker channel; a worker that sends a code
 * outside the list is refused. */
static void test_wire(void **state)
{
	(void)state;
	struct analysis *a = analysis_new(), *b = NULL;
	struct err e;
	strcpy(a->language, "ru");
	a->language_confidence = 0.5;
	char *json = analysis_to_json(a);
	assert_int_equal(analysis_from_json(json, strlen(json), &b, &e), 0);
	assert_string_equal(b->language, "ru");
	assert_true(b->language_confidence > 0.49 && b->language_confidence < 0.51);
	analysis_free(&b);
	free(json);

	a->language[0] = '\0';
	json = analysis_to_json(a);
	assert_non_null(strstr(json, "\"language\":null"));
	assert_int_equal(analysis_from_json(json, strlen(json), &b, &e), 0);
	assert_string_equal(b->language, "");
	analysis_free(&b);
	free(json);
	analysis_free(&a);

	const char *bad = "{\"language\":\"de\",\"language_confidence\":1}";
	assert_int_equal(analysis_from_json(bad, strlen(bad), &b, &e), -1);
	assert_null(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_six_languages),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_sample_cap),
		cmocka_unit_test(test_wire),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	language_done();
	return rc;
}
