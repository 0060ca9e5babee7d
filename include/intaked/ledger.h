/* ledger.h — what has been filed, so nothing is filed twice.
 *
 * An append-only journal in SPOOL/state/ledger. A record is written and
 * fsynced *before* its spool entry is committed, and names the entry's
 * path: a record counts only if that entry exists, so a crash between the
 * two leaves a record that is ignored, never a lost message. Keys: the raw
 * message's sha256 (same Message-ID and bytes = same message) and
 * (mailbox, UIDVALIDITY, UID). */
#ifndef INTAKED_LEDGER_H
#define INTAKED_LEDGER_H

#include <stdint.h>
#include "intaked/err.h"

struct ledger;
struct spool;

struct ledger_record {
	const char *id;
	const char *raw_sha256;
	const char *message_id;   /* may be NULL */
	const char *mailbox;
	uint32_t uidvalidity, uid;
	const char *relpath;      /* entry path inside the spool */
};

/* Load SPOOL/state/ledger (created if missing); a torn last line (a crash
 * mid-append) is cut away, other damaged lines are skipped with a warning.
 * sp is borrowed and must outlive the ledger. */
int ledger_open(const struct spool *sp, struct ledger **l_r, struct err *err);
void ledger_close(struct ledger **l);
/* Append and fdatasync (under flock, so intakectl and the daemon do not
 * interleave); then it is found by the lookups once its entry exists.
 * id, raw_sha256 and a valid relpath are required; message_id and mailbox
 * may be NULL; uid 0 is not indexed. */
int ledger_append(struct ledger *l, const struct ledger_record *rec, struct err *err);
/* The same for n records with one write and one fdatasync (a batch). */
int ledger_append_many(struct ledger *l, const struct ledger_record *recs, size_t n,
		       struct err *err);
/* Relative path of a committed entry with this raw hash, or NULL. Borrowed
 * until the next ledger call. A record counts only if its entry exists
 * (spool_entry_exists); several records may share a key. */
const char *ledger_find_sha(struct ledger *l, const char *raw_sha256);
const char *ledger_find_uid(struct ledger *l, const char *mailbox,
			    uint32_t uidvalidity, uint32_t uid);
/* The caller has just committed (renamed and synced) the entry relpath
 * holding the bytes raw_sha256: its records count from now on without
 * the lookups reading the entry again (what they would conclude). */
void ledger_note_committed(struct ledger *l, const char *raw_sha256, const char *relpath);
/* Number of records loaded or appended (committed or not). */
size_t ledger_count(const struct ledger *l);

#endif
