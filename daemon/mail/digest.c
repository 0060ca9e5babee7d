/* digest.c — the daily digest for each call's coordinators (see digest.h
 * for the rules). Each pass asks, per call: which local day's slot has
 * come (digest_slot), which coordinators have no record for that day, and
 * whether the day wants a digest at all (digest_wanted); the digest is
 * then built once from the spool and queued per coordinator through the
 * journal SPOOL/state/digests (intent -> outbox_queue -> settle, as the
 * reminders). */
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "intaked/digest.h"
#include "digest_impl.h"
#include "intaked/fault.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/schedstate.h"
#include "schedtext.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define VALUE_MAX    200
#define NOON         (12 * 60)

/* ---- planning (pure) ---- */

static void local_date(time_t t, const char *zone, char out[11])
{
	struct tm tm;
	tztime_local(t, zone, &tm);
	if (strftime(out, 11, "%Y-%m-%d", &tm) == 0)
		memcpy(out, "0000-00-00", 11);
}

/* Noon is never in a DST gap and is 11 to 13 hours from either midnight,
 * so noon +/- 24 h is on the next/previous local day. */
static time_t day_shift(time_t t, const char *zone, int days)
{
	return tztime_at_local_minute(t, zone, NOON) + (time_t)days * 86400;
}

time_t digest_slot(time_t now, const char *zone, int minute, char date_r[11])
{
	time_t slot = tztime_at_local_minute(now, zone, minute);
	if (slot > now)
		slot = tztime_at_local_minute(day_shift(now, zone, -1), zone, minute);
	local_date(slot, zone, date_r);
	return slot;
}

time_t digest_next_slot(time_t now, const char *zone, int minute)
{
	time_t slot = tztime_at_local_minute(now, zone, minute);
	if (slot <= now)
		slot = tztime_at_local_minute(day_shift(now, zone, 1), zone, minute);
	return slot;
}

static time_t latest_deadline(const struct call_config *call)
{
	time_t d = call->deadline;
	for (size_t i = 0; i < call->n_extensions; i++)
		if (call->extensions[i].deadline > d)
			d = call->extensions[i].deadline;
	return d;
}

bool digest_wanted(const struct call_config *call, time_t slot, time_t now, time_t last,
		   bool news)
{
	char slot_day[11], today[11];
	local_date(slot, call->zone, slot_day);
	local_date(now, call->zone, today);
	if (last == 0 && strcmp(slot_day, today) != 0)
		return false;
	if (news)
		return true;
	if (call->has_opens && slot < call->opens)
		return false;
	time_t end = latest_deadline(call) + call->grace;
	time_t final = digest_next_slot(end - 1, call->zone, call->digest_minute);
	return last < final;
}

/* ---- what the journal says ---- */

static char *digest_key(const char *call, const char *day, const char *rcpt)
{
	const char *fields[] = { call, day, rcpt };
	return schedstate_key(fields, 3);
}

struct since_scan {
	char *prefix;             /* escaped "CALL\t" */
	size_t plen;
	const char *skip_day;     /* records of this day do not count, or NULL */
	time_t since;
};

static int since_visit(const struct schedstate_rec *r, void *arg)
{
	struct since_scan *s = arg;
	if (strncmp(r->key, s->prefix, s->plen) != 0)
		return 0;
	const char *day = r->key + s->plen;
	size_t dlen = strcspn(day, "\t");
	if (s->skip_day != NULL && dlen == strlen(s->skip_day) &&
	    strncmp(day, s->skip_day, dlen) == 0)
		return 0;
	if (r->when > s->since)
		s->since = r->when;
	return 0;
}

/* When the last digest of call (other than skip_day's) was made, or 0. */
static time_t last_digest(const struct schedstate *st, const char *call, const char *skip_day)
{
	const char *fields[] = { call };
	char *k = schedstate_key(fields, 1);
	struct since_scan s = { .prefix = xasprintf("%s\t", k), .skip_day = skip_day };
	free(k);
	s.plen = strlen(s.prefix);
	schedstate_each(st, since_visit, &s);
	free(s.prefix);
	return s.since;
}

/* ---- building ---- */

static void digest_clear(struct digest *d)
{
	digest_rows_free(&d->rows);
	xfree(&d->subject);
	xfree(&d->body);
	xfree(&d->html);
	free(d->chart);
	d->chart = NULL;
	xfree(&d->csv);
	xfree(&d->csv_name);
}

/* Read the spool and render subject, body and CSV. */
static int digest_build(struct digest *d, struct err *err)
{
	const struct call_config *c = d->call;
	char *subject_t, *body_t;
	if (digest_rows_load(d->sp, c, &d->rows, err) < 0)
		return -1;
	if (schedtext_load(c->digest_template, d->lang, "digest_subject", "digest", &subject_t,
			   &body_t, err) < 0)
		return -1;
	struct schedtext t;
	schedtext_init(&t, d->lang);
	schedtext_take(&t, "call_title", schedtext_line(c->title ? c->title : c->name, VALUE_MAX));
	schedtext_take(&t, "call", xstrdup(c->name));
	schedtext_take(&t, "date", xstrdup(d->day));
	schedtext_time(&t, "deadline_local", "deadline_utc", c->deadline, c->zone);
	schedtext_take(&t, "summary", digest_summary(d));
	d->subject = schedtext_render(&t, subject_t);
	d->body = schedtext_render(&t, body_t);
	d->chart = digest_chart_png(d, &d->chart_len);
	char *deadline = digest_deadline_text(d);
	d->html = digest_html(d, deadline);
	free(deadline);
	schedtext_free(&t);
	free(subject_t);
	free(body_t);
	d->csv = digest_rows_csv(&d->rows, c->zone, &d->csv_len);
	d->csv_name = xasprintf("%s-%s.csv", c->name, d->day);
	return 0;
}

/* ---- sending ---- */

static int digest_send_one(const struct digest *d, struct schedstate *st, const char *key,
			   const char *rcpt, struct err *err)
{
	struct compose_attachment att = {
		.filename = d->csv_name, .content_type = "text/csv; charset=utf-8",
		.data = d->csv, .len = d->csv_len,
	};
	struct compose_mail mail = {
		.from = d->cfg->smtp.from, .to = rcpt, .subject = d->subject, .body = d->body,
		.html = d->html, .html_png = d->chart, .html_png_len = d->chart_len,
		.html_png_cid = DIGEST_CHART_CID,
		.auto_submitted = "auto-generated", .language = d->lang, .attachments = &att,
		.nattachments = 1, .date = d->now,
	};
	char *msgid = NULL, *oid = NULL, *ref = xasprintf("calls/%s", d->call->name);
	size_t len;
	int rc = -1;
	char *msg = compose_message(&mail, &msgid, &len);
	if (msg == NULL) {
		err_set(err, ERR_MESSAGE, "digest to %s: unusable address", rcpt);
		goto out;
	}
	if (schedstate_intend(st, key, d->now, 0, msgid, err) < 0)
		goto out;
	fault_point("digest-recorded");
	if (outbox_queue(d->sp, "digest", ref, d->cfg->smtp.from_addr, rcpt, msgid, msg, len,
			 d->now, &oid, err) < 0) {
		struct err e2 = { 0 };
		if (schedstate_settle(st, msgid, false, NULL, &e2) < 0)
			log_warnx("event=digest-unrecord-failed error=%s", log_q(e2.msg));
		goto out;
	}
	fault_point("digest-queued");
	if (schedstate_settle(st, msgid, true, oid, err) < 0)
		log_warnx("event=digest-settle-failed error=%s", log_q(err->msg));
	log_info("event=digest-queued call=%s day=%s to=%s rows=%zu outbox=%s", d->call->name,
		 d->day, log_q(rcpt), d->rows.n, oid);
	rc = 0;
out:
	free(msg);
	free(msgid);
	free(oid);
	free(ref);
	return rc;
}

static void digest_print(const struct digest *d, FILE *out)
{
	if (out == NULL)
		return;
	fprintf(out, "Subject: %s\n\n%s\n[attachment %s: %zu rows, %zu bytes]\n", d->subject,
		d->body, d->csv_name, d->rows.n, d->csv_len);
}

/* Build and send (or print) one digest to rcpts (keys parallel). */
static int digest_deliver(struct digest *d, struct schedstate *st, const struct strlist *rcpts,
			  const struct strlist *keys, bool send, FILE *out, struct err *err)
{
	int rc = digest_build(d, err);
	if (rc == 0 && !send)
		digest_print(d, out);
	for (size_t i = 0; rc == 0 && send && i < rcpts->n; i++)
		if (digest_send_one(d, st, keys->v[i], rcpts->v[i], err) < 0) {
			if (err->cls != ERR_MESSAGE)
				rc = -1;
			else
				log_warnx("event=digest-failed call=%s to=%s error=%s",
					  d->call->name, log_q(rcpts->v[i]), log_q(err->msg));
		}
	return rc;
}

static bool has_news(const struct spool *sp, const struct call_config *c, time_t since)
{
	struct digest_rows rows;
	struct err e = { 0 };
	if (digest_rows_load(sp, c, &rows, &e) < 0)
		return true; /* cannot tell: say what we can rather than nothing */
	bool news = false;
	for (size_t i = 0; i < rows.n && !news; i++)
		news = rows.v[i].filed_at > since;
	digest_rows_free(&rows);
	return news;
}

static int digest_call(const struct config *cfg, const struct spool *sp,
		       const struct call_config *c, struct schedstate *st, time_t now, bool force,
		       bool send, FILE *out, struct err *err)
{
	struct digest d = { .cfg = cfg, .sp = sp, .call = c, .now = now,
			    .lang = c->language ? c->language : "en" };
	struct strlist rcpts = { 0 }, keys = { 0 };
	int rc = 0;
	if (force) {
		if (send && c->coordinators.n == 0) {
			err_set(err, ERR_CONFIG, "call %s has no coordinators", c->name);
			return -1;
		}
		local_date(now, c->zone, d.day);
		d.since = last_digest(st, c->name, NULL);
		char stamp[32], *tag;
		tztime_format_utc(now, stamp, sizeof(stamp));
		tag = xasprintf("manual-%s", stamp);
		for (size_t i = 0; i < c->coordinators.n; i++) {
			char *key = digest_key(c->name, tag, c->coordinators.v[i]);
			strlist_push(&rcpts, c->coordinators.v[i]);
			strlist_push(&keys, key);
			free(key);
		}
		free(tag);
	} else {
		if (c->digest_minute < 0 || c->coordinators.n == 0)
			return 0;
		time_t slot = digest_slot(now, c->zone, c->digest_minute, d.day);
		bool started = false;
		for (size_t i = 0; i < c->coordinators.n; i++) {
			char *key = digest_key(c->name, d.day, c->coordinators.v[i]);
			if (schedstate_find(st, key) != NULL) {
				started = true;
			} else {
				strlist_push(&rcpts, c->coordinators.v[i]);
				strlist_push(&keys, key);
			}
			free(key);
		}
		d.since = last_digest(st, c->name, d.day);
		/* The spool is read for news only when news would decide. */
		if (rcpts.n == 0 ||
		    (!started && (!digest_wanted(c, slot, now, d.since, true) ||
				  (!digest_wanted(c, slot, now, d.since, false) &&
				   !has_news(sp, c, d.since))))) {
			strlist_free(&rcpts);
			strlist_free(&keys);
			return 0;
		}
	}
	rc = digest_deliver(&d, st, &rcpts, &keys, send, out, err);
	digest_clear(&d);
	strlist_free(&rcpts);
	strlist_free(&keys);
	return rc < 0 ? -1 : 1;
}

int digest_run(const struct config *cfg, const struct spool *sp,
	       const struct call_config *call, time_t now, bool force, bool send,
	       FILE *out, struct err *err)
{
	struct schedstate *st;
	bool any = force; /* most passes of most setups: no journal to open */
	for (size_t i = 0; i < (call ? 1 : cfg->ncalls) && !any; i++) {
		const struct call_config *c = call ? call : &cfg->calls[i];
		any = c->digest_minute >= 0 && c->coordinators.n > 0;
	}
	if (!any)
		return 0;
	if (schedstate_open(sp, "digests", &st, err) < 0)
		return -1;
	int count = 0, rc = 0;
	for (size_t i = 0; i < (call ? 1 : cfg->ncalls) && rc >= 0; i++) {
		rc = digest_call(cfg, sp, call ? call : &cfg->calls[i], st, now, force, send, out,
				 err);
		count += rc > 0;
	}
	schedstate_close(&st);
	return rc < 0 ? -1 : count;
}

time_t digest_next_due(const struct config *cfg, const struct spool *sp, time_t now)
{
	(void)sp;
	time_t next = 0;
	for (size_t i = 0; i < cfg->ncalls; i++) {
		const struct call_config *c = &cfg->calls[i];
		if (c->digest_minute < 0 || c->coordinators.n == 0)
			continue;
		time_t at = digest_next_slot(now, c->zone, c->digest_minute);
		if (next == 0 || at < next)
			next = at;
	}
	return next;
}
