/* ctl_status.c — intakectl status: is the daemon running, can it read the
 * mailbox (the alarm state), what the spool holds, the outbox, and what
 * each call has coming (reminders, digests). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "intaked/alarm.h"
#include "ctl.h"
#include "intaked/digest.h"
#include "intaked/fsio.h"
#include "intaked/health.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/outbox_admin.h"
#include "intaked/printable.h"
#include "intaked/remind.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* /proc/locks is a few lines per locked file on the machine. */
#define PROC_LOCKS_MAX (4u * 1024 * 1024)

/* The pid holding the daemon's flock on SPOOL/state/intaked.lock, read from
 * /proc/locks so that looking never takes the lock itself (a daemon
 * starting at that instant would find it taken). 0: nobody; -1: unknown. */
static long daemon_pid(const struct spool *sp)
{
	struct stat st;
	if (fstatat(spool_area_fd(sp, SPOOL_STATE), "intaked.lock", &st,
		    AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	char *text = NULL;
	size_t len;
	struct err err = { 0 };
	if (fsio_read_file("/proc/locks", PROC_LOCKS_MAX, &text, &len, &err) < 0)
		return -1;
	char want[64];
	snprintf(want, sizeof(want), "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long)st.st_ino);
	long pid = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && pid == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->". */
		char *f[8] = { 0 }, *fsave = NULL;
		size_t n = 0;
		for (char *w = strtok_r(line, " ", &fsave); w && n < 8; w = strtok_r(NULL, " ", &fsave))
			f[n++] = w;
		unsigned long v;
		if (n >= 6 && strcmp(f[1], "FLOCK") == 0 && strcmp(f[5], want) == 0 &&
		    parse_ulong(f[4], 1ul << 30, &v) == 0)
			pid = (long)v;
	}
	free(text);
	return pid;
}

struct tally {
	size_t submissions, unmatched, ignored, quarantined;
	time_t last_filed;
	char *last_id;
};

static int tally_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct tally *t = arg;
	if (strncmp(relpath, "calls/", 6) == 0)
		t->submissions++;
	else if (strncmp(relpath, "unmatched/", 10) == 0)
		t->unmatched++;
	else if (strncmp(relpath, "ignored/", 8) == 0)
		t->ignored++;
	else
		t->quarantined++;
	if (md->filed_at > t->last_filed) {
		t->last_filed = md->filed_at;
		free(t->last_id);
		t->last_id = xstrdup(md->id);
	}
	return 0;
}

static void status_daemon(struct ctl *c)
{
	long pid = daemon_pid(c->sp);
	if (pid > 0)
		fprintf(c->out, "intaked:      running (pid %ld)\n", pid);
	else if (pid == 0)
		fprintf(c->out, "intaked:      not running on this spool\n");
	else
		fprintf(c->out, "intaked:      unknown (/proc/locks unreadable)\n");
	fprintf(c->out, "config:       %s\n", c->cfg->path);
	fprintf(c->out, "spool:        %s\n", c->cfg->spool_dir);
	char *url = printable_copy(c->cfg->mailbox.url), *user = printable_copy(c->cfg->mailbox.user);
	fprintf(c->out, "mailbox:      %s as %s\n", url, user);
	free(url);
	free(user);
}

static int status_spool(struct ctl *c)
{
	struct tally t = { 0 };
	struct err err = { 0 };
	if (ctl_each_entry(c, tally_visit, &t, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	char when[32] = "never";
	if (t.last_filed)
		tztime_format_utc(t.last_filed, when, sizeof(when));
	fprintf(c->out, "last filed:   %s%s%s%s\n", when, t.last_id ? " (" : "",
		t.last_id ? t.last_id : "", t.last_id ? ")" : "");
	fprintf(c->out, "spool holds:  %zu submission%s, %zu unmatched, %zu ignored, "
		"%zu quarantined\n", t.submissions, t.submissions == 1 ? "" : "s", t.unmatched,
		t.ignored, t.quarantined);
	free(t.last_id);
	return CTL_OK;
}

/* The alarm module keeps failures only: a clear state means the last
 * attempt to read the mailbox worked (or none was made yet). */
static int status_alarm(struct ctl *c)
{
	struct alarm_state st;
	struct err err = { 0 };
	char line[512];
	if (alarm_state_load(c->sp, &st, &err) < 0) {
		fprintf(c->out, "alarm:        unknown (%s)\n", err.msg);
		return CTL_OK;
	}
	alarm_describe(&st, line, sizeof(line));
	char *clean = printable_copy(line);
	if (*clean == '\0')
		fprintf(c->out, "alarm:        none (the mailbox was read at the last attempt)\n");
	else
		fprintf(c->out, "alarm:        %s\n", clean);
	free(clean);
	return CTL_OK;
}

/* When the oldest item still queued was queued (0: none), for its age
 * as postqueue -p shows it. */
static time_t outbox_oldest(struct ctl *c)
{
	struct outbox_entry *v;
	size_t n;
	struct err err = { 0 };
	if (outbox_list_items(c->sp, &v, &n, &err) < 0)
		return 0;
	time_t oldest = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].state, "failed") != 0 && v[i].it.created &&
		    (oldest == 0 || v[i].it.created < oldest))
			oldest = v[i].it.created;
	outbox_entries_free(v, n);
	return oldest;
}

static int status_outbox(struct ctl *c)
{
	struct outbox_stats st = { 0 };
	struct err err = { 0 };
	if (outbox_stat(c->sp, &st, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	char next[32] = "";
	if (st.next_attempt)
		tztime_format_utc(st.next_attempt, next, sizeof(next));
	char age[16] = "";
	time_t oldest = st.queued > 0 ? outbox_oldest(c) : 0;
	if (oldest)
		ctl_format_age(c->now, oldest, age, sizeof(age));
	fprintf(c->out, "outbox:       %u queued (%u being retried%s%s), %u failed, %u sent%s%s\n",
		st.queued, st.deferred, next[0] ? ", next attempt " : "", next, st.failed,
		st.sent, oldest ? "; oldest " : "", age);
	if (st.failed > 0)
		fprintf(c->out, "              failed mail: %s/outbox/failed/ (intakectl outbox list)\n",
			c->cfg->spool_dir);
	return CTL_OK;
}

/* Reminders and digests of one call: the scheduler answers for a
 * configuration, so ask it about a view holding just this call. */
static void status_calls(struct ctl *c)
{
	static const char *const head[] = { "CALL", "DEADLINE", "NEXT REMINDER", "NEXT DIGEST" };
	struct ctl_table *t = ctl_table_new(head, 4);
	for (size_t i = 0; i < c->cfg->ncalls; i++) {
		const struct call_config *call = &c->cfg->calls[i];
		struct config one = *c->cfg;
		one.calls = (struct call_config *)call;
		one.ncalls = 1;
		char deadline[80], rem[80], dig[80];
		ctl_format_time(call->deadline, call->zone, deadline, sizeof(deadline));
		ctl_format_time(remind_next_due(&one, c->sp, c->now), call->zone, rem, sizeof(rem));
		ctl_format_time(digest_next_due(&one, c->sp, c->now), call->zone, dig, sizeof(dig));
		const char *row[] = { call->name, deadline, rem, dig };
		ctl_table_add(t, row);
	}
	fputc('\n', c->out);
	ctl_table_print(t, c->out);
	ctl_table_free(&t);
}

static void folder_status(struct ctl *c, const struct health_folder *f, const char *stale)
{
	char since[32] = "?", fetch[32] = "never", errat[32] = "";
	if (f->since)
		tztime_format_utc(f->since, since, sizeof(since));
	if (f->last_fetch)
		tztime_format_utc(f->last_fetch, fetch, sizeof(fetch));
	char *name = printable_copy(f->name);
	fprintf(c->out, "folder %s: %*s%s since %s\n", name,
		(int)(strlen(name) < 6 ? 6 - strlen(name) : 0), "", health_state_name(f->state),
		since);
	free(name);
	fprintf(c->out, "              last fetch %s\n", fetch);
	if (*stale)
		fprintf(c->out, "              %s\n", stale);
	if (f->sync_total > 0)
		fprintf(c->out, "              sync: %zu of %zu\n", f->sync_done, f->sync_total);
	if (f->last_error != NULL) {
		char *msg = printable_copy(f->last_error);
		tztime_format_utc(f->last_error_at, errat, sizeof(errat));
		fprintf(c->out, "              last error: %s %s\n", errat, msg);
		free(msg);
	}
}

/* The daemon's own account (SPOOL/state/health.json); an old one when it
 * is not running is said to be old. */
static void status_folders(struct ctl *c)
{
	struct health *h = NULL;
	struct err err = { 0 };
	int rc = health_load(c->sp, &h, &err);
	if (rc <= 0) {
		fprintf(c->out, "folders:      unknown (%s)\n",
			rc == 0 ? "intaked has not run on this spool yet" : err.msg);
		return;
	}
	char stale[80] = "", updated[32];
	if (daemon_pid(c->sp) != h->pid) {
		tztime_format_utc(h->updated, updated, sizeof(updated));
		snprintf(stale, sizeof(stale), "(as of %s; intaked not running)", updated);
	}
	for (size_t i = 0; i < h->nfolders; i++)
		folder_status(c, &h->folders[i], stale);
	health_free(&h);
}

int ctl_cmd_status(struct ctl *c, const struct ctl_args *a)
{
	(void)a;
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	status_daemon(c);
	status_folders(c);
	if ((rc = status_alarm(c)) != CTL_OK || (rc = status_spool(c)) != CTL_OK ||
	    (rc = status_outbox(c)) != CTL_OK)
		return rc;
	status_calls(c);
	return CTL_OK;
}
