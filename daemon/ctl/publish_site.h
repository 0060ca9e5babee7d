/* publish_site.h — where a publication goes: OUTDIR/CALL, replaced as a
 * whole only when everything in it is a file publish wrote there (listed
 * in its .intaked-publish), so that nothing foreign is ever overwritten
 * nor removed. Private to ctl/. */
#ifndef INTAKED_PUBLISH_SITE_H
#define INTAKED_PUBLISH_SITE_H

#include <stdbool.h>
#include "intaked/err.h"

#define PUBLISH_MARKER ".intaked-publish"

/* OUTDIR without trailing slashes; NULL if it names no directory entry. */
char *publish_site_normalize(const char *outdir);
/* An existing site may be replaced only if it is ours (or empty): a real
 * directory whose every file its marker lists. *exists_r: it exists. */
int publish_site_check(const char *site, bool *exists_r, struct err *err);
/* Write the marker of the staged site at sitefd: "call CALL" and every
 * file below sitefd, one relative path a line. */
int publish_site_mark(int sitefd, const char *call, struct err *err);
/* The staged tmp in place of site: renamed, or exchanged with the old one
 * (then removed). */
int publish_site_swap(const char *tmp, const char *site, bool exists, struct err *err);

#endif
