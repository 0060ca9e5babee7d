/* entry.h — the metadata.json of a new spool entry (SPEC §6), built from
 * what intake learnt of one message: its analysis, the judges' verdict,
 * the version the spool handed out and the time. Pure: no I/O, no clock,
 * nothing but its arguments; the same inputs give the same metadata. */
#ifndef INTAKED_ENTRY_H
#define INTAKED_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/metadata.h"

struct analysis;
struct identity;
struct policy_verdict;
struct route_result;

/* The fetched message, as the server and the spool know it. */
struct entry_message {
	const char *id, *raw_sha256, *mailbox;
	size_t raw_size;
	time_t received_at;         /* INTERNALDATE */
	uint32_t uidvalidity, uid;
};

/* Where the message goes, which decides what its entry records. */
enum entry_fate {
	ENTRY_MALFORMED,   /* quarantined: kind "malformed", reason */
	ENTRY_IGNORED,     /* auto-reply, bounce...: kind, reason, the call routed to */
	ENTRY_UNMATCHED,   /* no call: documents and words */
	ENTRY_SUBMISSION,  /* everything */
};

struct entry_verdict {
	enum entry_fate fate;
	const char *kind;           /* ENTRY_IGNORED: classify_kind_name() */
	const char *reason;         /* ENTRY_MALFORMED and ENTRY_IGNORED */
	const struct config *cfg;   /* the calls route indexes */
	const struct route_result *route;   /* NULL: not routed */
	const struct identity *who;         /* ENTRY_SUBMISSION */
	const struct policy_verdict *policy; /* ENTRY_SUBMISSION */
	bool held;                  /* ENTRY_SUBMISSION: see metadata.h */
};

/* The metadata of the entry (caller frees: metadata_free). a may be NULL
 * (quarantined before or by the analysis): then only the message's facts.
 * version: the submission's vN (N > 1 supersedes vN-1), else ignored.
 * The acknowledgement is "suppressed" until decided (intake_ack.c). */
struct metadata *entry_build(const struct analysis *a, const struct entry_message *m,
			     const struct entry_verdict *v, int version, time_t now);

#endif
