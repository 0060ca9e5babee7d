/* wdiff.c — word-level diff of two texts (see wdiff.h).
 *
 * Why our own and not GNU wdiff or git diff --word-diff: both would be a
 * fork and temporary files per comparison (the digest compares every new
 * version), neither bounds its time and memory on a hostile 30 MiB text,
 * and their markup is not the escaped HTML publish needs. Myers' greedy
 * algorithm with its trace kept for the backtrack is ~D^2 ints of memory:
 * WDIFF_MAX_D edits caps that at 16 MiB, WDIFF_MAX_TOKENS (a side) the
 * time ((N+M)·D). Past either, whole paragraphs are compared instead. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/printable.h"
#include "intaked/util.h"
#include "intaked/wdiff.h"
#include "intaked/wordcount.h"

enum op { OP_EQ, OP_DEL, OP_INS };

struct tok {
	const char *s;
	size_t len;
	uint32_t hash;
	bool brk;                 /* a paragraph break, not a word */
	size_t first, last;       /* paragraph tokens: their words [first, last) */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

struct edit {
	enum op op;
	const struct tok *t;
};

struct wdiff {
	char *old, *new;          /* copies the tokens point into */
	struct toks a, b;         /* words and breaks */
	struct toks pa, pb;       /* paragraphs, in coarse mode */
	struct edit *e;
	size_t ne, cap;
	long added, removed;
	bool coarse;
};

static const struct tok break_tok = { .s = "", .brk = true };

static uint32_t fnv1a(const char *s, size_t len, bool brk)
{
	uint32_t h = brk ? 0x9e3779b9u : 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void toks_push(struct toks *t, const char *s, size_t len, bool brk)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n++] = (struct tok){ .s = s, .len = len, .brk = brk,
				     .hash = fnv1a(s, len, brk) };
}

/* Whether s has a blank line: mail bodies separate paragraphs so, and
 * wrap their lines; extracted documents put one paragraph on a line. */
static bool has_blank_line(const char *s, size_t len)
{
	bool words = false;
	for (size_t i = 0, newlines = 0; i < len; i++) {
		if (s[i] == '\n')
			newlines++;
		else if (!is_space(s[i])) {
			if (newlines >= 2 && words)
				return true; /* between two words, not at an end */
			newlines = 0;
			words = true;
		}
	}
	return false;
}

/* Words, with one break token between two paragraphs: a blank-line run,
 * or a line end in a text that has no blank line. */
static void tokenize(const char *s, size_t len, struct toks *t)
{
	size_t i = 0, need = has_blank_line(s, len) ? 2 : 1;
	while (i < len) {
		size_t newlines = 0;
		while (i < len && is_space(s[i]))
			newlines += s[i++] == '\n';
		if (i >= len)
			break;
		if (newlines >= need && t->n > 0)
			toks_push(t, s + i, 0, true);
		size_t start = i;
		while (i < len && !is_space(s[i]))
			i++;
		toks_push(t, s + start, i - start, false);
	}
}

/* Paragraphs: the words between breaks, as one token each. */
static void paragraphs(const struct toks *w, struct toks *p)
{
	size_t first = 0;
	for (size_t i = 0; i <= w->n; i++) {
		if (i < w->n && !w->v[i].brk)
			continue;
		if (i > first) {
			const struct tok *l = &w->v[i - 1];
			toks_push(p, w->v[first].s, (size_t)(l->s + l->len - w->v[first].s), false);
			p->v[p->n - 1].first = first;
			p->v[p->n - 1].last = i;
		}
		first = i + 1;
	}
}

static bool tok_eq(const struct tok *x, const struct tok *y)
{
	return x->hash == y->hash && x->brk == y->brk && x->len == y->len &&
	       memcmp(x->s, y->s, x->len) == 0;
}

static void emit(struct wdiff *d, enum op op, const struct tok *t)
{
	if (d->ne == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->e = xreallocarray(d->e, d->cap, sizeof(*d->e));
	}
	d->e[d->ne++] = (struct edit){ .op = op, .t = t };
}

/* Reverse d->e[from..] in place (the backtrack emits back to front). */
static void reverse_from(struct wdiff *d, size_t from)
{
	for (size_t i = from, j = d->ne; i + 1 < j; i++, j--) {
		struct edit t = d->e[i];
		d->e[i] = d->e[j - 1];
		d->e[j - 1] = t;
	}
}

/* Walk the trace back from (n, m), emitting the script reversed. */
static void backtrack(struct wdiff *d, const struct tok *a, const struct tok *b, int n, int m,
		      int dmax, int **trace)
{
	int x = n, y = m;
	size_t from = d->ne;
	for (int k, dd = dmax; dd >= 0; dd--) {
		k = x - y;
		int px = 0, py = 0, pk = 0;
		if (dd > 0) {
			const int *v = trace[dd - 1]; /* index k + (dd - 1) */
			bool down = k == -dd || (k != dd && v[k - 1 + dd - 1] < v[k + 1 + dd - 1]);
			pk = down ? k + 1 : k - 1;
			px = v[pk + dd - 1];
			py = px - pk;
		}
		while (x > px && y > py)
			x--, y--, emit(d, OP_EQ, &a[x]);
		if (dd > 0) {
			if (x == px)
				emit(d, OP_INS, &b[py]);
			else
				emit(d, OP_DEL, &a[px]);
			x = px, y = py;
		}
	}
	reverse_from(d, from);
}

/* Myers' greedy forward search; 0 with the script appended, or -1 when
 * more than maxd edits are needed (nothing appended). */
static int myers(struct wdiff *d, const struct tok *a, int n, const struct tok *b, int m,
		 int maxd)
{
	int off = maxd + 1, found = -1;
	int *v = xcalloc((size_t)(2 * maxd + 3), sizeof(*v));
	int **trace = xcalloc((size_t)maxd + 1, sizeof(*trace));
	for (int dd = 0; dd <= maxd && found < 0; dd++) {
		for (int k = -dd; k <= dd; k += 2) {
			int x = (k == -dd || (k != dd && v[off + k - 1] < v[off + k + 1]))
					? v[off + k + 1] : v[off + k - 1] + 1;
			int y = x - k;
			while (x < n && y < m && tok_eq(&a[x], &b[y]))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m)
				found = dd;
		}
		trace[dd] = xmalloc((size_t)(2 * dd + 1) * sizeof(int));
		memcpy(trace[dd], v + off - dd, (size_t)(2 * dd + 1) * sizeof(int));
	}
	if (found >= 0)
		backtrack(d, a, b, n, m, found, trace);
	for (int dd = 0; dd <= maxd && trace[dd]; dd++)
		free(trace[dd]);
	free(trace);
	free(v);
	return found >= 0 ? 0 : -1;
}

/* Common prefix and suffix as they are, the middle by myers(); when that
 * is over the bound and whole is set, the middle removed and added whole.
 * 0, or -1 (nothing appended). */
static int diff_range(struct wdiff *d, const struct toks *a, const struct toks *b, bool whole)
{
	size_t p = 0, s = 0, n = a->n, m = b->n;
	while (p < n && p < m && tok_eq(&a->v[p], &b->v[p]))
		p++;
	while (s < n - p && s < m - p && tok_eq(&a->v[n - 1 - s], &b->v[m - 1 - s]))
		s++;
	size_t mark = d->ne;
	for (size_t i = 0; i < p; i++)
		emit(d, OP_EQ, &a->v[i]);
	size_t mn = n - p - s, mm = m - p - s;
	if (mn > WDIFF_MAX_TOKENS || mm > WDIFF_MAX_TOKENS ||
	    myers(d, a->v + p, (int)mn, b->v + p, (int)mm, (int)WDIFF_MAX_D) < 0) {
		if (!whole) {
			d->ne = mark;
			return -1;
		}
		for (size_t i = p; i < n - s; i++)
			emit(d, OP_DEL, &a->v[i]);
		for (size_t i = p; i < m - s; i++)
			emit(d, OP_INS, &b->v[i]);
	}
	for (size_t i = n - s; i < n; i++)
		emit(d, OP_EQ, &a->v[i]);
	return 0;
}

/* Coarse mode: the paragraph script turned back into words and breaks,
 * so that counting and rendering are the same in both modes. */
static void expand_paragraphs(struct wdiff *d, const struct edit *pe, size_t npe)
{
	for (size_t i = 0; i < npe; i++) {
		const struct tok *p = pe[i].t;
		const struct toks *w = pe[i].op == OP_INS ? &d->b : &d->a;
		if (i > 0)
			emit(d, OP_EQ, &break_tok);
		for (size_t k = p->first; k < p->last; k++)
			emit(d, pe[i].op, &w->v[k]);
	}
}

static void count(struct wdiff *d)
{
	for (size_t i = 0; i < d->ne; i++) {
		const struct tok *t = d->e[i].t;
		if (t->brk || d->e[i].op == OP_EQ)
			continue;
		long w = wordcount_text(t->s, t->len);
		if (d->e[i].op == OP_INS)
			d->added += w;
		else
			d->removed += w;
	}
}

struct wdiff *wdiff_compute(const char *old, size_t oldlen, const char *new, size_t newlen)
{
	struct wdiff *d = xcalloc(1, sizeof(*d));
	d->old = xstrndup(old, oldlen);
	d->new = xstrndup(new, newlen);
	tokenize(d->old, strlen(d->old), &d->a);
	tokenize(d->new, strlen(d->new), &d->b);
	if (diff_range(d, &d->a, &d->b, false) < 0) {
		d->coarse = true;
		paragraphs(&d->a, &d->pa);
		paragraphs(&d->b, &d->pb);
		diff_range(d, &d->pa, &d->pb, true);
		size_t npe = d->ne;
		struct edit *pe = d->e;
		d->e = NULL;
		d->ne = d->cap = 0;
		expand_paragraphs(d, pe, npe);
		free(pe);
	}
	count(d);
	return d;
}

void wdiff_free(struct wdiff **dp)
{
	struct wdiff *d = *dp;
	if (d == NULL)
		return;
	free(d->old);
	free(d->new);
	free(d->a.v);
	free(d->b.v);
	free(d->pa.v);
	free(d->pb.v);
	free(d->e);
	free(d);
	*dp = NULL;
}

long wdiff_added(const struct wdiff *d) { return d->added; }
long wdiff_removed(const struct wdiff *d) { return d->removed; }
bool wdiff_coarse(const struct wdiff *d) { return d->coarse; }

/* ---- rendering ---- */

struct style {
	const char *para_open, *para_close, *skip;
	const char *open[3], *close[3];
	bool html;
};

static void put_token(FILE *out, const struct tok *t, bool html)
{
	char *raw = xstrndup(t->s, t->len);
	char *clean = printable_copy(raw);
	for (const char *c = clean; *c; c++) {
		switch (html ? *c : 0) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*c, out);
		}
	}
	free(clean);
	free(raw);
}

/* One paragraph: edits [from, to), none of them a break. */
static void put_paragraph(FILE *out, const struct style *st, const struct edit *e, size_t from,
			  size_t to)
{
	enum op cur = OP_EQ;
	fputs(st->para_open, out);
	for (size_t i = from; i < to; i++) {
		if (e[i].op != cur) {
			fputs(st->close[cur], out);
			if (i > from)
				fputc(' ', out);
			fputs(st->open[e[i].op], out);
			cur = e[i].op;
		} else if (i > from) {
			fputc(' ', out);
		}
		put_token(out, e[i].t, st->html);
	}
	fputs(st->close[cur], out);
	fputs(st->para_close, out);
}

static void render(const struct wdiff *d, FILE *out, const struct style *st)
{
	size_t from = 0;
	bool changed = false, skipped = false, shown = false;
	for (size_t i = 0; i <= d->ne; i++) {
		if (i < d->ne && !d->e[i].t->brk) {
			changed |= d->e[i].op != OP_EQ;
			continue;
		}
		/* A break added or removed changes the paragraphs around it. */
		changed |= i < d->ne && d->e[i].op != OP_EQ;
		if (!changed && i > from) {
			skipped = true;
		} else if (i > from) {
			if (skipped)
				fputs(st->skip, out);
			put_paragraph(out, st, d->e, from, i);
			skipped = false;
			shown = true;
		}
		changed = i < d->ne && d->e[i].op != OP_EQ;
		from = i + 1;
	}
	if (skipped && shown)
		fputs(st->skip, out);
	if (!shown)
		fputs(st->html ? "<p>(no change)</p>\n" : "(no change)\n", out);
}

void wdiff_render_text(const struct wdiff *d, FILE *out, bool colour)
{
	struct style st = { .para_open = "", .para_close = "\n\n", .skip = "…\n\n",
			    .open = { "", "[-", "{+" }, .close = { "", "-]", "+}" } };
	if (colour) {
		st.open[OP_DEL] = "\033[31m[-";
		st.close[OP_DEL] = "-]\033[m";
		st.open[OP_INS] = "\033[32m{+";
		st.close[OP_INS] = "+}\033[m";
	}
	render(d, out, &st);
}

void wdiff_render_html(const struct wdiff *d, FILE *out)
{
	const struct style st = { .para_open = "<p>", .para_close = "</p>\n",
				  .skip = "<p class=\"skip\">…</p>\n",
				  .open = { "", "<del>", "<ins>" },
				  .close = { "", "</del>", "</ins>" }, .html = true };
	render(d, out, &st);
}
