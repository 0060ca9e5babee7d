/* langcheck — the agreement check of language_detect against the guess
 * it replaced (textcat_ClassifyFull over all fingerprints, kept here as
 * the reference): both on every text found in the files given, and the
 * count of answers (code and confidence) that differ.
 *
 *   langcheck [--text] FILE|DIR...
 *
 * A file is read as a message (mime_analyze: its body text, its
 * documents' text, and each line of the body on its own), and its raw
 * bytes as a text; with --text, as text only: the whole, each paragraph
 * and each line. Every difference is printed; exit 0 when there is none,
 * 3 when there is one, 1 usage, 2 system error. */
#include <dirent.h>
#include <fcntl.h>
#include <libexttextcat/textcat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/analysis.h"
#include "intaked/fsio.h"
#include "intaked/language.h"
#include "intaked/mime.h"
#include "intaked/util.h"

static void *textcat;
static candidate_t *candidates;
static bool text_only;
static char *files_dir;
static unsigned long texts, code_changed, confidence_changed;
static const char *const CODES[] = { "ar", "zh", "en", "fr", "ru", "es", "other" };
static unsigned long per_code[sizeof(CODES) / sizeof(CODES[0])];

/* The guess before the index: language.c as it was, textcat_ClassifyFull
 * on the same sample. */
static void reference_detect(const char *text, size_t len, struct language_guess *g)
{
	int n, same = 0;
	char best[8];

	memset(g, 0, sizeof(*g));
	n = textcat_ClassifyFull(textcat, text, len, candidates);
	if (n <= 0) {
		snprintf(g->code, sizeof(g->code), "other");
		return;
	}
	snprintf(best, sizeof(best), "%.*s", (int)strcspn(candidates[0].name, "-"), candidates[0].name);
	if (!language_code_valid(best))
		snprintf(best, sizeof(best), "other");
	for (int i = 0; i < n; i++) {
		char c[8];
		snprintf(c, sizeof(c), "%.*s", (int)strcspn(candidates[i].name, "-"), candidates[i].name);
		if (!language_code_valid(c))
			snprintf(c, sizeof(c), "other");
		same += strcmp(c, best) == 0;
	}
	snprintf(g->code, sizeof(g->code), "%s", best);
	g->confidence = (double)same / n;
}

/* The sample language.c reads: at most LANGUAGE_SAMPLE_MAX bytes, not
 * cutting a character. */
static size_t sample_length(const char *text, size_t len)
{
	if (len <= LANGUAGE_SAMPLE_MAX)
		return len;
	len = LANGUAGE_SAMPLE_MAX;
	while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
		len--;
	return len;
}

/* True for a sample without a letter or digit: language.c answers "other"
 * (or nothing, when blank) without asking textcat; not compared. */
static bool judged_without_textcat(const char *text, size_t len)
{
	struct language_guess g;

	language_detect(text, len, &g);
	if (g.code[0] == '\0')
		return true;
	len = sample_length(text, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return false;
	}
	return true;
}

static void check(const char *where, const char *text, size_t len)
{
	struct language_guess old, new;

	if (len == 0 || judged_without_textcat(text, len))
		return;
	texts++;
	reference_detect(text, sample_length(text, len), &old);
	language_detect(text, len, &new);
	for (size_t i = 0; i < sizeof(CODES) / sizeof(CODES[0]); i++)
		per_code[i] += strcmp(new.code, CODES[i]) == 0;
	if (strcmp(old.code, new.code) != 0)
		code_changed++;
	else if (old.confidence != new.confidence)
		confidence_changed++;
	else
		return;
	printf("changed %s (%zu bytes): %s %.3f -> %s %.3f: %.60s\n", where, len, old.code,
	       old.confidence, new.code, new.confidence, text);
}

/* The whole text, then each piece between separators (lines, or
 * paragraphs with sep "\n\n"). */
static void check_pieces(const char *where, const char *text, const char *sep)
{
	const char *p = text, *end;

	while (*p != '\0') {
		end = strstr(p, sep);
		if (end == NULL)
			end = p + strlen(p);
		if (end > p) {
			char *piece = xstrndup(p, (size_t)(end - p));
			check(where, piece, strlen(piece));
			free(piece);
		}
		p = *end != '\0' ? end + strlen(sep) : end;
	}
}

static void check_message(const char *path, const char *data, size_t len)
{
	static const struct limits_config lim; /* the daemon's defaults */
	struct analysis *a = NULL;
	struct err err = { 0 };
	char *dir = xasprintf("%s/m.XXXXXX", files_dir);
	int dirfd;

	if (mkdtemp(dir) == NULL || (dirfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		free(dir);
		return;
	}
	if (mime_analyze((const unsigned char *)data, len, dirfd, &lim, &a, &err) == 0) {
		if (a->body_text != NULL) {
			check(path, a->body_text, strlen(a->body_text));
			check_pieces(path, a->body_text, "\n");
		}
		if (a->docs_text != NULL)
			check(path, a->docs_text, strlen(a->docs_text));
	}
	analysis_free(&a);
	close(dirfd);
	fsio_rmtree(dir);
	free(dir);
}

static void check_file(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	struct err err;

	if (fsio_read_file(path, (size_t)64 << 20, &data, &len, &err) < 0) {
		fprintf(stderr, "langcheck: %s: %s\n", path, err.msg);
		return;
	}
	check(path, data, strlen(data));
	if (text_only) {
		check_pieces(path, data, "\n\n");
		check_pieces(path, data, "\n");
	} else {
		check_message(path, data, len);
	}
	free(data);
}

static void check_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n;

	if (stat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		check_file(path);
		return;
	}
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *sub = xasprintf("%s/%s", path, names[i]->d_name);
			check_path(sub);
			free(sub);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	int i = 1;
	char tmpl[] = "/tmp/langcheck.XXXXXX";

	if (i < argc && strcmp(argv[i], "--text") == 0) {
		text_only = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: langcheck [--text] FILE|DIR...\n");
		return 1;
	}
	textcat = special_textcat_Init("/usr/share/libexttextcat/fpdb.conf", "/usr/share/libexttextcat/");
	if (textcat == NULL || language_init() < 0 || (files_dir = mkdtemp(tmpl)) == NULL) {
		fprintf(stderr, "langcheck: no fingerprints or no temporary directory\n");
		return 2;
	}
	candidates = textcat_GetClassifyFullOutput(textcat);
	mime_init();
	for (; i < argc; i++)
		check_path(argv[i]);
	printf("texts=%lu code_changed=%lu confidence_changed=%lu", texts, code_changed,
	       confidence_changed);
	for (size_t c = 0; c < sizeof(CODES) / sizeof(CODES[0]); c++)
		printf(" %s=%lu", CODES[c], per_code[c]);
	printf("\n");
	rmdir(files_dir);
	textcat_ReleaseClassifyFullOutput(textcat, candidates);
	textcat_Done(textcat);
	language_done();
	return code_changed + confidence_changed > 0 ? 3 : 0;
}
