/* uidvalidity.h — the UIDVALIDITY last seen for each folder, in
 * SPOOL/state/uidvalidity (a JSON object, folder -> number, replaced
 * atomically), so that a change (the folder was recreated, restored or
 * migrated: every UID now names another message) is noticed and logged
 * as event=uidvalidity-changed. Nothing is refiled after a change: the
 * ledger knows every message by its raw sha256 as well as by its UID. */
#ifndef INTAKED_UIDVALIDITY_H
#define INTAKED_UIDVALIDITY_H

#include <stdint.h>
#include "intaked/err.h"

struct spool;

/* Compare value with what is recorded for folder, and record value.
 * Returns 0 when it is unchanged or the folder is new, 1 when it changed
 * (*old_r: the previous value; may be NULL), -1 when the record cannot be
 * written (a damaged record is replaced, with a warning). */
int uidvalidity_check(const struct spool *sp, const char *folder, uint32_t value,
		      uint32_t *old_r, struct err *err);

#endif
