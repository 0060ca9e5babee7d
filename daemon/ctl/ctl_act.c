/* ctl_act.c — intakectl's commands that produce something: export, digest,
 * remind, resend-ack, publish, reindex. Mail goes to the outbox, from
 * which the daemon delivers it on its next pass. */
#include <stdlib.h>
#include <string.h>


#include "intaked/ack.h"
#include "ctl.h"
#include "intaked/digest.h"
#include "intaked/json.h"
#include "intaked/export_xlsx.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/printable.h"
#include "publish.h"
#include "publish_template.h"
#include "intaked/ratelimit.h"
#include "intaked/remind.h"
#include "intaked/spool.h"
#include "intaked/util.h"

static int failed(struct ctl *c, int status, const struct err *err)
{
	fprintf(c->err, "intakectl: %s\n", err->msg);
	return status;
}

/* Spool trouble is 74; a configuration problem (a template, an address)
 * found on the way is 78; anything else could not be carried out (1). */
static int status_of(const struct err *err)
{
	switch (err->cls) {
	case ERR_CONFIG: return CTL_CONFIG;
	case ERR_TEMP: return CTL_IOERR;
	default: return CTL_FAIL;
	}
}

/* The call of a command's first argument, with the spool open. */
static int call_and_spool(struct ctl *c, const struct ctl_args *a,
			  const struct call_config **call_r)
{
	*call_r = ctl_find_call(c, a->pos[0]);
	if (*call_r == NULL)
		return CTL_FAIL;
	return ctl_open_spool(c);
}

/* ---- export ---- */

static char *export_json(struct ctl *c, const struct call_config *call, size_t *len_r,
			 struct err *err)
{
	struct ctl_subs subs;
	if (ctl_subs_load(c, call->name, &subs, err) < 0)
		return NULL;
	jnode *arr = jn_array();
	for (size_t i = 0; i < subs.n; i++) {
		/* The record is metadata.json itself, as the daemon wrote it. */
		jnode *o = metadata_to_jnode(subs.v[i].md);
		jn_set_str(o, "path", subs.v[i].relpath);
		jn_set_bool(o, "current", subs.v[i].current);
		jn_push(arr, o);
	}
	char *text = jn_dump(arr, JN_INDENT2);
	jn_free(arr);
	ctl_subs_free(&subs);
	char *out = xasprintf("%s\n", text);
	free(text);
	*len_r = strlen(out);
	return out;
}

/* The CSV, its byte order mark dropped on request. */
static char *export_csv(struct ctl *c, const struct call_config *call, bool bom,
			size_t *len_r, struct err *err)
{
	char *csv = digest_csv(c->sp, call, len_r, err);
	if (csv != NULL && !bom && *len_r >= 3 && memcmp(csv, "\xef\xbb\xbf", 3) == 0) {
		memmove(csv, csv + 3, *len_r - 3 + 1);
		*len_r -= 3;
	}
	return csv;
}

int ctl_cmd_export(struct ctl *c, const struct ctl_args *a)
{
	const struct call_config *call;
	int rc = call_and_spool(c, a, &call);
	if (rc != CTL_OK)
		return rc;
	struct err err = { 0 };
	if (strcmp(a->format, "xlsx") == 0) {
		if (export_xlsx(c->sp, call, a->output, &err) < 0)
			return failed(c, status_of(&err), &err);
		return CTL_OK;
	}
	size_t len;
	char *data = strcmp(a->format, "json") == 0
			     ? export_json(c, call, &len, &err)
			     : export_csv(c, call, !a->no_bom, &len, &err);
	if (data == NULL)
		return failed(c, status_of(&err), &err);
	if (a->output != NULL)
		rc = fsio_replace(a->output, data, len, 0644, &err) < 0 ? CTL_IOERR : CTL_OK;
	else
		fwrite(data, 1, len, c->out);
	free(data);
	return rc == CTL_OK ? rc : failed(c, rc, &err);
}

/* ---- digest, remind ---- */

int ctl_cmd_digest(struct ctl *c, const struct ctl_args *a)
{
	const struct call_config *call;
	int rc = call_and_spool(c, a, &call);
	if (rc != CTL_OK)
		return rc;
	struct err err = { 0 };
	if (digest_run(c->cfg, c->sp, call, c->now, true, false, c->out, &err) < 0)
		return failed(c, status_of(&err), &err);
	if (!a->send)
		return CTL_OK;
	if (call->coordinators.n == 0) {
		fprintf(c->err, "intakectl: %s has no coordinators: nothing sent\n", call->name);
		return CTL_FAIL;
	}
	if (digest_run(c->cfg, c->sp, call, c->now, true, true, NULL, &err) < 0)
		return failed(c, status_of(&err), &err);
	fprintf(c->out, "\nintakectl: digest queued for %zu coordinator%s; intaked sends it on "
		"its next pass\n", call->coordinators.n, call->coordinators.n == 1 ? "" : "s");
	return CTL_OK;
}

int ctl_cmd_remind(struct ctl *c, const struct ctl_args *a)
{
	const struct call_config *call;
	int rc = call_and_spool(c, a, &call);
	if (rc != CTL_OK)
		return rc;
	struct err err = { 0 };
	int n = a->dry_run ? remind_explain(c->cfg, c->sp, call, c->now, c->out, &err)
			   : remind_run(c->cfg, c->sp, call, c->now, &err);
	if (n < 0)
		return failed(c, status_of(&err), &err);
	if (a->dry_run)
		fprintf(c->out, "%d reminder%s would be sent (dry run: nothing queued)\n", n,
			n == 1 ? "" : "s");
	else
		fprintf(c->out, "%d reminder%s queued; intaked sends them on its next pass\n", n,
			n == 1 ? "" : "s");
	return CTL_OK;
}

/* ---- resend-ack ---- */

/* Queue md's acknowledgement (kind "ack", ref relpath, null sender as the
 * daemon does) and record it in md. */
static int queue_ack(struct ctl *c, const struct call_config *call, const char *relpath,
		     struct metadata *md, const char *to, struct err *err)
{
	char *msgid = NULL, *outbox_id = NULL;
	size_t len;
	char *msg = ack_build(c->cfg, call, md, &msgid, &len, err);
	if (msg == NULL)
		return -1;
	int rc = outbox_queue(c->sp, "ack", relpath, "", to, msgid, msg, len, c->now,
			      &outbox_id, err);
	free(msg);
	if (rc < 0) {
		free(msgid);
		return -1;
	}
	/* Counted like any acknowledgement, so the daemon's daily limit sees it. */
	struct ratelimit *rl = NULL;
	struct err rerr = { 0 };
	if (ratelimit_open(c->sp, &rl, &rerr) < 0 || ratelimit_add(rl, to, c->now, &rerr) < 0)
		log_warnx("event=ratelimit-failed error=%s", log_q(rerr.msg));
	ratelimit_close(&rl);

	xfree(&md->ack.state);
	md->ack.state = xstrdup("queued");
	xfree(&md->ack.to);
	md->ack.to = xstrdup(to);
	xfree(&md->ack.suppressed);
	xfree(&md->ack.message_id);
	md->ack.message_id = msgid;
	xfree(&md->ack.outbox_id);
	md->ack.outbox_id = outbox_id;
	md->ack.sent_at = 0;
	return 0;
}

int ctl_cmd_resend_ack(struct ctl *c, const struct ctl_args *a)
{
	char *rel = NULL;
	struct metadata *md = NULL;
	struct err err = { 0 };
	int rc = ctl_open_entry(c, a->pos[0], &rel, &md);
	if (rc != CTL_OK)
		return rc;
	const struct call_config *call = md->call ? config_find_call(c->cfg, md->call) : NULL;
	const char *to = ack_recipient(md);
	/* The operator asks for it: today's count does not stop it, every
	 * other rule (RFC 3834, the roster policy) still does. */
	const char *why = ack_suppression(c->cfg, call, md, 0);
	rc = CTL_OK;
	if (md->call && call == NULL) {
		fprintf(c->err, "intakectl: call %s of %s is no longer configured\n", md->call, md->id);
		rc = CTL_FAIL;
	} else if (why != NULL || to == NULL) {
		fprintf(c->err, "intakectl: no acknowledgement may be sent for %s: %s\n", md->id,
			why ? why : "no recipient");
		rc = CTL_FAIL;
	} else if (queue_ack(c, call, rel, md, to, &err) < 0 ||
		   spool_save_metadata(c->sp, rel, md, &err) < 0) {
		rc = failed(c, status_of(&err), &err);
	} else {
		char *shown = printable_copy(to);
		fprintf(c->out, "acknowledgement of %s queued for %s (outbox %s); intaked sends it "
			"on its next pass\n", md->id, shown, md->ack.outbox_id);
		free(shown);
	}
	free(rel);
	metadata_free(&md);
	return rc;
}

/* ---- publish ---- */

#define PUBLISH_TEXT_MAX (4u * 1024 * 1024)

/* publish's options from the command line: the files read, the lists
 * parsed and the template checked before anything is written. */
static int publish_options_from(const struct ctl_args *a, struct publish_options *opt,
				char **langs_copy, struct err *err)
{
	size_t len;
	*opt = (struct publish_options){ .no_late = a->no_late, .no_rejected = a->no_rejected,
					 .include_unverified = a->include_unverified,
					 .include_late = a->include_late,
					 .originals = a->originals, .fragment = a->fragment };
	if (a->columns && publish_parse_columns(opt, a->columns, err) < 0)
		return -1;
	*langs_copy = xstrdup(a->langs);
	if (a->langs && publish_parse_langs(opt, *langs_copy, err) < 0)
		return -1;
	if (a->intro && fsio_read_file(a->intro, PUBLISH_TEXT_MAX, &opt->intro, &len, err) < 0)
		return -1;
	if (a->templ && (fsio_read_file(a->templ, PUBLISH_TEXT_MAX, &opt->templ, &len, err) < 0 ||
			 publish_template_check(opt->templ, a->templ, err) < 0))
		return -1;
	if (a->templ && a->fragment) {
		err_set(err, ERR_MESSAGE, "--template and --fragment: choose one");
		return -1;
	}
	return 0;
}

int ctl_cmd_publish(struct ctl *c, const struct ctl_args *a)
{
	const struct call_config *call;
	int rc = call_and_spool(c, a, &call);
	if (rc != CTL_OK)
		return rc;
	struct publish_options opt;
	struct err err = { 0 };
	char *langs = NULL;
	size_t n;
	if (publish_options_from(a, &opt, &langs, &err) < 0)
		rc = failed(c, err.cls == ERR_TEMP ? CTL_FAIL : CTL_USAGE, &err);
	else if (publish_call(c->sp, call, a->pos[1], &opt, c->now, &n, &err) < 0)
		rc = failed(c, err.cls == ERR_MESSAGE ? CTL_FAIL : CTL_IOERR, &err);
	else
		fprintf(c->out, "published %zu submission%s of %s to %s/%s/%s\n", n,
			n == 1 ? "" : "s", call->name, a->pos[1], call->name,
			a->fragment ? "fragment.html" : "index.html");
	free(opt.intro);
	free(opt.templ);
	free(langs);
	return rc;
}

/* ---- reindex ---- */

int ctl_cmd_reindex(struct ctl *c, const struct ctl_args *a)
{
	(void)a;
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	struct strlist calls = { 0 };
	struct err err = { 0 };
	if (ctl_list_calls(c, &calls, &err) < 0)
		return failed(c, CTL_IOERR, &err);
	rc = CTL_OK;
	for (size_t i = 0; i < calls.n; i++) {
		char *shown = printable_copy(calls.v[i]);
		if (spool_write_index(c->sp, calls.v[i], &err) < 0) {
			fprintf(c->err, "intakectl: calls/%s: %s\n", shown, err.msg);
			rc = CTL_IOERR;
		} else {
			fprintf(c->out, "calls/%s/index.json%s\n", shown,
				config_find_call(c->cfg, calls.v[i]) ? "" : " (call not configured)");
		}
		free(shown);
	}
	fprintf(c->out, "%zu index%s rebuilt\n", calls.n, calls.n == 1 ? "" : "es");
	strlist_free(&calls);
	return rc;
}
