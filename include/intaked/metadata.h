/* metadata.h — metadata.json of a spool entry (SPEC §6), built and read
 * through one struct so the daemon and intakectl agree by construction.
 * Enumerations are kept as their SPEC strings. */
#ifndef INTAKED_METADATA_H
#define INTAKED_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "intaked/err.h"
#include "intaked/json.h"
#include "intaked/util.h"

struct md_document {
	char *name, *file, *content_type, *type;
	size_t size;
	char *sha256;
	long words;               /* -1: null */
	char *error;              /* NULL: null */
};

/* A part that was not examined (limits on parts, depth, size or time). */
struct md_unexamined {
	char *part;               /* "1.2.3", a range "1.4-1.9", "1.5-" (and all
				   * after it), or NULL: not placeable */
	char *name;               /* file name, or NULL */
	char *reason;             /* parts depth size time */
};

/* A document shared as a link (never fetched). */
struct md_link {
	char *url, *service;
};

struct metadata {
	char *id;
	char *kind;               /* submission unmatched auto-reply bounce list loop malformed */
	char *reason;             /* why it was classified/quarantined so, or NULL */
	char *call;               /* the call; for ignored mail the one it was
				   * addressed to (routing), else NULL */
	char *call_title;
	char *status;             /* accepted late rejected, or NULL */
	struct {
		char *name, *slug, *matched_by;
		bool verified;
	} submitter;
	char *from, *from_name, *subject, *message_id, *date_header;
	char *in_reply_to, *references; /* kept for re-sending acknowledgements */
	char *reply_to;           /* address an acknowledgement goes to */
	time_t received_at;       /* 0: null */
	time_t deadline;          /* 0: null */
	char *zone;               /* the call's IANA zone */
	char *timeliness;
	bool extended;
	long word_count;          /* -1: null */
	long word_limit;          /* 0: null */
	bool over_limit;          /* known to be over the limit */
	bool over_limit_unknown;  /* JSON null: words not all known (unexamined
				   * parts, a linked document); never with
				   * over_limit */
	char *counted;            /* documents | body */
	char *language;           /* language.h code of the counted text; NULL:
				   * null (no text, or filed before the key) */
	double language_confidence; /* 0..1; < 0: null */
	struct md_document *documents;
	size_t ndocuments;
	struct md_unexamined *unexamined;
	size_t nunexamined;
	struct md_link *linked;   /* "linked_documents" */
	size_t nlinked;
	int version;              /* 0: null */
	char *supersedes;         /* relative path "vN" of the previous, or NULL; a
				   * filed entry is never rewritten when a newer
				   * version comes: vN+1 beside it says so */
	bool held;                /* unverified while a verified version of the
				   * submitter exists: filed, never current, until
				   * intakectl accept (issue 14) */
	time_t accepted_at;       /* when intakectl accept cleared held; 0: null */
	char *raw_sha256;
	size_t raw_size;
	struct {
		char *mailbox;
		uint32_t uidvalidity, uid;
	} imap;
	struct {
		char *state;      /* queued sent failed suppressed */
		char *to, *message_id, *suppressed, *outbox_id;
		time_t sent_at;   /* 0: null */
		char *error;      /* why it failed (the server's refusal), or NULL */
	} ack;
	struct {
		char *matched_by;
		struct strlist also;  /* other calls that matched */
	} route;
	struct {
		char *raw;        /* Authentication-Results as received */
		char *spf, *dkim, *dmarc; /* "pass" "fail" ... or NULL */
	} auth;
	time_t filed_at;          /* 0: null */
};

struct metadata *metadata_new(void);
void metadata_free(struct metadata **md);

/* JSON text (UTF-8, indented, trailing newline; SPEC §6 keys first, in a
 * fixed order, then ours). NULL strings and the "null" values noted above
 * are JSON null; bytes that are not UTF-8 become U+FFFD. Times are
 * "2022-03-29T21:59:00Z". Caller frees. */
char *metadata_to_json(const struct metadata *md);
/* The same as a JSON object, for records built on it (intakectl export). */
jnode *metadata_to_jnode(const struct metadata *md);
/* The inverse: missing or null keys read as their null value, unknown
 * keys are ignored, a wrong type or range is ERR_MESSAGE naming the key. */
int metadata_from_json(const char *json, size_t len, struct metadata **md_r,
		       struct err *err);
/* The file itself is written and read by the spool only:
 * spool_save_metadata and spool_load_metadata (spool.h). */

#endif
