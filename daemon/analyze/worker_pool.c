/* worker_pool.c — N workers, each message to the one with the fewest
 * bytes outstanding. Each worker answers its own messages in the order it
 * got them, so remembering which worker took each message is enough to
 * hand the answers back in submission order. */
#include <stdlib.h>
#include <unistd.h>

#include "intaked/util.h"
#include "intaked/worker.h"
#include "intaked/worker_pool.h"
#include "worker_impl.h"

struct worker_pool {
	struct worker **w;
	size_t n;
	size_t next;              /* the worker the next message goes to */
	size_t *order;            /* ring: worker of each outstanding message */
	size_t *bytes;            /* ring: size of each outstanding message */
	size_t head, count, cap;
	size_t *load;             /* outstanding messages per worker */
	size_t *load_bytes;       /* their sizes, summed */
};

static size_t pool_size(const struct limits_config *limits)
{
	if (limits->workers > 0)
		return limits->workers < CONFIG_WORKERS_MAX ? limits->workers : CONFIG_WORKERS_MAX;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		return 1;
	return cores < CONFIG_WORKERS_MAX ? (size_t)cores : CONFIG_WORKERS_MAX;
}

struct worker_pool *worker_pool_new(const struct limits_config *limits)
{
	struct worker_pool *p = xcalloc(1, sizeof(*p));
	p->n = pool_size(limits);
	p->cap = p->n * WORKER_QUEUE;
	p->w = xcalloc(p->n, sizeof(*p->w));
	p->order = xcalloc(p->cap, sizeof(*p->order));
	p->load = xcalloc(p->n, sizeof(*p->load));
	p->load_bytes = xcalloc(p->n, sizeof(*p->load_bytes));
	p->bytes = xcalloc(p->cap, sizeof(*p->bytes));
	for (size_t i = 0; i < p->n; i++)
		p->w[i] = worker_new(limits);
	return p;
}

void worker_pool_free(struct worker_pool **pp)
{
	struct worker_pool *p = *pp;
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		worker_free(&p->w[i]);
	free(p->w);
	free(p->order);
	free(p->load);
	free(p->load_bytes);
	free(p->bytes);
	xfree(pp);
}

size_t worker_pool_capacity(const struct worker_pool *p)
{
	return p->cap;
}

size_t worker_pool_size(const struct worker_pool *p)
{
	return p->n;
}

pid_t worker_pool_pid(const struct worker_pool *p, size_t i)
{
	return i < p->n ? worker_pid(p->w[i]) : 0;
}

size_t worker_pool_choose(const size_t *load, const size_t *load_bytes, size_t n, size_t next)
{
	size_t best = n;
	for (size_t k = 0; k < n; k++) {
		size_t i = (next + k) % n;
		if (load[i] < WORKER_QUEUE && (best == n || load_bytes[i] < load_bytes[best]))
			best = i;
	}
	return best;
}

int worker_pool_submit(struct worker_pool *p, const char *raw_path, const char *files_dir,
		       size_t bytes, struct err *err)
{
	if (p->count == p->cap) {
		err_set(err, ERR_TEMP, "worker pool: %zu messages already submitted", p->cap);
		return -1;
	}
	size_t i = worker_pool_choose(p->load, p->load_bytes, p->n, p->next);
	if (i == p->n) {
		err_set(err, ERR_TEMP, "worker pool: every worker is full");
		return -1;
	}
	if (worker_submit(p->w[i], raw_path, files_dir, err) < 0)
		return -1;
	p->load[i]++;
	p->load_bytes[i] += bytes;
	p->bytes[(p->head + p->count) % p->cap] = bytes;
	p->order[(p->head + p->count++) % p->cap] = i;
	p->next = (i + 1) % p->n;
	return 0;
}

int worker_pool_collect(struct worker_pool *p, struct analysis **a_r, struct err *err)
{
	*a_r = NULL;
	if (p->count == 0) {
		err_set(err, ERR_TEMP, "worker pool: nothing submitted");
		return -1;
	}
	size_t i = p->order[p->head];
	p->load_bytes[i] -= p->bytes[p->head];
	p->head = (p->head + 1) % p->cap;
	p->count--;
	p->load[i]--;
	return worker_collect(p->w[i], a_r, err);
}
