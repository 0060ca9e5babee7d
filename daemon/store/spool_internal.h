/* spool_internal.h — shared by the spool module's files (spool.c,
 * spool_area.c and spool_index.c) only; no other module includes it. Everything here works
 * relative to directory fds and never follows a symlink. */
#ifndef INTAKED_SPOOL_INTERNAL_H
#define INTAKED_SPOOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/err.h"
#include "intaked/spool.h"
#include "intaked/util.h"

struct spool;
struct spool_versions;

/* An entry being built in tmp/ID (opaque outside the spool module). */
struct spool_entry {
	struct spool *sp;         /* hands out and takes back its version */
	char *id;
	char *dir;                /* absolute path of the staging directory */
	char *files_dir;          /* dir + "/files" */
	int fd, files_fd;         /* open on dir and files_dir, for *at() calls
				   * (sanitize_write_unique); owned by the entry */
	char *vkey;               /* "CALL/SLUG" of the version taken, or NULL */
	int version;
};

#define SPOOL_DIR_MODE 0750
#define SPOOL_FILE_MODE 0640
/* metadata.json never gets near this; it stops a damaged file early. */
#define SPOOL_METADATA_MAX (16u * 1024 * 1024)

/* The root's path (for messages and the tmp cleanup) and its fd (every
 * open below it starts here). */
const char *spool_dir(const struct spool *sp);
int spool_root_fd(const struct spool *sp);
/* "calls", "state", ... ("?" for no area). */
const char *spool_area_name(enum spool_area area);
/* One path component we create or follow: no '/', no control bytes, not
 * hidden, not "." or "..". */
bool spool_name_ok(const char *s);
/* openat(O_DIRECTORY|O_NOFOLLOW); -1 with errno (ELOOP for a symlink). */
int spool_open_dir_at(int dirfd, const char *name);
/* A new open of the directory dirfd ("."), with its own offset. */
int spool_reopen_dir(int dirfd);
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

/* The versions handed out (spool_version.c): the cache of struct spool,
 * released at spool_close; an entry's version settled when it is
 * committed (filed true) or its commit failed (the directory is read
 * again), or given back when it is aborted. */
struct spool_versions **spool_versions_of(struct spool *sp);
void spool_versions_free(struct spool_versions **v);
void spool_version_settle(struct spool_entry *e, bool filed);
void spool_version_release(struct spool_entry *e);

#endif
