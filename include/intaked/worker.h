/* worker.h — run mime_analyze in a child process with rlimits (address
 * space, CPU, files) and a wall-clock timeout, so that a message that
 * crashes or hangs a library only sends that message to quarantine. */
#ifndef INTAKED_WORKER_H
#define INTAKED_WORKER_H

#include <stddef.h>
#include "intaked/analysis.h"
#include "intaked/config.h"
#include "intaked/err.h"

/* files_dir: existing directory the child may write attachments into (a
 * symlink is refused); after a failure it may hold partial files: discard
 * it. Limits left at 0 take config.c's defaults (60 s, 1 GiB; see mime.h).
 * The child: own process group (killed as a whole), default signal state,
 * no inherited descriptors, RLIMIT_AS = worker_memory (not under ASan),
 * RLIMIT_CPU = extract_timeout + 1, RLIMIT_NOFILE 64, RLIMIT_FSIZE =
 * max_attachment_size + 1 MiB, no core. The caller must not reap children
 * behind our back (no SIGCHLD handler calling wait, SIGCHLD not ignored).
 * Returns 0 and a new analysis (caller frees), or -1 with err:
 * ERR_MESSAGE with a reason starting "worker " — "worker killed by signal
 * 11", "worker timed out after 60s", "worker exited with status 70",
 * "worker output malformed..." (quarantine) — or ERR_MESSAGE from the
 * parser itself; ERR_TEMP for fork/pipe failures or when the child could
 * not write into files_dir (retry later). */
int worker_analyze(const unsigned char *raw, size_t len, const char *files_dir,
		   const struct limits_config *limits, struct analysis **a_r,
		   struct err *err);

#endif
