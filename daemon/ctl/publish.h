/* publish.h — the publication page of a call (issue 7): a self-contained
 * static site, written atomically next to where it goes.
 *
 *   OUTDIR/index.html           the current published version of each
 *                               submitter: name, date received in the
 *                               call's zone, subject, documents (links),
 *                               word counts, status
 *   OUTDIR/files/SLUG/NAME      copies of those documents (or message.txt,
 *                               the body, when the body was counted)
 *   OUTDIR/submissions.json     the same data
 *   OUTDIR/.intaked-publish     marks a directory this module may replace
 *
 * The page has no scripts and no external assets (inline CSS, and a
 * Content-Security-Policy that would block a script anyway), <html lang>
 * of the call's language (en, fr, es labels), a <table> with <caption> and
 * <th scope>, @media print, and a stacked layout on narrow screens.
 * Everything that comes from a sender is HTML-escaped; file names are
 * percent-encoded in links; a copied document whose extension a web server
 * could serve as active content (html, svg, ...) gets ".txt" appended. */
#ifndef INTAKED_PUBLISH_H
#define INTAKED_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/util.h"

struct spool;
struct metadata;

struct publish_options {
	bool no_late;             /* leave out timeliness "late" */
	bool no_rejected;         /* leave out status "rejected" */
	/* Senders the roster does not verify are left out unless this is set:
	 * a stranger must not appear as a mission under a display name of
	 * their choosing. Included, they show by address, "unverified sender". */
	bool include_unverified;
};

struct publish_doc {
	char *name;               /* as the sender wrote it (display only) */
	bool body;                /* the message text (body.txt), no attachment */
	char *path;               /* "files/SLUG/NAME" in OUTDIR, or NULL: not copied */
	long words;               /* -1: not counted */
	char *error;              /* why it could not be read, or NULL */
	size_t size;
	char *sha256;
};

struct publish_row {
	char *id;
	char *name;               /* roster name when verified, else NULL */
	char *address;            /* sender's address, shown when not verified */
	bool in_roster, verified;
	char *subject;
	time_t received_at;
	int version;
	char *status, *timeliness;
	long word_count;          /* -1: null */
	long word_limit;          /* 0: none */
	bool over_limit;
	bool over_limit_unknown;  /* not all words known */
	char *language;           /* metadata's "language", NULL: null */
	struct publish_doc *docs;
	size_t ndocs;
};

struct publish_page {
	const char *call, *title, *lang, *zone;
	time_t deadline;
	long word_limit;
	time_t generated;
	struct publish_options opt;
	struct publish_row *rows;
	size_t nrows;
};

/* True if md (a submission) may be published under opt. */
bool publish_selects(const struct metadata *md, const struct publish_options *opt);

/* Append s to b with & < > " ' escaped (and bytes that are not valid
 * UTF-8, or control characters other than tab and newline, as U+FFFD).
 * -1 when b is full. */
int publish_html_escape(struct buf *b, const char *s);
/* A relative path ("files/slug/Our input.docx") as a URL path: each
 * component percent-encoded (RFC 3986 unreserved characters kept), '/'
 * kept. Caller frees. */
char *publish_url_path(const char *path);
/* The name a document gets in OUTDIR: name itself, or name + ".txt" when
 * its extension is not one of the inert document types (pdf docx odt rtf
 * doc txt md). Caller frees. */
char *publish_safe_name(const char *name);

/* index.html and submissions.json of a page. Caller frees. */
char *publish_render_html(const struct publish_page *p);
char *publish_render_json(const struct publish_page *p);
void publish_page_clear(struct publish_page *p);

/* Build the site of call from the spool into a fresh OUTDIR.tmp-XXXXXX in
 * the same directory, then put it in place: renamed to OUTDIR, or swapped
 * with an existing OUTDIR (RENAME_EXCHANGE, else renamed aside first) that
 * is then removed. An existing OUTDIR must be a real directory (no
 * symlink) that is empty or holds .intaked-publish: anything else is
 * refused (ERR_MESSAGE), so a mistyped OUTDIR never destroys other files.
 * Nothing in the spool is followed through a symlink. *nrows_r: the
 * number of submissions published. ERR_TEMP: reading or writing failed. */
int publish_call(const struct spool *sp, const struct call_config *call, const char *outdir,
		 const struct publish_options *opt, time_t now, size_t *nrows_r,
		 struct err *err);

#endif
