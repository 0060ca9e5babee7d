/* remind.h — reminders before each cutoff (SPEC §7): for every call, every
 * offset in `reminders` before the (member's) deadline, to the roster's
 * full addresses of the members who have not submitted (or all, per
 * `remind`). Each (call, member, offset) at most once, recorded in
 * SPOOL/state/ before the mail is queued in the outbox; after downtime only
 * the latest missed offset goes out; never after the deadline.
 * Auto-Submitted: auto-generated. */
#ifndef INTAKED_REMIND_H
#define INTAKED_REMIND_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;

/* Queue every reminder due at now for call (NULL: all calls). dry_run:
 * record and queue nothing, print one line per reminder that would go out
 * to out. out may be NULL. Returns the number queued (or listed), -1 on
 * error (ERR_TEMP: disk). */
int remind_run(const struct config *cfg, const struct spool *sp,
	       const struct call_config *call, time_t now, bool dry_run, FILE *out,
	       struct err *err);
/* The earliest instant after now at which a reminder becomes due, or 0. */
time_t remind_next_due(const struct config *cfg, const struct spool *sp, time_t now);

#endif
