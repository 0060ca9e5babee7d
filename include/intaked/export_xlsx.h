/* export_xlsx.h — a call's submissions as an Excel workbook (intakectl
 * export --format xlsx, issue 16): typed cells (dates in the call's zone,
 * numbers, booleans), a frozen header row and auto-filters on three
 * sheets: Submissions (one row per version), Missing (roster members
 * with nothing filed) and Unreadable (documents not read, parts not
 * examined). */
#ifndef INTAKED_EXPORT_XLSX_H
#define INTAKED_EXPORT_XLSX_H

#include "intaked/config.h"
#include "intaked/err.h"

struct spool;

/* Write the workbook of call to path atomically (path.tmp, fsync,
 * rename, fsync the directory). 0, or -1: err (ERR_TEMP when the spool
 * or path could not be read or written). */
int export_xlsx(const struct spool *sp, const struct call_config *call, const char *path,
		struct err *err);

#endif
