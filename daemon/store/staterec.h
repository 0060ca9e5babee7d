/* staterec.h — a small JSON record in SPOOL/state/ (one object, keyed by
 * folder): read whole, replaced whole. Shared by uidvalidity.c and
 * highwater.c. */
#ifndef INTAKED_STATEREC_H
#define INTAKED_STATEREC_H

#include <stddef.h>
#include "intaked/err.h"
#include "intaked/json.h"

struct spool;

/* The record SPOOL/state/file, read leniently (JR_LENIENT: a wrong value
 * reads as its default); rd->root is an object: {} when the file is
 * missing, larger than max, unreadable or damaged — the last two logged as
 * event=NAME-record-unreadable / NAME-record-damaged with note. jr_close
 * it afterwards. */
void staterec_load(struct jread *rd, const struct spool *sp, const char *file, size_t max,
		   const char *name, const char *note);
/* Replace the record SPOOL/state/file with obj (indented, keys sorted),
 * atomically; never through a symlink (spool_area_replace). */
int staterec_save(const struct spool *sp, const char *file, const jnode *obj,
		  struct err *err);

#endif
