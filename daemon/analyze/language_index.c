/* language_index.c — textcat's scores through an index by n-gram
 * (language_index.h says why and what stays textcat's own). */
#include "language_index.h"

#include <libexttextcat/common.h>
#include <libexttextcat/constants.h>
#include <libexttextcat/fingerprint.h>
#include <libexttextcat/textcat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/util.h"

_Static_assert(LANGUAGE_INDEX_CANDIDATES == MAXCANDIDATES, "textcat's candidate cap");

/* libexttextcat-data 3.4's 163 fingerprints hold 28 103 distinct n-grams:
 * the tables start at their size (a power of two), not grown to it. */
#define GRAMS_EXPECTED 32768

/* One n-gram of any fingerprint, and where its postings are. */
struct gram {
	char str[MAXNGRAMSIZE + 1];
	uint32_t first, count; /* post[first .. first + count) */
	int last_cat;          /* while loading: the last fingerprint seen */
};

/* A fingerprint that has the n-gram, and the n-gram's rank there. */
struct posting {
	uint16_t cat, rank;
};

struct language_index {
	char **names;
	int ncat, cap_cat;
	struct gram *grams;
	uint32_t ngrams, cap_grams;
	uint32_t *slots; /* open addressing: gram number + 1, 0 empty */
	uint32_t mask;
	struct posting *post;
	uint32_t npost, cap_post;
	int *score; /* scratch of language_index_classify, one per fingerprint */
};

static uint32_t gram_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of s: its gram's, or the empty one where it would go. */
static uint32_t *gram_slot(const struct language_index *ix, const char *s)
{
	uint32_t i = gram_hash(s) & ix->mask;

	while (ix->slots[i] != 0 && strcmp(ix->grams[ix->slots[i] - 1].str, s) != 0)
		i = (i + 1) & ix->mask;
	return &ix->slots[i];
}

static void grow_slots(struct language_index *ix)
{
	uint32_t size = (ix->mask + 1) * 2;

	free(ix->slots);
	ix->slots = xcalloc(size, sizeof(*ix->slots));
	ix->mask = size - 1;
	for (uint32_t g = 0; g < ix->ngrams; g++)
		*gram_slot(ix, ix->grams[g].str) = g + 1;
}

/* The number of gram s, added if new. */
static uint32_t gram_intern(struct language_index *ix, const char *s)
{
	uint32_t *slot = gram_slot(ix, s);
	struct gram *g;

	if (*slot != 0)
		return *slot - 1;
	if (ix->ngrams == ix->cap_grams) {
		ix->cap_grams = ix->cap_grams ? ix->cap_grams * 2 : GRAMS_EXPECTED;
		ix->grams = xreallocarray(ix->grams, ix->cap_grams, sizeof(*ix->grams));
	}
	g = &ix->grams[ix->ngrams++];
	memcpy(g->str, s, strlen(s) + 1); /* at most MAXNGRAMSIZE */
	g->count = 0;
	g->last_cat = -1;
	*slot = ix->ngrams;
	if (ix->ngrams * 2 > ix->mask)
		grow_slots(ix);
	return ix->ngrams - 1;
}

/* Calls fn for each n-gram of the profile fp, in rank order: fp_Print
 * writes them so, one a line (an n-gram has no line break: textcat makes
 * runs of white space "_"). Returns the count, -1 on error. */
static int each_gram(void *fp, void (*fn)(void *arg, const char *gram, int rank), void *arg)
{
	char *text = NULL, *s, *nl;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	int rank = 0;

	if (out == NULL)
		return -1;
	fp_Print(fp, out);
	if (fclose(out) != 0) {
		free(text);
		return -1;
	}
	for (s = text; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		*nl = '\0';
		if (*s != '\0')
			fn(arg, s, rank);
		rank++;
	}
	free(text);
	return rank;
}

/* While loading: the (gram, rank) pairs of fingerprint cat, in a list
 * turned into postings once every fingerprint is read. */
struct load {
	struct language_index *ix;
	int cat;
	struct { uint32_t gram; uint16_t cat, rank; } *pairs;
	size_t npairs, cap;
};

static void load_gram(struct load *l, const char *str, int rank)
{
	uint32_t g = gram_intern(l->ix, str);
	struct gram *gr = &l->ix->grams[g];

	/* A fingerprint listing an n-gram twice: fp_Compare's merge meets
	 * the first only (lowest rank: fp_Read's sort by n-gram is glibc's
	 * stable merge sort). */
	if (gr->last_cat == l->cat)
		return;
	gr->last_cat = l->cat;
	gr->count++;
	if (l->npairs == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 65536;
		l->pairs = xreallocarray(l->pairs, l->cap, sizeof(*l->pairs));
	}
	l->pairs[l->npairs].gram = g;
	l->pairs[l->npairs].cat = (uint16_t)l->cat;
	l->pairs[l->npairs].rank = (uint16_t)rank;
	l->npairs++;
}

/* Reads fingerprint file path as fingerprint number l->cat, line by line
 * as fp_Read does (with textcat's own wg_getline and wg_trim): the first
 * word of a line, lines whose word is longer than MAXNGRAMSIZE skipped,
 * MAXNGRAMS n-grams at most, ranked in file order. */
static int load_fingerprint(struct load *l, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int rank = 0;

	if (f == NULL)
		return -1;
	while (rank < MAXNGRAMS && wg_getline(line, sizeof(line), f) != NULL) {
		wg_trim(line, line);
		line[strcspn(line, " \t")] = '\0';
		if (strlen(line) > MAXNGRAMSIZE)
			continue;
		/* An empty line takes a rank; no profile n-gram is empty. */
		if (line[0] != '\0')
			load_gram(l, line, rank);
		rank++;
	}
	fclose(f);
	return 0;
}

static void add_name(struct language_index *ix, const char *name)
{
	if (ix->ncat == ix->cap_cat) {
		ix->cap_cat = ix->cap_cat ? ix->cap_cat * 2 : 256;
		ix->names = xreallocarray(ix->names, (size_t)ix->cap_cat, sizeof(*ix->names));
	}
	ix->names[ix->ncat++] = xstrdup(name);
}

/* One line of fpdb.conf, parsed as special_textcat_Init does: "#" starts
 * a comment; a file name and a category name, else the line is skipped.
 * Returns -1 when the fingerprint cannot be read. */
static int load_conf_line(struct load *l, char *line, const char *dir)
{
	char *seg[4], path[512 + 1];
	char *hash = strchr(line, '#');

	if (hash != NULL)
		*hash = '\0';
	if (wg_split(seg, line, line, 4) < 2)
		return 0;
	if (l->cat >= UINT16_MAX ||
	    (size_t)snprintf(path, sizeof(path), "%s%s", dir, seg[0]) >= sizeof(path))
		return -1;
	if (load_fingerprint(l, path) < 0)
		return -1;
	add_name(l->ix, seg[1]);
	l->cat++;
	return 0;
}

/* The pairs, grouped by gram, become the postings (in fingerprint order
 * within a gram). */
static void build_postings(struct load *l)
{
	struct language_index *ix = l->ix;
	uint32_t at = 0;

	for (uint32_t g = 0; g < ix->ngrams; g++) {
		ix->grams[g].first = at;
		at += ix->grams[g].count;
		ix->grams[g].count = 0;
	}
	ix->npost = at;
	ix->post = xreallocarray(NULL, at ? at : 1, sizeof(*ix->post));
	for (size_t i = 0; i < l->npairs; i++) {
		struct gram *g = &ix->grams[l->pairs[i].gram];
		struct posting *p = &ix->post[g->first + g->count++];

		p->cat = l->pairs[i].cat;
		p->rank = l->pairs[i].rank;
	}
}

struct language_index *language_index_load(const char *conf, const char *dir)
{
	struct language_index *ix = xcalloc(1, sizeof(*ix));
	struct load l = { .ix = ix };
	char line[1024];
	FILE *f = fopen(conf, "r");
	int rc = f != NULL ? 0 : -1;

	ix->mask = 2 * GRAMS_EXPECTED - 1;
	ix->slots = xcalloc(ix->mask + 1, sizeof(*ix->slots));
	while (rc == 0 && wg_getline(line, sizeof(line), f) != NULL)
		rc = load_conf_line(&l, line, dir);
	if (f != NULL)
		fclose(f);
	if (rc == 0 && ix->ncat > 0) {
		build_postings(&l);
		ix->score = xcalloc((size_t)ix->ncat, sizeof(*ix->score));
	} else {
		language_index_free(&ix);
	}
	free(l.pairs);
	return ix;
}

void language_index_free(struct language_index **ixp)
{
	struct language_index *ix = *ixp;

	if (ix == NULL)
		return;
	for (int i = 0; i < ix->ncat; i++)
		free(ix->names[i]);
	free(ix->names);
	free(ix->grams);
	free(ix->slots);
	free(ix->post);
	free(ix->score);
	free(ix);
	*ixp = NULL;
}

/* Adds one profile n-gram of rank rank to every fingerprint's score,
 * less MAXOUTOFPLACE (added back for all n-grams at the end). */
static void score_gram(void *arg, const char *str, int rank)
{
	struct language_index *ix = arg;
	uint32_t slot = *gram_slot(ix, str);

	if (slot == 0)
		return;
	const struct gram *g = &ix->grams[slot - 1];
	for (uint32_t i = g->first; i < g->first + g->count; i++) {
		int d = (int)ix->post[i].rank - rank;

		ix->score[ix->post[i].cat] += (d < 0 ? -d : d) - MAXOUTOFPLACE;
	}
}

/* textcat's verdict on the scores: the fingerprints under THRESHOLDVALUE
 * times the best score, in fpdb.conf's order, then by score (a stable
 * sort, as glibc's qsort of so few is), none when over MAXCANDIDATES. */
static int verdict(const struct language_index *ix, int cats[LANGUAGE_INDEX_CANDIDATES])
{
	int best = MAXSCORE, threshold, n = 0;

	for (int c = 0; c < ix->ncat; c++)
		if (ix->score[c] < best)
			best = ix->score[c];
	threshold = (int)((double)best * THRESHOLDVALUE);
	for (int c = 0; c < ix->ncat; c++) {
		if (ix->score[c] >= threshold)
			continue;
		if (n == LANGUAGE_INDEX_CANDIDATES)
			return TEXTCAT_RESULT_UNKNOWN;
		cats[n++] = c;
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ix->score[cats[j - 1]] > ix->score[cats[j]]; j--) {
			int t = cats[j];
			cats[j] = cats[j - 1];
			cats[j - 1] = t;
		}
	return n;
}

int language_index_classify(struct language_index *ix, const char *text, size_t len,
			    int cats[LANGUAGE_INDEX_CANDIDATES])
{
	void *profile = fp_Init(NULL);
	int n;

	if (profile == NULL)
		return TEXTCAT_RESULT_SHORT;
	/* textcat_Init's defaults, which textcat_ClassifyFull passes on. */
	fp_SetProperty(profile, TCPROP_UTF8AWARE, TC_TRUE);
	fp_SetProperty(profile, TCPROP_MINIMUM_DOCUMENT_SIZE, MINDOCSIZE);
	if (fp_Create(profile, text, (uint4)len, MAXNGRAMS) == 0) {
		fp_Done(profile);
		return TEXTCAT_RESULT_SHORT;
	}
	memset(ix->score, 0, (size_t)ix->ncat * sizeof(*ix->score));
	n = each_gram(profile, score_gram, ix);
	fp_Done(profile);
	if (n < 0)
		return TEXTCAT_RESULT_SHORT;
	for (int c = 0; c < ix->ncat; c++)
		ix->score[c] += MAXOUTOFPLACE * n;
	return verdict(ix, cats);
}

const char *language_index_name(const struct language_index *ix, int cat)
{
	return ix->names[cat];
}

int language_index_count(const struct language_index *ix)
{
	return ix->ncat;
}
