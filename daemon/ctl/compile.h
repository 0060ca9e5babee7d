/* compile.h — intakectl compile CALL OUT.pdf (issue 17): one PDF of the
 * current accepted inputs of a call, as co-facilitators circulate it.
 *
 *   cover     call title, deadline, members received / on time / late,
 *             date of compilation                     (compile_typeset.c)
 *   contents  one line per input with its first page  (compile_typeset.c)
 *   inputs    each document as its PDF (a .pdf as it came, .docx/.odt/
 *             .rtf/.doc converted by convert.h), a body-only input typeset
 *             from its text (pango: bidi for Arabic, CJK fonts); the first
 *             page of each input carries a one-line band: member, received,
 *             words, language (overlaid by qpdf)
 *   bookmarks cover, contents, one per member          (compile_merge.c)
 *
 * A document that cannot be read or converted becomes a page saying so,
 * naming the file: one bad input never stops the compilation. Pages are
 * typeset with cairo + pango and merged with qpdf; nothing here writes PDF
 * syntax by hand. The work happens in a private temporary directory; OUT.pdf
 * is written aside, fsynced and renamed into place. */
#ifndef INTAKED_COMPILE_H
#define INTAKED_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct ctl;

struct compile_options {
	bool order_received;      /* --order received: by time received, not name */
	bool include_late;        /* --include-late: inputs received late too */
	bool progress;            /* "n of N, member" lines on stderr */
	unsigned parallel;        /* conversions at once (0: the cores) */
	int timeout_s;            /* per conversion */
};

/* What compile_call did, for the closing line. */
struct compile_result {
	size_t inputs, pages, unreadable;
};

/* Compile call from the spool to out_pdf. ERR_MESSAGE: nothing to compile
 * or OUT.pdf's directory is unusable; ERR_TEMP: reading or writing failed. */
int compile_call(struct ctl *c, const struct call_config *call, const char *out_pdf,
		 const struct compile_options *opt, struct compile_result *res, struct err *err);

/* ---- between compile*.c ---- */

enum compile_part_kind {
	PART_PDF,                 /* a .pdf document, used as it is */
	PART_CONVERT,             /* a document LibreOffice converts */
	PART_TEXT,                /* text typeset by us (body, .txt, .md) */
	PART_ERROR,               /* a page saying the file could not be rendered */
};

struct compile_part {
	enum compile_part_kind kind;
	char *name;               /* the file's name as the sender gave it */
	char *src;                /* copy in the work directory (PART_TEXT: the text) */
	char *pdf;                /* the PDF of this part in the work directory */
	char reason[160];         /* PART_ERROR: why */
	int npages;
	double width, height;     /* of its first page, in points */
};

struct compile_input {
	char *relpath;
	char *member;             /* roster name (verified) */
	char *language;           /* "ar" "zh" ... or NULL */
	time_t received_at;
	long words;               /* -1: unknown */
	struct compile_part *parts;
	size_t nparts;
	int first_page;           /* 1-based, in the compilation */
};

struct compile_doc {
	const struct call_config *call;
	time_t now;
	size_t received, on_time, late; /* over the current versions of members */
	struct compile_input *in;
	size_t n;
	char *workdir;
	int toc_pages;
};

/* compile_typeset.c: every page we draw, A4 unless a band matches the
 * page it is laid on. 0, or -1 (err). */
int compile_toc_pages(size_t n);
int compile_typeset_cover(const struct compile_doc *d, const char *pdf, struct err *err);
int compile_typeset_toc(const struct compile_doc *d, const char *pdf, struct err *err);
/* One band page per input, each of the size of that input's first page. */
int compile_typeset_bands(const struct compile_doc *d, const char *pdf, struct err *err);
/* The text of part (its src) as pages; *npages_r. lang: the input's. */
int compile_typeset_text(struct compile_part *part, const char *lang, struct err *err);
int compile_typeset_error(struct compile_part *part, struct err *err);
/* Release the fonts and caches pango, cairo and fontconfig keep. */
void compile_typeset_done(void);

/* compile_merge.c */
/* Open part->pdf with qpdf: its page count and first page size; -1 with a
 * reason when qpdf cannot read it (damaged, encrypted, empty). */
int compile_probe(struct compile_part *part);
/* cover.pdf, toc.pdf, the parts and bands.pdf into out (aside, fsync,
 * rename), with the bookmarks. *pages_r: the page count. */
int compile_merge(const struct compile_doc *d, const char *cover, const char *toc,
		  const char *bands, const char *out, int *pages_r, struct err *err);

#endif
