/* worker_impl.h — between the parent's side of the analysis worker
 * (worker.c: spawn, requests, replies, deaths) and the child's
 * (worker_child.c). The wire is described at the top of worker.c. */
#ifndef INTAKED_WORKER_IMPL_H
#define INTAKED_WORKER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "intaked/config.h"

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ASAN 1
#endif
#endif
#ifdef WORKER_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#define PATH_CAP 4096           /* each path of a request, without the NUL */
#define CHILD_NOFILE 64
#define EXIT_BAD_REQUEST 2
#define EXIT_LEAK 23            /* LeakSanitizer's own exit status */

/* The most a reply may hold: the analysis and the texts of a message of
 * lim->max_message_size. */
size_t worker_reply_cap(const struct limits_config *lim);
/* Whole reads and writes on a blocking descriptor: read 1 done, 0 EOF
 * before the first byte, -1 error or EOF part way. */
int worker_read_full(int fd, void *p, size_t n);
/* The n pieces of iov written whole, in one call when the peer takes them
 * (one wake-up of the reader, not one a piece); nosignal: a dead peer is
 * an error, not a SIGPIPE. iov is used up. 0 or -1. */
int worker_writev_all(int fd, struct iovec *iov, int n, bool nosignal);
/* The child's life after fork: never returns. */
_Noreturn void worker_child_main(int fd, pid_t parent, const struct limits_config *lim);

/* worker_pool.c's choice among n workers: one with room (load below
 * WORKER_QUEUE) and the fewest bytes outstanding, the first from next on a
 * tie; n when all are full. By bytes, not by count: alternating heavy and
 * light messages (every other one with a PDF) went by count to the same
 * worker, which was busy while the other idled (issue 18). */
size_t worker_pool_choose(const size_t *load, const size_t *load_bytes, size_t n, size_t next);

#endif
