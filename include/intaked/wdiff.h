/* wdiff.h — what changed between two versions of a text, word by word
 * (intakectl diff, the digest's "v2 replaces v1: +N / −M words").
 *
 * Tokens are runs of non-space bytes; a run of white space holding two
 * or more newlines is a paragraph break. The edit script is Myers' O(ND)
 * diff over tokens (common prefix and suffix trimmed first), bounded:
 * more than WDIFF_MAX_TOKENS tokens on a side, or more than WDIFF_MAX_D edits,
 * and the diff is taken over whole paragraphs instead ("coarse"): a
 * paragraph changed at all shows as removed and added whole. Pure: no
 * I/O but the FILE the renderers are given. */
#ifndef INTAKED_WDIFF_H
#define INTAKED_WDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define WDIFF_MAX_TOKENS 200000u
#define WDIFF_MAX_D 2000u

struct wdiff;

/* Compare old with new (UTF-8, not necessarily NUL-terminated). Never
 * fails (x*alloc aborts on out-of-memory); free with wdiff_free. */
struct wdiff *wdiff_compute(const char *old, size_t oldlen, const char *new, size_t newlen);
void wdiff_free(struct wdiff **d);

/* Words (SPEC §4's rule, wordcount.h) in the removed and added tokens. */
long wdiff_added(const struct wdiff *d);
long wdiff_removed(const struct wdiff *d);
/* True when the limits made it a paragraph-level diff. */
bool wdiff_coarse(const struct wdiff *d);

/* For a terminal: changed paragraphs in full, each run of unchanged ones
 * as one "…" line; removed words [-so-], added {+so+}, in red and green
 * too when colour. Control characters become U+FFFD (the text is the
 * sender's). */
void wdiff_render_text(const struct wdiff *d, FILE *out, bool colour);
/* The same as HTML: <p> per shown paragraph, <del>/<ins>, every byte of
 * text escaped. A fragment (no <html>): the caller wraps it. */
void wdiff_render_html(const struct wdiff *d, FILE *out);

#endif
