/* digest_text.c — the digest's {summary}: totals over the current
 * versions, what was filed since the last digest, who is missing, what is
 * late, over the limit, from unknown senders or unreadable, mail that
 * could not be delivered, and the mailbox's ignored and unmatched mail.
 * Every label is a built-in text (template.c), in the call's language. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest_impl.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/outbox.h"
#include "intaked/roster.h"
#include "intaked/schedstate.h"
#include "schedtext.h"
#include "intaked/spool.h"
#include "template.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define VALUE_MAX    200
#define SUMMARY_MAX  (4u * 1024 * 1024)
/* Mail filed after the last digest but received this long before it
 * (downtime) is still counted; older dated directories are not read. */
#define AREA_LOOKBACK (31L * 86400)

static void utc_date(time_t t, char out[11])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
		memcpy(out, "0000-00-00", 11);
}

/* ---- what else happened since ---- */

static bool dated_name(const char *s)
{
	if (strlen(s) != 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

static DIR *open_dir_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	DIR *dp = fdopendir(fd);
	if (dp == NULL)
		close(fd);
	return dp;
}

static unsigned count_day(const struct spool *sp, const char *area, const char *call,
			  DIR *day_dp, const char *day, time_t since)
{
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(day_dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *rel = xasprintf("%s/%s/%s", area, day, de->d_name);
		struct metadata *md = NULL;
		struct err e = { 0 };
		if (spool_relpath_valid(rel) && spool_load_metadata(sp, rel, &md, &e) == 0) {
			time_t filed = md->filed_at ? md->filed_at : md->received_at;
			n += filed > since && md->call != NULL && strcmp(md->call, call) == 0;
		}
		metadata_free(&md);
		free(rel);
	}
	return n;
}

/* Entries of SPOOL/AREA/DATE/ID of call filed after since. */
static unsigned count_area(const struct spool *sp, const char *area, const char *call,
			   time_t since)
{
	char oldest[11] = "0000-00-00";
	if (since > AREA_LOOKBACK)
		utc_date(since - AREA_LOOKBACK, oldest);
	int fd = spool_open_dir(sp, area, NULL);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (dp == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (!dated_name(de->d_name) || strcmp(de->d_name, oldest) < 0)
			continue;
		DIR *day = open_dir_at(dirfd(dp), de->d_name);
		if (day == NULL)
			continue;
		n += count_day(sp, area, call, day, de->d_name, since);
		closedir(day);
	}
	closedir(dp);
	return n;
}

struct failed_scan {
	const char *call;
	time_t since;
	const char *lang;
	struct buf *out;
	unsigned n;
};

/* Reminders and digests of this call the outbox gave up on since the last
 * digest (acknowledgements are reported from their metadata). */
static int failed_visit(const struct outbox_item *e, void *arg)
{
	struct failed_scan *f = arg;
	if (e->kind == NULL || e->ref == NULL || e->rcpt == NULL)
		return 0;
	bool reminder = strcmp(e->kind, "reminder") == 0, digest = strcmp(e->kind, "digest") == 0;
	size_t cl = strlen(f->call);
	time_t when = e->done_at ? e->done_at : e->created;
	if (!(reminder || digest) || when <= f->since || strncmp(e->ref, "calls/", 6) != 0 ||
	    strncmp(e->ref + 6, f->call, cl) != 0 || (e->ref[6 + cl] != '\0' && e->ref[6 + cl] != '/'))
		return 0;
	struct schedtext t;
	schedtext_init(&t, f->lang);
	schedtext_take(&t, "rcpt", schedtext_line(e->rcpt, VALUE_MAX));
	schedtext_take(&t, "error", schedtext_line(e->last_error ? e->last_error : "-", VALUE_MAX));
	char *line = schedtext_builtin(&t, reminder ? "digest_undelivered_reminder"
						    : "digest_undelivered_digest");
	buf_printf(f->out, "\n%s", line);
	free(line);
	schedtext_free(&t);
	f->n++;
	return 0;
}

/* ---- the text ---- */

static const char *outcome_name(const struct digest_row *r)
{
	if (r->status != NULL && strcmp(r->status, "rejected") == 0)
		return "digest_rejected";
	static const char *const names[][2] = {
		{ "within_grace", "digest_within_grace" }, { "late", "digest_late" },
		{ "early", "digest_early" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (r->timeliness != NULL && strcmp(r->timeliness, names[i][0]) == 0)
			return names[i][1];
	return "digest_on_time";
}

static void put_builtin(struct buf *b, const struct schedtext *t, const char *name)
{
	char *s = schedtext_builtin(t, name);
	buf_puts(b, s);
	free(s);
}

/* The texts of one row's line start with who sent it, under key. */
static void row_text_init(struct schedtext *t, const struct digest *d, const struct digest_row *r,
			  const char *key)
{
	schedtext_init(t, d->lang);
	char *who = digest_row_submitter(r);
	schedtext_take(t, key, schedtext_line(who, VALUE_MAX));
	free(who);
}

/* ... and, for mail that came in, its subject and when. */
static void row_text_received(struct schedtext *t, const struct digest *d,
			      const struct digest_row *r)
{
	row_text_init(t, d, r, "from");
	schedtext_take(t, "subject", schedtext_line(r->subject, VALUE_MAX));
	schedtext_time(t, "received_local", NULL, r->received_at, d->call->zone);
}

/* One line of a section; t is freed. */
static void put_line(struct buf *b, struct schedtext *t, const char *name)
{
	buf_puts(b, "\n");
	put_builtin(b, t, name);
	schedtext_free(t);
}

/* A section's heading and its lines, when there are any. */
static void put_section(struct buf *b, const struct digest *d, const char *heading,
			const struct buf *lines)
{
	if (lines->len == 0)
		return;
	struct schedtext t;
	schedtext_init(&t, d->lang);
	buf_puts(b, "\n\n");
	put_builtin(b, &t, heading);
	buf_puts(b, lines->data);
	schedtext_free(&t);
}

static char *row_line(const struct digest *d, const struct digest_row *r)
{
	struct schedtext t;
	row_text_init(&t, d, r, "submitter");
	schedtext_printf(&t, "version", "%d", r->version);
	schedtext_time(&t, "received_local", NULL, r->received_at, d->call->zone);
	if (r->words >= 0)
		schedtext_printf(&t, "words", "%ld", r->words);
	else
		schedtext_take(&t, "words", xstrdup("-"));
	schedtext_printf(&t, "word_limit", "%ld", r->word_limit);
	char *outcome = schedtext_builtin(&t, outcome_name(r));
	if (r->over_limit || r->over_limit_unknown) {
		char *over = schedtext_builtin(&t, r->over_limit ? "digest_over_limit"
								 : "digest_limit_unknown");
		char *both = xasprintf("%s, %s", outcome, over);
		free(outcome);
		free(over);
		outcome = both;
	}
	schedtext_take(&t, "outcome", outcome);
	char *line = schedtext_builtin_n(&t, "digest_line", r->words >= 0 ? r->words : 2);
	schedtext_free(&t);
	return line;
}

/* Whole days between now and when, or under a day whole hours: the
 * built-in text NAME (or NAME_hours) with {days} or {hours} set. */
static char *builtin_span(struct schedtext *t, const char *name, time_t now, time_t when)
{
	long secs = (long)(when >= now ? when - now : now - when);
	long days = secs / 86400, hours = secs / 3600;
	schedtext_printf(t, "days", "%ld", days);
	schedtext_printf(t, "hours", "%ld", hours);
	if (days > 0)
		return schedtext_builtin_n(t, name, days);
	char *hname = xasprintf("%s_hours", name);
	char *s = schedtext_builtin_n(t, hname, hours);
	free(hname);
	return s;
}

/* "in 2 days", "3 days ago", "in 5 hours". */
char *digest_time_left(const char *lang, time_t now, time_t when)
{
	struct schedtext t;
	schedtext_init(&t, lang);
	char *s = builtin_span(&t, when >= now ? "digest_in" : "digest_ago", now, when);
	schedtext_free(&t);
	return s;
}

/* The deadline's line, and one per extension with its own time left. */
char *digest_deadline_text(const struct digest *d)
{
	struct buf lines;
	buf_init(&lines, SUMMARY_MAX);
	struct buf *b = &lines;
	const struct call_config *c = d->call;
	struct schedtext t;
	schedtext_init(&t, d->lang);
	schedtext_time(&t, "deadline_local", NULL, c->deadline, c->zone);
	char *s = builtin_span(&t, c->deadline >= d->now ? "digest_left" : "digest_passed", d->now,
			       c->deadline);
	buf_puts(b, s);
	free(s);
	schedtext_free(&t);
	for (size_t i = 0; i < c->n_extensions; i++) {
		schedtext_init(&t, d->lang);
		schedtext_take(&t, "submitter", schedtext_line(c->extensions[i].member, VALUE_MAX));
		schedtext_time(&t, "deadline_local", NULL, c->extensions[i].deadline, c->zone);
		schedtext_take(&t, "left", digest_time_left(d->lang, d->now,
							    c->extensions[i].deadline));
		buf_puts(b, "\n");
		put_builtin(b, &t, "digest_extension");
		schedtext_free(&t);
	}
	return buf_steal(&lines);
}

static void section_totals(const struct digest *d, struct buf *b)
{
	long n[9] = { 0 }; /* submitters versions on_time grace late rejected early over unknown */
	long unreadable = 0;
	for (size_t i = 0; i < d->rows.n; i++) {
		const struct digest_row *r = &d->rows.v[i];
		n[1]++;
		if (!r->current)
			continue;
		const char *o = outcome_name(r);
		n[0]++;
		n[2] += strcmp(o, "digest_on_time") == 0;
		n[3] += strcmp(o, "digest_within_grace") == 0;
		n[4] += strcmp(o, "digest_late") == 0;
		n[5] += strcmp(o, "digest_rejected") == 0;
		n[6] += strcmp(o, "digest_early") == 0;
		n[7] += r->over_limit;
		n[8] += !r->verified;
		unreadable += r->unreadable.n > 0;
	}
	static const char *const names[] = { "submitters", "versions", "on_time", "within_grace",
					     "late", "rejected", "early", "over_limit", "unknown" };
	struct schedtext t;
	schedtext_init(&t, d->lang);
	for (size_t i = 0; i < 9; i++)
		schedtext_printf(&t, names[i], "%ld", n[i]);
	schedtext_take(&t, "versions_text", schedtext_builtin_n(&t, "digest_versions", n[1]));
	schedtext_printf(&t, "unreadable", "%ld", unreadable);
	put_builtin(b, &t, "digest_totals");
	schedtext_free(&t);
}

static int by_receipt(const void *a, const void *b)
{
	const struct digest_row *x = *(const struct digest_row *const *)a;
	const struct digest_row *y = *(const struct digest_row *const *)b;
	if (x->received_at != y->received_at)
		return x->received_at < y->received_at ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void section_new(const struct digest *d, struct buf *b)
{
	struct schedtext t;
	schedtext_init(&t, d->lang);
	if (d->since != 0)
		schedtext_time(&t, "since", NULL, d->since, d->call->zone);
	put_builtin(b, &t, d->since != 0 ? "digest_new" : "digest_new_first");
	schedtext_free(&t);
	/* In the order they arrived. */
	const struct digest_row **news = xcalloc(d->rows.n + 1, sizeof(*news));
	size_t n = 0;
	for (size_t i = 0; i < d->rows.n; i++)
		if (d->rows.v[i].filed_at > d->since)
			news[n++] = &d->rows.v[i];
	qsort(news, n, sizeof(*news), by_receipt);
	for (size_t i = 0; i < n; i++) {
		char *line = row_line(d, news[i]);
		buf_printf(b, "\n%s", line);
		free(line);
		if ((line = digest_replaces_line(d, news[i])) != NULL)
			buf_printf(b, "\n%s", line);
		free(line);
	}
	free(news);
	if (n == 0) {
		schedtext_init(&t, d->lang);
		buf_puts(b, "\n");
		put_builtin(b, &t, "digest_none");
		schedtext_free(&t);
	}
}

static bool member_submitted(const struct digest *d, const struct roster_member *m)
{
	for (size_t i = 0; i < d->rows.n; i++)
		if (d->rows.v[i].verified && d->rows.v[i].slug != NULL &&
		    strcmp(d->rows.v[i].slug, m->slug) == 0)
			return true;
	return false;
}

static void section_missing(const struct digest *d, struct buf *b)
{
	const struct roster *ro = d->call->roster;
	struct buf lines;
	buf_init(&lines, SUMMARY_MAX);
	size_t missing = 0;
	for (size_t i = 0; ro != NULL && i < ro->n; i++) {
		const struct roster_member *m = &ro->members[i];
		if (member_submitted(d, m))
			continue;
		missing++;
		struct schedtext t;
		schedtext_init(&t, d->lang);
		schedtext_take(&t, "submitter", schedtext_line(m->name, VALUE_MAX));
		time_t own = config_deadline_for(d->call, m->name);
		if (own != d->call->deadline) {
			schedtext_time(&t, "deadline_local", NULL, own, d->call->zone);
			schedtext_take(&t, "left", digest_time_left(d->lang, d->now, own));
		}
		buf_puts(&lines, "\n");
		put_builtin(&lines, &t, own != d->call->deadline ? "digest_missing_extended"
								 : "digest_missing_line");
		schedtext_free(&t);
	}
	struct schedtext t;
	schedtext_init(&t, d->lang);
	schedtext_printf(&t, "count", "%zu", missing);
	schedtext_printf(&t, "members", "%zu", ro ? ro->n : 0);
	char *header = schedtext_builtin_n(&t, "digest_missing", ro ? (long)ro->n : 0);
	buf_puts(b, header);
	free(header);
	if (missing == 0) {
		buf_puts(b, "\n");
		put_builtin(b, &t, "digest_none");
	}
	schedtext_free(&t);
	buf_puts(b, lines.data ? lines.data : "");
	buf_free(&lines);
}

/* A section of current rows that pass keep(), or nothing when none do. */
static void section_rows(const struct digest *d, struct buf *b, const char *header,
			 bool (*keep)(const struct digest_row *),
			 void (*line)(const struct digest *, const struct digest_row *, struct buf *))
{
	struct buf lines;
	buf_init(&lines, SUMMARY_MAX);
	for (size_t i = 0; i < d->rows.n; i++)
		if (d->rows.v[i].current && keep(&d->rows.v[i]))
			line(d, &d->rows.v[i], &lines);
	put_section(b, d, header, &lines);
	buf_free(&lines);
}

static bool is_flagged(const struct digest_row *r)
{
	const char *o = outcome_name(r);
	return r->over_limit || r->over_limit_unknown || strcmp(o, "digest_late") == 0 ||
	       strcmp(o, "digest_rejected") == 0;
}

static bool is_hidden(const struct digest_row *r)
{
	return r->unexamined_parts.n > 0 || r->links.n > 0;
}

static bool is_unknown(const struct digest_row *r)
{
	return !r->verified;
}

static bool is_unreadable(const struct digest_row *r)
{
	return r->unreadable.n > 0;
}

static bool ack_failed(const struct digest_row *r)
{
	return r->ack_state != NULL && strcmp(r->ack_state, "failed") == 0;
}

static void line_flagged(const struct digest *d, const struct digest_row *r, struct buf *b)
{
	char *s = row_line(d, r);
	buf_printf(b, "\n%s", s);
	free(s);
}

static void line_unknown(const struct digest *d, const struct digest_row *r, struct buf *b)
{
	struct schedtext t;
	row_text_received(&t, d, r);
	put_line(b, &t, "digest_unknown_line");
}

static void line_unreadable(const struct digest *d, const struct digest_row *r, struct buf *b)
{
	for (size_t i = 0; i < r->unreadable.n; i++) {
		struct schedtext t;
		row_text_init(&t, d, r, "submitter");
		schedtext_take(&t, "name", schedtext_line(r->unreadable.v[i], VALUE_MAX));
		char *rname = xasprintf("reason_%s", r->reasons.v[i]);
		const char *known = template_builtin(rname, d->lang);
		free(rname);
		schedtext_take(&t, "reason", schedtext_line(known ? known : r->reasons.v[i],
							    VALUE_MAX));
		put_line(b, &t, "digest_unreadable_line");
	}
}

static void line_ack(const struct digest *d, const struct digest_row *r, struct buf *b)
{
	struct schedtext t;
	row_text_init(&t, d, r, "submitter");
	schedtext_take(&t, "rcpt", schedtext_line(r->ack_to ? r->ack_to : r->from, VALUE_MAX));
	schedtext_printf(&t, "version", "%d", r->version);
	put_line(b, &t, "digest_undelivered_ack");
}

static void section_undelivered(const struct digest *d, struct buf *b)
{
	struct buf lines;
	buf_init(&lines, SUMMARY_MAX);
	for (size_t i = 0; i < d->rows.n; i++)
		if (d->rows.v[i].current && ack_failed(&d->rows.v[i]))
			line_ack(d, &d->rows.v[i], &lines);
	struct failed_scan f = { .call = d->call->name, .since = d->since, .lang = d->lang,
				 .out = &lines };
	struct err e = { 0 };
	if (outbox_each(d->sp, OUTBOX_FAILED, failed_visit, &f, &e) < 0)
		log_warnx("event=digest-outbox-unreadable error=%s", log_q(e.msg));
	put_section(b, d, "digest_undelivered", &lines);
	buf_free(&lines);
}

static void line_held(const struct digest *d, const struct digest_row *r, struct buf *b)
{
	struct schedtext t;
	row_text_received(&t, d, r);
	schedtext_printf(&t, "version", "%d", r->version);
	schedtext_take(&t, "id", schedtext_line(r->id, VALUE_MAX));
	put_line(b, &t, "digest_held_line");
}

/* Unverified versions kept from superseding a verified one (never
 * current, so not in section_rows): the coordinators must decide. */
static void section_held(const struct digest *d, struct buf *b)
{
	struct buf lines;
	buf_init(&lines, SUMMARY_MAX);
	for (size_t i = 0; i < d->rows.n; i++)
		if (d->rows.v[i].held)
			line_held(d, &d->rows.v[i], &lines);
	put_section(b, d, "digest_held", &lines);
	buf_free(&lines);
}

/* Only the ignored mail routed to this call (metadata "call", set at
 * intake by the same routing as submissions): unmatched mail and ignored
 * mail addressed to no call are in no call's digest (intakectl status
 * shows them to the operator), so nothing is counted twice. */
static void section_mailbox(const struct digest *d, struct buf *b)
{
	unsigned ignored = count_area(d->sp, "ignored", d->call->name, d->since);
	if (ignored == 0)
		return;
	struct schedtext t;
	schedtext_init(&t, d->lang);
	schedtext_printf(&t, "ignored", "%u", ignored);
	buf_puts(b, "\n\n");
	char *s = schedtext_builtin_n(&t, "digest_mailbox", ignored);
	buf_puts(b, s);
	free(s);
	schedtext_free(&t);
}

char *digest_summary(const struct digest *d)
{
	struct buf b;
	buf_init(&b, SUMMARY_MAX);
	char *deadline = digest_deadline_text(d);
	buf_puts(&b, deadline);
	free(deadline);
	buf_puts(&b, "\n\n");
	section_totals(d, &b);
	digest_section_languages(d, &b);
	buf_puts(&b, "\n\n");
	section_new(d, &b);
	buf_puts(&b, "\n\n");
	section_missing(d, &b);
	section_rows(d, &b, "digest_flagged", is_flagged, line_flagged);
	section_held(d, &b);
	section_rows(d, &b, "digest_unknown", is_unknown, line_unknown);
	section_rows(d, &b, "digest_unreadable", is_unreadable, line_unreadable);
	section_rows(d, &b, "digest_hidden", is_hidden, digest_line_hidden);
	section_undelivered(d, &b);
	section_mailbox(d, &b);
	return buf_steal(&b);
}
