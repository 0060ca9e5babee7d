/* analysis.h — what the parsing worker learned about one message: plain
 * data, the only thing that crosses from the sandboxed worker back to the
 * daemon (as JSON on a pipe). */
#ifndef INTAKED_ANALYSIS_H
#define INTAKED_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/err.h"
#include "intaked/util.h"

/* One top-level header, unfolded; value as on the wire (not 2047-decoded),
 * bytes that are not valid UTF-8 replaced with U+FFFD. */
struct header {
	char *name;
	char *value;
};

/* One attachment (document or not). */
struct document {
	char *name;           /* decoded original file name, UTF-8; may be "" */
	char *file;           /* "files/SANITIZED" relative to the entry, or NULL */
	char *content_type;   /* as declared, lower-case, no parameters */
	char *type;           /* detected: docx odt pdf rtf txt md html doc tnef
			       * other; from content (magic) and name */
	size_t size;          /* decoded bytes */
	char sha256[65];
	bool is_document;     /* one of SPEC §4's document types: counts */
	long words;           /* -1 when not counted */
	char *error;          /* NULL, or too_large encrypted corrupt
			       * unsupported timeout no_text ... */
};

/* A part that was not examined (SPEC §6 "unexamined"): a limit on parts,
 * depth, size or time was reached. */
struct unexamined {
	char *part;           /* IMAP section number "1.2.3"; a run of unnamed
			       * siblings "1.4-1.9"; NULL when the parser
			       * itself could not place it */
	char *name;           /* file name within it, or NULL */
	char *reason;         /* "parts" "depth" "size" "time" */
};

/* A document shared as a link to a file service instead of attached. */
struct linked_document {
	char *url;
	char *service;        /* "onedrive" "sharepoint" "google_drive" ... */
};

struct analysis {
	struct header *headers;
	size_t nheaders;

	char *from_addr;      /* canonical (address.h): domain an A-label; "" if none */
	char *from_name;      /* decoded display name, UTF-8 */
	char *reply_to_addr;  /* NULL if absent */
	char *sender_addr;    /* Sender:, NULL if absent */
	char *subject;        /* RFC 2047-decoded UTF-8, CR/LF removed */
	char *message_id;     /* "<...>" or NULL */
	char *date_header;    /* as written, or NULL */
	char *in_reply_to;
	char *references;
	bool has_return_path;
	char *return_path;    /* bare address; "" for the null path <> */
	struct strlist to;           /* bare lower-case addresses */
	struct strlist cc;
	struct strlist delivered_to; /* Delivered-To */
	struct strlist original_to;  /* X-Original-To */
	char *content_type;   /* top-level media type, lower-case */

	char *body_text;      /* text/plain, else text/html as text; UTF-8 */
	long body_words;      /* counted per SPEC §4 (quotes, signature out) */

	struct document *docs;
	size_t ndocs;

	/* The text extracted from the readable counted documents, in order,
	 * a blank line between two (at most ANALYSIS_DOCS_TEXT_MAX bytes);
	 * NULL when none. Filed as text.txt when the documents count. Like
	 * body_text, it travels from the worker raw, not in the JSON. */
	char *docs_text;
	long word_count;      /* sum of document words, or body_words */
	const char *counted;  /* "documents" | "body" (static) */
	/* Language of the counted text (language.h): "ar" "zh" "en" "fr" "ru"
	 * "es" "other", or "" when there is no text to judge. */
	char language[8];
	double language_confidence; /* 0.0 - 1.0 */

	char *warning;        /* NULL, or what was assumed to read the message
			       * (a header block missing...); for the log */

	struct unexamined *unexamined;
	size_t nunexamined;
	struct linked_document *links;
	size_t nlinks;
};

#define ANALYSIS_DOCS_TEXT_MAX ((size_t)32 << 20)

struct analysis *analysis_new(void);
void analysis_free(struct analysis **a);
/* True when the words of the message are not all known: a part was left
 * unexamined, or the body was counted and it links to a document stored
 * elsewhere. Then "within the limit" cannot be said (over_limit null). */
bool analysis_words_unknown(const struct analysis *a);
/* Append to the lists (strings copied; NULL part/name allowed). */
void analysis_add_unexamined(struct analysis *a, const char *part, const char *name,
			     const char *reason);
void analysis_add_link(struct analysis *a, const char *url, const char *service);

/* First header named name (case-insensitive), or NULL. Borrowed. */
const char *analysis_header(const struct analysis *a, const char *name);

/* Wire form between worker and daemon (one compact JSON object; invalid
 * UTF-8 in any string is sent as U+FFFD). to_json returns a string the
 * caller frees; from_json returns -1 (ERR_MESSAGE) on any malformed input,
 * and fills absent optional fields with NULL / "" / 0. */
char *analysis_to_json(const struct analysis *a);
int analysis_from_json(const char *json, size_t len, struct analysis **a_r,
		       struct err *err);

#endif
