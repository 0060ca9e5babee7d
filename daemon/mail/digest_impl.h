/* digest_impl.h — shared by digest.c, digest_text.c and digest_csv.c:
 * every submission of a call as a flat row, read once from the spool, and
 * the digest being built. */
#ifndef INTAKED_DIGEST_IMPL_H
#define INTAKED_DIGEST_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/util.h"

struct spool;

struct digest_row {
	char *path;               /* calls/CALL/SLUG/vN */
	char *id, *slug, *name;   /* name: the roster's, or NULL */
	char *from, *from_name, *subject;
	char *status, *timeliness, *ack_state, *ack_to;
	char *supersedes;         /* "vN" of the version this one replaces, or NULL */
	struct strlist documents;          /* names of the counted documents */
	struct strlist unreadable, reasons; /* names and error codes, parallel */
	/* Parts not examined (only those not already unreadable documents):
	 * section numbers, names ("" when none) and reasons, parallel; and
	 * documents shared as links, with their services. */
	struct strlist unexamined_parts, unexamined_names, unexamined_reasons;
	struct strlist links, link_services;
	bool verified, current, over_limit, extended;
	bool over_limit_unknown;  /* metadata over_limit null */
	bool held;                /* unverified, waiting for intakectl accept */
	int version;
	long words;               /* -1: not counted */
	long word_limit;          /* 0: none */
	time_t received_at, filed_at, deadline;
	char *zone;
	char *language;           /* metadata "language", or NULL (shown "-") */
};

struct digest_rows {
	struct digest_row *v;
	size_t n;
};

/* Every submission of call in (slug, version) order; current marks each
 * submitter's highest version. Free with digest_rows_free. */
int digest_rows_load(const struct spool *sp, const struct call_config *call,
		     struct digest_rows *rows, struct err *err);
void digest_rows_free(struct digest_rows *rows);
/* The CSV of rows (see digest_csv in digest.h), UTF-8 BOM first. Caller
 * frees. */
char *digest_rows_csv(const struct digest_rows *rows, const char *zone, size_t *len_r);

/* One digest being built (digest.c) and rendered (digest_text.c). */
struct digest {
	const struct config *cfg;
	const struct spool *sp;
	const struct call_config *call;
	const char *lang;
	struct digest_rows rows;
	time_t now, since;
	char day[11];
	char *subject, *body, *html, *csv, *csv_name;
	size_t csv_len;
	unsigned char *chart;     /* PNG, or NULL */
	size_t chart_len;
};

/* The line of languages of the current inputs (digest_lang.c), after a
 * newline; nothing when no input has a language. */
void digest_section_languages(const struct digest *d, struct buf *b);
/* The lines of r's unexamined parts and linked documents (digest_hidden.c). */
void digest_line_hidden(const struct digest *d, const struct digest_row *r, struct buf *b);
/* "  v2 replaces v1: +N / −M words" for a row that supersedes another,
 * from the two versions' counted texts (digest_diff.c); NULL for a first
 * version or when a text cannot be read. Caller frees. */
char *digest_replaces_line(const struct digest *d, const struct digest_row *r);

/* The {summary} of d (d->rows loaded, d->since set). Caller frees. */
char *digest_summary(const struct digest *d);

/* "in 2 days" / "3 days ago" (whole days from now to when), in lang. */
char *digest_time_left(const char *lang, time_t now, time_t when);

/* The deadline's line and one per extension, with the time left
 * (digest_text.c). Caller frees. */
char *digest_deadline_text(const struct digest *d);

/* The HTML alternative of d (digest_html.c); deadline_text as above.
 * Caller frees. */
char *digest_html(const struct digest *d, const char *deadline_text);
/* The chart of arrivals per day against the deadline, a PNG
 * (digest_chart.c), or NULL. Caller frees. */
unsigned char *digest_chart_png(const struct digest *d, size_t *len_r);
#define DIGEST_CHART_CID "chart@intaked"

/* Append s to b, HTML-escaped (& < > " '). */
void digest_html_escape(struct buf *b, const char *s);

/* Who a row is from, for people: the roster name when verified, else
 * "Name (addr)" or the address. Caller frees. */
char *digest_row_submitter(const struct digest_row *r);

#endif
