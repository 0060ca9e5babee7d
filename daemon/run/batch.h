/* batch.h — the group commit: the messages intake staged, made durable
 * and visible together, in the one order that a crash between any two
 * steps cannot turn into a loss (RELIABILITY.md):
 *   one syncfs of the spool → acknowledgements into the outbox queue →
 *   ledger records (one fdatasync) → renames into place → one syncfs →
 *   only then the caller marks the messages on the server.
 * A crash after the acknowledgements are queued but before the renames
 * files the message again on restart and may acknowledge it twice, never
 * zero. The batch is the only owner of that order (issue 18's analysis
 * workers stage into it in mailbox order). */
#ifndef INTAKED_BATCH_H
#define INTAKED_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "intaked/err.h"

struct ledger;
struct metadata;
struct spool;
struct spool_entry;

struct batch;

/* sp and ledger are borrowed and must outlive the batch. */
struct batch *batch_new(struct spool *sp, struct ledger *ledger);
/* Discards what is staged (withdrawing its acknowledgements), then
 * rebuilds the index.json that are behind (batch_flush). */
void batch_free(struct batch **b);

/* Stage a sealed entry to be renamed to relpath: *e is taken (NULL on
 * return). md (borrowed) says what the ledger records and the log line;
 * outbox_id: its staged acknowledgement, or NULL. */
void batch_add(struct batch *b, struct spool_entry **e, const struct metadata *md,
	       const char *relpath, const char *outbox_id);
/* Stage a ledger record only: the same bytes are already at relpath. */
void batch_add_duplicate(struct batch *b, const char *mailbox, uint32_t uidvalidity,
			 uint32_t uid, const char *id, const char *sha, const char *relpath);
/* Where the same bytes are staged in this batch, or NULL. Borrowed. */
const char *batch_find_sha(const struct batch *b, const char *sha);
/* Whether a version of call/slug staged in this batch is verified (or
 * accepted) and not held. */
bool batch_has_trusted(const struct batch *b, const char *call, const char *slug);
size_t batch_size(const struct batch *b);

/* Make every staged message durable and visible, in the order above, then
 * call filed(uid, arg) for each one now safely in the spool: only those
 * may be marked on the server. An entry that cannot be renamed is left
 * out (logged, its acknowledgement withdrawn, retried on a later pass).
 * Returns 0, or -1 with err when the spool could not be synced: then none
 * is reported filed and the staged work is discarded. */
typedef void (*batch_filed_fn)(uint32_t uid, void *arg);
int batch_commit(struct batch *b, batch_filed_fn filed, void *arg, struct err *err);

/* Rebuild the index.json of every call that got an entry since the last
 * flush. Failures are logged: the index is a regenerable summary. */
void batch_flush(struct batch *b);

#endif
