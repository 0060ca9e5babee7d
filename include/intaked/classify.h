/* classify.h — is this a submission candidate, or an auto-reply, bounce,
 * list mail or our own mail looping back? RFC 3834 and what mature
 * responders check. Pure: headers in, verdict out. */
#ifndef INTAKED_CLASSIFY_H
#define INTAKED_CLASSIFY_H

#include <stddef.h>
#include "intaked/analysis.h"

enum msg_kind {
	KIND_SUBMISSION,   /* a candidate: routing decides submission/unmatched */
	KIND_UNMATCHED,
	KIND_AUTO_REPLY,
	KIND_BOUNCE,
	KIND_LIST,
	KIND_LOOP,
	KIND_MALFORMED,
};

/* The header every mail intaked sends carries, so it knows its own mail. */
#define CLASSIFY_LOOP_HEADER "X-Intaked-Loop"

struct classify_result {
	enum msg_kind kind;
	char reason[160];  /* e.g. "Auto-Submitted: auto-replied" */
};

/* own_addresses: the intake addresses (mailbox user, smtp from, match_to
 * of every call), lower-case. */
void classify_message(const struct analysis *a, const struct strlist *own_addresses,
		      struct classify_result *r);
/* "submission" "unmatched" "auto-reply" "bounce" "list" "loop" "malformed" */
const char *classify_kind_name(enum msg_kind kind);
/* True for senders one must never answer: MAILER-DAEMON, postmaster,
 * noreply/no-reply/do-not-reply..., empty. */
int classify_is_noreply_address(const char *addr);

#endif
