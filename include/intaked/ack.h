/* ack.h — the acknowledgement of a filed message: whether one may be sent
 * (RFC 3834: never to auto-replies, bounces, lists, no-reply senders or
 * ourselves; at most N per sender per day) and its text, per outcome and
 * language. */
#ifndef INTAKED_ACK_H
#define INTAKED_ACK_H

#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/metadata.h"

struct outbox_item;

/* The address an acknowledgement goes to per RFC 3834 §4 (a response
 * meant for the author): for a sender the roster verifies, md->reply_to
 * (the Reply-To the daemon recorded) if it is a usable, non-no-reply
 * address; else, and always for anyone else, md->from. Borrowed, or
 * NULL. Why not the Return-Path: see ack.c. */
const char *ack_recipient(const struct metadata *md);

/* NULL if an acknowledgement may be sent for md, else the reason it is
 * suppressed, checked in this order: the kind when it is not a submission
 * ("auto-reply" "bounce" "list" "loop" "malformed" "unmatched" — unmatched
 * mail passes when cfg->mailbox.ack_unmatched; a submission without a
 * call is "unmatched"), "noreply-sender" (no recipient, or noreply,
 * MAILER-DAEMON...), "bad-address", "own-address" (smtp from, mailbox
 * user or any call's match_to, "+tag" forms included), "unknown-sender"
 * (not in the roster and !call->ack_unknown), "rate-limit" (sent_today >=
 * call->ack_per_sender_per_day; for the unmatched reply, the smallest
 * limit of all calls). sent_today: how many acknowledgements that
 * recipient already got today. Static string. */
const char *ack_suppression(const struct config *cfg, const struct call_config *call,
			    const struct metadata *md, int sent_today);

/* The call-wide cap on acknowledgements to senders the roster does not
 * verify: "stranger-cap" when strangers_this_hour (counted under
 * ack_stranger_key) reached call->ack_unknown_per_hour (for the unmatched
 * reply, the smallest of all calls'), NULL otherwise or for a verified
 * sender. Many strangers, each under the per-sender limit, would
 * otherwise make the intake a mail cannon. */
const char *ack_stranger_cap(const struct config *cfg, const struct call_config *call,
			     const struct metadata *md, int strangers_this_hour);
/* "strangers:CALL:YYYY-MM-DDTHH" (UTC): the ratelimit key of that count;
 * it has no '@', so it never meets an address. Caller frees. */
char *ack_stranger_key(const struct call_config *call, time_t now);

/* Build the acknowledgement (call may be NULL for the "which consultation?"
 * reply to unmatched mail): call->ack_template if set (template_load,
 * optional "Subject:" line), else the built-in texts in call->language
 * (the first call's for the unmatched reply). Auto-Submitted:
 * auto-replied, In-Reply-To md->message_id, References md->references +
 * md->message_id; every value from the sender's mail made one clean line.
 * Returns the message, caller frees; *msgid_r the new Message-ID (caller
 * frees). NULL with ERR_MESSAGE when there is no usable recipient,
 * ERR_CONFIG when the template file or the smtp from address is bad. */
char *ack_build(const struct config *cfg, const struct call_config *call,
		const struct metadata *md, char **msgid_r, size_t *len_r,
		struct err *err);

/* An outbox_event_fn: record an acknowledgement's delivery (or failure)
 * in its entry's metadata.json. arg: the struct spool. */
void ack_record_delivery(const struct outbox_item *item, const char *state,
			 const char *detail, void *arg);

#endif
