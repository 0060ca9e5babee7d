/* spool_internal.h — shared by the spool module's files (spool.c,
 * spool_area.c and spool_index.c) only; no other module includes it. Everything here works
 * relative to directory fds and never follows a symlink. */
#ifndef INTAKED_SPOOL_INTERNAL_H
#define INTAKED_SPOOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/err.h"
#include "intaked/util.h"

struct spool;

#define SPOOL_DIR_MODE 0750
#define SPOOL_FILE_MODE 0640
/* metadata.json never gets near this; it stops a damaged file early. */
#define SPOOL_METADATA_MAX (16u * 1024 * 1024)

/* The root's path (for messages and the tmp cleanup) and its fd (every
 * open below it starts here). */
const char *spool_dir(const struct spool *sp);
int spool_root_fd(const struct spool *sp);
/* One path component we create or follow: no '/', no control bytes, not
 * hidden, not "." or "..". */
bool spool_name_ok(const char *s);
/* openat(O_DIRECTORY|O_NOFOLLOW); -1 with errno (ELOOP for a symlink). */
int spool_open_dir_at(int dirfd, const char *name);
/* A real directory, not a symlink to one. */
bool spool_is_dir_at(int dirfd, const char *name);
/* Open relpath below the root as a directory, component by component,
 * refusing symlinks; with create, missing directories are made (0750) and
 * their parents fsynced. Returns an fd, or -1 with errno kept (ENOENT when
 * something is missing) and err set. */
int spool_walk(const struct spool *sp, const char *relpath, bool create, struct err *err);
/* Names in dirfd except "." and ".." (unsorted, capped). */
int spool_list_dir(int dirfd, struct strlist *names, struct err *err);
/* Replace name in dirfd atomically: name.tmp written and fsynced, renamed,
 * dirfd fsynced. */
int spool_replace_at(int dirfd, const char *name, const char *text, struct err *err);

#endif
