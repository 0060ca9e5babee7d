/* highwater.h — how far intaked got in each folder, so that what is
 * pending is decided by its own records and never by flags that people
 * also change (\Seen in Outlook, on a server without keywords).
 *
 * SPOOL/state/highwater, a JSON object replaced atomically:
 *   { "INBOX": { "uidvalidity": 7, "mark": 1234, "marked": 1234,
 *                "retry": [17, 1200] } }
 * Invariant: every message of the folder (under that UIDVALIDITY) with a
 * UID <= mark is in the ledger or in retry. retry holds the few below the
 * mark not filed yet (skipped: too big, unreadable, gone; or not reached
 * before a failure): they are asked for on every pass, with everything
 * above the mark (UIDs only grow: nothing new appears below it). The
 * record is written after the ledger records it relies on are durable
 * (intake_commit), so a crash can only leave it behind, never ahead.
 * marked: the highest UID whose mark on the server (\Seen $Filed, or the
 * move) went through; a filed message above it is marked again, once. A
 * new UIDVALIDITY starts the folder afresh (the ledger's SHA-256 keeps
 * what was filed from being filed again). */
#ifndef INTAKED_HIGHWATER_H
#define INTAKED_HIGHWATER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "intaked/err.h"

struct spool;

/* Past this many unfiled messages below it, the mark stops advancing
 * (they are then found above it, as before). */
#define HIGHWATER_RETRY_MAX 1000

struct highwater {
	uint32_t uidvalidity;
	uint32_t mark;
	uint32_t marked;
	uint32_t *retry;          /* ascending, all <= mark */
	size_t nretry;
	bool known;               /* a record for this UIDVALIDITY was on disk */
	bool full;                /* retry filled up in this pass: mark stays */
};

/* The folder's record, or a fresh one (mark 0) when there is none, it is
 * for another UIDVALIDITY, or it is damaged (logged). */
void highwater_load(const struct spool *sp, const char *folder, uint32_t uidvalidity,
		    struct highwater *hw);
/* Write hw as the folder's record (the others are kept). */
int highwater_save(const struct spool *sp, const char *folder, const struct highwater *hw,
		   struct err *err);
void highwater_clear(struct highwater *hw);

/* uids (ascending: what UID SEARCH found for retry and mark+1:*) cut down
 * to the candidates: in retry or above the mark (a search of N:* also
 * finds the highest UID when it is below N). retry forgets what the
 * search did not find: gone. Returns the new count. */
size_t highwater_candidates(struct highwater *hw, uint32_t *uids, size_t n);

/* The candidates uids[0..n) (ascending, above those of earlier calls in
 * this pass) were tried; filed(uid, arg) says whether the ledger has one
 * (durably). Advances the mark over them, the unfiled going to retry
 * while it has room. Returns whether hw changed. */
bool highwater_advance(struct highwater *hw, const uint32_t *uids, size_t n,
		       bool (*filed)(uint32_t uid, void *arg), void *arg);

#endif
