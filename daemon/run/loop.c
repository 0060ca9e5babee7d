/* loop.c — fetch, file, flush, wait; over and over, or once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include "intaked/ack.h"
#include "intaked/alarm.h"
#include "intaked/backoff.h"
#include "intaked/digest.h"
#include "intaked/fault.h"
#include "intaked/health.h"
#include "intaked/imap.h"
#include "intake.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "loop.h"
#include "notify.h"
#include "intaked/oauth.h"
#include "intaked/outbox.h"
#include "pending.h"
#include "intaked/ratelimit.h"
#include "intaked/remind.h"
#include "intaked/spool.h"
#include "intaked/uidvalidity.h"

#define EX_SOFTWARE 70 /* --once: the server rejected a command as malformed */
#define EX_TEMPFAIL 75
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
#define BACKOFF_MIN 2
#define BACKOFF_MAX 300
#define BACKOFF_TO_MAX 8 /* failures: 2 s doubled 8 times passes BACKOFF_MAX */

static volatile sig_atomic_t got_term, got_hup;
static int wake_pipe[2] = { -1, -1 };

struct loop {
	struct config *cfg;
	const struct loop_options *opt;
	time_t started;
	struct spool *sp;
	struct ledger *ledger;
	struct ratelimit *rl;
	struct intake *intake;
	struct imap_session *imap;
	struct oauth *imap_oauth, *smtp_oauth; /* access-token caches (xoauth2) */
	struct health *health;    /* SPOOL/state/health.json, for intakectl status */
	int spill_fd;             /* SPOOL/tmp: big messages are streamed there */
	int failures;             /* reconnects failed in a row (backoff.h) */
	time_t next_connect;
	long watchdog_half;       /* seconds; 0 without a systemd watchdog */
	struct timespec group_since; /* when the first staged message was */
	unsigned filed;           /* messages filed since start */
	enum err_class fetch_cls; /* why the last pass over the mailbox failed */
};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], "x", 1);
	errno = saved;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		fatalx("event=pipe-failed");
}

static void drain_wake_pipe(void)
{
	char b[64];
	while (read(wake_pipe[0], b, sizeof(b)) > 0)
		;
}

/* The scheduling clock: real time, or --now advancing with real time. */
static time_t loop_now(const struct loop *lp)
{
	time_t t = time(NULL);
	return lp->opt->now ? lp->opt->now + (t - lp->started) : t;
}

static void loop_disconnect(struct loop *lp)
{
	imap_close(&lp->imap);
}

/* Jittered exponential backoff between reconnects, so a restarting server
 * is not hammered by every client at once. */
static void loop_schedule_reconnect(struct loop *lp, enum err_class why)
{
	/* A command the server takes for malformed stays so: no hurry. */
	if (why == ERR_PROTOCOL && lp->failures < BACKOFF_TO_MAX)
		lp->failures = BACKOFF_TO_MAX;
	if (lp->failures < INT_MAX)
		lp->failures++;
	lp->next_connect = time(NULL) + backoff_next(BACKOFF_MIN, BACKOFF_MAX, lp->failures);
}

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
	for (size_t i = 0; i < k && rc == 0 && !got_term; i++) {
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
	for (size_t i = 0; i < nneed && rc == 0 && !got_term;) {
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
static int loop_folder(struct loop *lp, const char *folder, struct err *err)
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
	for (size_t done = 0; done < n && rc == 0 && !got_term;) {
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
		if (n >= BATCH && rc == 0 && !got_term)
			log_info("event=progress folder=%s done=%zu total=%zu", log_q(folder), done, n);
	}
	intake_flush(lp->intake);
	pending_clear(&pd);
	free(uids);
	if (rc == 0 && !got_term)
		health_fetched(lp->health, folder);
	return rc;
}

/* Connect and log in, with a fresh OAuth access token when auth is OAuth.
 * *token_rejected: the token endpoint refused our refresh token. */
static int loop_connect(struct loop *lp, bool *token_rejected, struct err *err)
{
	const struct mailbox_config *mc = &lp->cfg->mailbox;
	const char *token = NULL;

	if (auth_is_oauth(mc->auth)) {
		if (lp->imap_oauth == NULL)
			lp->imap_oauth = oauth_new(&mc->oauth, mc->timeout);
		if (oauth_token(lp->imap_oauth, time(NULL), &token, err) < 0) {
			*token_rejected = err->cls == ERR_AUTH;
			return -1;
		}
	}
	if (imap_open(mc, token, &lp->imap, err) < 0) {
		/* A refused access token may have been revoked before its time:
		 * the next attempt asks for a new one. */
		if (token != NULL && err->cls == ERR_AUTH)
			oauth_invalidate(lp->imap_oauth);
		return -1;
	}
	log_info("event=imap-connected host=%s user=%s auth=%s%s%s", mc->host, log_q(mc->user),
		 auth_method_name(mc->auth), token ? " grant=" : "",
		 token ? oauth_grant_name(mc->oauth.grant) : "");
	health_set_state(lp->health, NULL, HEALTH_CONNECTED);
	return 0;
}

/* The mailbox could not be read: count towards the alarm (alarm.h); at
 * once when the server rejected a command as malformed. */
static void loop_alarm(struct loop *lp, bool token_rejected, const struct err *why)
{
	struct err err = { 0 };
	int r = why->cls == ERR_PROTOCOL
		? alarm_failure_rejected(lp->cfg, lp->sp, loop_now(lp), why->msg, &err)
		: alarm_failure(lp->cfg, lp->sp, loop_now(lp), token_rejected, why->msg, &err);
	if (r < 0)
		log_err("event=alarm-failed error=%s", log_q(err.msg));
}

static void loop_alarm_clear(struct loop *lp)
{
	struct err err = { 0 };
	if (alarm_success(lp->cfg, lp->sp, loop_now(lp), &err) < 0)
		log_err("event=alarm-clear-failed error=%s", log_q(err.msg));
}

/* One pass over every folder. Returns 0, or -1 when the server could not be
 * used (the session is dropped and a reconnect scheduled). */
static int loop_fetch(struct loop *lp)
{
	const struct mailbox_config *mc = &lp->cfg->mailbox;
	struct err err = { 0 };
	bool token_rejected = false;

	if (lp->imap == NULL) {
		if (time(NULL) < lp->next_connect)
			return -1;
		if (loop_connect(lp, &token_rejected, &err) < 0)
			goto fail;
	}
	/* IDLE watches the first folder (the others are polled at each wake):
	 * it goes last, so that the session is left selected on it. */
	for (size_t k = 1; k <= mc->folders.n && !got_term; k++)
		if (loop_folder(lp, mc->folders.v[k % mc->folders.n], &err) < 0)
			goto fail;
	lp->failures = 0;
	loop_alarm_clear(lp);
	return 0;
fail:
	lp->fetch_cls = err.cls;
	loop_alarm(lp, token_rejected, &err);
	loop_disconnect(lp);
	health_set_error(lp->health, NULL, err.msg);
	health_set_state(lp->health, NULL, HEALTH_DISCONNECTED);
	loop_schedule_reconnect(lp, err.cls);
	log_warnx("event=imap-failed host=%s class=%s error=%s retry_in=%lds", mc->host,
		  err_class_name(err.cls), log_q(err.msg), (long)(lp->next_connect - time(NULL)));
	return -1;
}

/* [smtp] without token settings of its own shares the mailbox's token
 * (one sign-in, one token with both scopes). */
static struct oauth *loop_smtp_oauth(struct loop *lp)
{
	return lp->cfg->smtp.oauth_shared ? lp->imap_oauth : lp->smtp_oauth;
}

static int loop_flush_outbox(struct loop *lp)
{
	struct outbox_stats st = { 0 };
	struct err err = { 0 };
	const char *token = NULL;
	/* An access token only when something is due: no token traffic for an
	 * empty outbox. */
	if (auth_is_oauth(lp->cfg->smtp.auth) && outbox_stat(lp->sp, &st, &err) == 0 &&
	    st.queued > 0 && st.next_attempt <= loop_now(lp)) {
		if (lp->smtp_oauth == NULL && !lp->cfg->smtp.oauth_shared)
			lp->smtp_oauth = oauth_new(&lp->cfg->smtp.oauth, lp->cfg->smtp.timeout);
		if (lp->imap_oauth == NULL && lp->cfg->smtp.oauth_shared)
			lp->imap_oauth = oauth_new(&lp->cfg->mailbox.oauth, lp->cfg->mailbox.timeout);
		if (oauth_token(loop_smtp_oauth(lp), time(NULL), &token, &err) < 0) {
			/* A rejected refresh token needs a person; the mail waits. */
			if (err.cls == ERR_AUTH)
				log_err("event=smtp-token-rejected error=%s queued=%u", log_q(err.msg),
					st.queued);
			else
				log_warnx("event=smtp-token-failed class=%s error=%s queued=%u",
					  err_class_name(err.cls), log_q(err.msg), st.queued);
			return -1;
		}
	}
	memset(&st, 0, sizeof(st));
	int rc = outbox_flush(lp->sp, &lp->cfg->smtp, token, loop_now(lp), ack_record_delivery,
			      lp->sp, &st, &err);
	if (rc < 0 && token != NULL && err.cls == ERR_AUTH)
		oauth_invalidate(loop_smtp_oauth(lp));
	if (rc < 0)
		log_warnx("event=smtp-failed class=%s error=%s queued=%u", err_class_name(err.cls),
			  log_q(err.msg), st.queued);
	else if (st.sent || st.failed || st.deferred)
		log_info("event=outbox-flushed sent=%u deferred=%u failed=%u queued=%u", st.sent,
			 st.deferred, st.failed, st.queued);
	return rc;
}

/* Queue the reminders and digests due on the scheduling clock, before the
 * outbox is flushed, so they leave in the same pass. A failure (disk, a
 * bad template) is retried on the next pass. Reminders wait for a pass
 * that read the mailbox: an input sitting in an unreachable mailbox must
 * not earn its sender a "we have not received it". */
static void loop_scheduled_mail(struct loop *lp, bool mailbox_read)
{
	struct err err = { 0 };
	if (mailbox_read &&
	    remind_run(lp->cfg, lp->sp, NULL, loop_now(lp), &err) < 0)
		log_warnx("event=reminders-failed class=%s error=%s", err_class_name(err.cls),
			  log_q(err.msg));
	err_clear(&err);
	if (digest_run(lp->cfg, lp->sp, NULL, loop_now(lp), false, true, NULL, &err) < 0)
		log_warnx("event=digests-failed class=%s error=%s", err_class_name(err.cls),
			  log_q(err.msg));
}

static int loop_open_state(struct loop *lp, struct err *err)
{
	if (spool_open(lp->cfg->spool_dir, &lp->sp, err) < 0 ||
	    spool_lock(lp->sp, err) < 0 ||
	    ledger_open(lp->sp, &lp->ledger, err) < 0 ||
	    ratelimit_open(lp->sp, &lp->rl, err) < 0)
		return -1;
	lp->intake = intake_new(lp->cfg, lp->sp, lp->ledger, lp->rl);
	if ((lp->spill_fd = spool_area(lp->sp, SPOOL_TMP, err)) < 0)
		return -1;
	/* Only the daemon holding the lock writes the health file. */
	lp->health = health_new(lp->sp, &lp->cfg->mailbox.folders);
	health_flush(lp->health);
	return 0;
}

static void loop_close_state(struct loop *lp)
{
	loop_disconnect(lp);
	if (lp->health != NULL)
		health_set_state(lp->health, NULL, HEALTH_DISCONNECTED);
	health_free(&lp->health);
	oauth_free(&lp->imap_oauth);
	oauth_free(&lp->smtp_oauth);
	if (lp->spill_fd >= 0)
		close(lp->spill_fd);
	lp->spill_fd = -1;
	intake_free(&lp->intake);
	ratelimit_close(&lp->rl);
	ledger_close(&lp->ledger);
	spool_close(&lp->sp);
}

/* Like Dovecot: an invalid new configuration is reported and the running
 * one kept. The spool directory is not switched on reload. */
static void loop_reload(struct loop *lp)
{
	struct config *fresh = NULL;
	struct err err = { 0 };

	got_hup = 0;
	notify_reloading();
	if (config_load(lp->opt->config_path, &fresh, &err) < 0) {
		log_err("event=reload-failed error=%s kept=old", log_q(err.msg));
		notify_ready();
		return;
	}
	if (strcmp(fresh->spool_dir, lp->cfg->spool_dir) != 0)
		log_warnx("event=reload-spool-ignored old=%s new=%s", lp->cfg->spool_dir,
			  fresh->spool_dir);
	free(fresh->spool_dir);
	fresh->spool_dir = xstrdup(lp->cfg->spool_dir);
	loop_disconnect(lp);
	oauth_free(&lp->imap_oauth); /* they borrow the old configuration */
	oauth_free(&lp->smtp_oauth);
	intake_free(&lp->intake);
	spool_forget_versions(lp->sp); /* as a new intake always did */
	config_free(&lp->cfg);
	lp->cfg = fresh;
	lp->intake = intake_new(lp->cfg, lp->sp, lp->ledger, lp->rl);
	health_free(&lp->health); /* the folders may have changed */
	lp->health = health_new(lp->sp, &lp->cfg->mailbox.folders);
	health_flush(lp->health);
	lp->next_connect = 0;
	lp->failures = 0;
	log_info("event=reloaded calls=%zu", lp->cfg->ncalls);
	remind_log_unreachable(lp->cfg);
	notify_ready();
}

/* While connected the first folder waits in IDLE (when the server has
 * it), the others are polled; the state keeps its "since" across passes. */
static void loop_health_waiting(struct loop *lp)
{
	const struct strlist *folders = &lp->cfg->mailbox.folders;
	for (size_t i = 0; lp->imap != NULL && i < folders->n; i++)
		health_set_state(lp->health, folders->v[i],
				 i == 0 && imap_uses_idle(lp->imap) ? HEALTH_IDLE : HEALTH_POLLING);
	health_flush(lp->health);
}

/* Sleep until new mail (IDLE), the poll interval, a signal, or the next
 * reconnect or outbox retry. */
static void loop_wait(struct loop *lp)
{
	long wait = lp->cfg->mailbox.poll_interval;
	struct err err = { 0 };
	struct outbox_stats st = { 0 };

	/* Every wait ends in time for the next watchdog ping. */
	if (lp->watchdog_half > 0 && lp->watchdog_half < wait)
		wait = lp->watchdog_half;

	if (outbox_stat(lp->sp, &st, &err) == 0 && st.next_attempt) {
		long until = (long)(st.next_attempt - loop_now(lp));
		if (until < wait)
			wait = until < 1 ? 1 : until;
	}
	/* ... and in time for the next reminder or digest (scheduling clock). */
	time_t now = loop_now(lp), due[2] = { remind_next_due(lp->cfg, lp->sp, now),
					      digest_next_due(lp->cfg, lp->sp, now) };
	for (size_t i = 0; i < 2; i++)
		if (due[i] != 0 && due[i] - now < wait)
			wait = due[i] - now < 1 ? 1 : (long)(due[i] - now);
	loop_health_waiting(lp);
	if (lp->imap == NULL) {
		long until = (long)(lp->next_connect - time(NULL));
		if (until < wait)
			wait = until < 1 ? 1 : until;
		struct pollfd pfd = { .fd = wake_pipe[0], .events = POLLIN };
		poll(&pfd, 1, (int)(wait * 1000));
	} else if (imap_wait(lp->imap, wait, wake_pipe[0], &err) < 0) {
		log_warnx("event=imap-wait-failed error=%s", log_q(err.msg));
		loop_disconnect(lp);
		health_set_error(lp->health, NULL, err.msg);
		health_set_state(lp->health, NULL, HEALTH_DISCONNECTED);
	}
	drain_wake_pipe();
	notify_watchdog();
}

static void loop_report_status(struct loop *lp, int fetch_rc, int smtp_rc)
{
	struct outbox_stats st = { 0 };
	struct err err = { 0 };
	struct alarm_state as;
	char alarm[NOTIFY_STATUS_MAX];
	outbox_stat(lp->sp, &st, &err);
	alarm_state_load(lp->sp, &as, &err);
	alarm_describe(&as, alarm, sizeof(alarm));
	/* An alarm goes first: the status line is cut at NOTIFY_STATUS_MAX. */
	notify_status("%s%s%s; filed %u since start; outbox %u queued, %u failed%s",
		      alarm, alarm[0] ? "; " : "",
		      fetch_rc == 0 ? "mailbox ok" : "mailbox unreachable", lp->filed,
		      st.queued, st.failed, smtp_rc == 0 ? "" : "; smtp unreachable");
}

int loop_run(struct config **cfg, const struct loop_options *opt)
{
	struct loop lp = { .cfg = *cfg, .opt = opt, .started = time(NULL), .spill_fd = -1 };
	struct err err = { 0 };
	int status = 0;

	*cfg = NULL;
	srandom((unsigned)getpid() ^ (unsigned)lp.started);
	install_signals();
	if (loop_open_state(&lp, &err) < 0) {
		log_err("event=spool-failed error=%s", log_q(err.msg));
		status = EX_TEMPFAIL;
		goto out;
	}
	long usec;
	if (notify_watchdog_enabled(&usec))
		lp.watchdog_half = usec / 2000000 > 0 ? usec / 2000000 : 1;
	log_info("event=started calls=%zu spool=%s once=%s", lp.cfg->ncalls, lp.cfg->spool_dir,
		 opt->once ? "yes" : "no");
	remind_log_unreachable(lp.cfg);
	notify_ready();
	for (;;) {
		int fetch_rc = loop_fetch(&lp);
		loop_scheduled_mail(&lp, fetch_rc == 0);
		int smtp_rc = loop_flush_outbox(&lp);
		loop_report_status(&lp, fetch_rc, smtp_rc);
		if (opt->once) {
			status = fetch_rc < 0 && lp.fetch_cls == ERR_PROTOCOL ? EX_SOFTWARE
				 : fetch_rc < 0 || smtp_rc < 0 ? EX_TEMPFAIL : 0;
			break;
		}
		if (got_term)
			break;
		if (got_hup)
			loop_reload(&lp);
		loop_wait(&lp);
		if (got_term)
			break;
		if (got_hup)
			loop_reload(&lp);
	}
	notify_stopping();
	intake_free(&lp.intake); /* reaps the worker: its peak counts below */
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	log_info("event=stopping status=%d filed=%u maxrss_kb=%ld worker_maxrss_kb=%ld", status,
		 lp.filed, self.ru_maxrss, kids.ru_maxrss);
out:
	loop_close_state(&lp);
	config_free(&lp.cfg);
	return status;
}
