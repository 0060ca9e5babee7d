/* intake.c — messages from raw bytes to committed spool entries, a batch
 * at a time (group commit).
 *
 * intake_message stages one message: staging dir with message.eml →
 * analysis in the worker → classify, route, judge → metadata and the
 * acknowledgement written aside (outbox/tmp), nothing fsynced yet.
 * intake_commit then makes the whole batch durable, in this order (a
 * crash between any two steps loses nothing):
 *   one syncfs of the spool → acknowledgements into the outbox queue →
 *   ledger records (one fdatasync) → renames into place → one syncfs.
 * Only then does the caller mark the messages on the server. A crash
 * after the acknowledgements are queued but before the renames files the
 * message again on restart and may acknowledge it twice, never zero. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/ack.h"
#include "intaked/analysis.h"
#include "intaked/classify.h"
#include "intaked/fault.h"
#include "intaked/fsio.h"
#include "intaked/identity.h"
#include "intaked/imap.h"
#include "intake.h"
#include "intake_ack.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/policy.h"
#include "intaked/route.h"
#include "intaked/spool.h"
#include "intaked/wordcount.h"
#include "intaked/worker.h"

/* A message written aside, waiting for intake_commit. */
struct staged {
	struct spool_entry *entry;  /* NULL for a duplicate: a ledger record only */
	char *id, *sha, *message_id, *mailbox, *relpath;
	uint32_t uidvalidity, uid;
	char *call, *slug;          /* submissions: the call and submitter, */
	int version;                /* and the version number taken */
	bool trusted;               /* verified (or accepted) and not held */
	char *outbox_id;            /* the staged acknowledgement, or NULL */
	char *log_line;             /* logged once committed */
};

struct intake {
	const struct config *cfg;
	struct spool *sp;
	struct ledger *ledger;
	struct ratelimit *rl;
	struct strlist own;       /* addresses that are ours: never answer them */
	struct strlist dirty;     /* calls whose index.json is behind (intake_flush) */
	struct staged *staged;    /* the batch intake_commit makes durable */
	size_t nstaged, staged_cap;
	struct worker *worker;    /* the analysis child, reused across messages */
	struct job *inflight[WORKER_QUEUE]; /* analysed by the worker, oldest first */
	size_t ninflight;
	struct strlist known_keys; /* "CALL/SLUG" whose latest version is known, */
	int *known_versions;       /* ...and that version (this daemon is the
				    * spool's only writer: no need to list a
				    * submitter's directory per message) */
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

/* ---- the batch ---- */

static struct staged *staged_push(struct intake *in)
{
	if (in->nstaged == in->staged_cap) {
		in->staged_cap = in->staged_cap ? in->staged_cap * 2 : 64;
		in->staged = xreallocarray(in->staged, in->staged_cap, sizeof(*in->staged));
	}
	struct staged *st = &in->staged[in->nstaged++];
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

/* The highest version of call/slug staged in this batch (0 if none):
 * two inputs of one mission in a batch are v1 and v2, not v1 twice. */
static int staged_latest_version(const struct intake *in, const char *call, const char *slug)
{
	int v = 0;
	for (size_t i = 0; i < in->nstaged; i++) {
		const struct staged *st = &in->staged[i];
		if (st->call && strcmp(st->call, call) == 0 && strcmp(st->slug, slug) == 0 &&
		    st->version > v)
			v = st->version;
	}
	return v;
}

/* Index of call/slug in the known versions, read from the spool when
 * first asked or forgotten (-1); -1 if the spool cannot tell. */
static ssize_t known_version(struct intake *in, const char *call, const char *slug)
{
	char *key = xasprintf("%s/%s", call, slug);
	size_t i;
	for (i = 0; i < in->known_keys.n; i++)
		if (strcmp(in->known_keys.v[i], key) == 0)
			break;
	if (i == in->known_keys.n) {
		strlist_push(&in->known_keys, key);
		in->known_versions = xreallocarray(in->known_versions, in->known_keys.n,
						   sizeof(*in->known_versions));
		in->known_versions[i] = -1;
	}
	free(key);
	if (in->known_versions[i] < 0)
		in->known_versions[i] = spool_latest_version(in->sp, call, slug);
	return in->known_versions[i] < 0 ? -1 : (ssize_t)i;
}

/* The highest version of call/slug filed or staged (0: none yet, or a
 * directory that cannot be read: its commit will say why). */
static int latest_version(struct intake *in, const char *call, const char *slug)
{
	ssize_t k = known_version(in, call, slug);
	int filed = k < 0 ? 0 : in->known_versions[k];
	int staged = staged_latest_version(in, call, slug);
	return staged > filed ? staged : filed;
}

/* The relpath of the same bytes staged in this batch, or NULL. */
static const char *staged_find_sha(const struct intake *in, const char *sha)
{
	for (size_t i = 0; i < in->nstaged; i++)
		if (in->staged[i].entry && strcmp(in->staged[i].sha, sha) == 0)
			return in->staged[i].relpath;
	return NULL;
}

static void withdraw_ack(struct intake *in, const char *id, const char *outbox_id)
{
	struct err err = { 0 };
	if (outbox_id && outbox_cancel(in->sp, outbox_id, &err) < 0)
		log_warnx("event=ack-withdraw-failed id=%s error=%s", id, log_q(err.msg));
}

/* Nothing of the batch was committed: remove what was written aside.
 * The messages stay unmarked on the server and come back on a later pass. */
static void staged_discard(struct intake *in)
{
	for (size_t i = 0; i < in->nstaged; i++) {
		withdraw_ack(in, in->staged[i].id, in->staged[i].outbox_id);
		staged_clear(&in->staged[i]);
	}
	in->nstaged = 0;
}

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
	in->worker = worker_new(&cfg->limits);
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
	staged_discard(*in);
	free((*in)->staged);
	intake_flush(*in);
	strlist_free(&(*in)->own);
	strlist_free(&(*in)->known_keys);
	free((*in)->known_versions);
	strlist_free(&(*in)->dirty);
	worker_free(&(*in)->worker);
	xfree(in);
}

int intake_seen_uid(struct intake *in, const char *mailbox, uint32_t uidvalidity, uint32_t uid)
{
	return ledger_find_uid(in->ledger, mailbox, uidvalidity, uid) != NULL;
}


/* The fields every entry has, whatever its kind. */
static void job_base_metadata(struct job *job)
{
	struct metadata *md = metadata_new();
	md->id = xstrdup(job->id);
	md->raw_sha256 = xstrdup(job->sha);
	md->raw_size = job->len;
	md->received_at = job->internaldate;
	md->filed_at = job->now;
	md->imap.mailbox = xstrdup(job->mailbox);
	md->imap.uidvalidity = job->uidvalidity;
	md->imap.uid = job->uid;
	md->word_count = -1;
	md->ack.state = xstrdup("suppressed");
	if (job->a) {
		const struct analysis *a = job->a;
		md->from = a->from_addr && *a->from_addr ? xstrdup(a->from_addr) : NULL;
		md->from_name = xstrdup(a->from_name);
		md->subject = xstrdup(a->subject);
		md->message_id = xstrdup(a->message_id);
		md->date_header = xstrdup(a->date_header);
		md->in_reply_to = xstrdup(a->in_reply_to);
		md->references = xstrdup(a->references);
		md->reply_to = xstrdup(a->reply_to_addr);
	}
	job->md = md;
}

static void job_copy_unexamined_and_links(struct metadata *md, const struct analysis *a)
{
	md->unexamined = xcalloc(a->nunexamined + 1, sizeof(*md->unexamined));
	md->nunexamined = a->nunexamined;
	for (size_t i = 0; i < a->nunexamined; i++) {
		md->unexamined[i].part = xstrdup(a->unexamined[i].part);
		md->unexamined[i].name = xstrdup(a->unexamined[i].name);
		md->unexamined[i].reason = xstrdup(a->unexamined[i].reason);
	}
	md->linked = xcalloc(a->nlinks + 1, sizeof(*md->linked));
	md->nlinked = a->nlinks;
	for (size_t i = 0; i < a->nlinks; i++) {
		md->linked[i].url = xstrdup(a->links[i].url);
		md->linked[i].service = xstrdup(a->links[i].service);
	}
}

static void job_copy_documents(struct job *job)
{
	const struct analysis *a = job->a;
	struct metadata *md = job->md;
	md->documents = xcalloc(a->ndocs, sizeof(*md->documents));
	md->ndocuments = a->ndocs;
	for (size_t i = 0; i < a->ndocs; i++) {
		const struct document *d = &a->docs[i];
		struct md_document *o = &md->documents[i];
		o->name = xstrdup(d->name);
		o->file = xstrdup(d->file);
		o->content_type = xstrdup(d->content_type);
		o->type = xstrdup(d->type);
		o->size = d->size;
		o->sha256 = xstrdup(d->sha256);
		o->words = d->words;
		o->error = xstrdup(d->error);
	}
	md->word_count = a->word_count;
	md->counted = xstrdup(a->counted);
	if (a->language[0] != '\0') {
		md->language = xstrdup(a->language);
		md->language_confidence = a->language_confidence;
	}
	job_copy_unexamined_and_links(md, a);
}

static void job_quarantine(struct job *job, const char *reason)
{
	job_base_metadata(job);
	job->md->kind = xstrdup("malformed");
	job->md->reason = xstrdup(reason);
	job->relpath = spool_quarantine_path(job->id);
}

static void job_ignore(struct job *job, const struct classify_result *cr)
{
	job_base_metadata(job);
	job->md->kind = xstrdup(classify_kind_name(cr->kind));
	job->md->reason = xstrdup(cr->reason);
	/* The call it was addressed to (the routing of submissions), so that
	 * only that call's digest counts it; NULL when none. */
	struct route_result rr;
	route_message(job->in->cfg, job->a, &rr);
	if (rr.call >= 0) {
		job->md->call = xstrdup(job->in->cfg->calls[rr.call].name);
		job->md->route.matched_by = xstrdup(rr.matched_by);
	}
	job->relpath = spool_dated_path("ignored", job->internaldate, job->id);
	/* Auto-replies and bounces are kept raw; their attachments are noise. */
	fsio_rmtree(job->entry->files_dir);
}

static void job_unmatched(struct job *job)
{
	job_base_metadata(job);
	job->md->kind = xstrdup("unmatched");
	job_copy_documents(job);
	job->relpath = spool_dated_path("unmatched", job->internaldate, job->id);
}

/* Whether a version of call/slug up to upto, staged in this batch or
 * filed, is verified (or accepted) and not held itself. */
static bool has_trusted_version(struct intake *in, const char *call, const char *slug, int upto)
{
	for (size_t i = 0; i < in->nstaged; i++) {
		const struct staged *st = &in->staged[i];
		if (st->call && st->trusted && strcmp(st->call, call) == 0 &&
		    strcmp(st->slug, slug) == 0)
			return true;
	}
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
	struct metadata *md;
	struct identity who;
	struct policy_verdict v;

	job->call = call;
	job_base_metadata(job);
	md = job->md;
	md->kind = xstrdup("submission");
	md->call = xstrdup(call->name);
	md->call_title = xstrdup(call->title);
	md->zone = xstrdup(call->zone);
	md->route.matched_by = xstrdup(rr->matched_by);
	for (size_t i = 0; i < rr->n_also; i++)
		strlist_push(&md->route.also, cfg->calls[rr->also[i]].name);
	job_copy_documents(job);

	identity_resolve(call, &cfg->mailbox.authserv_id, job->a, &who);
	md->submitter.name = xstrdup(who.member ? who.member->name : NULL);
	md->submitter.slug = xstrdup(who.slug);
	md->submitter.matched_by = xstrdup(roster_match_name(who.matched_by));
	md->submitter.verified = who.verified;
	md->auth.raw = xstrdup(analysis_header(job->a, "Authentication-Results"));
	md->auth.spf = who.auth.spf[0] ? xstrdup(who.auth.spf) : NULL;
	md->auth.dkim = who.auth.dkim[0] ? xstrdup(who.auth.dkim) : NULL;
	md->auth.dmarc = who.auth.dmarc[0] ? xstrdup(who.auth.dmarc) : NULL;

	policy_judge(call, who.member ? who.member->name : NULL, job->internaldate,
		     job->a->word_count, &v);
	md->status = xstrdup(policy_status_name(v.status));
	md->timeliness = xstrdup(policy_timeliness_name(v.timeliness));
	md->deadline = v.deadline;
	md->extended = v.extended;
	md->word_limit = call->word_limit;
	md->over_limit = v.over_limit;
	/* Words not all known: "within the limit" cannot be said. */
	md->over_limit_unknown = !v.over_limit && analysis_words_unknown(job->a);

	int prev = latest_version(job->in, call->name, who.slug);
	md->version = prev + 1;
	/* A member's message that failed authentication never supersedes a
	 * verified version: filed, held for a decision (intakectl accept). */
	md->held = call->require_auth == REQUIRE_AUTH_DMARC && who.member != NULL &&
		   !who.verified && has_trusted_version(job->in, call->name, who.slug, prev);
	if (prev > 0)
		md->supersedes = xasprintf("v%d", prev);
	job->relpath = spool_submission_path(call->name, who.slug, md->version);
	identity_clear(&who);
}

/* Decide on the acknowledgement and stage it (intake_ack.c), queued by
 * intake_commit before the ledger record. */
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

/* Hand the message (message.eml, written by job_write_raw) to the worker,
 * or quarantine it at once when it is too big to analyse. */
static int job_submit(struct job *job, struct err *err)
{
	const struct limits_config *lim = &job->in->cfg->limits;
	char *raw_path;
	int rc;

	fault_point("after-message");
	if (job->len > lim->max_message_size) {
		char reason[96];
		snprintf(reason, sizeof(reason), "message of %zu bytes exceeds max_message_size",
			 job->len);
		job_quarantine(job, reason);
		return 0;
	}
	raw_path = xasprintf("%s/message.eml", job->entry->dir);
	rc = worker_submit(job->in->worker, raw_path, job->entry->files_dir, err);
	free(raw_path);
	job->submitted = rc == 0;
	return rc;
}

/* The worker's analysis (or its verdict: quarantine), then classify. */
static int job_analyse(struct job *job, struct err *err)
{
	struct err werr = { 0 };

	if (!job->submitted)
		return 0; /* quarantined by job_submit */
	job->submitted = false;
	if (worker_collect(job->in->worker, &job->a, &werr) < 0) {
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

static void mark_dirty(struct intake *in, const char *call)
{
	for (size_t i = 0; i < in->dirty.n; i++)
		if (strcmp(in->dirty.v[i], call) == 0)
			return;
	strlist_push(&in->dirty, call);
}

void intake_flush(struct intake *in)
{
	for (size_t i = 0; i < in->dirty.n; i++) {
		struct err ierr = { 0 };
		if (spool_write_index(in->sp, in->dirty.v[i], &ierr) < 0)
			log_warnx("event=index-failed call=%s error=%s", in->dirty.v[i],
				  log_q(ierr.msg));
	}
	strlist_free(&in->dirty);
}

static char *job_log_line(const struct job *job)
{
	const struct metadata *md = job->md;
	if (strcmp(md->kind, "submission") == 0)
		return xasprintf("event=filed id=%s call=%s submitter=%s version=%d words=%ld "
				 "over_limit=%s unexamined=%zu links=%zu "
				 "status=%s timeliness=%s ack=%s path=%s",
				 md->id, md->call, md->submitter.slug, md->version, md->word_count,
				 md->over_limit ? "true" : md->over_limit_unknown ? "unknown" : "false",
				 md->nunexamined, md->nlinked,
				 md->status, md->timeliness, md->ack.state, job->relpath);
	return xasprintf("event=filed id=%s kind=%s reason=%s ack=%s path=%s", md->id, md->kind,
			 log_q(md->reason), md->ack.state, job->relpath);
}

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

	struct staged *st = staged_push(job->in);
	st->entry = job->entry;
	job->entry = NULL;
	st->id = xstrdup(job->id);
	st->sha = xstrdup(job->sha);
	st->message_id = xstrdup(md->message_id);
	st->mailbox = xstrdup(job->mailbox);
	st->relpath = xstrdup(job->relpath);
	st->uidvalidity = job->uidvalidity;
	st->uid = job->uid;
	if (job->call) {
		st->call = xstrdup(md->call);
		st->slug = xstrdup(md->submitter.slug);
		st->version = md->version;
		st->trusted = !md->held && (md->submitter.verified || md->accepted_at != 0);
	}
	st->outbox_id = xstrdup(job->staged_ack); /* not one taken over: it is queued */
	st->log_line = job_log_line(job);
	return 0;
}

/* The same bytes were filed before (another folder, a re-append, a new
 * UIDVALIDITY): only remember this UID, so it is marked and never fetched
 * again. */
static void stage_duplicate(struct intake *in, const char *mailbox, uint32_t uidvalidity,
			    const struct imap_message *m, const char *id, const char *sha,
			    const char *relpath)
{
	struct staged *st = staged_push(in);
	st->id = xstrdup(id);
	st->sha = xstrdup(sha);
	st->mailbox = xstrdup(mailbox);
	st->relpath = xstrdup(relpath);
	st->uidvalidity = uidvalidity;
	st->uid = m->uid;
	st->log_line = xasprintf("event=duplicate mailbox=%s uid=%u path=%s", log_q(mailbox),
				 m->uid, relpath);
}

/* message.eml: a streamed message's file (fsynced, on the spool's
 * filesystem) is linked in rather than copied through memory. */
static int job_write_raw(struct job *job, const struct imap_message *m, struct err *err)
{
	if (m->path != NULL && linkat(m->dirfd, m->path, job->entry->fd, "message.eml", 0) == 0)
		return 0;
	return spool_entry_write(job->entry, "message.eml", m->raw, m->len, err);
}

static void job_failed(struct job *job, const struct err *err)
{
	withdraw_ack(job->in, job->id, job->staged_ack);
	log_warnx("event=intake-failed mailbox=%s uid=%u class=%s error=%s", log_q(job->mailbox),
		  job->uid, err_class_name(err->cls), log_q(err->msg));
}

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

int intake_message(struct intake *in, const char *mailbox, uint32_t uidvalidity,
		   const struct imap_message *m, time_t now, struct err *err)
{
	struct job *job = xcalloc(1, sizeof(*job));
	const char *prev;

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
	/* The same bytes with the worker: its path is known once judged. */
	if (inflight_sha(in, job->sha))
		finish_all(in);
	if ((prev = ledger_find_sha(in->ledger, job->sha)) != NULL ||
	    (prev = staged_find_sha(in, job->sha)) != NULL) {
		stage_duplicate(in, mailbox, uidvalidity, m, job->id, job->sha, prev);
		job_free(&job);
		return 0;
	}
	if (spool_begin(in->sp, job->id, &job->entry, err) < 0 ||
	    job_write_raw(job, m, err) < 0 || job_submit(job, err) < 0) {
		job_failed(job, err);
		job_free(&job);
		return -1;
	}
	/* The worker analyses this one while the next is fetched and the
	 * previous one judged and written. */
	in->inflight[in->ninflight++] = job;
	if (in->ninflight == WORKER_QUEUE)
		return finish_oldest(in, err);
	return 0;
}

size_t intake_staged(const struct intake *in)
{
	return in->nstaged + in->ninflight;
}

/* Acknowledgements of the batch into the outbox queue: before the ledger
 * records, so a message the ledger knows always has its ack queued. */
static int commit_acks(struct intake *in, struct err *err)
{
	char **ids = xcalloc(in->nstaged, sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; i < in->nstaged; i++)
		if (in->staged[i].outbox_id)
			ids[n++] = in->staged[i].outbox_id;
	int rc = outbox_publish(in->sp, ids, n, err);
	free(ids);
	for (size_t i = 0; i < n && rc == 0; i++)
		fault_point("after-outbox-queue");
	return rc;
}

static int commit_ledger(struct intake *in, struct err *err)
{
	struct ledger_record *recs = xcalloc(in->nstaged, sizeof(*recs));
	for (size_t i = 0; i < in->nstaged; i++) {
		const struct staged *st = &in->staged[i];
		recs[i] = (struct ledger_record){
			.id = st->id, .raw_sha256 = st->sha, .message_id = st->message_id,
			.mailbox = st->mailbox, .uidvalidity = st->uidvalidity, .uid = st->uid,
			.relpath = st->relpath,
		};
	}
	int rc = ledger_append_many(in->ledger, recs, in->nstaged, err);
	free(recs);
	for (size_t i = 0; i < in->nstaged && rc == 0; i++)
		fault_point("after-ledger");
	return rc;
}

/* Rename one staged entry into place. A failure concerns this entry only
 * (its path was taken, a symlink planted): its ack is withdrawn, the
 * message stays unmarked and is tried again on a later pass. */
static bool commit_entry(struct intake *in, struct staged *st)
{
	struct err err = { 0 };
	/* A duplicate counts only if what it names is there: its original
	 * may have been staged in this very batch and failed just now. */
	if (st->entry == NULL)
		return spool_entry_exists(in->sp, st->relpath);
	bool ok = spool_commit(in->sp, &st->entry, st->relpath, &err) == 0;
	if (!ok) {
		withdraw_ack(in, st->id, st->outbox_id);
		log_warnx("event=intake-failed mailbox=%s uid=%u class=%s error=%s",
			  log_q(st->mailbox), st->uid, err_class_name(err.cls), log_q(err.msg));
	}
	if (st->call) {
		/* Taken; or read again from the spool when the path was. */
		ssize_t k = known_version(in, st->call, st->slug);
		if (k >= 0 && (!ok || in->known_versions[k] < st->version))
			in->known_versions[k] = ok ? st->version : -1;
	}
	if (!ok)
		return false;
	fault_point("after-commit");
	/* index.json is rebuilt from every entry of the call, not per
	 * message (intake_flush), or a first sync is quadratic. */
	if (st->call)
		mark_dirty(in, st->call);
	return true;
}

int intake_commit(struct intake *in, intake_filed_fn filed, void *arg, struct err *err)
{
	bool *ok;
	int rc = -1;

	finish_all(in);
	if (in->nstaged == 0)
		return 0;
	if (spool_sync(in->sp, err) < 0 || commit_acks(in, err) < 0 ||
	    commit_ledger(in, err) < 0) {
		log_warnx("event=commit-failed messages=%zu class=%s error=%s", in->nstaged,
			  err_class_name(err->cls), log_q(err->msg));
		staged_discard(in);
		return -1;
	}
	ok = xcalloc(in->nstaged, sizeof(*ok));
	for (size_t i = 0; i < in->nstaged; i++)
		ok[i] = commit_entry(in, &in->staged[i]);
	/* Until this sync the renames may not survive a power cut: nothing
	 * may be marked on the server before it. */
	if (spool_sync(in->sp, err) < 0) {
		log_warnx("event=commit-failed messages=%zu class=%s error=%s", in->nstaged,
			  err_class_name(err->cls), log_q(err->msg));
	} else {
		for (size_t i = 0; i < in->nstaged; i++)
			if (ok[i]) {
				log_info("%s", in->staged[i].log_line);
				filed(in->staged[i].uid, arg);
			}
		rc = 0;
	}
	for (size_t i = 0; i < in->nstaged; i++)
		staged_clear(&in->staged[i]);
	in->nstaged = 0;
	free(ok);
	return rc;
}

void intake_record_delivery(const struct outbox_item *item, const char *state,
			    const char *detail, void *arg)
{
	struct spool *sp = arg;
	struct metadata *md = NULL;
	struct err err = { 0 };

	if (item->ref == NULL || strcmp(item->kind, "ack") != 0 || strcmp(state, "deferred") == 0)
		return;
	if (spool_load_metadata(sp, item->ref, &md, &err) < 0) {
		/* The entry was never committed (crash before rename): nothing to update. */
		log_debug("event=ack-record-skipped ref=%s error=%s", item->ref, log_q(err.msg));
		return;
	}
	/* The path may have been taken by another message since (a crash
	 * before the rename, RELIABILITY F4): record only on the entry this
	 * item answers; that message, filed again, takes the item over. */
	if (md->ack.outbox_id == NULL || strcmp(md->ack.outbox_id, item->id) != 0) {
		log_debug("event=ack-record-skipped ref=%s id=%s", item->ref, item->id);
		metadata_free(&md);
		return;
	}
	xfree(&md->ack.state);
	md->ack.state = xstrdup(state);
	xfree(&md->ack.error);
	if (strcmp(state, "failed") == 0)
		md->ack.error = xstrdup(detail);
	if (strcmp(state, "sent") == 0)
		md->ack.sent_at = time(NULL);
	if (spool_save_metadata(sp, item->ref, md, &err) < 0)
		log_warnx("event=ack-record-failed ref=%s error=%s", item->ref, log_q(err.msg));
	log_info("event=ack-%s id=%s to=%s detail=%s", state, md->id, log_q(item->rcpt),
		 log_q(detail));
	metadata_free(&md);
}
