/* language_index.h — libexttextcat's classification with the same
 * answers, scored through an index of its fingerprints by n-gram.
 *
 * textcat_ClassifyFull scores a text's profile (its 400 most frequent
 * n-grams, ranked) against each of the ~160 fingerprints in turn, a merge
 * of two sorted lists of 400 strings each: half the cost of a guess on an
 * 8 KB sample. Here the fingerprints are read once into a table from
 * n-gram to (fingerprint, rank), and a profile's 400 n-grams are each
 * looked up once: every fingerprint's score comes out as fp_Compare's
 * (the sum over the profile's n-grams of the rank difference, or
 * MAXOUTOFPLACE when the fingerprint lacks it) and the verdict follows
 * textcat's rule (candidates under THRESHOLDVALUE times the best score,
 * UNKNOWN past MAXCANDIDATES, ties in fpdb.conf's order). The profile
 * itself is still textcat's own (fp_Create). */
#ifndef INTAKED_LANGUAGE_INDEX_H
#define INTAKED_LANGUAGE_INDEX_H

#include <stddef.h>

/* At most this many candidates come back (libexttextcat's MAXCANDIDATES). */
#define LANGUAGE_INDEX_CANDIDATES 5

struct language_index;

/* The fingerprints that conf (fpdb.conf's syntax) lists, their files
 * under dir, as special_textcat_Init reads them; NULL when one cannot be
 * read. */
struct language_index *language_index_load(const char *conf, const char *dir);
void language_index_free(struct language_index **ix);

/* What textcat_ClassifyFull answers for len bytes of text: the number of
 * candidates (at most LANGUAGE_INDEX_CANDIDATES), their fingerprints'
 * numbers in cats, best first; 0 when there are too many (UNKNOWN), < 0
 * when the text is too short for a profile (SHORT). */
int language_index_classify(struct language_index *ix, const char *text, size_t len,
			    int cats[LANGUAGE_INDEX_CANDIDATES]);

/* The name fpdb.conf gives fingerprint cat ("fr--utf8"). */
const char *language_index_name(const struct language_index *ix, int cat);
/* How many fingerprints there are. */
int language_index_count(const struct language_index *ix);

#endif
