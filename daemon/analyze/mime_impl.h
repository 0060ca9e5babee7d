/* mime_impl.h — shared by mime.c (the walk), mime_headers.c and
 * mime_attach.c; no other module includes it. */
#ifndef INTAKED_MIME_IMPL_H
#define INTAKED_MIME_IMPL_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <time.h>

#include "intaked/analysis.h"
#include "intaked/config.h"
#include "intaked/err.h"
#include "mime_parts.h"
#include "words.h"

/* One message's walk over its MIME tree. */
struct mime_walk {
	const struct limits_config *lim;
	struct timespec deadline; /* for converters: ahead of the worker's */
	int files_dirfd;
	struct analysis *a;
	size_t docs_cap;
	unsigned parts;
	/* Once a limit on parts or time is reached, nothing more is examined:
	 * "parts" or "time"; what is left is listed as unexamined. */
	const char *stop;
	GMimeObject *refused;     /* the object walk() stopped at, unentered */
	struct mime_unexamined un; /* what is not examined goes here */
	bool gmime_nesting_overflow;
	/* Body candidates by words_body_slot(); borrowed from the tree. */
	GMimePart *body[WORDS_BODY_SLOTS];
	/* Text of a multipart that has no parts (its boundary is missing):
	 * the body of last resort. */
	const char *orphan_text;
	bool failed;          /* could not write a file: the whole message fails */
	struct err *err;
	struct words_tally tally; /* the counted documents' text so far */
};

/* Seconds left for converters (mime.c). */
long mime_seconds_left(const struct mime_walk *w);

/* --- mime_attach.c */
/* The part's content with its transfer encoding undone, in a memory
 * stream the caller unrefs; *data_r points into it. */
GMimeStream *mime_part_decode(GMimePart *part, const unsigned char **data_r,
			      size_t *len_r);
/* One attachment into w->a->docs: described, saved under files/ (w->failed
 * when it cannot be written), counted by words.c; id: its section. */
void mime_attachment(struct mime_walk *w, GMimePart *part, const char *ctype,
		     const char *id);

/* --- mime_headers.c */
/* Append to a->warning ("; " between notes), capped. */
void mime_warning_add(struct analysis *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text for display and for mail we compose: valid UTF-8, line breaks and
 * tabs as spaces, other control characters removed, trimmed. Caller frees. */
char *mime_display_text(const char *s);
/* obj's type/subtype, lower-case (application/octet-stream without one). */
char *mime_type_lower(GMimeObject *obj);
/* The top-level headers in wire order, and what the daemon reads of them
 * (From, Subject, addresses, ids), into a. */
void mime_read_headers(struct analysis *a, GMimeMessage *msg, GMimeParserOptions *opts);

#endif
