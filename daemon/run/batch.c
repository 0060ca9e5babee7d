/* batch.c — the group commit of the messages intake staged (batch.h):
 * the staged list and the order in which it becomes durable, nothing
 * else. The fault points name each step for the crash tests. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "intake_ack.h"
#include "intaked/fault.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/spool.h"
#include "intaked/util.h"

/* A message written aside, waiting for batch_commit. */
struct staged {
	struct spool_entry *entry;  /* NULL for a duplicate: a ledger record only */
	char *id, *sha, *message_id, *mailbox, *relpath;
	uint32_t uidvalidity, uid;
	char *call, *slug;          /* submissions: the call and submitter, */
	bool trusted;               /* verified (or accepted) and not held */
	char *outbox_id;            /* the staged acknowledgement, or NULL */
	char *log_line;             /* logged once committed */
};

struct batch {
	struct spool *sp;
	struct ledger *ledger;
	struct staged *staged;
	size_t n, cap;
	struct strlist dirty;       /* calls whose index.json is behind */
};

struct batch *batch_new(struct spool *sp, struct ledger *ledger)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	b->sp = sp;
	b->ledger = ledger;
	return b;
}

static struct staged *staged_push(struct batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->staged = xreallocarray(b->staged, b->cap, sizeof(*b->staged));
	}
	struct staged *st = &b->staged[b->n++];
	memset(st, 0, sizeof(*st));
	return st;
}

static void staged_clear(struct staged *st)
{
	spool_abort(&st->entry);
	free(st->id);
	free(st->sha);
	free(st->message_id);
	free(st->mailbox);
	free(st->relpath);
	free(st->call);
	free(st->slug);
	free(st->outbox_id);
	free(st->log_line);
	memset(st, 0, sizeof(*st));
}

static void clear_all(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		staged_clear(&b->staged[i]);
	b->n = 0;
}

/* Nothing of the batch was committed: remove what was written aside.
 * The messages stay unmarked on the server and come back on a later pass. */
static void discard_all(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		intake_ack_withdraw(b->sp, b->staged[i].id, b->staged[i].outbox_id);
	clear_all(b);
}

void batch_free(struct batch **bp)
{
	struct batch *b = *bp;
	if (b == NULL)
		return;
	discard_all(b);
	free(b->staged);
	batch_flush(b);
	xfree(bp);
}

static char *filed_log_line(const struct metadata *md, const char *relpath)
{
	if (strcmp(md->kind, "submission") == 0)
		return xasprintf("event=filed id=%s call=%s submitter=%s version=%d words=%ld "
				 "over_limit=%s unexamined=%zu links=%zu "
				 "status=%s timeliness=%s ack=%s path=%s",
				 md->id, md->call, md->submitter.slug, md->version, md->word_count,
				 md->over_limit ? "true" : md->over_limit_unknown ? "unknown" : "false",
				 md->nunexamined, md->nlinked,
				 md->status, md->timeliness, md->ack.state, relpath);
	return xasprintf("event=filed id=%s kind=%s reason=%s ack=%s path=%s", md->id, md->kind,
			 log_q(md->reason), md->ack.state, relpath);
}

void batch_add(struct batch *b, struct spool_entry **e, const struct metadata *md,
	       const char *relpath, const char *outbox_id)
{
	struct staged *st = staged_push(b);
	st->entry = *e;
	*e = NULL;
	st->id = xstrdup(md->id);
	st->sha = xstrdup(md->raw_sha256);
	st->message_id = xstrdup(md->message_id);
	st->mailbox = xstrdup(md->imap.mailbox);
	st->relpath = xstrdup(relpath);
	st->uidvalidity = md->imap.uidvalidity;
	st->uid = md->imap.uid;
	if (strcmp(md->kind, "submission") == 0) {
		st->call = xstrdup(md->call);
		st->slug = xstrdup(md->submitter.slug);
		st->trusted = !md->held && (md->submitter.verified || md->accepted_at != 0);
	}
	st->outbox_id = xstrdup(outbox_id);
	st->log_line = filed_log_line(md, relpath);
}

void batch_add_duplicate(struct batch *b, const char *mailbox, uint32_t uidvalidity,
			 uint32_t uid, const char *id, const char *sha, const char *relpath)
{
	struct staged *st = staged_push(b);
	st->id = xstrdup(id);
	st->sha = xstrdup(sha);
	st->mailbox = xstrdup(mailbox);
	st->relpath = xstrdup(relpath);
	st->uidvalidity = uidvalidity;
	st->uid = uid;
	st->log_line = xasprintf("event=duplicate mailbox=%s uid=%u path=%s", log_q(mailbox),
				 uid, relpath);
}

const char *batch_find_sha(const struct batch *b, const char *sha)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->staged[i].entry && strcmp(b->staged[i].sha, sha) == 0)
			return b->staged[i].relpath;
	return NULL;
}

bool batch_has_trusted(const struct batch *b, const char *call, const char *slug)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct staged *st = &b->staged[i];
		if (st->call && st->trusted && strcmp(st->call, call) == 0 &&
		    strcmp(st->slug, slug) == 0)
			return true;
	}
	return false;
}

size_t batch_size(const struct batch *b)
{
	return b->n;
}

/* Acknowledgements of the batch into the outbox queue: before the ledger
 * records, so a message the ledger knows always has its ack queued. */
static int commit_acks(struct batch *b, struct err *err)
{
	char **ids = xcalloc(b->n, sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->staged[i].outbox_id)
			ids[n++] = b->staged[i].outbox_id;
	int rc = outbox_publish(b->sp, ids, n, err);
	free(ids);
	for (size_t i = 0; i < n && rc == 0; i++)
		fault_point("after-outbox-queue");
	return rc;
}

static int commit_ledger(struct batch *b, struct err *err)
{
	struct ledger_record *recs = xcalloc(b->n, sizeof(*recs));
	for (size_t i = 0; i < b->n; i++) {
		const struct staged *st = &b->staged[i];
		recs[i] = (struct ledger_record){
			.id = st->id, .raw_sha256 = st->sha, .message_id = st->message_id,
			.mailbox = st->mailbox, .uidvalidity = st->uidvalidity, .uid = st->uid,
			.relpath = st->relpath,
		};
	}
	int rc = ledger_append_many(b->ledger, recs, b->n, err);
	free(recs);
	for (size_t i = 0; i < b->n && rc == 0; i++)
		fault_point("after-ledger");
	return rc;
}

static void mark_dirty(struct batch *b, const char *call)
{
	for (size_t i = 0; i < b->dirty.n; i++)
		if (strcmp(b->dirty.v[i], call) == 0)
			return;
	strlist_push(&b->dirty, call);
}

/* Rename one staged entry into place. A failure concerns this entry only
 * (its path was taken, a symlink planted): its ack is withdrawn, the
 * message stays unmarked and is tried again on a later pass. */
static bool commit_entry(struct batch *b, struct staged *st)
{
	struct err err = { 0 };
	/* A duplicate counts only if what it names is there: its original
	 * may have been staged in this very batch and failed just now. */
	if (st->entry == NULL)
		return spool_entry_exists(b->sp, st->relpath);
	if (spool_commit(b->sp, &st->entry, st->relpath, &err) < 0) {
		intake_ack_withdraw(b->sp, st->id, st->outbox_id);
		log_warnx("event=intake-failed mailbox=%s uid=%u class=%s error=%s",
			  log_q(st->mailbox), st->uid, err_class_name(err.cls), log_q(err.msg));
		return false;
	}
	fault_point("after-commit");
	/* index.json is rebuilt from every entry of the call, not per
	 * message (batch_flush), or a first sync is quadratic. */
	if (st->call)
		mark_dirty(b, st->call);
	return true;
}

static void log_commit_failed(const struct batch *b, const struct err *err)
{
	log_warnx("event=commit-failed messages=%zu class=%s error=%s", b->n,
		  err_class_name(err->cls), log_q(err->msg));
}

int batch_commit(struct batch *b, batch_filed_fn filed, void *arg, struct err *err)
{
	if (b->n == 0)
		return 0;
	if (spool_sync(b->sp, err) < 0 || commit_acks(b, err) < 0 || commit_ledger(b, err) < 0) {
		log_commit_failed(b, err);
		discard_all(b);
		return -1;
	}
	bool *ok = xcalloc(b->n, sizeof(*ok));
	for (size_t i = 0; i < b->n; i++)
		ok[i] = commit_entry(b, &b->staged[i]);
	/* Until this sync the renames may not survive a power cut: nothing
	 * may be marked on the server before it. */
	int rc = spool_sync(b->sp, err);
	if (rc < 0)
		log_commit_failed(b, err);
	for (size_t i = 0; i < b->n && rc == 0; i++)
		if (ok[i]) {
			ledger_note_committed(b->ledger, b->staged[i].sha, b->staged[i].relpath);
			log_info("%s", b->staged[i].log_line);
			filed(b->staged[i].uid, arg);
		}
	clear_all(b);
	free(ok);
	return rc;
}

void batch_flush(struct batch *b)
{
	for (size_t i = 0; i < b->dirty.n; i++) {
		struct err ierr = { 0 };
		if (spool_write_index(b->sp, b->dirty.v[i], &ierr) < 0)
			log_warnx("event=index-failed call=%s error=%s", b->dirty.v[i],
				  log_q(ierr.msg));
	}
	strlist_free(&b->dirty);
}
