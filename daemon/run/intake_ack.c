/* intake_ack.c — a message's acknowledgement, decided so that a crash
 * changes nobody's receipts (issue 14):
 *
 *  - it is the outbox item "ack-ID": a daemon killed after queueing (or
 *    sending) it but before filing the message finds it when the message
 *    comes back, and takes it over instead of deciding again;
 *  - one only staged (outbox/tmp) when the daemon was killed is withdrawn
 *    at the next start: the message was not filed, and is answered again;
 *  - its rate-limit line names the item and counts only while the item
 *    exists (ratelimit.c), so only acknowledgements actually queued spend
 *    the sender's budget, and the decision after a restart is the one the
 *    daemon would have taken without the crash. */
#include <stdlib.h>
#include <string.h>

#include "intaked/ack.h"
#include "intake_ack.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/ratelimit.h"
#include "intaked/util.h"

#define ACK_PREFIX "ack-"

static void set_state(struct metadata *md, const char *state)
{
	xfree(&md->ack.state);
	md->ack.state = xstrdup(state);
}

/* 1 taken over, 0 none, -1 unreadable. */
static int adopt(const struct intake_ack_job *x, struct metadata *md, const char *outbox_id,
		 struct err *err)
{
	struct outbox_item it;
	enum outbox_where w;
	if (outbox_lookup(x->sp, outbox_id, &w, &it, err) < 0)
		return -1;
	int rc = w != OUTBOX_NOWHERE && w != OUTBOX_STAGED;
	/* Filed at another path this time (RELIABILITY F4): the delivery
	 * record must reach this entry. */
	if (rc && w == OUTBOX_QUEUED && (it.ref == NULL || strcmp(it.ref, x->relpath) != 0) &&
	    outbox_set_ref(x->sp, outbox_id, x->relpath, err) < 0)
		rc = -1;
	if (rc == 1) {
		set_state(md, w == OUTBOX_QUEUED ? "queued" : w == OUTBOX_SENT ? "sent" : "failed");
		free(md->ack.to);
		md->ack.to = xstrdup(it.rcpt);
		free(md->ack.message_id);
		md->ack.message_id = xstrdup(it.message_id);
		free(md->ack.outbox_id);
		md->ack.outbox_id = xstrdup(outbox_id);
		if (w == OUTBOX_SENT)
			md->ack.sent_at = x->now;
		log_info("event=ack-recovered id=%s outbox=%s state=%s", x->id, outbox_id,
			 md->ack.state);
	}
	outbox_item_clear(&it);
	return rc;
}

/* Build the acknowledgement and stage it as outbox_id, its rate-limit
 * line (naming it) fsynced before intake_commit can queue it. Auto-replies
 * go out with a null envelope sender (RFC 3834 §3.3): a bounce of an
 * acknowledgement must never come back to us. */
static int stage(const struct intake_ack_job *x, struct metadata *md, const char *to,
		 const char *cap_key, const char *outbox_id, struct err *err)
{
	char *msgid = NULL;
	size_t len;
	struct err aerr = { 0 };
	char *msg = ack_build(x->cfg, x->call, md, &msgid, &len, &aerr);
	if (msg == NULL) {
		log_warnx("event=ack-build-failed id=%s error=%s", x->id, log_q(aerr.msg));
		set_state(md, "failed");
		return 0;
	}
	int rc = outbox_stage_as(x->sp, outbox_id, "ack", x->relpath, "", to, msgid, msg, len,
				 x->now, err);
	free(msg);
	if (rc == 0 && (ratelimit_add_for(x->rl, to, outbox_id, x->now, err) < 0 ||
			(cap_key != NULL &&
			 ratelimit_add_for(x->rl, cap_key, outbox_id, x->now, err) < 0))) {
		struct err cerr = { 0 };
		(void)outbox_cancel(x->sp, outbox_id, &cerr);
		rc = -1;
	}
	if (rc < 0) {
		free(msgid);
		return -1;
	}
	set_state(md, "queued");
	free(md->ack.message_id);
	md->ack.message_id = msgid;
	free(md->ack.outbox_id);
	md->ack.outbox_id = xstrdup(outbox_id);
	return 1;
}

/* How many acknowledgements strangers got from the call this hour (the
 * call-wide cap, ack.c); -1 when unknown. *key_r: the count's key, NULL
 * for a sender the roster verifies. */
static int strangers_this_hour(const struct intake_ack_job *x, const struct metadata *md,
			       char **key_r)
{
	*key_r = NULL;
	if (md->submitter.verified)
		return 0;
	*key_r = ack_stranger_key(x->call, x->now);
	return ratelimit_count(x->rl, *key_r, x->now);
}

int intake_ack_decide(const struct intake_ack_job *x, struct metadata *md, char **staged_r,
		      struct err *err)
{
	char *outbox_id = xasprintf(ACK_PREFIX "%s", x->id), *cap_key = NULL;
	const char *to = ack_recipient(md);
	int rc = adopt(x, md, outbox_id, err);
	*staged_r = NULL;
	if (rc != 0)
		goto out;
	int sent_today = to ? ratelimit_count(x->rl, to, x->now) : 0;
	int strangers = strangers_this_hour(x, md, &cap_key);
	if (sent_today < 0 || strangers < 0) {
		/* Unknown count: answering could turn us into a reflector. */
		err_set(err, ERR_TEMP, "acknowledgement rate state unreadable");
		rc = -1;
		goto out;
	}
	const char *why = ack_suppression(x->cfg, x->call, md, sent_today);
	if (why == NULL)
		why = ack_stranger_cap(x->cfg, x->call, md, strangers);
	free(md->ack.to);
	md->ack.to = xstrdup(to);
	if (why != NULL) {
		set_state(md, "suppressed");
		free(md->ack.suppressed);
		md->ack.suppressed = xstrdup(why);
		goto out;
	}
	rc = stage(x, md, to, cap_key, outbox_id, err);
	if (rc == 1) {
		*staged_r = outbox_id;
		outbox_id = NULL;
	}
out:
	free(cap_key);
	free(outbox_id);
	return rc < 0 ? -1 : 0;
}

void intake_ack_withdraw(struct spool *sp, const char *id, const char *outbox_id)
{
	struct err err = { 0 };
	if (outbox_id && outbox_cancel(sp, outbox_id, &err) < 0)
		log_warnx("event=ack-withdraw-failed id=%s error=%s", id, log_q(err.msg));
}

void intake_ack_withdraw_leftovers(struct spool *sp)
{
	struct err err = { 0 };
	size_t n = 0;
	if (outbox_withdraw_staged(sp, ACK_PREFIX, &n, &err) < 0)
		log_warnx("event=ack-withdraw-failed error=%s", log_q(err.msg));
	else if (n > 0)
		log_info("event=acks-withdrawn count=%zu", n);
}
