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
#include "loop_impl.h"
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
#define BACKOFF_MIN 2
#define BACKOFF_MAX 300
#define BACKOFF_TO_MAX 8 /* failures: 2 s doubled 8 times passes BACKOFF_MAX */

static volatile sig_atomic_t got_term, got_hup;
static int wake_pipe[2] = { -1, -1 };


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

bool loop_stopping(void)
{
	return got_term;
}

static void drain_wake_pipe(void)
{
	char b[64];
	while (read(wake_pipe[0], b, sizeof(b)) > 0)
		;
}

/* The scheduling clock: real time, or --now advancing with real time. */
time_t loop_now(const struct loop *lp)
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
