/* intake_ack.h — the acknowledgement of a message being filed: taken
 * over from a killed daemon, suppressed, or built and staged in the
 * outbox as "ack-ID" (ID: the entry's id, the same after a restart). */
#ifndef INTAKED_INTAKE_ACK_H
#define INTAKED_INTAKE_ACK_H

#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/metadata.h"

struct spool;
struct ratelimit;

struct intake_ack_job {
	const struct config *cfg;
	const struct call_config *call;   /* NULL outside submissions */
	struct spool *sp;
	struct ratelimit *rl;
	const char *id, *relpath;         /* the entry's id and where it is filed */
	time_t now;
};

/* Fill md->ack. *staged_r: the outbox item staged now (caller frees and
 * publishes or withdraws it), NULL when none was (suppressed, or one
 * queued or sent before a crash taken over). -1 (err set) when the
 * message must wait: rate state or outbox unreadable or unwritable. */
int intake_ack_decide(const struct intake_ack_job *x, struct metadata *md, char **staged_r,
		      struct err *err);
/* Withdraw the staged acknowledgement outbox_id (NULL: none) of entry
 * id, whose message is not filed after all; a failure is logged. */
void intake_ack_withdraw(struct spool *sp, const char *id, const char *outbox_id);
/* At start: withdraw the acknowledgements a killed daemon staged and
 * never queued (their messages were not filed and come back). */
void intake_ack_withdraw_leftovers(struct spool *sp);

#endif
