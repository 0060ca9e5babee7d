/* ack_record.c — what became of an acknowledgement, recorded on the
 * entry it answers (ack.state in metadata.json), as the outbox reports
 * it (outbox_flush's callback, outbox.h). */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "intaked/ack.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/spool.h"
#include "intaked/util.h"

/* Record state on the entry this item answers; a delivery ("sent") is
 * written aside when staged, to be put in place by its group's commit. */
static void record_delivery(struct spool *sp, const struct outbox_item *item, const char *state,
			    const char *detail, bool staged)
{
	struct metadata *md = NULL;
	struct err err = { 0 };
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
	if ((staged ? spool_stage_metadata : spool_save_metadata)(sp, item->ref, md, &err) < 0)
		log_warnx("event=ack-record-failed ref=%s error=%s", item->ref, log_q(err.msg));
	else if (!staged) /* said once the record is in place (a staged one: its commit) */
		log_info("event=ack-%s id=%s to=%s detail=%s", state, md->id, log_q(item->rcpt),
			 log_q(detail));
	metadata_free(&md);
}

/* The staged "sent" record is in place: say so, with the entry's id. */
static void log_sent(struct spool *sp, const struct outbox_item *item)
{
	struct metadata *md = NULL;
	struct err err = { 0 };
	if (spool_load_metadata(sp, item->ref, &md, &err) < 0)
		return;
	log_info("event=ack-sent id=%s to=%s detail=-", md->id, log_q(item->rcpt));
	metadata_free(&md);
}

void ack_record_delivery(const struct outbox_item *item, const char *state, const char *detail,
			 void *arg)
{
	struct spool *sp = arg;
	struct err err = { 0 };

	if (item->ref == NULL || strcmp(item->kind, "ack") != 0 || strcmp(state, "deferred") == 0)
		return;
	if (strcmp(state, "commit") != 0) {
		record_delivery(sp, item, state, detail, strcmp(state, "sent") == 0);
		return;
	}
	/* Put the "sent" record in place; if nothing was staged, or the entry
	 * changed since (intakectl), record it again, now and durably. */
	int rc = spool_commit_metadata(sp, item->ref, &err);
	if (rc < 0)
		log_warnx("event=ack-record-failed ref=%s error=%s", item->ref, log_q(err.msg));
	if (rc == 0)
		record_delivery(sp, item, "sent", NULL, false);
	else if (rc == 1)
		log_sent(sp, item);
}
