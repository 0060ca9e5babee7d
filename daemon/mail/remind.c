/* remind.c — reminders before each cutoff (see remind.h for the rules).
 *
 * Every pass recomputes each member's due offset from the configuration in
 * force (deadline, extensions, offsets, roster), so a reload or an
 * extension moves whatever has not been sent; the journal
 * (SPOOL/state/reminders) only says what has been. One reminder is:
 * compose -> intent (fsynced) -> outbox_queue -> settle; schedstate.h
 * explains why a crash anywhere in that neither loses nor doubles it. */
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "intaked/fault.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/remind.h"
#include "intaked/roster.h"
#include "intaked/schedstate.h"
#include "schedtext.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define VALUE_MAX 200

/* ---- planning (pure) ---- */

int remind_due_index(const long *offsets, size_t n, time_t deadline, time_t opens, time_t now)
{
	if (now >= deadline || (opens != 0 && now < opens))
		return -1;
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		if (offsets[i] <= 0 || deadline - offsets[i] > now)
			continue;
		if (best < 0 || offsets[i] < offsets[best])
			best = (int)i;
	}
	return best;
}

time_t remind_next_instant(const long *offsets, size_t n, time_t deadline, time_t opens,
			   time_t now)
{
	time_t next = 0;
	for (size_t i = 0; i < n; i++) {
		if (offsets[i] <= 0)
			continue;
		time_t at = deadline - offsets[i];
		if (opens != 0 && at < opens)
			at = opens; /* held back until the call opens */
		if (at <= now || at >= deadline)
			continue;
		if (next == 0 || at < next)
			next = at;
	}
	return next;
}

void remind_offset_name(long offset, char *out, size_t n)
{
	static const struct { long secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (offset > 0 && offset % units[i].secs == 0) {
			snprintf(out, n, "%ld%c", offset / units[i].secs, units[i].unit);
			return;
		}
	snprintf(out, n, "%lds", offset);
}

/* ---- one call ---- */

struct member_state {
	time_t submitted;         /* latest verified version's receipt, 0: none */
};

struct run {
	const struct config *cfg;
	const struct spool *sp;
	const struct call_config *call;
	struct schedstate *st;
	time_t now;
	FILE *out;                /* remind_explain's */
	struct member_state *ms;  /* parallel to call->roster->members */
	char *subject_t, *body_t; /* templates, loaded on first use */
	int count;
};

static int note_submission(const char *relpath, const struct metadata *md, void *arg)
{
	struct run *r = arg;
	(void)relpath;
	if (!md->submitter.verified || md->submitter.slug == NULL)
		return 0;
	const struct roster *ro = r->call->roster;
	for (size_t i = 0; i < ro->n; i++)
		if (strcmp(ro->members[i].slug, md->submitter.slug) == 0) {
			if (md->received_at > r->ms[i].submitted)
				r->ms[i].submitted = md->received_at;
			break;
		}
	return 0;
}

static char *reminder_key(const struct call_config *c, const struct roster_member *m,
			  long offset, const char *rcpt)
{
	char name[24];
	remind_offset_name(offset, name, sizeof(name));
	const char *fields[] = { c->name, m->slug, name, rcpt };
	return schedstate_key(fields, 4);
}

/* The address missions write to: the call's first match_to, else ours. */
static const char *write_to(const struct config *cfg, const struct call_config *c)
{
	return c->match_to.n > 0 ? c->match_to.v[0] : cfg->smtp.from_addr;
}

static void reminder_vars(struct run *r, const struct roster_member *m, time_t deadline,
			  struct schedtext *t)
{
	const struct call_config *c = r->call;
	size_t idx = (size_t)(m - c->roster->members);
	schedtext_take(t, "call_title", schedtext_line(c->title ? c->title : c->name, VALUE_MAX));
	schedtext_take(t, "call", xstrdup(c->name));
	schedtext_time(t, "deadline_local", "deadline_utc", deadline, c->zone);
	schedtext_take(t, "submitter", schedtext_line(m->name, VALUE_MAX));
	schedtext_take(t, "address", schedtext_line(write_to(r->cfg, c), VALUE_MAX));
	if (c->word_limit > 0) {
		schedtext_printf(t, "word_limit", "%ld", c->word_limit);
		schedtext_take(t, "limit", schedtext_builtin(t, "reminder_limit"));
	} else {
		schedtext_take(t, "word_limit", xstrdup(template_builtin("no_limit", t->lang)));
		schedtext_take(t, "limit", schedtext_builtin(t, "reminder_no_limit"));
	}
	time_t got = r->ms[idx].submitted;
	if (got != 0)
		schedtext_time(t, "received_local", "received_utc", got, c->zone);
	schedtext_take(t, "status", schedtext_builtin(t, got ? "reminder_status_received"
							     : "reminder_status_missing"));
}

static char *reminder_build(struct run *r, const struct roster_member *m, time_t deadline,
			    const char *rcpt, char **msgid_r, size_t *len_r, struct err *err)
{
	const struct call_config *c = r->call;
	if (r->subject_t == NULL &&
	    schedtext_load(c->reminder_template, c->language, "reminder_subject", "reminder",
			   &r->subject_t, &r->body_t, err) < 0)
		return NULL;
	struct schedtext t;
	schedtext_init(&t, c->language);
	reminder_vars(r, m, deadline, &t);
	char *subject = schedtext_render(&t, r->subject_t);
	char *body = schedtext_render(&t, r->body_t);
	struct compose_mail mail = {
		.from = r->cfg->smtp.from, .to = rcpt, .subject = subject, .body = body,
		.auto_submitted = "auto-generated", .language = c->language, .date = r->now,
	};
	char *msg = compose_message(&mail, msgid_r, len_r);
	if (msg == NULL)
		err_set(err, ERR_MESSAGE, "reminder to %s: unusable address", rcpt);
	free(subject);
	free(body);
	schedtext_free(&t);
	return msg;
}

/* Record, queue, settle: one reminder. */
static int reminder_send(struct run *r, const struct roster_member *m, long offset,
			 time_t deadline, const char *rcpt, struct err *err)
{
	char *msgid = NULL, *oid = NULL, *key = reminder_key(r->call, m, offset, rcpt);
	char *ref = xasprintf("calls/%s/%s", r->call->name, m->slug);
	size_t len = 0;
	int rc = -1;
	char *msg = reminder_build(r, m, deadline, rcpt, &msgid, &len, err);
	if (msg == NULL)
		goto out;
	if (schedstate_intend(r->st, key, r->now, deadline, msgid, err) < 0)
		goto out;
	fault_point("reminder-recorded");
	if (outbox_queue(r->sp, "reminder", ref, r->cfg->smtp.from_addr, rcpt, msgid, msg, len,
			 r->now, &oid, err) < 0) {
		struct err e2 = { 0 };
		if (schedstate_settle(r->st, msgid, false, NULL, &e2) < 0)
			log_warnx("event=reminder-unrecord-failed error=%s", log_q(e2.msg));
		goto out;
	}
	fault_point("reminder-queued");
	if (schedstate_settle(r->st, msgid, true, oid, err) < 0)
		log_warnx("event=reminder-settle-failed error=%s", log_q(err->msg));
	char name[24];
	remind_offset_name(offset, name, sizeof(name));
	log_info("event=reminder-queued call=%s member=%s to=%s offset=%s outbox=%s",
		 r->call->name, m->slug, log_q(rcpt), name, oid);
	r->count++;
	rc = 0;
out:
	free(msg);
	free(msgid);
	free(oid);
	free(key);
	free(ref);
	return rc;
}

/* The offset due for m now whose addresses are not all recorded, or -1. */
static int member_due(const struct run *r, const struct roster_member *m, time_t *deadline_r)
{
	const struct call_config *c = r->call;
	time_t deadline = config_deadline_for(c, m->name);
	int i = remind_due_index(c->reminders, c->n_reminders, deadline,
				 c->has_opens ? c->opens : 0, r->now);
	if (i < 0)
		return -1;
	*deadline_r = deadline;
	if (m->addresses.n == 0)
		return -1; /* nobody to write to: remind_log_unreachable said so */
	for (size_t k = 0; k < m->addresses.n; k++) {
		char *key = reminder_key(c, m, c->reminders[i], m->addresses.v[k]);
		bool sent = schedstate_find(r->st, key) != NULL;
		free(key);
		if (!sent)
			return i;
	}
	return -1;
}

static int remind_call(struct run *r, struct err *err)
{
	const struct call_config *c = r->call;
	const struct roster *ro = c->roster;
	if (c->n_reminders == 0 || ro == NULL || ro->n == 0)
		return 0;
	/* Most passes have nothing due: decide that before reading the spool. */
	bool any = false;
	for (size_t i = 0; i < ro->n && !any; i++) {
		time_t d;
		any = member_due(r, &ro->members[i], &d) >= 0;
	}
	if (!any)
		return 0;
	r->ms = xcalloc(ro->n, sizeof(*r->ms));
	int rc = spool_each_submission(r->sp, c->name, note_submission, r, err);
	for (size_t i = 0; rc == 0 && i < ro->n; i++) {
		const struct roster_member *m = &ro->members[i];
		time_t deadline;
		int due = member_due(r, m, &deadline);
		if (due < 0 || (c->remind == REMIND_MISSING && r->ms[i].submitted != 0))
			continue;
		for (size_t k = 0; rc == 0 && k < m->addresses.n; k++) {
			const char *rcpt = m->addresses.v[k];
			char *key = reminder_key(c, m, c->reminders[due], rcpt);
			bool sent = schedstate_find(r->st, key) != NULL;
			free(key);
			if (sent)
				continue;
			if (reminder_send(r, m, c->reminders[due], deadline, rcpt, err) < 0) {
				if (err->cls != ERR_MESSAGE)
					rc = -1; /* disk or template: stop, retry next pass */
				else
					log_warnx("event=reminder-failed call=%s member=%s error=%s",
						  c->name, m->slug, log_q(err->msg));
			}
		}
	}
	xfree(&r->ms);
	xfree(&r->subject_t);
	xfree(&r->body_t);
	return rc;
}

int remind_run(const struct config *cfg, const struct spool *sp,
	       const struct call_config *call, time_t now, struct err *err)
{
	struct run r = { .cfg = cfg, .sp = sp, .now = now };
	bool any = false; /* most setups have no reminders: no journal to open */
	for (size_t i = 0; i < (call ? 1 : cfg->ncalls) && !any; i++)
		any = (call ? call : &cfg->calls[i])->n_reminders > 0;
	if (!any)
		return 0;
	if (schedstate_open(sp, "reminders", &r.st, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < (call ? 1 : cfg->ncalls) && rc == 0; i++) {
		r.call = call ? call : &cfg->calls[i];
		rc = remind_call(&r, err);
	}
	schedstate_close(&r.st);
	return rc < 0 ? -1 : r.count;
}

/* ---- why (not) ---- */

/* What a reminder pass would do for m now, in words: "would remind
 * ADDRESS (7d before ...)" lines, or one "not reminded: ..." line. */
static void explain_member(struct run *r, const struct roster_member *m, size_t idx)
{
	const struct call_config *c = r->call;
	time_t deadline = config_deadline_for(c, m->name);
	time_t opens = c->has_opens ? c->opens : 0;
	char local[96], name[24];
	tztime_format_local(deadline, c->zone, local, sizeof(local));
	int due = remind_due_index(c->reminders, c->n_reminders, deadline, opens, r->now);
	const char *why = NULL;
	char text[160];
	if (c->remind == REMIND_MISSING && r->ms[idx].submitted != 0)
		why = "has submitted";
	else if (r->now >= deadline)
		snprintf(text, sizeof(text), "the deadline (%s) has passed", local), why = text;
	else if (m->addresses.n == 0)
		why = "no full address in the roster (a domain only)";
	else if (due < 0) {
		time_t at = remind_next_instant(c->reminders, c->n_reminders, deadline, opens, r->now);
		char when[96];
		tztime_format_local(at, c->zone, when, sizeof(when));
		if (at != 0)
			snprintf(text, sizeof(text), "not due yet: next reminder %s", when), why = text;
		else
			why = "no reminder left before the deadline";
	}
	if (why != NULL) {
		fprintf(r->out, "%-20s not reminded: %s\n", m->name, why);
		return;
	}
	remind_offset_name(c->reminders[due], name, sizeof(name));
	for (size_t k = 0; k < m->addresses.n; k++) {
		char *key = reminder_key(c, m, c->reminders[due], m->addresses.v[k]);
		bool sent = schedstate_find(r->st, key) != NULL;
		free(key);
		if (sent) {
			fprintf(r->out, "%-20s %s: the %s reminder was sent\n", m->name,
				m->addresses.v[k], name);
			continue;
		}
		fprintf(r->out, "%-20s %s: would be reminded (%s before %s)\n", m->name,
			m->addresses.v[k], name, local);
		r->count++;
	}
}

int remind_explain(const struct config *cfg, const struct spool *sp,
		   const struct call_config *call, time_t now, FILE *out, struct err *err)
{
	struct run r = { .cfg = cfg, .sp = sp, .call = call, .now = now, .out = out };
	if (call->n_reminders == 0) {
		fprintf(out, "%s has no reminders configured (reminders = 7d, 1d, ...)\n", call->name);
		return 0;
	}
	if (call->roster == NULL || call->roster->n == 0) {
		fprintf(out, "%s has no roster: nobody to remind\n", call->name);
		return 0;
	}
	if (schedstate_open(sp, "reminders", &r.st, err) < 0)
		return -1;
	r.ms = xcalloc(call->roster->n, sizeof(*r.ms));
	int rc = spool_each_submission(sp, call->name, note_submission, &r, err);
	for (size_t i = 0; rc == 0 && i < call->roster->n; i++)
		explain_member(&r, &call->roster->members[i], i);
	xfree(&r.ms);
	schedstate_close(&r.st);
	return rc < 0 ? -1 : r.count;
}

void remind_log_unreachable(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->ncalls; i++) {
		const struct call_config *c = &cfg->calls[i];
		if (c->n_reminders == 0 || c->roster == NULL)
			continue;
		struct buf names;
		buf_init(&names, 4096);
		for (size_t k = 0; k < c->roster->n; k++)
			if (c->roster->members[k].addresses.n == 0)
				buf_printf(&names, "%s%s", names.len ? ", " : "", c->roster->members[k].name);
		if (names.len > 0)
			log_warnx("event=cannot-remind call=%s members=%s reason=no-full-address",
				  c->name, log_q(names.data));
		buf_free(&names);
	}
}

time_t remind_next_due(const struct config *cfg, const struct spool *sp, time_t now)
{
	(void)sp;
	time_t next = 0;
	for (size_t i = 0; i < cfg->ncalls; i++) {
		const struct call_config *c = &cfg->calls[i];
		if (c->n_reminders == 0 || c->roster == NULL)
			continue;
		time_t opens = c->has_opens ? c->opens : 0;
		for (size_t k = 0; k < c->roster->n; k++) {
			const struct roster_member *m = &c->roster->members[k];
			if (m->addresses.n == 0)
				continue;
			time_t at = remind_next_instant(c->reminders, c->n_reminders,
							config_deadline_for(c, m->name), opens, now);
			if (at != 0 && (next == 0 || at < next))
				next = at;
		}
	}
	return next;
}
