/* spool_index.c — reading the spool tree: versions, the walk over a call's
 * submissions, and calls/CALL/index.json. Part of the spool module (see
 * spool.c); nothing here follows a symlink inside the spool. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "intaked/spool_internal.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* "v7" -> 7; anything else (v0, v07, v, 7, v1x) -> 0. */
static int parse_version(const char *name)
{
	unsigned long v;
	if (name[0] != 'v' || name[1] < '1' || name[1] > '9' ||
	    parse_ulong(name + 1, INT_MAX, &v) < 0)
		return 0;
	return (int)v;
}

/* Submitter slugs as roster_slugify and roster_unknown_slug make them,
 * with some slack for entries an operator made by hand. */
static bool slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '-' || s[0] == '_')
		return false;
	for (const char *p = s; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9');
		if (!alnum && *p != '-' && *p != '_')
			return false;
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* ---- reading the tree ---- */

/* A symlink or a file where a directory belongs: never followed. */
static void warn_skipped(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	log_warnx("event=spool-skip path=%s reason=not-a-directory", log_q(p));
	free(p);
}

/* Version numbers of the real vN directories under slugfd, ascending. */
static int list_versions(int slugfd, const char *shown, int **v_r, size_t *n_r,
			 struct err *err)
{
	struct strlist names = {0};
	*v_r = NULL;
	*n_r = 0;
	if (spool_list_dir(slugfd, &names, err) < 0)
		return -1;
	int *v = xcalloc(names.n, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < names.n; i++) {
		int ver = parse_version(names.v[i]);
		if (ver > 0 && spool_is_dir_at(slugfd, names.v[i]))
			v[n++] = ver;
		else if (ver > 0)
			warn_skipped(shown, names.v[i]);
	}
	strlist_free(&names);
	qsort(v, n, sizeof(*v), cmp_int);
	*v_r = v;
	*n_r = n;
	return 0;
}

int spool_latest_version(const struct spool *sp, const char *call, const char *slug)
{
	if (!spool_name_ok(call) || !spool_name_ok(slug))
		return -1;
	char *rel = xasprintf("calls/%s/%s", call, slug);
	int fd = spool_walk(sp, rel, false, NULL);
	int latest = fd < 0 && errno == ENOENT ? 0 : -1;
	int *v;
	size_t n;
	if (fd >= 0 && list_versions(fd, rel, &v, &n, NULL) == 0) {
		latest = n > 0 ? v[n - 1] : 0;
		free(v);
	}
	if (fd >= 0)
		close(fd);
	free(rel);
	return latest;
}

/* Load calls/CALL/SLUG/vN/metadata.json; NULL (logged) if unreadable. */
static struct metadata *load_version(int slugfd, const char *relpath, int version)
{
	char vname[16];
	snprintf(vname, sizeof(vname), "v%d", version);
	int vfd = spool_open_dir_at(slugfd, vname);
	char *text = NULL;
	size_t len = 0;
	struct metadata *md = NULL;
	struct err err = {0};
	if (vfd < 0 || spool_read_at(vfd, "metadata.json", SPOOL_METADATA_MAX, &text, &len) < 0)
		err_setsys(&err, ERR_TEMP, "cannot read metadata.json");
	else
		metadata_from_json(text, len, &md, &err);
	if (md == NULL)
		log_warnx("event=spool-skip path=%s error=%s", log_q(relpath), log_q(err.msg));
	if (vfd >= 0)
		close(vfd);
	free(text);
	return md;
}

/* Visit the versions of one submitter. 1 when the callback asked to stop,
 * else 0; -1 on error. */
static int visit_slug(int callfd, const char *call, const char *slug, spool_visit_fn fn,
		      void *arg, struct err *err)
{
	char *shown = xasprintf("calls/%s/%s", call, slug);
	int sfd = spool_open_dir_at(callfd, slug);
	if (sfd < 0) {
		log_warnx("event=spool-skip path=%s reason=not-a-directory", log_q(shown));
		free(shown);
		return 0;
	}
	int *v;
	size_t n;
	int rc = list_versions(sfd, shown, &v, &n, err);
	free(shown);
	if (rc < 0) {
		close(sfd);
		return -1;
	}
	int stop = 0;
	for (size_t i = 0; stop == 0 && i < n; i++) {
		char *rel = xasprintf("calls/%s/%s/v%d", call, slug, v[i]);
		struct metadata *md = load_version(sfd, rel, v[i]);
		if (md != NULL && fn(rel, md, arg) != 0)
			stop = 1;
		metadata_free(&md);
		free(rel);
	}
	free(v);
	close(sfd);
	return stop;
}

int spool_each_submission(const struct spool *sp, const char *call, spool_visit_fn fn,
			  void *arg, struct err *err)
{
	if (!spool_name_ok(call)) {
		err_set(err, ERR_TEMP, "spool: invalid call name %s", log_q(call));
		return -1;
	}
	char *rel = xasprintf("calls/%s", call);
	int cfd = spool_walk(sp, rel, false, err);
	if (cfd < 0) {
		int saved = errno;
		free(rel);
		if (saved != ENOENT)
			return -1;
		err_clear(err);
		return 0;
	}
	struct strlist names = {0};
	int rc = spool_list_dir(cfd, &names, err);
	if (rc == 0 && names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		/* index.json and its .tmp are no slugs: no '.' in a slug. */
		if (!slug_ok(names.v[i]) || !spool_is_dir_at(cfd, names.v[i])) {
			if (slug_ok(names.v[i]))
				warn_skipped(rel, names.v[i]);
			continue;
		}
		rc = visit_slug(cfd, call, names.v[i], fn, arg, err);
	}
	strlist_free(&names);
	free(rel);
	close(cfd);
	return rc < 0 ? -1 : 0;
}

/* ---- index.json: derived from the entries alone, no clock, so a rebuild
 * is byte-identical ---- */

struct index_build {
	json_t *submitters;
	json_t *cur;              /* the submitter being filled */
	json_t *versions;
	char *slug;
	char *title;
	/* the submitter's latest version so far: it is the current one */
	int last_version;
	char *last_status;
	bool last_verified, last_over_limit;
	long n_submitters, n_versions, accepted, late, rejected, over_limit, unverified;
};

static void jset(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		fatalx("event=oom in=jansson");
}

static json_t *jstr_or_null(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	/* metadata.c wrote the text, so it is valid UTF-8; stay total anyway. */
	return j ? j : json_string("\xef\xbf\xbd");
}

static json_t *jtime_or_null(time_t t)
{
	if (t == 0)
		return json_null();
	char s[32];
	tztime_format_utc(t, s, sizeof(s));
	return json_string(s);
}

static void index_finish_submitter(struct index_build *ib)
{
	if (ib->cur == NULL)
		return;
	char cur[16];
	snprintf(cur, sizeof(cur), "v%d", ib->last_version);
	jset(ib->cur, "current", json_string(cur));
	ib->n_submitters++;
	const char *st = ib->last_status ? ib->last_status : "";
	ib->accepted += strcmp(st, "accepted") == 0;
	ib->late += strcmp(st, "late") == 0;
	ib->rejected += strcmp(st, "rejected") == 0;
	ib->over_limit += ib->last_over_limit;
	ib->unverified += !ib->last_verified;
	ib->cur = ib->versions = NULL;
	xfree(&ib->last_status);
}

static int index_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct index_build *ib = arg;
	/* relpath is calls/CALL/SLUG/vN, made by spool_each_submission. */
	const char *vname = strrchr(relpath, '/') + 1;
	const char *slug_end = vname - 1;
	const char *slug = slug_end;
	while (slug > relpath && slug[-1] != '/')
		slug--;
	size_t slug_len = (size_t)(slug_end - slug);

	if (ib->slug == NULL || strlen(ib->slug) != slug_len ||
	    strncmp(ib->slug, slug, slug_len) != 0) {
		index_finish_submitter(ib);
		free(ib->slug);
		ib->slug = xstrndup(slug, slug_len);
		ib->cur = json_object();
		ib->versions = json_array();
		jset(ib->cur, "slug", json_string(ib->slug));
		jset(ib->cur, "name", json_null());
		jset(ib->cur, "current", json_null());
		jset(ib->cur, "versions", ib->versions);
		if (json_array_append_new(ib->submitters, ib->cur) < 0)
			fatalx("event=oom in=jansson");
	}
	int version = parse_version(vname);
	json_t *v = json_object();
	jset(v, "version", json_integer(version));
	jset(v, "id", jstr_or_null(md->id));
	jset(v, "received_at", jtime_or_null(md->received_at));
	jset(v, "status", jstr_or_null(md->status));
	jset(v, "timeliness", jstr_or_null(md->timeliness));
	jset(v, "word_count", md->word_count < 0 ? json_null() : json_integer(md->word_count));
	jset(v, "over_limit", json_boolean(md->over_limit));
	jset(v, "verified", json_boolean(md->submitter.verified));
	if (json_array_append_new(ib->versions, v) < 0)
		fatalx("event=oom in=jansson");

	jset(ib->cur, "name", jstr_or_null(md->submitter.name));
	if (md->call_title != NULL) {
		free(ib->title);
		ib->title = xstrdup(md->call_title);
	}
	ib->n_versions++;
	ib->last_version = version;
	free(ib->last_status);
	ib->last_status = xstrdup(md->status);
	ib->last_verified = md->submitter.verified;
	ib->last_over_limit = md->over_limit;
	return 0;
}

static char *index_render(const char *call, struct index_build *ib)
{
	index_finish_submitter(ib);
	json_t *root = json_object();
	jset(root, "call", json_string(call));
	jset(root, "title", jstr_or_null(ib->title));
	jset(root, "submitters", json_incref(ib->submitters));
	json_t *t = json_object();
	jset(t, "submitters", json_integer(ib->n_submitters));
	jset(t, "versions", json_integer(ib->n_versions));
	jset(t, "accepted", json_integer(ib->accepted));
	jset(t, "late", json_integer(ib->late));
	jset(t, "rejected", json_integer(ib->rejected));
	jset(t, "over_limit", json_integer(ib->over_limit));
	jset(t, "unverified", json_integer(ib->unverified));
	jset(root, "totals", t);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		fatalx("event=oom in=jansson");
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}

int spool_write_index(const struct spool *sp, const char *call, struct err *err)
{
	if (!spool_name_ok(call)) {
		err_set(err, ERR_TEMP, "spool: invalid call name %s", log_q(call));
		return -1;
	}
	char *rel = xasprintf("calls/%s", call);
	int cfd = spool_walk(sp, rel, true, err);
	free(rel);
	if (cfd < 0)
		return -1;
	/* The daemon and intakectl reindex may both write it. */
	if (flock(cfd, LOCK_EX) < 0) {
		err_setsys(err, ERR_TEMP, "spool: lock calls/%s", call);
		close(cfd);
		return -1;
	}
	struct index_build ib = { .submitters = json_array() };
	int rc = spool_each_submission(sp, call, index_visit, &ib, err);
	if (rc == 0) {
		char *text = index_render(call, &ib);
		rc = spool_replace_at(cfd, "index.json", text, err);
		free(text);
	}
	json_decref(ib.submitters);
	free(ib.slug);
	free(ib.title);
	free(ib.last_status);
	close(cfd); /* releases the lock */
	return rc;
}

