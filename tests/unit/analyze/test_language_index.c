/* test_language_index.c — the index answers as textcat_ClassifyFull does,
 * candidate for candidate, on samples of each language, on mixed, short
 * and symbol-only texts, and on made-up fingerprint sets that force ties,
 * UNKNOWN and a perfect match. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libexttextcat/fingerprint.h>
#include <libexttextcat/textcat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/util.h"
#include "language_index.h"

#define CONF "/usr/share/libexttextcat/fpdb.conf"
#define DIR "/usr/share/libexttextcat/"

/* Both classifiers on len bytes of text: the same count, the same
 * candidates in the same order. */
static void agree(void *tc, struct language_index *ix, const char *text, size_t len)
{
	candidate_t *want = textcat_GetClassifyFullOutput(tc);
	int cats[LANGUAGE_INDEX_CANDIDATES];
	int n_want = textcat_ClassifyFull(tc, text, len, want);
	int n = language_index_classify(ix, text, len, cats);

	if ((n < 0) != (n_want < 0) || (n >= 0 && n != n_want))
		fail_msg("\"%.40s\" (%zu bytes): %d candidates, textcat %d", text, len, n, n_want);
	for (int i = 0; i < n; i++)
		if (strcmp(language_index_name(ix, cats[i]), want[i].name) != 0)
			fail_msg("\"%.40s\": candidate %d is %s, textcat's %s", text, i,
				 language_index_name(ix, cats[i]), want[i].name);
	textcat_ReleaseClassifyFullOutput(tc, want);
}

static const char *const SAMPLES[] = {
	"The delegation welcomes the report of the Secretary-General on sustainable development.",
	"La délégation se félicite du rapport du Secrétaire général sur le développement durable.",
	"La delegación acoge con beneplácito el informe del Secretario General sobre el desarrollo.",
	"Делегация приветствует доклад Генерального секретаря об устойчивом развитии.",
	"يرحب الوفد بتقرير الأمين العام عن التنمية المستدامة.",
	"代表团欢迎秘书长关于可持续发展的报告。",
	"Die Delegation begrüßt den Bericht des Generalsekretärs über nachhaltige Entwicklung.",
	"La delegazione accoglie con favore la relazione del Segretario generale.",
	"A delegação acolhe com satisfação o relatório do Secretário-Geral.",
	"Делегація вітає доповідь Генерального секретаря про сталий розвиток.",
	"Делегацията приветства доклада на Генералния секретар за устойчивото развитие.",
	"هیئت نمایندگی از گزارش دبیرکل درباره توسعه پایدار استقبال می‌کند.",
	"代表団は持続可能な開発に関する事務総長の報告を歓迎します。",
	/* mixed */
	"Nous appuyons ce projet. We support this draft. Apoyamos este proyecto.",
	"يرحب الوفد بالتقرير. The delegation welcomes the report.",
	"代表团欢迎报告。The delegation welcomes the report of the Secretary-General.",
	/* short, symbols, digits, odd bytes */
	"OK", "Merci", "Gracias", "Спасибо", "谢谢", "a", "_", "__ _ __",
	"#@!% ^&*() +++ === ~~~", "12 345 678.90", "→ ★ ✓ — … «» ©",
	"https://example.org/a/b?c=d", "A/RES/73/195",
	"\xff\xfe invalid \xc3 bytes \xe2\x82", "ends in half a character \xe4\xb8",
};

/* Each sample alone, then repeated past 8 KB (textcat's profile of a long
 * text), then cut one byte short. */
static void test_samples(void **state)
{
	(void)state;
	void *tc = special_textcat_Init(CONF, DIR);
	struct language_index *ix = language_index_load(CONF, DIR);

	assert_non_null(tc);
	assert_non_null(ix);
	for (size_t i = 0; i < sizeof(SAMPLES) / sizeof(SAMPLES[0]); i++) {
		size_t n = strlen(SAMPLES[i]), len = 0;
		char *long_text = xmalloc(10000 + n + 2);

		agree(tc, ix, SAMPLES[i], n);
		agree(tc, ix, SAMPLES[i], n - 1);
		while (len < 10000) {
			memcpy(long_text + len, SAMPLES[i], n);
			len += n;
			long_text[len++] = ' ';
		}
		long_text[len] = '\0';
		agree(tc, ix, long_text, len);
		free(long_text);
	}
	/* A NUL ends the text for textcat, whatever the length says. */
	agree(tc, ix, "Merci\0beaucoup", 14);
	language_index_free(&ix);
	assert_null(ix);
	textcat_Done(tc);
}

/* A directory of made-up fingerprints, each file's lines given. */
static char *make_set(const char *conf, const char *const *files, const char *const *lines)
{
	char tmpl[] = "/tmp/intaked-test-fp.XXXXXX";
	char *dir = xasprintf("%s/", mkdtemp(tmpl));
	struct err e;

	for (size_t i = 0; files[i] != NULL; i++) {
		char *path = xasprintf("%s%s", dir, files[i]);
		assert_int_equal(fsio_replace(path, lines[i], strlen(lines[i]), 0644, &e), 0);
		free(path);
	}
	char *path = xasprintf("%sfpdb.conf", dir);
	assert_int_equal(fsio_replace(path, conf, strlen(conf), 0644, &e), 0);
	free(path);
	return dir;
}

static void check_set(const char *dir, const char *const *texts)
{
	char *conf = xasprintf("%sfpdb.conf", dir);
	void *tc = special_textcat_Init(conf, dir);
	struct language_index *ix = language_index_load(conf, dir);

	assert_non_null(tc);
	assert_non_null(ix);
	for (size_t i = 0; texts[i] != NULL; i++)
		agree(tc, ix, texts[i], strlen(texts[i]));
	language_index_free(&ix);
	textcat_Done(tc);
	free(conf);
}

static const char *const TEXTS[] = { "abc", "cab cab", "xyz", "a b c", "ab", "zzz", NULL };

/* Comments, blank and one-field lines are skipped as textcat skips them;
 * equal scores keep fpdb.conf's order; six within 3 % are UNKNOWN; an
 * n-gram listed twice counts once, at its first rank. */
static void test_made_up_sets(void **state)
{
	(void)state;
	static const char *const files[] = { "a.lm", "b.lm", "c.lm", "d.lm", NULL };
	static const char *const lines[] = { "_\na\nb\nc\n_a\nab\n", "c\nb\na\n_\nab\n",
					     "a\na\nb\nz\n", "   b  12\n\nx y\n_\n", NULL };
	char *dir = make_set("# comment\n\nb.lm  bb--utf8 # after\na.lm aa--utf8\n"
			     "lonely\nc.lm 'c c'\nd.lm dd\na.lm aa2\n", files, lines);
	check_set(dir, TEXTS);
	fsio_rmtree(dir);
	free(dir);

	/* Equal but for an n-gram listed twice (x) or an empty line (p):
	 * the second "a" takes a rank but no score, the empty line a rank. */
	static const char *const pairs[] = { "x.lm", "y.lm", "p.lm", "q.lm", NULL };
	static const char *const pair_lines[] = { "_\na\na\nb\n", "_\na\nc\nb\n",
						  "a\n\nb\n_\n", "a\nc\nb\n_\n", NULL };
	dir = make_set("y.lm y\nx.lm x\n", pairs, pair_lines);
	check_set(dir, TEXTS);
	fsio_rmtree(dir);
	free(dir);
	dir = make_set("q.lm q\np.lm p\n", pairs, pair_lines);
	check_set(dir, TEXTS);
	fsio_rmtree(dir);
	free(dir);

	/* Six copies of one fingerprint: six candidates, UNKNOWN. */
	static const char *const one[] = { "a.lm", NULL };
	static const char *const one_lines[] = { "_\na\nb\n", NULL };
	dir = make_set("a.lm x1\na.lm x2\na.lm x3\na.lm x4\na.lm x5\na.lm x6\n", one, one_lines);
	check_set(dir, TEXTS);
	fsio_rmtree(dir);
	free(dir);
}

/* A fingerprint that is the text's own profile scores 0: textcat then
 * keeps no candidate (none is under 0 × 1.03), and neither does the index. */
static void test_perfect_match(void **state)
{
	(void)state;
	static const char *const text[] = { "the cat", NULL };
	void *fp = fp_Init(NULL);
	char *profile = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&profile, &size);

	assert_int_equal(fp_Create(fp, text[0], (uint4)strlen(text[0]), 400), 1);
	fp_Print(fp, out);
	fclose(out);
	fp_Done(fp);
	static const char *files[] = { "self.lm", NULL };
	const char *lines[] = { profile, NULL };
	char *dir = make_set("self.lm self\n", files, lines);
	struct language_index *ix = language_index_load(CONF, DIR);
	char *conf = xasprintf("%sfpdb.conf", dir);
	struct language_index *self = language_index_load(conf, dir);
	int cats[LANGUAGE_INDEX_CANDIDATES];

	assert_int_equal(language_index_classify(self, text[0], strlen(text[0]), cats), 0);
	check_set(dir, text);
	language_index_free(&self);
	language_index_free(&ix);
	fsio_rmtree(dir);
	free(dir);
	free(conf);
	free(profile);
}

/* What textcat cannot read (special_textcat_Init answers NULL, leaking
 * the half-made fingerprint, hence not called here), the index cannot
 * either. */
static void test_unreadable(void **state)
{
	(void)state;
	static const char *const files[] = { "a.lm", NULL };
	static const char *const lines[] = { "a\n", NULL };
	char *dir = make_set("a.lm aa\nmissing.lm bb\n", files, lines);
	char *conf = xasprintf("%sfpdb.conf", dir);

	assert_null(language_index_load(conf, dir));
	assert_null(language_index_load("/nonexistent/fpdb.conf", DIR));
	fsio_rmtree(dir);
	free(dir);
	free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_made_up_sets),
		cmocka_unit_test(test_perfect_match),
		cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
