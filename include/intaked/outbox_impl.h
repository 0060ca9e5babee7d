/* outbox_impl.h — what outbox.c shares with outbox_item.c. Not an API. */
#ifndef INTAKED_OUTBOX_IMPL_H
#define INTAKED_OUTBOX_IMPL_H

#include "intaked/outbox.h"

struct outbox_dirs {
	char *root, *queue, *sent, *failed, *tmp;
};

/* Creates the directories if missing. */
int outbox_dirs_open(const struct spool *sp, struct outbox_dirs *d, struct err *err);
void outbox_dirs_free(struct outbox_dirs *d);
void outbox_item_free(struct outbox_item *it);
char *outbox_envelope_json(const struct outbox_item *it, const char *state, time_t done_at);
int outbox_envelope_load(const char *dir, struct outbox_item *it, char **state_r,
			 struct err *err);

#endif
