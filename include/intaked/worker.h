/* worker.h — run mime_analyze in a long-lived child process with rlimits
 * (address space, CPU, files) and a per-message wall-clock timeout, so
 * that a message that crashes or hangs a library only sends that message
 * to quarantine. One child serves up to WORKER_MAX_JOBS messages in turn
 * (a fork per message was half the CPU of a first sync); it is replaced
 * after any failure of its own. */
#ifndef INTAKED_WORKER_H
#define INTAKED_WORKER_H

#include <stddef.h>
#include <sys/types.h>
#include "intaked/analysis.h"
#include "intaked/config.h"
#include "intaked/err.h"

/* A child is retired after this many messages, so that whatever slowly
 * grows in it (heap fragmentation, GMime/GLib caches, a small leak in a
 * library) is bounded; one fork per 500 messages costs well under 1% of
 * their analysis. */
#define WORKER_MAX_JOBS 500

/* Messages submitted and not yet collected, at most: the child analyses
 * one while the daemon fetches and files the next. */
#define WORKER_QUEUE 2

struct worker;

/* limits is copied (0 fields take config.c's defaults: 60 s, 1 GiB; see
 * mime.h); no child is started until the first message is handed over. Never
 * NULL. */
struct worker *worker_new(const struct limits_config *limits);

/* Ends the child (EOF on its channel, up to 5 s to exit, then SIGKILL to
 * its process group) and frees *w; NULL-safe, sets *w to NULL. A child
 * that did not exit cleanly is logged. */
void worker_free(struct worker **w);

/* Ends the child now, as worker_free does, keeping w for later use (the
 * next message handed over starts a fresh one). Returns 0 if there was none or
 * it exited with status 0, else -1 with ERR_MESSAGE "worker exited with
 * status 23" (a leak under ASan) or "worker killed by signal N". */
int worker_stop(struct worker *w, struct err *err);

/* The current child's pid, 0 when there is none (tests, logs). */
pid_t worker_pid(const struct worker *w);

/* Analyse the message in the file raw_path (opened with O_NOFOLLOW: a
 * symlink is refused; mapped read-only by the child) and write its
 * attachments into files_dir (an existing directory; a symlink is
 * refused); after a failure it may hold partial files: discard it. Both
 * paths at most 4096 bytes. The job may take extract_timeout seconds of
 * wall-clock time from the request.
 * The child: started on first use, own process group (killed as a whole),
 * default signal dispositions and an empty signal mask, no descriptors
 * but stdin/out/err and its channel, SIGKILL when the parent dies (and exit
 * on EOF of its channel), RLIMIT_AS = worker_memory (not under ASan),
 * RLIMIT_NOFILE 64, RLIMIT_FSIZE = max_attachment_size + 1 MiB, no core,
 * and per message a soft RLIMIT_CPU of its CPU time so far +
 * extract_timeout + 1 s. It is replaced after a crash, a timeout, a
 * malformed reply, or WORKER_MAX_JOBS messages. Under ASan, a message
 * whose analysis leaked ends the child ("exited with status 23").
 * The caller must not reap children behind our back (no SIGCHLD handler
 * calling wait, SIGCHLD not ignored).
 * Returns 0 and a new analysis (caller frees), or -1 with err:
 * ERR_MESSAGE with a reason starting "worker " — "worker killed by signal
 * 11", "worker timed out after 60s", "worker exited with status 70",
 * "worker output malformed..." (quarantine; the next message gets a fresh
 * child) — or ERR_MESSAGE from the parser itself; ERR_TEMP for
 * socketpair/fork failures, a child that dies before it is ready ("worker
 * failed to start: ..."), or when the child could not open raw_path or
 * files_dir or write into files_dir (retry later). */
int worker_analyze(struct worker *w, const char *raw_path, const char *files_dir,
		   struct analysis **a_r, struct err *err);

/* The same in two steps, so that the daemon works while the child
 * analyses: worker_submit hands a message over (at most WORKER_QUEUE
 * outstanding; -1 with ERR_TEMP when no child can take it), worker_collect
 * returns the analysis of the oldest one submitted, with the outcomes of
 * worker_analyze. A message whose child died over an earlier one is given
 * to a fresh child. The wall-clock timeout of a message starts when its
 * collection does. worker_analyze needs an empty queue. */
int worker_submit(struct worker *w, const char *raw_path, const char *files_dir,
		  struct err *err);
int worker_collect(struct worker *w, struct analysis **a_r, struct err *err);

#endif
