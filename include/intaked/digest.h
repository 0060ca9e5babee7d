/* digest.h — the daily digest for each call's coordinators (SPEC §7):
 * totals, what arrived since the last digest, who is missing, late or over
 * the limit, unknown senders, unreadable documents, acknowledgements that
 * could not be delivered, ignored and unmatched mail; the full list
 * attached as CSV (RFC 4180, UTF-8). One per call per local day at
 * `digest_at` in the deadline's zone, recorded in SPOOL/state/digests
 * (schedstate.h) before it is queued, so a restart does not send it twice;
 * after downtime, one catching-up digest. "Since the last digest" means
 * filed (metadata filed_at, the scheduling clock) after the previous day's
 * digest was made. One mail per coordinator, each recorded as (call,
 * local date, address): a coordinator added during the day gets that
 * day's digest too. */
#ifndef INTAKED_DIGEST_H
#define INTAKED_DIGEST_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;

/* Queue the digests due at now for call (NULL: all calls). force: build one
 * now even if not due (intakectl digest). send: queue it to the
 * coordinators; otherwise print it to out (nothing recorded). A forced
 * digest that is sent is recorded, and is "the last digest" for the next
 * one, but does not stand in for the day's scheduled one. Returns the
 * number of digests built, -1 on error (ERR_CONFIG: forced and sent for a
 * call without coordinators, or a bad digest_template). */
int digest_run(const struct config *cfg, const struct spool *sp,
	       const struct call_config *call, time_t now, bool force, bool send,
	       FILE *out, struct err *err);
/* The earliest instant after now at which a digest becomes due, or 0.
 * From the configuration alone (sp is not read). */
time_t digest_next_due(const struct config *cfg, const struct spool *sp, time_t now);

/* The planning rules, pure (exposed for tests).
 * The latest digest instant at or before now: minute (after local
 * midnight) on now's local day in zone if that has come, else on the day
 * before (DST-correct; a time in the spring gap moves forward by the
 * gap). date_r: that day, "YYYY-MM-DD". */
time_t digest_slot(time_t now, const char *zone, int minute, char date_r[11]);
/* The first digest instant after now. */
time_t digest_next_slot(time_t now, const char *zone, int minute);
/* Whether the scheduled digest of slot (the latest, digest_slot) goes out
 * at now, given the time of the previous one (last, 0: none) and whether
 * anything was filed for the call since then (news). The very first
 * digest waits for a slot on now's local day (a daemon started at 07:00
 * does not send "yesterday's" and then today's at 08:00); after that the
 * latest slot always catches up. Daily from the opening (or always,
 * without opens) up to and including the first slot at or after the
 * latest deadline (extensions included) + grace; after that, and before
 * the opening, only on days with news. */
bool digest_wanted(const struct call_config *call, time_t slot, time_t now, time_t last,
		   bool news);
/* The CSV of every submission of call, one row each (RFC 4180, UTF-8, CRLF).
 * Caller frees; *len_r its length. Shared with intakectl export. */
char *digest_csv(const struct spool *sp, const struct call_config *call, size_t *len_r,
		 struct err *err);

#endif
