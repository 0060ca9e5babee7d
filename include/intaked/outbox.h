/* outbox.h — every outgoing mail is a file in SPOOL/outbox/ before any SMTP
 * connection is opened; delivered with retries and backoff.
 *
 *   outbox/queue/ID/{message.eml,envelope.json}  waiting or retrying
 *   outbox/sent/ID/                              delivered (audit)
 *   outbox/failed/ID/                            5xx or given up after 3 days
 *   outbox/tmp/ID/                               being built (swept after 1 h)
 *
 * envelope.json: id state kind ref from rcpt message_id attempts created
 * next_attempt last_error done_at (times ISO 8601 UTC).
 *
 * A crash may send a mail twice (after the server accepted it, before the
 * move to sent/), never lose one. */
#ifndef INTAKED_OUTBOX_H
#define INTAKED_OUTBOX_H

#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;

struct outbox_item {
	char *id;
	char *kind;               /* ack reminder digest alarm */
	char *ref;                /* spool relpath of what it is about, or NULL */
	char *from;               /* envelope sender, bare address */
	char *rcpt;               /* one recipient */
	char *message_id;
	int attempts;
	time_t created;
	time_t next_attempt;
	char *last_error;
	time_t done_at;           /* sent or failed at; 0 while queued */
};

struct outbox_stats {
	unsigned queued, sent, deferred, failed;
	time_t next_attempt;      /* earliest retry still pending, 0 if none */
};

/* Called for each item that reached a final state or was deferred: state
 * "sent", "failed" (detail: the reason) or "deferred" (detail: the error).
 * Deliveries are made durable a group at a time: what the callback writes
 * for "sent" must be written aside only (spool_stage_metadata); after one
 * syncfs it is called again with "commit" to put that in place, and the
 * item moves to sent/ after a second one. item is borrowed for the call. */
typedef void (*outbox_event_fn)(const struct outbox_item *item, const char *state,
				const char *detail, void *arg);

/* Write the message to the queue atomically (built in outbox/tmp/ID,
 * files fsynced, renamed into queue/, directories fsynced). from "" is
 * the null sender. *id_r: caller frees (may be NULL if not wanted). */
int outbox_queue(const struct spool *sp, const char *kind, const char *ref,
		 const char *from, const char *rcpt, const char *message_id,
		 const char *msg, size_t len, time_t now, char **id_r, struct err *err);
/* The same in two steps, for a batch: outbox_stage builds the item in
 * outbox/tmp/ID without fsync (not yet seen by outbox_flush; *id_r:
 * caller frees); after the caller's spool_sync, outbox_publish moves the
 * staged items into queue/ and fsyncs it once. */
int outbox_stage(const struct spool *sp, const char *kind, const char *ref,
		 const char *from, const char *rcpt, const char *message_id,
		 const char *msg, size_t len, time_t now, char **id_r, struct err *err);
int outbox_publish(const struct spool *sp, char *const *ids, size_t n, struct err *err);
/* outbox_stage under a name of the caller's (intake: "ack-" and the
 * entry's id), so a restarted daemon finds what it staged or queued for
 * a message before it was killed. */
int outbox_stage_as(const struct spool *sp, const char *id, const char *kind, const char *ref,
		    const char *from, const char *rcpt, const char *message_id, const char *msg,
		    size_t len, time_t now, struct err *err);

enum outbox_where { OUTBOX_NOWHERE, OUTBOX_STAGED, OUTBOX_QUEUED, OUTBOX_SENT, OUTBOX_FAILED };
/* Where item id is (tmp/, queue/, sent/, failed/). */
enum outbox_where outbox_where(const struct spool *sp, const char *id);
/* How many times this process has removed items from the outbox
 * (cancelled, withdrawn, swept): what was learnt from outbox_where holds
 * while this stays the same. */
unsigned long outbox_removals(void);
/* The same with its envelope in *it (zeroed when nowhere; free with
 * outbox_item_clear). -1 only when it is somewhere but unreadable. */
int outbox_lookup(const struct spool *sp, const char *id, enum outbox_where *w,
		  struct outbox_item *it, struct err *err);
void outbox_item_clear(struct outbox_item *it);
/* Visit every item of where (queue/, sent/, failed/ or tmp/) with its
 * envelope, parsed here (the outbox is the one reader of its format);
 * the item is borrowed for the call. Items whose envelope cannot be read,
 * and anything that is not a directory, are skipped. fn returns non-zero
 * to stop (not an error). 0, or -1 when the part cannot be listed. */
typedef int (*outbox_visit_fn)(const struct outbox_item *it, void *arg);
int outbox_each(const struct spool *sp, enum outbox_where where, outbox_visit_fn fn,
		void *arg, struct err *err);
/* Point a queued item at another spool entry (the message it answers was
 * filed at another path after a crash). Atomic. */
int outbox_set_ref(const struct spool *sp, const char *id, const char *ref, struct err *err);
/* Remove the items in tmp/ whose id starts with prefix: staged by a
 * daemon that was killed before it published them (their messages were
 * not filed, so they come back and are answered again). At start only. */
int outbox_withdraw_staged(const struct spool *sp, const char *prefix, size_t *n_r,
			   struct err *err);
/* Withdraw a queued (or staged) item that must not go out after all (the entry it
 * acknowledges could not be filed). Nothing to do if it is gone. */
int outbox_cancel(const struct spool *sp, const char *id, struct err *err);
/* Deliver every item due at now, oldest first, over one SMTP connection
 * (opened only if something is due), or one sendmail(8) run per item
 * (url = sendmail:, see mailer.h): 4xx and connection errors back off
 * exponentially with jitter (1 min .. 1 h, ±20 %), 5xx fail at once,
 * items created 3 days ago or more fail ("undelivered for 3 days").
 * Only one process flushes at a time: when another one is flushing this
 * returns 0 having done nothing. Returns 0, or -1 with ERR_TEMP when the
 * server could not be reached (ERR_AUTH when it refused our credentials,
 * ERR_CONFIG for a bad smtp url): the batch stops there and the other
 * items stay queued as they were. st (may be NULL): sent, deferred and
 * failed by this call; queued = what is left, next_attempt its earliest
 * due time. */
int outbox_flush(const struct spool *sp, const struct smtp_config *sc,
		 const char *access_token, time_t now, outbox_event_fn fn, void *arg,
		 struct outbox_stats *st, struct err *err);
/* Count queue/ (queued; deferred = tried at least once; next_attempt),
 * sent/ and failed/ (for status). */
int outbox_stat(const struct spool *sp, struct outbox_stats *st, struct err *err);

#endif
