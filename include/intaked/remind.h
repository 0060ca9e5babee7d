/* remind.h — reminders before each cutoff (SPEC §7): for every call, every
 * offset in `reminders` before the (member's) deadline, to the roster's
 * full addresses of the members who have not submitted (or all, per
 * `remind`). Each (call, member, offset) at most once, recorded in
 * SPOOL/state/reminders (schedstate.h) before the mail is queued in the
 * outbox; after downtime only the latest missed offset goes out; never
 * after the deadline, nor before the call opens. Auto-Submitted:
 * auto-generated.
 *
 * "Submitted" means: at least one version, of any status, filed under the
 * member's slug with submitter.verified (an unverified mail in the
 * member's name, e.g. failing DMARC, does not stop the reminders). A
 * member with several full addresses gets one mail per address, each
 * recorded on its own: (call, member, offset, address). A deadline moved
 * in the configuration, or by an extension, moves the offsets not sent
 * yet; one already sent is not sent again. */
#ifndef INTAKED_REMIND_H
#define INTAKED_REMIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;

/* Queue every reminder due at now for call (NULL: all calls). Returns
 * the number queued, -1 on error (ERR_TEMP: disk). */
int remind_run(const struct config *cfg, const struct spool *sp,
	       const struct call_config *call, time_t now, struct err *err);
/* For remind --dry-run: what a pass at now would do for each member of
 * call, or why it would not remind them (submitted, deadline passed, no
 * full address, not due yet and when it will be, already sent), one line
 * each, to out; or why the call reminds nobody. Records and queues
 * nothing. Returns the number of reminders that would go out, -1 on error. */
int remind_explain(const struct config *cfg, const struct spool *sp,
		   const struct call_config *call, time_t now, FILE *out, struct err *err);
/* Log once (at start and on reload) each call with reminders whose roster
 * has members without a full address: they cannot be reminded. */
void remind_log_unreachable(const struct config *cfg);
/* The earliest instant after now at which a reminder becomes due, or 0.
 * From the configuration alone (sp is not read): it may name an instant
 * at which, in the end, nobody needs reminding. */
time_t remind_next_due(const struct config *cfg, const struct spool *sp, time_t now);

/* The planning rule, pure (exposed for tests). offsets: seconds before
 * the deadline, any order; opens: 0 for none. The index of the offset due
 * at now: the smallest one whose instant (deadline - offset) has come, so
 * that after downtime only the latest missed one goes out; -1 when none
 * is due, when now is at or after the deadline, or before opens. */
int remind_due_index(const long *offsets, size_t n, time_t deadline, time_t opens, time_t now);
/* The first instant after now at which remind_due_index changes to an
 * offset (deadline - offset, or opens when that comes later), or 0. */
time_t remind_next_instant(const long *offsets, size_t n, time_t deadline, time_t opens,
			   time_t now);
/* "7d", "1d", "3h", "90m", "45s": the offset's name in records and logs,
 * one spelling per value. out holds at least 24 bytes. */
void remind_offset_name(long offset, char *out, size_t n);

#endif
