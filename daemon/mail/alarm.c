/* alarm.c — the mailbox-unreadable alarm: state in SPOOL/state/alarm,
 * mails to operators and coordinators through the outbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/alarm.h"
#include "compose.h"
#include "intaked/json.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define STATE_MAX 8192

enum alarm_mail { MAIL_ALARM, MAIL_REMINDER, MAIL_CLEAR };

#define STATE_FILE "alarm"

static void set_reason(struct alarm_state *st, const char *reason)
{
	size_t i = 0;
	for (; reason != NULL && reason[i] != '\0' && i + 1 < sizeof(st->reason); i++)
		st->reason[i] = reason[i] >= 0x20 && reason[i] < 0x7f ? reason[i] : '?';
	st->reason[i] = '\0';
}

/* ------------------------------------------------------------- state */

int alarm_state_load(const struct spool *sp, struct alarm_state *st, struct err *err)
{
	char *data = NULL;
	size_t len;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	int got = spool_area_read(sp, SPOOL_STATE, STATE_FILE, STATE_MAX, &data, &len, err);
	if (got != 0) {
		rc = got < 0 ? -1 : 0;
		goto out;
	}
	/* A wrong value reads as missing (JR_LENIENT): the alarm goes on. */
	struct jread rd;
	if (jr_load(&rd, data, len, STATE_MAX, JR_OBJECT | JR_LENIENT) < 0) {
		char *path = spool_area_shown(sp, SPOOL_STATE, STATE_FILE);
		err_set(err, ERR_TEMP, "%s: not a JSON object (%s)", path, rd.error);
		free(path);
		rc = -1;
		goto out;
	}
	struct jval obj = jr_root(&rd);
	st->first_failure = jr_time(&obj, "first_failure");
	st->last_failure = jr_time(&obj, "last_failure");
	st->raised_at = jr_time(&obj, "alarm_sent_at");
	st->reminded_at = jr_time(&obj, "reminded_at");
	st->token_rejected = jr_bool(&obj, "token_rejected", false);
	st->command_rejected = jr_bool(&obj, "command_rejected", false);
	set_reason(st, jr_strref(&obj, "reason"));
	jr_close(&rd);
out:
	free(data);
	return rc;
}

static int state_save(const struct spool *sp, const struct alarm_state *st, struct err *err)
{
	jnode *obj = jn_object();
	/* never-happened times are left out */
	if (st->first_failure != 0)
		jn_set_time(obj, "first_failure", st->first_failure);
	if (st->last_failure != 0)
		jn_set_time(obj, "last_failure", st->last_failure);
	if (st->raised_at != 0)
		jn_set_time(obj, "alarm_sent_at", st->raised_at);
	if (st->reminded_at != 0)
		jn_set_time(obj, "reminded_at", st->reminded_at);
	jn_set_bool(obj, "token_rejected", st->token_rejected);
	if (st->command_rejected)
		jn_set_bool(obj, "command_rejected", true);
	jn_set_str(obj, "reason", st->reason);
	char *text = jn_dump(obj, JN_INDENT2);
	jn_free(obj);
	size_t n = strlen(text);
	char *data = xasprintf("%s\n", text);
	int rc = spool_area_replace(sp, SPOOL_STATE, STATE_FILE, data, n + 1, 0640, err);
	free(data);
	free(text);
	return rc;
}

static int state_clear(const struct spool *sp, struct err *err)
{
	return spool_area_remove(sp, SPOOL_STATE, STATE_FILE, err);
}

/* -------------------------------------------------------------- mail */

/* Operators first, then every call's coordinators; each address once. */
static void add_all(struct strlist *to, const struct strlist *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (!strlist_contains_ci(to, from->v[i]))
			strlist_push(to, from->v[i]);
}

static void recipients(const struct config *cfg, struct strlist *to)
{
	add_all(to, &cfg->smtp.operators);
	for (size_t i = 0; i < cfg->ncalls; i++)
		add_all(to, &cfg->calls[i].coordinators);
}

static long minutes_between(time_t a, time_t b)
{
	return b > a ? (long)((b - a) / 60) : 0;
}

static char *mail_subject(const struct config *cfg, enum alarm_mail kind)
{
	const char *user = cfg->mailbox.user ? cfg->mailbox.user : "(no user)";
	switch (kind) {
	case MAIL_ALARM:
		return xasprintf("[intaked] ALARM: cannot read the intake mailbox %s", user);
	case MAIL_REMINDER:
		return xasprintf("[intaked] STILL FAILING: cannot read the intake mailbox %s", user);
	default:
		return xasprintf("[intaked] Resolved: the intake mailbox %s is read again", user);
	}
}

static char *mail_body(const struct config *cfg, const struct alarm_state *st,
		       enum alarm_mail kind, time_t now)
{
	char since[32], at[32];
	struct buf b;
	tztime_format_utc(st->first_failure, since, sizeof(since));
	tztime_format_utc(now, at, sizeof(at));
	buf_init(&b, 16384);
	if (kind == MAIL_CLEAR) {
		buf_printf(&b, "intaked reads the intake mailbox again (%s).\n\n"
			   "It could not be read from %s for %ld minutes. Mail that arrived in\n"
			   "the meantime waited on the server and is being filed and\n"
			   "acknowledged now.\n", at, since, minutes_between(st->first_failure, now));
	} else {
		buf_printf(&b, "intaked has not been able to read the intake mailbox since %s\n"
			   "(%ld minutes).\n\n", since, minutes_between(st->first_failure, now));
		buf_printf(&b, "Mailbox: %s (user %s)\nError:   %s\n\n", cfg->mailbox.url,
			   cfg->mailbox.user ? cfg->mailbox.user : "-", st->reason);
		if (st->token_rejected && cfg->mailbox.oauth.grant == GRANT_CLIENT_CREDENTIALS)
			buf_puts(&b, "The OAuth token endpoint rejected the application's own\n"
				 "credentials (client secret or certificate expired or revoked, or\n"
				 "its permissions withdrawn). Someone must renew them in the app\n"
				 "registration and in intaked.conf.\n\n");
		else if (st->token_rejected)
			buf_printf(&b, "The OAuth token endpoint rejected the refresh token (it expired\n"
				   "or was revoked). Someone must sign in to the mailbox account again\n"
				   "and write the new refresh token to %s\n"
				   "(intakectl oauth login does both).\n\n",
				   cfg->mailbox.oauth.refresh_token_file
					   ? cfg->mailbox.oauth.refresh_token_file : "refresh_token_file");
		if (st->command_rejected)
			buf_puts(&b, "The server rejected a command of intaked as malformed (IMAP BAD;\n"
				 "its words are the error above). Retrying will not change that: it\n"
				 "is a bug in intaked or an incompatibility with this server. Please\n"
				 "report it with the error; intaked keeps trying every few minutes.\n\n");
		buf_puts(&b, "Until this is fixed, submissions are neither filed nor acknowledged.\n"
			 "Nothing is lost: the messages wait on the server and will be filed as\n"
			 "soon as intaked can read the mailbox again.\n\n");
		buf_puts(&b, kind == MAIL_ALARM
			 ? "This alarm is sent once, then a reminder every 24 hours while the\n"
			   "problem lasts, and a note when it is over. See `intakectl status`.\n"
			 : "This is the daily reminder. See `intakectl status`.\n");
	}
	return buf_steal(&b);
}

/* One mail per recipient, each queued in the outbox. */
static int queue_mail(const struct config *cfg, const struct spool *sp,
		      const struct alarm_state *st, enum alarm_mail kind, time_t now,
		      struct err *err)
{
	struct strlist to = { 0 };
	char *subject = mail_subject(cfg, kind), *body = mail_body(cfg, st, kind, now);
	int rc = 0;
	static const char *const names[] = { "alarm", "alarm-reminder", "alarm-clear" };

	recipients(cfg, &to);
	if (to.n == 0)
		log_warnx("event=alarm-no-recipients note=\"set [smtp] operators\"");
	for (size_t i = 0; i < to.n && rc == 0; i++) {
		struct compose_mail m = {
			.from = cfg->smtp.from, .to = to.v[i], .subject = subject, .body = body,
			.auto_submitted = "auto-generated", .date = now,
		};
		char *msgid = NULL;
		size_t len;
		char *msg = compose_message(&m, &msgid, &len);
		if (msg == NULL) {
			log_warnx("event=alarm-skipped to=%s reason=\"no usable address\"",
				  log_q(to.v[i]));
			continue;
		}
		rc = outbox_queue(sp, "alarm", NULL, cfg->smtp.from_addr, to.v[i], msgid, msg, len,
				  now, NULL, err);
		free(msg);
		free(msgid);
	}
	if (rc == 0) {
		char since[32];
		tztime_format_utc(st->first_failure, since, sizeof(since));
		if (kind == MAIL_CLEAR)
			log_info("event=%s recipients=%zu since=%s", names[kind], to.n, since);
		else
			log_warnx("event=%s recipients=%zu since=%s reason=%s", names[kind], to.n,
				  since, log_q(st->reason));
	}
	strlist_free(&to);
	free(subject);
	free(body);
	return rc;
}

/* --------------------------------------------------------------- API */

/* Record a failure at now; the alarm goes out at once when urgent (a
 * cause no waiting cures), else after alarm_after. */
static int record_failure(const struct config *cfg, const struct spool *sp, time_t now,
			  bool token_rejected, bool command_rejected, const char *reason,
			  struct err *err)
{
	struct alarm_state st;
	struct err lerr = { 0 };
	int due = -1; /* an enum alarm_mail, or none */

	if (alarm_state_load(sp, &st, &lerr) < 0)
		log_warnx("event=alarm-state-damaged error=%s note=\"starting afresh\"",
			  log_q(lerr.msg));
	if (st.first_failure == 0 || st.first_failure > now)
		st.first_failure = now;
	st.last_failure = now;
	st.token_rejected = st.token_rejected || token_rejected;
	st.command_rejected = command_rejected;
	set_reason(&st, reason);
	if (st.raised_at == 0) {
		if (st.token_rejected || st.command_rejected ||
		    now - st.first_failure >= cfg->mailbox.alarm_after)
			due = MAIL_ALARM;
	} else if (now - (st.reminded_at ? st.reminded_at : st.raised_at) >= ALARM_REMIND_EVERY) {
		due = MAIL_REMINDER;
	}
	if (due >= 0 && queue_mail(cfg, sp, &st, (enum alarm_mail)due, now, err) < 0)
		return -1;
	if (due == MAIL_ALARM)
		st.raised_at = now;
	else if (due == MAIL_REMINDER)
		st.reminded_at = now;
	if (state_save(sp, &st, err) < 0)
		return -1;
	return due >= 0;
}

int alarm_failure(const struct config *cfg, const struct spool *sp, time_t now,
		  bool token_rejected, const char *reason, struct err *err)
{
	return record_failure(cfg, sp, now, token_rejected, false, reason, err);
}

int alarm_failure_rejected(const struct config *cfg, const struct spool *sp, time_t now,
			   const char *reason, struct err *err)
{
	return record_failure(cfg, sp, now, false, true, reason, err);
}

int alarm_success(const struct config *cfg, const struct spool *sp, time_t now,
		  struct err *err)
{
	struct alarm_state st;
	if (!spool_area_has(sp, SPOOL_STATE, STATE_FILE))
		return 0;
	if (alarm_state_load(sp, &st, err) < 0)
		return state_clear(sp, err) < 0 ? -1 : 0;
	int sent = 0;
	if (st.raised_at != 0) {
		if (queue_mail(cfg, sp, &st, MAIL_CLEAR, now, err) < 0)
			return -1;
		sent = 1;
	}
	char since[32];
	tztime_format_utc(st.first_failure, since, sizeof(since));
	log_info("event=mailbox-recovered since=%s minutes=%ld", since,
		 minutes_between(st.first_failure, now));
	return state_clear(sp, err) < 0 ? -1 : sent;
}

void alarm_describe(const struct alarm_state *st, char *out, size_t size)
{
	char since[32], sent[32];
	if (size == 0)
		return;
	out[0] = '\0';
	if (st->first_failure == 0)
		return;
	tztime_format_utc(st->first_failure, since, sizeof(since));
	tztime_format_utc(st->raised_at, sent, sizeof(sent));
	snprintf(out, size, "%s%s%smailbox unreadable since %s%s: %s",
		 st->raised_at ? "ALARM sent " : "", st->raised_at ? sent : "",
		 st->raised_at ? ": " : "", since,
		 st->token_rejected ? " (refresh token rejected)"
		 : st->command_rejected ? " (command rejected by the server)" : "", st->reason);
}
