/* ratelimit.h — how many acknowledgements each address got today, kept in
 * SPOOL/state/ratelimit-YYYY-MM-DD (append-only, one address a line, UTC
 * days), so a restart does not reset the count. Files older than 7 days
 * are removed when a new day is first loaded. */
#ifndef INTAKED_RATELIMIT_H
#define INTAKED_RATELIMIT_H

#include <time.h>
#include "intaked/err.h"

struct ratelimit;
struct spool;

/* Creates SPOOL/state if missing. Free with ratelimit_close(). */
int ratelimit_open(const struct spool *sp, struct ratelimit **rl_r, struct err *err);
void ratelimit_close(struct ratelimit **rl);
/* Count for addr (case-insensitive) on the UTC day of now; the day's file
 * is reread when another process appended to it. -1 (logged) when the
 * file cannot be read: the caller decides (treating it as over the limit
 * is the safe choice). */
int ratelimit_count(struct ratelimit *rl, const char *addr, time_t now);
/* Record one more for addr on the UTC day of now (appended, fsynced). */
int ratelimit_add(struct ratelimit *rl, const char *addr, time_t now, struct err *err);
/* The same for the outbox item outbox_id, before it is queued: it counts
 * only while the item is in the outbox, and once however often it is
 * recorded (see ratelimit.c). Appended without an fsync of its own: the
 * item is staged, and the spool_sync before outbox_publish (run/batch.c)
 * makes the line durable before the item can be sent. */
int ratelimit_add_for(struct ratelimit *rl, const char *addr, const char *outbox_id,
		      time_t now, struct err *err);

#endif
