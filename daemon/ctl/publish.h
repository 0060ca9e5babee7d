/* publish.h — the publication page of a call (issues 7, 17): a
 * self-contained static site a web editor can post, written atomically
 * next to where it goes, one sub-folder per call.
 *
 *   OUTDIR/CALL/index.html      the current accepted version of each
 *                               member: the chosen columns (member,
 *                               received, documents, language, words)
 *   OUTDIR/CALL/index.LL.html   the same page in language LL (--lang)
 *   OUTDIR/CALL/fragment.html   only the list, for a CMS (--fragment,
 *                               instead of index.html)
 *   OUTDIR/CALL/files/SLUG/X.pdf  the documents as PDF (LibreOffice,
 *                               tracked changes accepted, comments out),
 *                               the originals too with --originals, or
 *                               message.txt: the body without quoted
 *                               lines and signature, when it was counted
 *   OUTDIR/CALL/submissions.json  the same data
 *   OUTDIR/CALL/.intaked-publish  the list of files publish wrote: the
 *                               folder is replaced only when it holds
 *                               nothing else
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

/* The page's columns, in the order given (--columns). */
enum publish_column { COL_MEMBER, COL_RECEIVED, COL_DOCUMENTS, COL_LANGUAGE, COL_WORDS };
#define PUBLISH_MAX_COLUMNS 5
#define PUBLISH_MAX_LANGS 8

struct publish_options {
	bool no_late;             /* leave out timeliness "late" */
	bool no_rejected;         /* leave out status "rejected" */
	/* By default only versions with status "accepted" (SPEC §6): a late
	 * version flagged "late" is listed only with this. */
	bool include_late;
	bool originals;           /* copy the original files too */
	bool fragment;            /* fragment.html only: the list */
	enum publish_column columns[PUBLISH_MAX_COLUMNS];
	size_t ncolumns;          /* 0: the default columns */
	const char *langs[PUBLISH_MAX_LANGS]; /* pages to write; none: the call's */
	size_t nlangs;
	char *intro;              /* plain text (blank lines part paragraphs), or NULL */
	char *templ;              /* the site's HTML template (publish_template.c), or NULL */
	int convert_timeout;      /* seconds per document; 0: 300 */
	/* Senders the roster does not verify are left out unless this is set:
	 * a stranger must not appear as a mission under a display name of
	 * their choosing. Included, they show by address, "unverified sender". */
	bool include_unverified;
};

struct publish_doc {
	char *name;               /* as the sender wrote it (display only) */
	bool body;                /* the message text (body.txt), no attachment */
	char *path;               /* "files/SLUG/NAME" in OUTDIR, or NULL: not copied */
	char *pdf;                /* "files/SLUG/X.pdf": the document as PDF, or NULL */
	char *pdf_error;          /* why there is no PDF, or NULL */
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

/* Parse "member,received,..." into opt->columns; -1 naming the unknown
 * column in err (ERR_MESSAGE). */
int publish_parse_columns(struct publish_options *opt, const char *list, struct err *err);
/* Parse "en,fr" into opt->langs (pointers into list); -1 on a language
 * the page has no labels for. */
int publish_parse_langs(struct publish_options *opt, char *list, struct err *err);

/* index.html (in language lang, NULL: the call's) and submissions.json of
 * a page. Caller frees. */
char *publish_render_html(const struct publish_page *p, const char *lang);
/* Only the list (and the introduction): what --fragment writes. */
char *publish_render_fragment(const struct publish_page *p, const char *lang);
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
