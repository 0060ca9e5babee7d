/* loop_folder.c — one pass over one folder: the UIDs still to file (by
 * intaked's own records), fetched in chunks, each handed to the intake,
 * committed in groups, then marked on the server. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intaked/fault.h"
#include "intaked/health.h"
#include "intaked/imap.h"
#include "intake.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "loop_impl.h"
#include "pending.h"
#include "intaked/spool.h"
#include "intaked/uidvalidity.h"
#include "notify.h"

/* Messages per batch of a big sync: one size/date fetch, one mark, one
 * progress line and one index rebuild each. */
#define BATCH 500
/* A group commit (one syncfs and one ledger fdatasync for all its
 * messages instead of ~8 fsyncs each) when this many are staged, or when
 * the first of them has waited GROUP_MS (slow messages: their acks and
 * entries must not wait for a whole batch). */
#define GROUP 500
#define GROUP_MS 1000
#define INDEX_EVERY 60 /* seconds */
/* Small messages fetched per UID FETCH: one round trip for many, with the
 * response (held whole by libetpan) kept to a few MiB. */
#define CHUNK_MESSAGES 64
#define CHUNK_BYTES ((size_t)4 << 20)

/* UIDs filed by a commit, to be marked on the server. */
struct filed_list {
	struct loop *lp;
	uint32_t *uids;
	size_t n;
};

static void on_filed(uint32_t uid, void *arg)
{
	struct filed_list *fl = arg;
	fl->uids[fl->n++] = uid;
	fl->lp->filed++;
	fault_point("before-mark"); /* filed, not yet marked */
}

/* After staging one message (staged: its result): commit when the group
 * is full. A problem with this message only (vanished, too large) leaves
 * it on the server and the others go on. -1: the batch must stop. */
static int loop_after_one(struct loop *lp, const char *folder, uint32_t uid, int staged,
			  struct filed_list *done, struct err *err)
{
	if (staged == 0) {
		struct timespec now;
		size_t n = intake_staged(lp->intake);
		notify_watchdog();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n == 1)
			lp->group_since = now;
		long waited = (long)(now.tv_sec - lp->group_since.tv_sec) * 1000 +
			      (now.tv_nsec - lp->group_since.tv_nsec) / 1000000;
		if (n >= GROUP || waited >= GROUP_MS)
			return intake_commit(lp->intake, on_filed, done, err);
		return 0;
	}
	if (err->cls != ERR_MESSAGE)
		return -1;
	log_warnx("event=message-skipped folder=%s uid=%u error=%s", log_q(folder), uid,
		  log_q(err->msg));
	err_clear(err);
	return 0;
}

/* How many messages from meta on go into one multi-message fetch; 0 when
 * the first is big (fetched alone, streamed to disk). */
static size_t chunk_len(const struct imap_meta *meta, size_t n)
{
	size_t k = 0, bytes = 0;
	while (k < n && k < CHUNK_MESSAGES && meta[k].size <= IMAP_SPILL_MIN &&
	       bytes + meta[k].size <= CHUNK_BYTES)
		bytes += meta[k++].size;
	return k;
}

/* Fetch one big message (streamed to disk) and stage it. */
static int loop_stage_big(struct loop *lp, const char *folder, uint32_t uidvalidity,
			  const struct imap_meta *meta, struct filed_list *done, struct err *err)
{
	struct imap_message m = { 0 };
	size_t cap = lp->cfg->limits.max_message_size * 2;
	int rc = imap_fetch_body(lp->imap, meta, cap, lp->spill_fd, &m, err);
	if (rc == 0)
		rc = intake_message(lp->intake, folder, uidvalidity, &m, loop_now(lp), err);
	imap_message_clear(&m);
	return loop_after_one(lp, folder, meta->uid, rc, done, err);
}

/* Fetch k small messages in one command and stage each. */
static int loop_stage_chunk(struct loop *lp, const char *folder, uint32_t uidvalidity,
			    const struct imap_meta *meta, size_t k, struct filed_list *done,
			    struct err *err)
{
	struct imap_message *m = xcalloc(k, sizeof(*m));
	struct err *errs = xcalloc(k, sizeof(*errs));
	size_t cap = lp->cfg->limits.max_message_size * 2;
	int rc = imap_fetch_bodies(lp->imap, meta, k, cap, m, errs, err);
	for (size_t i = 0; i < k && rc == 0 && !loop_stopping(); i++) {
		int staged = -1;
		if (errs[i].cls == ERR_NONE)
			staged = intake_message(lp->intake, folder, uidvalidity, &m[i],
						loop_now(lp), err);
		else
			*err = errs[i];
		rc = loop_after_one(lp, folder, meta[i].uid, staged, done, err);
	}
	for (size_t i = 0; i < k; i++)
		imap_message_clear(&m[i]);
	free(m);
	free(errs);
	return rc;
}

static int cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* One batch of candidate UIDs: sizes and dates in one round trip, each
 * body fetched and staged, committed a group at a time, then every filed
 * one marked in one command. Only what is on disk is marked; a crash
 * before the mark leaves messages the ledger knows by UID, so the next
 * pass only marks them. Then the folder's high-water mark advances over
 * what the ledger holds. */
static int loop_batch(struct loop *lp, const char *folder, uint32_t uidvalidity,
		      const uint32_t *uids, size_t n, struct pending *pd, struct err *err)
{
	struct imap_meta *meta = xcalloc(n, sizeof(*meta));
	uint32_t *need = xcalloc(n, sizeof(*need));
	struct filed_list done = { lp, xcalloc(n, sizeof(uint32_t)), 0 };
	size_t nneed = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (!ledger_find_uid(lp->ledger, folder, uidvalidity, uids[i]))
			need[nneed++] = uids[i];
		else if (pending_needs_mark(pd, lp->imap, uids[i]))
			done.uids[done.n++] = uids[i];
	}
	if (nneed > 0 && imap_fetch_meta(lp->imap, need, nneed, meta, err) < 0)
		rc = -1;
	for (size_t i = 0; i < nneed && rc == 0 && !loop_stopping();) {
		size_t k = chunk_len(meta + i, nneed - i);
		if (k == 0) {
			rc = loop_stage_big(lp, folder, uidvalidity, &meta[i], &done, err);
			i++;
		} else {
			rc = loop_stage_chunk(lp, folder, uidvalidity, meta + i, k, &done, err);
			i += k;
		}
	}
	/* What is staged is committed after a failure too: it is good. */
	struct err cerr = { 0 };
	if (intake_commit(lp->intake, on_filed, &done, rc == 0 ? err : &cerr) < 0)
		rc = -1;
	/* Only now are these on disk: they may be marked on the server (after
	 * a failure too, if the session still works). */
	qsort(done.uids, done.n, sizeof(*done.uids), cmp_uid);
	struct err merr = { 0 };
	bool marked = done.n == 0 || imap_mark_filed_many(lp->imap, done.uids, done.n,
							  &lp->cfg->mailbox, rc == 0 ? err : &merr) == 0;
	if (!marked)
		rc = -1;
	pending_done(pd, uids, n, done.uids, done.n, marked);
	free(meta);
	free(need);
	free(done.uids);
	return rc;
}

/* A new UIDVALIDITY means every UID now names another message: logged;
 * nothing is refiled, the ledger knows the messages by their bytes. */
static void loop_check_uidvalidity(struct loop *lp, const char *folder, uint32_t uidvalidity)
{
	struct err err = { 0 };
	uint32_t old = 0;
	int r = uidvalidity_check(lp->sp, folder, uidvalidity, &old, &err);
	if (r > 0)
		log_warnx("event=uidvalidity-changed folder=%s old=%u new=%u note=\"messages filed "
			  "before are recognised by their content, not filed again\"", log_q(folder),
			  old, uidvalidity);
	else if (r < 0)
		log_warnx("event=uidvalidity-record-failed folder=%s error=%s", log_q(folder),
			  log_q(err.msg));
}

/* Every candidate of folder (above its high-water mark, or to be tried
 * again), in batches of BATCH, with a progress line per batch when there
 * are that many. */
int loop_folder(struct loop *lp, const char *folder, struct err *err)
{
	uint32_t uidvalidity, *uids = NULL;
	size_t n = 0;
	int rc = 0;
	struct pending pd;

	if (imap_select(lp->imap, folder, &uidvalidity, err) < 0)
		return -1;
	loop_check_uidvalidity(lp, folder, uidvalidity);
	if (pending_find(&pd, lp->imap, lp->sp, lp->ledger, folder, uidvalidity, &uids, &n,
			 err) < 0) {
		pending_clear(&pd);
		return -1;
	}
	if (n > 0)
		log_info("event=pending folder=%s uidvalidity=%u count=%zu", log_q(folder),
			 uidvalidity, n);
	time_t flushed = time(NULL);
	for (size_t done = 0; done < n && rc == 0 && !loop_stopping();) {
		size_t k = n - done < BATCH ? n - done : BATCH;
		if (n >= BATCH) /* a big sync: its progress shows in intakectl status */
			health_progress(lp->health, folder, done, n);
		rc = loop_batch(lp, folder, uidvalidity, uids + done, k, &pd, err);
		done += k;
		/* index.json reads every entry of a call: during a long first
		 * sync it is brought up to date once a minute, not per batch. */
		if (time(NULL) - flushed >= INDEX_EVERY) {
			intake_flush(lp->intake);
			flushed = time(NULL);
		}
		if (n >= BATCH && rc == 0 && !loop_stopping())
			log_info("event=progress folder=%s done=%zu total=%zu", log_q(folder), done, n);
	}
	intake_flush(lp->intake);
	pending_clear(&pd);
	free(uids);
	if (rc == 0 && !loop_stopping())
		health_fetched(lp->health, folder);
	return rc;
}
