/* spool_path.c — the names and paths of the spool (spool.c): what a
 * component may be, where an entry of each kind goes, and entry ids.
 * Nothing here touches the disk. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "intaked/log.h"
#include "intaked/spool.h"
#include "spool_internal.h"
#include "intaked/util.h"

/* One path component we are willing to create or follow: no '/', no
 * control bytes, not hidden, not "." or "..". */
bool spool_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX || s[0] == '.')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool spool_relpath_valid(const char *relpath)
{
	if (relpath == NULL || strlen(relpath) >= PATH_MAX)
		return false;
	for (const char *p = relpath;;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		char name[NAME_MAX + 1];
		if (n == 0 || n > NAME_MAX)
			return false;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!spool_name_ok(name))
			return false;
		if (*end == '\0')
			return true;
		p = end + 1;
	}
}

char *spool_submission_path(const char *call, const char *slug, int version)
{
	return xasprintf("calls/%s/%s/v%d", call, slug, version);
}

char *spool_dated_path(const char *area, time_t when, const char *id)
{
	struct tm tm;
	gmtime_r(&when, &tm);
	return xasprintf("%s/%04d-%02d-%02d/%s", area, tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, id);
}

char *spool_quarantine_path(const char *id)
{
	return xasprintf("quarantine/%s", id);
}

char *spool_abs(const struct spool *sp, const char *relpath)
{
	return xasprintf("%s/%s", spool_dir(sp), relpath);
}

void spool_make_id(time_t received, const char *raw_sha256, char out[40])
{
	struct tm tm;
	gmtime_r(&received, &tm);
	size_t n = strftime(out, 40, "%Y%m%dT%H%M%SZ-", &tm);
	for (size_t i = 0; i < 12 && raw_sha256 != NULL && raw_sha256[i] != '\0'; i++)
		out[n++] = raw_sha256[i];
	out[n] = '\0';
}

