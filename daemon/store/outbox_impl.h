/* outbox_impl.h — the outbox's directories, lock and envelopes, shared by
 * outbox_queue.c (directories, queueing), outbox.c (flushing),
 * outbox_envelope.c (envelope.json), outbox_item.c (one item by its id,
 * outbox_each) and
 * outbox_admin.c (the operator's list, retry and drop). Not an API. */
#ifndef INTAKED_OUTBOX_IMPL_H
#define INTAKED_OUTBOX_IMPL_H

#include <dirent.h>
#include "intaked/outbox.h"

/* Directory fds of SPOOL/outbox and its four parts, opened through the
 * spool (spool_area_sub: never through a symlink); items in them are
 * reached by *at() calls on their names, never by a path. */
struct outbox_dirs {
	const struct spool *sp;
	/* Borrowed from the spool (spool_area_fd, spool_area_sub_fd). */
	int root, queue, sent, failed, tmp;
};

int outbox_dirs_open(const struct spool *sp, struct outbox_dirs *d, struct err *err);
void outbox_dirs_free(struct outbox_dirs *d);
/* Item id of the part dirfd, opened as a directory (O_NOFOLLOW): an fd or
 * -1 with errno. */
int outbox_item_dir(int dirfd, const char *id);
/* A listing of the part dirfd (closedir leaves dirfd open); NULL on error. */
DIR *outbox_opendir(int dirfd);
/* "SPOOL/outbox/PART/ID" for messages only. */
char *outbox_shown(const struct outbox_dirs *d, int dirfd, const char *id);
/* The flush lock (outbox/.lock, flock): the fd, -2 when another process
 * holds it, -1 on error. Close the fd to let go. */
int outbox_take_lock(const struct outbox_dirs *d, struct err *err);
#define ENVELOPE_MAX (64u * 1024)
/* id/envelope.json of the part dirfd, read back (outbox_envelope.c);
 * *state_r (caller frees) its state. */
int outbox_envelope_load(int dirfd, const char *id, struct outbox_item *it, char **state_r,
			 struct err *err);
/* Replace id/envelope.json of the part dirfd atomically with env. */
int outbox_envelope_save(int dirfd, const char *id, const char *env, struct err *err);
/* The same in two steps for a group of items: the new envelope written
 * aside without an fsync (a syncfs follows), then put in place. */
int outbox_envelope_stage(int dirfd, const char *id, const char *env, struct err *err);
int outbox_envelope_commit(int dirfd, const char *id, struct err *err);
char *outbox_envelope_json(const struct outbox_item *it, const char *state, time_t done_at);
void outbox_item_free(struct outbox_item *it);
/* Count a removal for outbox_removals(). */
void outbox_note_removal(void);

#endif
