/* pending.h — which messages of the selected folder intaked still has to
 * deal with, decided by its own records (the folder's high-water mark,
 * highwater.h, and the ledger), never by flags that people also change;
 * and which filed ones to mark on the server again. */
#ifndef INTAKED_PENDING_H
#define INTAKED_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "intaked/err.h"
#include "intaked/highwater.h"

struct imap_session;
struct ledger;
struct spool;

struct pending {
	struct highwater hw;
	const struct spool *sp;   /* borrowed, like the rest */
	struct ledger *ledger;
	const char *folder;
	uint32_t uidvalidity;
};

/* The candidates of folder (selected in s with uidvalidity): UIDs above
 * its mark and those to try again, ascending (*uids_r: caller frees).
 * pd is then set up for the calls below; pending_clear frees it. */
int pending_find(struct pending *pd, struct imap_session *s, const struct spool *sp,
		 struct ledger *ledger, const char *folder, uint32_t uidvalidity,
		 uint32_t **uids_r, size_t *n_r, struct err *err);
/* A candidate the ledger already knows: mark it on the server? Yes where
 * the folder takes keywords (the search said it lacks $Filed); else if
 * the record says its mark may not have gone through (a crash between
 * filing and marking). Without a record (the first run after an upgrade)
 * no: people may have marked it unread since. */
bool pending_needs_mark(const struct pending *pd, const struct imap_session *s, uint32_t uid);
/* The candidates uids[0..n) were tried (ascending, after those of earlier
 * calls), and marked[0..nmarked) (ascending) marked on the server, or not
 * (!mark_ok: those count as not done). Advances the mark over what the
 * ledger holds and writes the record; the ledger must be durable first. */
void pending_done(struct pending *pd, const uint32_t *uids, size_t n, const uint32_t *marked,
		  size_t nmarked, bool mark_ok);
void pending_clear(struct pending *pd);

#endif
