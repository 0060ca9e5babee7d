/* mime_parts.h — private to mime*.c: IMAP section numbers of GMime parts,
 * and the list of parts left unexamined (SPEC §6 "unexamined"). */
#ifndef INTAKED_MIME_PARTS_H
#define INTAKED_MIME_PARTS_H

#include <gmime/gmime.h>
#include <stdbool.h>

#include "intaked/analysis.h"

/* metadata.json stays small whatever the message: past this many entries
 * the last one is an open range ("1.2.3-": that part and all after it). */
#define MIME_PARTS_UNEXAMINED_MAX 1000

struct mime_unexamined {
	struct analysis *a;       /* where the entries go */
	bool full;                /* MIME_PARTS_UNEXAMINED_MAX reached */
};

/* Section numbers (RFC 3501): the children of the top-level multipart
 * ("" as parent) are 1, 2...; of part 2, 2.1, 2.2...; the body of a
 * forwarded message 2 is 2.1, or the parts of that body 2.1, 2.2... when it
 * is a multipart (then it takes the message's own number). Caller frees. */
char *mime_parts_child_id(const char *parent, int i);
char *mime_parts_body_id(const char *id, GMimeObject *body);
/* The body of a message/rfc822 part, or NULL. Borrowed. */
GMimeObject *mime_parts_message_body(GMimeObject *obj);

/* One unexamined part (or run of parts "1.4-1.9"); name (any text, NULL
 * for none) is made clean UTF-8 on one line. */
void mime_parts_add(struct mime_unexamined *u, const char *part, const char *name,
		    const char *reason);
/* The subtree at obj (numbered id) as unexamined: each named part on its
 * own, runs of unnamed sibling leaves as ranges. Nothing is decoded. */
void mime_parts_skip(struct mime_unexamined *u, GMimeObject *obj, const char *id,
		     const char *reason);
/* The children of mp from index from on, the same way. */
void mime_parts_skip_children(struct mime_unexamined *u, GMimeMultipart *mp, int from,
			      const char *id, const char *reason);

#endif
