/* loop.c — fetch, file, flush, wait; over and over, or once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/fault.h"
#include "intaked/imap.h"
#include "intaked/intake.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "intaked/loop.h"
#include "intaked/notify.h"
#include "intaked/outbox.h"
#include "intaked/ratelimit.h"
#include "intaked/spool.h"

#define EX_TEMPFAIL 75
#define BACKOFF_MIN 2
#define BACKOFF_MAX 300

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
	long backoff;             /* seconds before the next reconnect */
	time_t next_connect;
	long watchdog_half;       /* seconds; 0 without a systemd watchdog */
	unsigned filed;           /* messages filed since start */
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
static void loop_schedule_reconnect(struct loop *lp)
{
	long jitter;
	lp->backoff = lp->backoff ? lp->backoff * 2 : BACKOFF_MIN;
	if (lp->backoff > BACKOFF_MAX)
		lp->backoff = BACKOFF_MAX;
	jitter = lp->backoff / 4 ? random() % (lp->backoff / 4 + 1) : 0;
	lp->next_connect = time(NULL) + lp->backoff + jitter;
}

static int loop_message(struct loop *lp, const char *folder, uint32_t uidvalidity,
			uint32_t uid, struct err *err)
{
	const struct config *cfg = lp->cfg;
	if (!intake_seen_uid(lp->intake, folder, uidvalidity, uid)) {
		struct imap_message m = { 0 };
		size_t cap = cfg->limits.max_message_size * 2;
		if (imap_fetch(lp->imap, uid, cap, &m, err) < 0)
			return -1;
		int rc = intake_message(lp->intake, folder, uidvalidity, &m, loop_now(lp), err);
		imap_message_clear(&m);
		if (rc < 0)
			return -1;
		lp->filed++;
	}
	notify_watchdog();
	/* Only now is the message on disk: it may be marked on the server. */
	fault_point("before-mark");
	return imap_mark_filed(lp->imap, uid, &cfg->mailbox, err);
}

static int loop_folder(struct loop *lp, const char *folder, struct err *err)
{
	uint32_t uidvalidity, *uids = NULL;
	size_t n = 0;
	int rc = 0;

	if (imap_select(lp->imap, folder, &uidvalidity, err) < 0 ||
	    imap_search_pending(lp->imap, &uids, &n, err) < 0)
		return -1;
	if (n > 0)
		log_info("event=pending folder=%s uidvalidity=%u count=%zu", log_q(folder),
			 uidvalidity, n);
	for (size_t i = 0; i < n && !got_term; i++) {
		if (loop_message(lp, folder, uidvalidity, uids[i], err) == 0)
			continue;
		if (err->cls == ERR_MESSAGE) {
			/* One message only (vanished, too large to fetch): it stays
			 * on the server; the others go on. */
			log_warnx("event=message-skipped folder=%s uid=%u error=%s",
				  log_q(folder), uids[i], log_q(err->msg));
			continue;
		}
		rc = -1;
		break;
	}
	free(uids);
	return rc;
}

/* One pass over every folder. Returns 0, or -1 when the server could not be
 * used (the session is dropped and a reconnect scheduled). */
static int loop_fetch(struct loop *lp)
{
	const struct mailbox_config *mc = &lp->cfg->mailbox;
	struct err err = { 0 };

	if (lp->imap == NULL) {
		if (time(NULL) < lp->next_connect)
			return -1;
		if (imap_open(mc, NULL, &lp->imap, &err) < 0)
			goto fail;
		log_info("event=imap-connected host=%s user=%s", mc->host, log_q(mc->user));
	}
	for (size_t i = 0; i < mc->folders.n && !got_term; i++)
		if (loop_folder(lp, mc->folders.v[i], &err) < 0)
			goto fail;
	lp->backoff = 0;
	return 0;
fail:
	loop_disconnect(lp);
	loop_schedule_reconnect(lp);
	log_warnx("event=imap-failed host=%s class=%s error=%s retry_in=%lds", mc->host,
		  err_class_name(err.cls), log_q(err.msg), (long)(lp->next_connect - time(NULL)));
	return -1;
}

static int loop_flush_outbox(struct loop *lp)
{
	struct outbox_stats st = { 0 };
	struct err err = { 0 };
	int rc = outbox_flush(lp->sp, &lp->cfg->smtp, NULL, loop_now(lp), intake_record_delivery,
			      lp->sp, &st, &err);
	if (rc < 0)
		log_warnx("event=smtp-failed class=%s error=%s queued=%u", err_class_name(err.cls),
			  log_q(err.msg), st.queued);
	else if (st.sent || st.failed || st.deferred)
		log_info("event=outbox-flushed sent=%u deferred=%u failed=%u queued=%u", st.sent,
			 st.deferred, st.failed, st.queued);
	return rc;
}

static int loop_open_state(struct loop *lp, struct err *err)
{
	if (spool_open(lp->cfg->spool_dir, &lp->sp, err) < 0 ||
	    spool_lock(lp->sp, err) < 0 ||
	    ledger_open(lp->sp, &lp->ledger, err) < 0 ||
	    ratelimit_open(lp->sp, &lp->rl, err) < 0)
		return -1;
	lp->intake = intake_new(lp->cfg, lp->sp, lp->ledger, lp->rl);
	return 0;
}

static void loop_close_state(struct loop *lp)
{
	loop_disconnect(lp);
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
	intake_free(&lp->intake);
	config_free(&lp->cfg);
	lp->cfg = fresh;
	lp->intake = intake_new(lp->cfg, lp->sp, lp->ledger, lp->rl);
	lp->next_connect = 0;
	lp->backoff = 0;
	log_info("event=reloaded calls=%zu", lp->cfg->ncalls);
	notify_ready();
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
	if (lp->imap == NULL) {
		long until = (long)(lp->next_connect - time(NULL));
		if (until < wait)
			wait = until < 1 ? 1 : until;
		struct pollfd pfd = { .fd = wake_pipe[0], .events = POLLIN };
		poll(&pfd, 1, (int)(wait * 1000));
	} else if (imap_wait(lp->imap, wait, wake_pipe[0], &err) < 0) {
		log_warnx("event=imap-wait-failed error=%s", log_q(err.msg));
		loop_disconnect(lp);
	}
	drain_wake_pipe();
	notify_watchdog();
}

static void loop_report_status(struct loop *lp, int fetch_rc, int smtp_rc)
{
	struct outbox_stats st = { 0 };
	struct err err = { 0 };
	outbox_stat(lp->sp, &st, &err);
	notify_status("%s; filed %u since start; outbox %u queued, %u failed%s",
		      fetch_rc == 0 ? "mailbox ok" : "mailbox unreachable", lp->filed,
		      st.queued, st.failed, smtp_rc == 0 ? "" : "; smtp unreachable");
}

int loop_run(struct config **cfg, const struct loop_options *opt)
{
	struct loop lp = { .cfg = *cfg, .opt = opt, .started = time(NULL) };
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
	notify_ready();
	for (;;) {
		int fetch_rc = loop_fetch(&lp);
		int smtp_rc = loop_flush_outbox(&lp);
		loop_report_status(&lp, fetch_rc, smtp_rc);
		if (opt->once) {
			status = fetch_rc < 0 || smtp_rc < 0 ? EX_TEMPFAIL : 0;
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
	log_info("event=stopping status=%d", status);
out:
	loop_close_state(&lp);
	config_free(&lp.cfg);
	return status;
}
