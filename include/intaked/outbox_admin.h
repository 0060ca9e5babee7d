/* outbox_admin.h — the operator's hands on the outbox (intakectl outbox
 * list | retry ID | drop ID), safe while the daemon runs.
 *
 * Races: a change takes the outbox's flush lock (outbox/.lock, the flock
 * outbox_flush holds for a whole flush), so it never meets a delivery of
 * the same item: while a flush runs, the operator waits (up to
 * OUTBOX_ADMIN_WAIT seconds); while the operator holds it, a flush that
 * starts skips the round (outbox-busy) and comes back at the next wake.
 * The change itself is atomic: the envelope is replaced (write aside,
 * fsync, rename), then the item's directory renamed whole between queue/
 * and failed/, both directories fsynced. Nothing is ever deleted. */
#ifndef INTAKED_OUTBOX_ADMIN_H
#define INTAKED_OUTBOX_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/outbox.h"

#define OUTBOX_ADMIN_WAIT 30
#define OUTBOX_DROPPED "dropped by operator"

struct outbox_entry {
	struct outbox_item it;
	const char *state;        /* "queued" (never tried), "deferred", "failed" */
	bool broken;              /* envelope unreadable: it.id and it.last_error only */
};

/* Every item in queue/ (oldest first), then failed/ (oldest first). */
int outbox_list_items(const struct spool *sp, struct outbox_entry **v_r, size_t *n_r,
		       struct err *err);
void outbox_entries_free(struct outbox_entry *v, size_t n);

enum outbox_admin_result {
	OUTBOX_DONE = 1,
	OUTBOX_NOT_FOUND = 0,     /* no such item (or sent already) */
	OUTBOX_ERROR = -1,        /* err set: the spool, or the lock stayed busy */
};

/* A queued or deferred item becomes due at now; a failed one goes back to
 * the queue, due at now, with three more days before it is given up. */
int outbox_retry(const struct spool *sp, const char *id, time_t now, struct err *err);
/* A queued or deferred item moves to failed/ with last_error "dropped by
 * operator" (a failed one: OUTBOX_NOT_FOUND, it is not in the queue). */
int outbox_drop(const struct spool *sp, const char *id, time_t now, struct err *err);

#endif
