/* worker_pool.h — analysis on every core: a few workers (worker.h), each
 * its own child with today's isolation, fed in turn; results come back in
 * the order the messages went in, so the daemon commits in mailbox order
 * whatever child finished first. */
#ifndef INTAKED_WORKER_POOL_H
#define INTAKED_WORKER_POOL_H

#include <stddef.h>
#include <sys/types.h>
#include "intaked/analysis.h"
#include "intaked/config.h"
#include "intaked/err.h"

struct worker_pool;

/* limits->workers children at most (0: as many as the cores online, at
 * most CONFIG_WORKERS_MAX); none is started before its first message. Never
 * NULL; the caller frees with worker_pool_free. */
struct worker_pool *worker_pool_new(const struct limits_config *limits);
/* Ends every child (as worker_free) and frees *p; NULL-safe. */
void worker_pool_free(struct worker_pool **p);
/* How many messages may be submitted and not yet collected. */
size_t worker_pool_capacity(const struct worker_pool *p);
size_t worker_pool_size(const struct worker_pool *p);
/* worker_submit to the worker with room and the fewest bytes still to
 * analyse (bytes: this message's size); -1 ERR_TEMP when the pool is full
 * or no child can take it. */
int worker_pool_submit(struct worker_pool *p, const char *raw_path, const char *files_dir,
		       size_t bytes, struct err *err);
/* The analysis of the oldest message submitted, with worker_collect's
 * outcomes (caller frees *a_r). */
int worker_pool_collect(struct worker_pool *p, struct analysis **a_r, struct err *err);
/* The child of worker i (0 when it has none): tests kill it. */
pid_t worker_pool_pid(const struct worker_pool *p, size_t i);

#endif
