/* sanitize.h — attachment names that can never leave files/, and text that
 * is always valid UTF-8. */
#ifndef INTAKED_SANITIZE_H
#define INTAKED_SANITIZE_H

#include <stddef.h>
#include "intaked/err.h"

/* A safe file name from what the sender wrote: no path (last component of
 * '/' or '\\' kept), no control characters, no bidi overrides, no leading
 * dots or dashes, no trailing dots, spaces to '_', the characters Windows
 * refuses (<>:"|?*) to '_', invalid UTF-8 dropped, at most max_bytes
 * (default 100 when 0) keeping the extension and never cutting a UTF-8
 * character; what ends up empty becomes the (equally sanitized) fallback,
 * or "file". name is a C string: the MIME layer has already cut it at the
 * first NUL. Caller frees. */
char *sanitize_filename(const char *name, const char *fallback, size_t max_bytes);

/* Write data as a new file (mode 0644 before umask) in dirfd under
 * sanitize_filename(name, fallback, 0), adding "-2", "-3"... before the
 * extension while the name is taken (O_EXCL|O_NOFOLLOW: an existing file or
 * a planted symlink is never opened), not fsynced (it goes into a staging
 * directory that spool_sync makes durable). *final_r (caller frees) is
 * the name used. Returns 0, or -1 with err (ERR_TEMP: the directory or the
 * disk failed, or 1000 names were taken). */
int sanitize_write_unique(int dirfd, const char *name, const char *fallback,
			  const void *data, size_t len, char **final_r,
			  struct err *err);

/* A copy of s[0..len) that is valid UTF-8: each invalid byte and each NUL
 * becomes U+FFFD. Never NULL (NULL in gives ""). Caller frees. */
char *sanitize_utf8(const char *s, size_t len);

#endif
