/* sched_fixture.h — shared by test_remind.c and test_digest.c: a spool in
 * a temporary directory, a configuration built in memory (freed by
 * config_free), submissions committed as the filer does, and the outbox
 * read back. Header-only: each test includes it once. */
#ifndef SCHED_FIXTURE_H
#define SCHED_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/config.h"
#include "intaked/fsio.h"
#include "intaked/metadata.h"
#include "intaked/roster.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define DAY  86400L
#define HOUR 3600L

struct fx {
	char dir[64];
	struct spool *sp;
	struct config *cfg;
};

static inline time_t fx_local(const char *s, const char *zone)
{
	time_t t;
	if (tztime_parse_local(s, zone, &t) < 0)
		fail_msg("bad local time %s %s", s, zone);
	return t;
}

static inline time_t fx_utc(const char *s)
{
	time_t t;
	if (tztime_parse_iso8601(s, &t) < 0)
		fail_msg("bad time %s", s);
	return t;
}

static struct fx *fx_new(const char *tag)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_%s.XXXXXX", tag);
	if (mkdtemp(f->dir) == NULL)
		fail_msg("mkdtemp");
	struct err err = { 0 };
	if (spool_open(f->dir, &f->sp, &err) < 0)
		fail_msg("spool_open: %s", err.msg);
	f->cfg = xcalloc(1, sizeof(*f->cfg));
	f->cfg->path = xstrdup("/nonexistent/intaked.conf");
	f->cfg->spool_dir = xstrdup(f->dir);
	f->cfg->smtp.from = xstrdup("GCM Written Inputs <intake@example.org>");
	f->cfg->smtp.from_addr = xstrdup("intake@example.org");
	return f;
}

static inline void fx_free(struct fx **fp)
{
	struct fx *f = *fp;
	config_free(&f->cfg);
	spool_close(&f->sp);
	fsio_rmtree(f->dir);
	free(f);
	*fp = NULL;
}

/* A call as config_load would leave it; roster_csv "name,addresses\n...". */
static struct call_config *fx_call(struct fx *f, const char *name, const char *deadline,
				   const char *zone, const char *roster_csv)
{
	struct config *cfg = f->cfg;
	cfg->calls = xreallocarray(cfg->calls, cfg->ncalls + 1, sizeof(*cfg->calls));
	struct call_config *c = &cfg->calls[cfg->ncalls++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->title = xasprintf("Title of %s", name);
	c->zone = xstrdup(zone);
	c->deadline = fx_local(deadline, zone);
	c->late = LATE_FLAG;
	c->ack_unknown = true;
	c->ack_per_sender_per_day = 5;
	c->remind = REMIND_MISSING;
	c->digest_minute = -1;
	c->language = xstrdup("en");
	c->word_limit = 5000;
	struct err err = { 0 };
	if (roster_parse("roster.csv", roster_csv, strlen(roster_csv), &c->roster, &err) < 0)
		fail_msg("roster: %s", err.msg);
	return c;
}

static inline void fx_reminders(struct call_config *c, const long *offsets, size_t n)
{
	free(c->reminders);
	c->reminders = xcalloc(n, sizeof(long));
	memcpy(c->reminders, offsets, n * sizeof(long));
	c->n_reminders = n;
}

static inline void fx_extend(struct call_config *c, const char *member, time_t deadline)
{
	c->extensions = xreallocarray(c->extensions, c->n_extensions + 1,
				      sizeof(*c->extensions));
	c->extensions[c->n_extensions++] = (struct extension){ xstrdup(member), deadline };
}

/* What a filed submission looks like; the caller adjusts it. */
static struct metadata *fx_md(const struct call_config *c, const char *slug, const char *name,
			      int version, time_t received)
{
	struct metadata *md = metadata_new();
	char sha[65], id[40];
	char *seed = xasprintf("%s/%s/%d", c->name, slug, version);
	sha256_hex(seed, strlen(seed), sha);
	free(seed);
	spool_make_id(received, sha, id);
	md->id = xstrdup(id);
	md->kind = xstrdup("submission");
	md->call = xstrdup(c->name);
	md->call_title = xstrdup(c->title);
	md->status = xstrdup("accepted");
	md->submitter.name = xstrdup(name);
	md->submitter.slug = xstrdup(slug);
	md->submitter.matched_by = xstrdup(name ? "address" : "none");
	md->submitter.verified = name != NULL;
	md->from = xasprintf("%s@example.net", slug);
	md->subject = xasprintf("Input of %s", name ? name : slug);
	md->received_at = received;
	md->filed_at = received;
	md->deadline = c->deadline;
	md->zone = xstrdup(c->zone);
	md->timeliness = xstrdup(received <= c->deadline ? "on_time" : "late");
	md->word_count = 100 * version;
	md->word_limit = c->word_limit;
	md->counted = xstrdup("body");
	md->version = version;
	md->raw_sha256 = xstrdup(sha);
	md->ack.state = xstrdup("sent");
	md->ack.to = xstrdup(md->from);
	return md;
}

/* Commit md at relpath (calls/CALL/SLUG/vN, or an ignored/... path); frees md. */
static inline void fx_commit(struct fx *f, const char *relpath, struct metadata *md)
{
	struct spool_entry *e = NULL;
	struct err err = { 0 };
	char *json = metadata_to_json(md);
	if (spool_begin(f->sp, md->id, &e, &err) < 0 ||
	    spool_entry_write(e, "metadata.json", json, strlen(json), &err) < 0 ||
	    spool_commit(f->sp, &e, relpath, &err) < 0)
		fail_msg("commit %s: %s", relpath, err.msg);
	free(json);
	metadata_free(&md);
}

static inline void fx_submit(struct fx *f, const struct call_config *c, struct metadata *md)
{
	char *rel = spool_submission_path(c->name, md->submitter.slug, md->version);
	fx_commit(f, rel, md);
	free(rel);
}

static inline int fx_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Undo quoted-printable over a whole message (soft breaks, =XX), so tests
 * can look for text without caring where the encoder broke lines. */
static char *fx_unqp(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=' && fx_hex(s[1]) >= 0 && fx_hex(s[2]) >= 0) {
			*o++ = (char)(fx_hex(s[1]) * 16 + fx_hex(s[2]));
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* The items of outbox/AREA: their message.eml texts, quoted-printable
 * undone (caller frees the list). */
static inline void fx_outbox(struct fx *f, const char *area, struct strlist *msgs)
{
	char *path = xasprintf("%s/outbox/%s", f->dir, area);
	DIR *dp = opendir(path);
	struct dirent *de;
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s/message.eml", path, de->d_name);
		char *data = NULL;
		size_t len;
		if (fsio_read_file(p, 1 << 24, &data, &len, NULL) == 0) {
			char *plain = fx_unqp(data);
			strlist_push(msgs, plain);
			free(plain);
		}
		free(data);
		free(p);
	}
	if (dp != NULL)
		closedir(dp);
	free(path);
}

static inline size_t fx_queued(struct fx *f)
{
	struct strlist l = { 0 };
	fx_outbox(f, "queue", &l);
	size_t n = l.n;
	strlist_free(&l);
	return n;
}

/* How many queued messages hold every one of the NULL-terminated needles. */
static inline size_t fx_queued_with(struct fx *f, const char *needle, ...)
{
	struct strlist l = { 0 };
	fx_outbox(f, "queue", &l);
	size_t n = 0;
	for (size_t i = 0; i < l.n; i++) {
		va_list ap;
		va_start(ap, needle);
		bool all = true;
		for (const char *s = needle; s != NULL; s = va_arg(ap, const char *))
			all = all && strstr(l.v[i], s) != NULL;
		va_end(ap);
		n += all;
	}
	strlist_free(&l);
	return n;
}

/* Empty outbox/queue (as if flushed): its items, not the directory, which
 * the open spool keeps (spool_area_sub_fd) as the daemon's flush does. */
static inline void fx_drain(struct fx *f)
{
	char *q = xasprintf("%s/outbox/queue", f->dir);
	DIR *d = opendir(q);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fsio_rmtree_at(dirfd(d), de->d_name);
	if (d != NULL)
		closedir(d);
	free(q);
}

#endif
