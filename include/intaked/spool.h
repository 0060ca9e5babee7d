/* spool.h — the record of truth on disk (SPEC §6). Entries are built in
 * SPOOL/tmp/ID/ and appear by one rename: a crash leaves nothing or a
 * complete entry. Durability is by group commit: staged files are written
 * without fsync, one spool_sync (syncfs) makes a whole batch durable
 * before any of it is renamed into place, and one more after the renames.
 *
 *   calls/CALL/SLUG/vN/{message.eml,body.txt,text.txt,files/,metadata.json}
 *   calls/CALL/index.json
 *   unmatched/YYYY-MM-DD/ID/   ignored/YYYY-MM-DD/ID/   quarantine/ID/
 *   tmp/  outbox/  state/
 */
#ifndef INTAKED_SPOOL_H
#define INTAKED_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "intaked/err.h"

struct spool;
struct metadata;

/* An entry being built in tmp/ID (spool_begin): opaque, reached only
 * through the functions below. */
struct spool_entry;

/* Create the layout if missing (dirs 0750); spool_lock() removes the
 * leftovers in tmp/ (logged as event=spool-cleanup). dir itself may be a symlink; nothing
 * inside it is ever followed: a symlinked area is an ERR_CONFIG error. */
int spool_open(const char *dir, struct spool **sp_r, struct err *err);
void spool_close(struct spool **sp);
/* Take state/intaked.lock (flock, held until spool_close): one daemon per
 * spool; then remove the leftovers of a crashed run in tmp/. ERR_TEMP if
 * another process holds the lock. */
int spool_lock(struct spool *sp, struct err *err);

/* The areas below the root. Every module reaches its files through these
 * (spool_area.c): the spool is the only path-maker, and nothing inside it
 * is ever reached through a symlink. */
enum spool_area {
	SPOOL_CALLS, SPOOL_UNMATCHED, SPOOL_IGNORED, SPOOL_QUARANTINE,
	SPOOL_TMP, SPOOL_OUTBOX, SPOOL_STATE,
};
/* The area's directory, opened once by spool_open (O_DIRECTORY|O_NOFOLLOW
 * from the root's fd) and BORROWED: valid until spool_close, never closed
 * by the caller, who works below it with openat/renameat/unlinkat and
 * O_NOFOLLOW. A symlink swapped in for the area after spool_open is not
 * seen (the fd still names the real directory); an area removed while the
 * process runs stays removed for it (ENOENT) until the next spool_open. */
int spool_area_fd(const struct spool *sp, enum spool_area area);
/* A new fd of the caller's own on the area (spool_area_fd opened again as
 * ".", with its own offset for readdir): for code that closes what it gets. -1 with err (ERR_TEMP) and errno kept. */
int spool_area(const struct spool *sp, enum spool_area area, struct err *err);
/* subdir of the area (one plain name), made (0700, parent fsynced) if
 * missing when create; never through a symlink. */
int spool_area_sub(const struct spool *sp, enum spool_area area, const char *subdir,
		   bool create, struct err *err);
/* The same (made if missing) kept open by the spool and BORROWED, as
 * spool_area_fd: for the few fixed directories used on every message
 * (outbox/queue, ...); at most 8. -1 with err. */
int spool_area_sub_fd(const struct spool *sp, enum spool_area area, const char *subdir,
		      struct err *err);
/* A whole regular file name of the area, up to max bytes (*data_r
 * NUL-terminated, the caller's): 0; 1 when there is no such file (*data_r
 * NULL); -1 on error (a symlink, too large, unreadable). */
int spool_area_read(const struct spool *sp, enum spool_area area, const char *name,
		    size_t max, char **data_r, size_t *len_r, struct err *err);
/* name is in the area (as anything, a symlink too: not followed). */
bool spool_area_has(const struct spool *sp, enum spool_area area, const char *name);
/* Replace name in the area atomically (name.tmp written, fsynced, renamed,
 * directory fsynced). */
int spool_area_replace(const struct spool *sp, enum spool_area area, const char *name,
		       const void *data, size_t len, mode_t mode, struct err *err);
/* Remove name from the area (absent is fine), directory fsynced. */
int spool_area_remove(const struct spool *sp, enum spool_area area, const char *name,
		      struct err *err);
/* "SPOOL/area/name" for log lines and messages only: never opened. */
char *spool_area_shown(const struct spool *sp, enum spool_area area, const char *name);
/* Open relpath (a committed entry or any directory below the root) as a
 * directory without following symlinks: an fd, or -1 with errno (ENOENT
 * when missing) and err. */
int spool_open_dir(const struct spool *sp, const char *relpath, struct err *err);

/* A fresh staging directory tmp/ID with files/ (a stale one of the same
 * id is removed first). Caller commits or aborts. */
int spool_begin(struct spool *sp, const char *id, struct spool_entry **e_r,
		struct err *err);
/* Write a new file (O_EXCL, 0640, not fsynced: see spool_sync) into the
 * staging directory; name is "NAME" or "files/NAME" with NAME one plain
 * component (no '/', not hidden, no control bytes), else -1. */
int spool_entry_write(struct spool_entry *e, const char *name, const void *data,
		      size_t len, struct err *err);
/* No more writes to e: closes its descriptors (a batch may hold hundreds
 * of staged entries). Its paths stay valid. */
void spool_entry_seal(struct spool_entry *e);
/* Absolute path of name ("message.eml", "files") in the staging
 * directory, for the analysis worker, which opens them itself. Caller
 * frees. */
char *spool_entry_path(const struct spool_entry *e, const char *name);
/* Hard-link the file path of directory dirfd (on the spool's filesystem)
 * in as name: a streamed message is not copied through memory. -1 (errno
 * set) if it cannot be linked; then write it instead. */
int spool_entry_link(struct spool_entry *e, int dirfd, const char *path, const char *name);
/* Remove files/ and what the analysis stored there (mail kept raw only). */
void spool_entry_drop_files(struct spool_entry *e);
/* The version this entry takes as calls/CALL/SLUG/vN: one more than the
 * highest filed or taken by another entry not yet committed or aborted
 * (two messages of one submitter in a batch are v1 and v2). The spool,
 * the only writer, remembers what it filed and reads a submitter's
 * directory once. Held until spool_commit (then filed) or spool_abort;
 * a failed commit makes the spool read the directory again. */
int spool_entry_take_version(struct spool_entry *e, const char *call, const char *slug);
/* Forget what the spool remembers of versions: every submitter's
 * directory is read again when next asked (a reload: an operator may
 * have changed the tree meanwhile). Call with no entry holding one. */
void spool_forget_versions(struct spool *sp);
/* syncfs(2) of the spool's filesystem: everything written to it so far is
 * on disk (one journal commit for a whole batch instead of one fsync per
 * file). ERR_TEMP on failure, with write-back errors (ENOSPC, EIO). */
int spool_sync(struct spool *sp, struct err *err);
/* Rename the staging directory to relpath (parents created and fsynced,
 * never through a symlink). The caller has made the staged files durable
 * (spool_sync) before, and calls spool_sync after to make the rename so.
 * Never replaces: an existing relpath is an ERR_TEMP error (re-evaluate
 * the version and build again). Frees *e, also on failure (the staging
 * directory is then removed). */
int spool_commit(struct spool *sp, struct spool_entry **e, const char *relpath,
		 struct err *err);
/* Remove the staging directory. Frees *e. NULL-safe. */
void spool_abort(struct spool_entry **e);

/* Relative paths of entries; caller frees. */
char *spool_submission_path(const char *call, const char *slug, int version);
char *spool_dated_path(const char *area, time_t when, const char *id); /* unmatched|ignored */
char *spool_quarantine_path(const char *id);
/* True if relpath is "a/b/c" of plain components (no "", ".", "..",
 * hidden names, control bytes or leading '/'). */
bool spool_relpath_valid(const char *relpath);
/* True if relpath is a committed entry: a real directory (no symlink on
 * the way) holding a regular metadata.json. */
bool spool_entry_exists(const struct spool *sp, const char *relpath);
/* Absolute path of relpath in the spool, to show a person (intakectl
 * show); never opened: files are reached through spool_area and
 * spool_open_dir. Caller frees. */
char *spool_abs(const struct spool *sp, const char *relpath);

/* Highest existing version N of calls/CALL/SLUG/vN, 0 if none, -1 if the
 * directory cannot be read (or is a symlink). */
int spool_latest_version(const struct spool *sp, const char *call, const char *slug);

/* Visit every committed submission of call (in slug, version order). The
 * callback's metadata is borrowed; return non-zero from it to stop (not an
 * error). Symlinks and names that are no slug or vN are skipped; an entry
 * whose metadata.json cannot be read is skipped with a warning. Returns 0,
 * or -1 if the call's directory cannot be read. */
typedef int (*spool_visit_fn)(const char *relpath, const struct metadata *md, void *arg);
int spool_each_submission(const struct spool *sp, const char *call,
			  spool_visit_fn fn, void *arg, struct err *err);
/* metadata.json of the committed entry at relpath, read or replaced
 * (atomically) without following any symlink inside the spool: for
 * updates after filing (ack state) and for intakectl. */
int spool_load_metadata(const struct spool *sp, const char *relpath,
			struct metadata **md_r, struct err *err);
int spool_save_metadata(const struct spool *sp, const char *relpath,
			const struct metadata *md, struct err *err);
/* spool_save_metadata in two steps, for updates made a group at a time
 * (deliveries, outbox.c): the new metadata.json written aside without an
 * fsync, then, after the caller's syncfs, put in place (the caller syncs
 * again). The commit returns 1 when it did, 0 when there was nothing
 * staged or metadata.json was replaced after the staging (the staged copy
 * is then dropped: the caller updates again), -1 on error. */
int spool_stage_metadata(const struct spool *sp, const char *relpath,
			 const struct metadata *md, struct err *err);
int spool_commit_metadata(const struct spool *sp, const char *relpath, struct err *err);
/* Rebuild calls/CALL/index.json from the entries alone (atomic replace,
 * no timestamp: a rebuild is byte-identical):
 *   {"call", "title", "submitters": [{"slug", "name", "current": "vN",
 *    "versions": [{"version", "id", "received_at", "status", "timeliness",
 *    "word_count", "over_limit", "verified"}]}],
 *    "totals": {"submitters", "versions", and over current versions only:
 *    "accepted", "late", "rejected", "over_limit", "unverified"}}
 * The current version is the highest vN whose metadata.json reads; the
 * title is the call_title of the last entry that has one. Written as the
 * walk goes (calls/CALL/index.json.tmp, fsynced, renamed, directory
 * fsynced), so the memory it takes does not grow with the call. */
int spool_write_index(const struct spool *sp, const char *call, struct err *err);

/* An id for a message: "YYYYMMDDTHHMMSSZ-" + 12 hex of its raw sha256. */
void spool_make_id(time_t received, const char *raw_sha256, char out[40]);

#endif
