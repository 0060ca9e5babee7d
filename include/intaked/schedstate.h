/* schedstate.h — what the scheduler has sent, so a reminder or a digest
 * goes out at most once even across restarts and crashes.
 *
 * An append-only journal per kind of mail (SPOOL/state/reminders,
 * SPOOL/state/digests), one record a line:
 *   S1 I WHEN DEADLINE MESSAGE_ID KEY...   intent, fsynced before queueing
 *   S1 Q MESSAGE_ID OUTBOX_ID              the outbox holds it
 *   S1 X MESSAGE_ID                        it never reached the outbox
 * Fields are tab-separated and percent-escaped; KEY is one or more fields
 * chosen by the caller (see schedstate_key).
 *
 * The order intent -> outbox_queue -> Q makes the pair one step: after a
 * crash between the intent and the Q line, opening the journal looks the
 * intent's Message-ID up in the outbox (queue/, sent/, failed/): found,
 * the mail was queued (Q); not found, it never was (X), and the planner
 * sees the key as unsent and decides again. So a crash neither loses nor
 * doubles a mail.
 *
 * The journal is held under an exclusive flock from open to close: the
 * daemon and intakectl never plan or send at the same time, and a pending
 * intent seen under the lock can only be a crash's. */
#ifndef INTAKED_SCHEDSTATE_H
#define INTAKED_SCHEDSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/err.h"

struct spool;
struct schedstate;

struct schedstate_rec {
	const char *key;          /* as built by schedstate_key */
	time_t when;              /* scheduling clock when it was made */
	time_t deadline;          /* the deadline it was for, or 0 */
	const char *message_id;
	const char *outbox_id;    /* NULL until queued */
};

/* Open (create) SPOOL/state/NAME, take the lock, load it, cut a torn last
 * line and settle pending intents against the outbox. name is one plain
 * file name ("reminders", "digests"). Free with schedstate_close (which
 * releases the lock). */
int schedstate_open(const struct spool *sp, const char *name, struct schedstate **st_r,
		    struct err *err);
void schedstate_close(struct schedstate **st);

/* A key of n fields (each escaped, joined by tabs). Caller frees. */
char *schedstate_key(const char *const *fields, size_t n);

/* The latest queued record for key, or NULL. Borrowed until the next
 * schedstate call. */
const struct schedstate_rec *schedstate_find(const struct schedstate *st, const char *key);
/* Visit every queued record in journal order; stop when fn returns
 * non-zero. */
void schedstate_each(const struct schedstate *st,
		     int (*fn)(const struct schedstate_rec *r, void *arg), void *arg);

/* Append and fsync an intent for key: call before outbox_queue. */
int schedstate_intend(struct schedstate *st, const char *key, time_t when, time_t deadline,
		      const char *message_id, struct err *err);
/* After outbox_queue: the intent's mail is in the outbox as outbox_id
 * (queued = true), or it could not be queued (queued = false: the key is
 * free again). Not fsynced: a lost line is settled again on open. */
int schedstate_settle(struct schedstate *st, const char *message_id, bool queued,
		      const char *outbox_id, struct err *err);

#endif
