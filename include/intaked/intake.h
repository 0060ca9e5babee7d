/* intake.h — one fetched message, from raw bytes to a committed spool entry
 * and a queued acknowledgement: analyse (in the worker) → classify → route
 * → identify → judge → file → queue the acknowledgement. */
#ifndef INTAKED_INTAKE_H
#define INTAKED_INTAKE_H

#include <stdint.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;
struct ledger;
struct ratelimit;
struct imap_message;
struct outbox_item;

struct intake;

/* Borrowed: all four must outlive the intake. */
struct intake *intake_new(const struct config *cfg, struct spool *sp,
			  struct ledger *ledger, struct ratelimit *rl);
void intake_free(struct intake **in);

/* Returns 0 once the message is durably in the spool (filed, quarantined,
 * or already there from an earlier run): only then may it be marked on the
 * server. -1 with ERR_TEMP when it is not (disk full, fork failed): leave
 * it on the server and retry later. */
int intake_message(struct intake *in, const char *mailbox, uint32_t uidvalidity,
		   const struct imap_message *m, time_t now, struct err *err);

/* Rebuild the index.json of every call that got an entry since the last
 * flush (the loop calls it after each batch and folder pass; intake_free
 * does too). Failures are logged: the index is a regenerable summary. */
void intake_flush(struct intake *in);

/* True if the ledger already holds this UID as filed. */
int intake_seen_uid(struct intake *in, const char *mailbox, uint32_t uidvalidity,
		    uint32_t uid);

/* An outbox_event_fn: record an acknowledgement's delivery (or failure) in
 * its entry's metadata.json. arg: the struct spool. */
void intake_record_delivery(const struct outbox_item *item, const char *state,
			    const char *detail, void *arg);

#endif
