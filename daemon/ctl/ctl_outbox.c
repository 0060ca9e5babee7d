/* ctl_outbox.c — intakectl outbox list | retry ID | drop ID: the queue as
 * postqueue -p shows it, and an operator's hands on it (outbox_admin.h:
 * atomic, under the flush lock, safe while the daemon runs). */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "intaked/outbox_admin.h"
#include "intaked/printable.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* "42s", "17m", "5h", "3d": how long ago t was. */
void ctl_format_age(time_t now, time_t t, char *out, size_t n)
{
	long d = t && now > t ? (long)(now - t) : 0;
	if (d < 120)
		snprintf(out, n, "%lds", d);
	else if (d < 7200)
		snprintf(out, n, "%ldm", d / 60);
	else if (d < 2 * 86400)
		snprintf(out, n, "%ldh", d / 3600);
	else
		snprintf(out, n, "%ldd", d / 86400);
}

static void list_row(struct ctl *c, struct ctl_table *t, const struct outbox_entry *e)
{
	char age[16], attempts[16], next[32] = "-";
	ctl_format_age(c->now, e->it.created, age, sizeof(age));
	snprintf(attempts, sizeof(attempts), "%d", e->it.attempts);
	if (strcmp(e->state, "failed") != 0 && e->it.next_attempt)
		tztime_format_utc(e->it.next_attempt, next, sizeof(next));
	const char *row[] = { e->it.id, e->broken ? "broken" : e->state,
			      e->it.kind ? e->it.kind : "-", e->it.rcpt ? e->it.rcpt : "-",
			      attempts, age, next, e->it.last_error ? e->it.last_error : "" };
	ctl_table_add(t, row);
}

static int outbox_list(struct ctl *c)
{
	static const char *const head[] = { "ID", "STATE", "KIND", "RECIPIENT", "ATTEMPTS",
					    "AGE", "NEXT ATTEMPT", "LAST ERROR" };
	struct outbox_entry *v;
	size_t n;
	struct err err = { 0 };
	if (outbox_list_items(c->sp, &v, &n, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	struct ctl_table *t = ctl_table_new(head, 8);
	for (size_t i = 0; i < n; i++)
		list_row(c, t, &v[i]);
	if (n == 0)
		fprintf(c->out, "the outbox is empty (nothing queued or failed)\n");
	else
		ctl_table_print(t, c->out);
	ctl_table_free(&t);
	outbox_entries_free(v, n);
	return CTL_OK;
}

static int outbox_act(struct ctl *c, const char *verb, const char *id)
{
	struct err err = { 0 };
	bool retry = strcmp(verb, "retry") == 0;
	int rc = retry ? outbox_retry(c->sp, id, c->now, &err)
		       : outbox_drop(c->sp, id, c->now, &err);
	char *clean = printable_copy(id);
	if (rc == OUTBOX_DONE)
		fprintf(c->out, "%s: %s\n", clean, retry ? "due now; the daemon sends it at its "
				"next pass" : "moved to failed/ (" OUTBOX_DROPPED ")");
	else if (rc == OUTBOX_NOT_FOUND)
		fprintf(c->err, "intakectl: outbox: no %s item %s\n",
			retry ? "queued or failed" : "queued", clean);
	else
		fprintf(c->err, "intakectl: %s\n", err.msg);
	free(clean);
	return rc == OUTBOX_DONE ? CTL_OK : rc == OUTBOX_NOT_FOUND ? CTL_FAIL : CTL_IOERR;
}

int ctl_cmd_outbox(struct ctl *c, const struct ctl_args *a)
{
	const char *verb = a->pos[0];
	bool list = strcmp(verb, "list") == 0;
	bool act = strcmp(verb, "retry") == 0 || strcmp(verb, "drop") == 0;
	if ((!list && !act) || (list && a->npos != 1) || (act && a->npos != 2)) {
		fprintf(c->err, "intakectl: outbox list | outbox retry ID | outbox drop ID\n");
		return CTL_USAGE;
	}
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	return list ? outbox_list(c) : outbox_act(c, verb, a->pos[1]);
}
