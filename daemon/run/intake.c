/* intake.c — one fetched message at a time: fetch → analyse → judge →
 * stage.
 *
 * intake_message writes the message aside (a staging entry holding
 * message.eml) and hands it to the analysis worker; the message before it
 * is then judged (classify, route, identify, judge the timing and the
 * words), its metadata built (entry.h) and its acknowledgement decided
 * (intake_ack.c), and the entry is staged in the batch. Nothing is
 * durable yet: intake_commit hands the batch to batch.c, the only owner
 * of the group commit and its order (RELIABILITY.md). */
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "batch.h"
#include "intaked/classify.h"
#include "intaked/entry.h"
#include "intaked/fault.h"
#include "intaked/identity.h"
#include "intaked/imap.h"
#include "intake.h"
#include "intake_ack.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/policy.h"
#include "intaked/route.h"
#include "intaked/spool.h"
#include "intaked/wordcount.h"
#include "intaked/worker.h"
#include "intaked/worker_pool.h"

struct intake {
	const struct config *cfg;
	struct spool *sp;
	struct ledger *ledger;
	struct ratelimit *rl;
	struct strlist own;       /* addresses that are ours: never answer them */
	struct batch *batch;      /* staged, waiting for intake_commit */
	struct worker_pool *workers; /* the analysis children, reused across messages */
	struct job *inflight[CONFIG_WORKERS_MAX * WORKER_QUEUE]; /* with them, oldest first */
	size_t ninflight;
};

/* Everything derived from one fetched message; freed once by job_free. */
struct job {
	struct intake *in;
	char *mailbox;
	uint32_t uidvalidity, uid;
	time_t now, internaldate;
	size_t len;
	char sha[65];
	char id[40];
	struct spool_entry *entry;
	bool submitted;             /* in the worker's hands */
	struct analysis *a;
	struct metadata *md;
	char *relpath;
	const struct call_config *call;
	char *staged_ack;           /* the outbox item this job staged, or NULL */
};

static void job_free(struct job **jobp)
{
	struct job *job = *jobp;
	if (job == NULL)
		return;
	spool_abort(&job->entry);
	analysis_free(&job->a);
	metadata_free(&job->md);
	free(job->mailbox);
	free(job->relpath);
	free(job->staged_ack);
	xfree(jobp);
}

struct intake *intake_new(const struct config *cfg, struct spool *sp,
			  struct ledger *ledger, struct ratelimit *rl)
{
	struct intake *in = xcalloc(1, sizeof(*in));
	in->cfg = cfg;
	in->sp = sp;
	in->ledger = ledger;
	in->rl = rl;
	in->batch = batch_new(sp, ledger);
	in->workers = worker_pool_new(&cfg->limits);
	if (cfg->mailbox.user && strchr(cfg->mailbox.user, '@'))
		strlist_push(&in->own, cfg->mailbox.user);
	if (cfg->smtp.from_addr)
		strlist_push(&in->own, cfg->smtp.from_addr);
	for (size_t i = 0; i < cfg->ncalls; i++)
		for (size_t j = 0; j < cfg->calls[i].match_to.n; j++)
			strlist_push(&in->own, cfg->calls[i].match_to.v[j]);
	for (size_t i = 0; i < in->own.n; i++)
		str_lower(in->own.v[i]);
	intake_ack_withdraw_leftovers(sp);
	return in;
}

void intake_free(struct intake **in)
{
	if (*in == NULL)
		return;
	for (size_t i = 0; i < (*in)->ninflight; i++)
		job_free(&(*in)->inflight[i]);
	batch_free(&(*in)->batch);
	strlist_free(&(*in)->own);
	worker_pool_free(&(*in)->workers);
	xfree(in);
}

/* ---- judge ---- */

/* The entry's metadata (entry.h), from the verdict. */
static void job_build(struct job *job, const struct entry_verdict *v, int version)
{
	const struct entry_message m = {
		.id = job->id, .raw_sha256 = job->sha, .mailbox = job->mailbox,
		.raw_size = job->len, .received_at = job->internaldate,
		.uidvalidity = job->uidvalidity, .uid = job->uid,
	};
	job->md = entry_build(job->a, &m, v, version, job->now);
}

static void job_quarantine(struct job *job, const char *reason)
{
	const struct entry_verdict v = { .fate = ENTRY_MALFORMED, .reason = reason };
	job_build(job, &v, 0);
	job->relpath = spool_quarantine_path(job->id);
}

static void job_ignore(struct job *job, const struct classify_result *cr)
{
	/* The call it was addressed to (the routing of submissions), so that
	 * only that call's digest counts it. */
	struct route_result rr;
	route_message(job->in->cfg, job->a, &rr);
	const struct entry_verdict v = { .fate = ENTRY_IGNORED, .kind = classify_kind_name(cr->kind),
					 .reason = cr->reason, .cfg = job->in->cfg, .route = &rr };
	job_build(job, &v, 0);
	job->relpath = spool_dated_path("ignored", job->internaldate, job->id);
	/* Auto-replies and bounces are kept raw; their attachments are noise. */
	spool_entry_drop_files(job->entry);
}

static void job_unmatched(struct job *job)
{
	const struct entry_verdict v = { .fate = ENTRY_UNMATCHED };
	job_build(job, &v, 0);
	job->relpath = spool_dated_path("unmatched", job->internaldate, job->id);
}

/* Whether a version of call/slug up to upto, staged in this batch or
 * filed, is verified (or accepted) and not held itself. */
static bool has_trusted_version(struct intake *in, const char *call, const char *slug, int upto)
{
	if (batch_has_trusted(in->batch, call, slug))
		return true;
	for (int v = upto; v > 0; v--) {
		char *rel = spool_submission_path(call, slug, v);
		struct metadata *md = NULL;
		struct err err = { 0 };
		bool trusted = spool_load_metadata(in->sp, rel, &md, &err) == 0 && !md->held &&
			       (md->submitter.verified || md->accepted_at != 0);
		metadata_free(&md);
		free(rel);
		if (trusted)
			return true;
	}
	return false;
}

static void job_submission(struct job *job, const struct route_result *rr)
{
	const struct config *cfg = job->in->cfg;
	const struct call_config *call = &cfg->calls[rr->call];
	struct identity who;
	struct policy_verdict pv;

	job->call = call;
	identity_resolve(call, &cfg->mailbox.authserv_id, job->a, &who);
	policy_judge(call, who.member ? who.member->name : NULL, job->internaldate,
		     job->a->word_count, &pv);
	/* The spool hands out vN: one more than filed or staged before. */
	int version = spool_entry_take_version(job->entry, call->name, who.slug);
	/* A member's message that failed authentication never supersedes a
	 * verified version: filed, held for a decision (intakectl accept). */
	bool held = call->require_auth == REQUIRE_AUTH_DMARC && who.member != NULL &&
		    !who.verified && has_trusted_version(job->in, call->name, who.slug, version - 1);
	const struct entry_verdict v = { .fate = ENTRY_SUBMISSION, .cfg = cfg, .route = rr,
					 .who = &who, .policy = &pv, .held = held };
	job_build(job, &v, version);
	job->relpath = spool_submission_path(call->name, who.slug, version);
	identity_clear(&who);
}

/* Decide on the acknowledgement and stage it (intake_ack.c), queued by
 * the batch's commit before the ledger record. */
static int job_queue_ack(struct job *job, struct err *err)
{
	const struct intake_ack_job x = { .cfg = job->in->cfg, .call = job->call,
					  .sp = job->in->sp, .rl = job->in->rl, .id = job->id,
					  .relpath = job->relpath, .now = job->now };
	return intake_ack_decide(&x, job->md, &job->staged_ack, err);
}

static void job_classify_and_route(struct job *job)
{
	struct classify_result cr;
	struct route_result rr;

	/* What the parser had to assume (no header block, too many headers). */
	if (job->a->warning != NULL)
		log_info("event=analysis-note id=%s note=%s", job->id, log_q(job->a->warning));
	classify_message(job->a, &job->in->own, &cr);
	if (cr.kind == KIND_MALFORMED) {
		/* No sender address: kept whole for an operator, never answered. */
		job_quarantine(job, cr.reason);
		return;
	}
	if (cr.kind != KIND_SUBMISSION) {
		job_ignore(job, &cr);
		return;
	}
	route_message(job->in->cfg, job->a, &rr);
	if (rr.call < 0)
		job_unmatched(job);
	else
		job_submission(job, &rr);
}

/* ---- analyse ---- */

/* Hand the message (message.eml, written by job_write_raw) to the worker,
 * or quarantine it at once when it is too big to analyse. */
static int job_submit(struct job *job, struct err *err)
{
	const struct limits_config *lim = &job->in->cfg->limits;

	fault_point("after-message");
	if (job->len > lim->max_message_size) {
		char reason[96];
		snprintf(reason, sizeof(reason), "message of %zu bytes exceeds max_message_size",
			 job->len);
		job_quarantine(job, reason);
		return 0;
	}
	char *raw_path = spool_entry_path(job->entry, "message.eml");
	char *files_dir = spool_entry_path(job->entry, "files");
	int rc = worker_pool_submit(job->in->workers, raw_path, files_dir, job->len, err);
	free(raw_path);
	free(files_dir);
	job->submitted = rc == 0;
	return rc;
}

/* The worker's analysis (or its verdict: quarantine), then judge. */
static int job_analyse(struct job *job, struct err *err)
{
	struct err werr = { 0 };

	if (!job->submitted)
		return 0; /* quarantined by job_submit */
	job->submitted = false;
	if (worker_pool_collect(job->in->workers, &job->a, &werr) < 0) {
		if (werr.cls != ERR_MESSAGE) {
			*err = werr;
			return -1;
		}
		job_quarantine(job, werr.msg);
		return 0;
	}
	fault_point("after-worker");
	job_classify_and_route(job);
	return 0;
}

/* ---- stage ---- */

/* text.txt: the text whose words were counted (the documents', else the
 * body), kept so that intakectl diff and the digest compare versions by
 * what counts, not by the covering mail. */
static int job_stage_text(struct job *job, struct err *err)
{
	const struct analysis *a = job->a;
	if (a == NULL || job->md->kind == NULL || strcmp(job->md->kind, "submission") != 0)
		return 0;
	/* The body as counted: no quoted lines, no signature. */
	char *text = a->counted && strcmp(a->counted, "documents") == 0
			     ? xstrdup(a->docs_text ? a->docs_text : "")
			     : wordcount_body_filter(a->body_text ? a->body_text : "");
	int rc = spool_entry_write(job->entry, "text.txt", text, strlen(text), err);
	free(text);
	return rc;
}

/* The entry's last files, then hand it to the batch. */
static int job_stage(struct job *job, struct err *err)
{
	const struct metadata *md = job->md;
	char *json;
	int rc;

	if (job->a && job->a->body_text && md->kind && strcmp(md->kind, "submission") == 0 &&
	    spool_entry_write(job->entry, "body.txt", job->a->body_text,
			      strlen(job->a->body_text), err) < 0)
		return -1;
	if (job_stage_text(job, err) < 0)
		return -1;
	json = metadata_to_json(md);
	rc = spool_entry_write(job->entry, "metadata.json", json, strlen(json), err);
	free(json);
	if (rc < 0)
		return -1;
	spool_entry_seal(job->entry);
	/* The staged acknowledgement, not one taken over: that is queued. */
	batch_add(job->in->batch, &job->entry, md, job->relpath, job->staged_ack);
	return 0;
}

/* message.eml: a streamed message's file (fsynced, on the spool's
 * filesystem) is linked in rather than copied through memory. */
static int job_write_raw(struct job *job, const struct imap_message *m, struct err *err)
{
	if (m->path != NULL && spool_entry_link(job->entry, m->dirfd, m->path, "message.eml") == 0)
		return 0;
	return spool_entry_write(job->entry, "message.eml", m->raw, m->len, err);
}

static void job_failed(struct job *job, const struct err *err)
{
	intake_ack_withdraw(job->in->sp, job->id, job->staged_ack);
	log_warnx("event=intake-failed mailbox=%s uid=%u class=%s error=%s", log_q(job->mailbox),
		  job->uid, err_class_name(err->cls), log_q(err->msg));
}

/* ---- the pipeline ---- */

/* Collect the oldest message in the worker's hands, judge it, stage it. */
static int finish_oldest(struct intake *in, struct err *err)
{
	struct job *job = in->inflight[0];
	int rc = 0;

	memmove(&in->inflight[0], &in->inflight[1], (--in->ninflight) * sizeof(in->inflight[0]));
	if (job_analyse(job, err) < 0 || job_queue_ack(job, err) < 0 || job_stage(job, err) < 0) {
		job_failed(job, err);
		rc = -1;
	}
	job_free(&job);
	return rc;
}

/* Every message still with the worker, judged and staged; a failure is
 * logged and leaves that message unfiled (retried on a later pass). */
static void finish_all(struct intake *in)
{
	while (in->ninflight > 0) {
		struct err err = { 0 };
		(void)finish_oldest(in, &err);
	}
}

static bool inflight_sha(const struct intake *in, const char *sha)
{
	for (size_t i = 0; i < in->ninflight; i++)
		if (strcmp(in->inflight[i]->sha, sha) == 0)
			return true;
	return false;
}

static struct job *job_new(struct intake *in, const char *mailbox, uint32_t uidvalidity,
			   const struct imap_message *m, time_t now)
{
	struct job *job = xcalloc(1, sizeof(*job));
	*job = (struct job){ .in = in, .mailbox = xstrdup(mailbox), .uidvalidity = uidvalidity,
			     .uid = m->uid, .now = now, .internaldate = m->internaldate,
			     .len = m->len };
	/* A message streamed to disk was hashed on the way: reading its
	 * mapping here would bring it all into our memory. */
	if (m->sha256[0] != '\0')
		memcpy(job->sha, m->sha256, sizeof(job->sha));
	else
		sha256_hex(m->raw, m->len, job->sha);
	spool_make_id(m->internaldate, job->sha, job->id);
	return job;
}

int intake_message(struct intake *in, const char *mailbox, uint32_t uidvalidity,
		   const struct imap_message *m, time_t now, struct err *err)
{
	struct job *job = job_new(in, mailbox, uidvalidity, m, now);
	const char *prev;

	/* The same bytes with the worker: its path is known once judged. */
	if (inflight_sha(in, job->sha))
		finish_all(in);
	/* The same bytes were filed before (another folder, a re-append, a
	 * new UIDVALIDITY): only remember this UID, so it is marked and never
	 * fetched again. */
	if ((prev = ledger_find_sha(in->ledger, job->sha)) != NULL ||
	    (prev = batch_find_sha(in->batch, job->sha)) != NULL) {
		batch_add_duplicate(in->batch, mailbox, uidvalidity, m->uid, job->id, job->sha, prev);
		job_free(&job);
		return 0;
	}
	if (spool_begin(in->sp, job->id, &job->entry, err) < 0 ||
	    job_write_raw(job, m, err) < 0 || job_submit(job, err) < 0) {
		job_failed(job, err);
		job_free(&job);
		return -1;
	}
	/* The workers analyse this one while the next are fetched and the
	 * oldest judged and written, in mailbox order. */
	in->inflight[in->ninflight++] = job;
	if (in->ninflight == worker_pool_capacity(in->workers))
		return finish_oldest(in, err);
	return 0;
}

size_t intake_staged(const struct intake *in)
{
	return batch_size(in->batch) + in->ninflight;
}

int intake_commit(struct intake *in, intake_filed_fn filed, void *arg, struct err *err)
{
	finish_all(in);
	return batch_commit(in->batch, filed, arg, err);
}

void intake_flush(struct intake *in)
{
	batch_flush(in->batch);
}
