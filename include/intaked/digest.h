/* digest.h — the daily digest for each call's coordinators (SPEC §7):
 * totals, what arrived since the last digest, who is missing, late or over
 * the limit, unknown senders, unreadable documents, acknowledgements that
 * could not be delivered, ignored and unmatched mail; the full list
 * attached as CSV (RFC 4180, UTF-8). One per call per local day at
 * `digest_at` in the deadline's zone, recorded in SPOOL/state/ before it is
 * queued, so a restart does not send it twice; after downtime, one
 * catching-up digest. */
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
 * coordinators; otherwise print it to out. Returns the number of digests
 * built, -1 on error. */
int digest_run(const struct config *cfg, const struct spool *sp,
	       const struct call_config *call, time_t now, bool force, bool send,
	       FILE *out, struct err *err);
/* The earliest instant after now at which a digest becomes due, or 0. */
time_t digest_next_due(const struct config *cfg, const struct spool *sp, time_t now);
/* The CSV of every submission of call, one row each (RFC 4180, UTF-8, CRLF).
 * Caller frees; *len_r its length. Shared with intakectl export. */
char *digest_csv(const struct spool *sp, const struct call_config *call, size_t *len_r,
		 struct err *err);

#endif
