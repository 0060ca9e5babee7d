/* outbox_impl.h — the outbox's directories, lock and envelopes, shared by
 * outbox.c (queueing, flushing), outbox_envelope.c, outbox_item.c (one item by its id) and
 * outbox_admin.c (the operator's list, retry and drop). Not an API. */
#ifndef INTAKED_OUTBOX_IMPL_H
#define INTAKED_OUTBOX_IMPL_H

#include "intaked/outbox.h"

struct outbox_dirs {
	char *root, *queue, *sent, *failed, *tmp;
};

int outbox_dirs_open(const struct spool *sp, struct outbox_dirs *d, struct err *err);
void outbox_dirs_free(struct outbox_dirs *d);
/* The flush lock (outbox/.lock, flock): the fd, -2 when another process
 * holds it, -1 on error. Close the fd to let go. */
int outbox_take_lock(const struct outbox_dirs *d, struct err *err);
#define ENVELOPE_MAX (64u * 1024)
/* envelope.json (outbox_envelope.c): dir's read back (*state_r, caller
 * frees, is its "state"), and the text for an item in state. */
int outbox_envelope_load(const char *dir, struct outbox_item *it, char **state_r,
			 struct err *err);
char *outbox_envelope_json(const struct outbox_item *it, const char *state, time_t done_at);
void outbox_item_free(struct outbox_item *it);

#endif
