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

struct intake;

/* Borrowed: all four must outlive the intake. */
struct intake *intake_new(const struct config *cfg, struct spool *sp,
			  struct ledger *ledger, struct ratelimit *rl);
void intake_free(struct intake **in);

/* Stage one message: message.eml written aside in SPOOL/tmp and handed to
 * the analysis worker; the message handed over before it (if any) is then
 * judged and staged (filed, quarantined, or recorded as a duplicate of
 * what is already there) with its acknowledgement built. Nothing is
 * durable or visible yet; m may be freed on return. Returns 0, or -1 with
 * ERR_TEMP (disk full, no worker) for this message or the one before it:
 * it stays on the server and is tried again later (logged with its UID).
 * Call intake_commit after each message or after a batch. */
int intake_message(struct intake *in, const char *mailbox, uint32_t uidvalidity,
		   const struct imap_message *m, time_t now, struct err *err);
/* Messages staged or with the worker, not yet committed. */
size_t intake_staged(const struct intake *in);

/* Judge and stage what the worker still has, then make every staged
 * message durable and visible (batch.h: one syncfs
 * for the batch, acknowledgements queued, ledger records with one
 * fdatasync, renames, one more syncfs), then call filed(uid, arg) for each
 * message now safely in the spool: only those may be marked on the
 * server. An entry that cannot be renamed is left out (logged, retried on
 * a later pass). Returns 0, or -1 with err when the spool could not be
 * synced: then none is reported filed and the staged work is discarded. */
typedef void (*intake_filed_fn)(uint32_t uid, void *arg);
int intake_commit(struct intake *in, intake_filed_fn filed, void *arg, struct err *err);

/* Rebuild the index.json of every call that got an entry since the last
 * flush (the loop calls it once a minute during a long sync and after each
 * folder pass; intake_free does too). Failures are logged: the index is a regenerable summary. */
void intake_flush(struct intake *in);

#endif
