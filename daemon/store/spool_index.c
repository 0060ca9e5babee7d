/* spool_index.c — reading the spool tree: versions, the walk over a call's
 * submissions, and calls/CALL/index.json. Part of the spool module (see
 * spool.c); nothing here follows a symlink inside the spool. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>


#include "intaked/fsio.h"
#include "intaked/json.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "spool_internal.h"
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

/* Version numbers of the real vN directories under slugfd, ascending;
 * with warn, the vN that are no directory are logged. */
static int list_versions(int slugfd, const char *shown, bool warn, int **v_r, size_t *n_r,
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
		else if (ver > 0 && warn)
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
	if (fd >= 0 && list_versions(fd, rel, true, &v, &n, NULL) == 0) {
		latest = n > 0 ? v[n - 1] : 0;
		free(v);
	}
	if (fd >= 0)
		close(fd);
	free(rel);
	return latest;
}

/* The submitter directories of a call (open on cfd, shown as rel), in
 * slug order: names that are no slug are dropped (index.json and its .tmp
 * among them: no '.' in a slug), symlinks and files dropped with a warning. */
static int list_slugs(int cfd, const char *rel, struct strlist *slugs, struct err *err)
{
	if (spool_list_dir(cfd, slugs, err) < 0)
		return -1;
	if (slugs->n > 1)
		qsort(slugs->v, slugs->n, sizeof(*slugs->v), cmp_str);
	size_t kept = 0;
	for (size_t i = 0; i < slugs->n; i++) {
		if (slug_ok(slugs->v[i]) && spool_is_dir_at(cfd, slugs->v[i])) {
			slugs->v[kept++] = slugs->v[i];
			continue;
		}
		if (slug_ok(slugs->v[i]))
			warn_skipped(rel, slugs->v[i]);
		free(slugs->v[i]);
	}
	slugs->n = kept;
	return 0;
}

/* One submitter's directory, open, with its versions in ascending order. */
struct slug_dir {
	char *shown;              /* calls/CALL/SLUG, for paths and logs */
	int fd;
	int *v;
	size_t n;
};

/* 1 when open, 0 when it is no directory (logged with warn), -1 if its
 * versions cannot be listed. */
static int slug_open(int cfd, const char *call, const char *slug, bool warn,
		     struct slug_dir *sd, struct err *err)
{
	*sd = (struct slug_dir){ .fd = -1 };
	sd->shown = xasprintf("calls/%s/%s", call, slug);
	sd->fd = spool_open_dir_at(cfd, slug);
	if (sd->fd < 0) {
		if (warn)
			log_warnx("event=spool-skip path=%s reason=not-a-directory",
				  log_q(sd->shown));
		return 0;
	}
	return list_versions(sd->fd, sd->shown, warn, &sd->v, &sd->n, err) < 0 ? -1 : 1;
}

static void slug_close(struct slug_dir *sd)
{
	if (sd->fd >= 0)
		close(sd->fd);
	free(sd->shown);
	free(sd->v);
	*sd = (struct slug_dir){ .fd = -1 };
}

/* metadata.json of the i-th version; NULL if unreadable (logged with warn). */
static struct metadata *load_version(const struct slug_dir *sd, size_t i, bool warn)
{
	char vname[16];
	snprintf(vname, sizeof(vname), "v%d", sd->v[i]);
	int vfd = spool_open_dir_at(sd->fd, vname);
	char *text = NULL;
	size_t len = 0;
	struct metadata *md = NULL;
	struct err err = {0};
	if (vfd < 0)
		err_setsys(&err, ERR_TEMP, "cannot open %s", vname);
	else if (fsio_read_at(vfd, "metadata.json", SPOOL_METADATA_MAX, &text, &len, &err) == 0)
		metadata_from_json(text, len, &md, &err);
	if (md == NULL && warn)
		log_warnx("event=spool-skip path=%s/%s error=%s", log_q(sd->shown), vname,
			  log_q(err.msg));
	if (vfd >= 0)
		close(vfd);
	free(text);
	return md;
}

/* Visit the versions of one submitter. 1 when the callback asked to stop,
 * else 0. */
static int visit_slug(const struct slug_dir *sd, spool_visit_fn fn, void *arg)
{
	int stop = 0;
	for (size_t i = 0; stop == 0 && i < sd->n; i++) {
		struct metadata *md = load_version(sd, i, true);
		if (md != NULL) {
			char *rel = xasprintf("%s/v%d", sd->shown, sd->v[i]);
			stop = fn(rel, md, arg) != 0;
			free(rel);
		}
		metadata_free(&md);
	}
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
	struct strlist slugs = {0};
	int rc = list_slugs(cfd, rel, &slugs, err);
	for (size_t i = 0; rc == 0 && i < slugs.n; i++) {
		struct slug_dir sd;
		rc = slug_open(cfd, call, slugs.v[i], true, &sd, err);
		rc = rc == 1 ? visit_slug(&sd, fn, arg) : rc;
		slug_close(&sd);
	}
	strlist_free(&slugs);
	free(rel);
	close(cfd);
	return rc < 0 ? -1 : 0;
}

/* ---- index.json: derived from the entries alone, no clock, so a rebuild
 * is byte-identical. Streamed to index.json.tmp as the walk goes, so the
 * memory it takes does not grow with the call: one submitter's version
 * numbers and two metadata at a time. The layout is jansson's
 * JSON_INDENT(2) | JSON_PRESERVE_ORDER with a final newline (what the
 * index was before it was streamed); values go through json.h so that
 * strings are escaped exactly as before. ---- */

#define INDEX_NAME "index.json"
#define INDEX_TMP "index.json.tmp"

struct index_out {
	FILE *f;
	bool any;                 /* a submitter written: "," before the next */
	long n_submitters, n_versions, accepted, late, rejected, over_limit, unverified;
};

/* As jansson dumps a member: "," after the previous one, a newline, two
 * spaces a level. */
static void put_key(FILE *f, int depth, bool first, const char *key)
{
	fprintf(f, "%s\n%*s\"%s\": ", first ? "" : ",", 2 * depth, "", key);
}

/* An array element opening with c. */
static void put_open(FILE *f, int depth, bool first, char c)
{
	fprintf(f, "%s\n%*s%c", first ? "" : ",", 2 * depth, "", c);
}

static void put_close(FILE *f, int depth, char c)
{
	fprintf(f, "\n%*s%c", 2 * depth, "", c);
}

/* A string, or null; metadata.c wrote the text, so it is valid UTF-8,
 * but stay total: a byte that is not becomes U+FFFD. */
static void put_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	jnode *j = jn_str(s);
	char *text = jn_dump(j, JN_COMPACT);
	fputs(text, f); /* write errors: ferror() at the end */
	free(text);
	jn_free(j);
}

static void put_time(FILE *f, time_t t)
{
	char s[32];
	if (t == 0) {
		fputs("null", f);
		return;
	}
	tztime_format_utc(t, s, sizeof(s));
	put_str(f, s);
}

static void put_version(FILE *f, bool first, int version, const struct metadata *md)
{
	put_open(f, 4, first, '{');
	put_key(f, 5, true, "version");
	fprintf(f, "%d", version);
	put_key(f, 5, false, "id");
	put_str(f, md->id);
	put_key(f, 5, false, "received_at");
	put_time(f, md->received_at);
	put_key(f, 5, false, "status");
	put_str(f, md->status);
	put_key(f, 5, false, "timeliness");
	put_str(f, md->timeliness);
	put_key(f, 5, false, "word_count");
	if (md->word_count < 0)
		fputs("null", f);
	else
		fprintf(f, "%ld", md->word_count);
	put_key(f, 5, false, "over_limit");
	fputs(md->over_limit ? "true" : md->over_limit_unknown ? "null" : "false", f);
	put_key(f, 5, false, "verified");
	fputs(md->submitter.verified ? "true" : "false", f);
	put_close(f, 4, '}');
}

/* The index of the current version: the highest that reads and is not
 * held (an unverified message never supersedes a verified one, issue 14);
 * when every version that reads is held, the highest. *cur_r: its
 * metadata, or NULL when no version reads. */
static size_t find_current(const struct slug_dir *sd, struct metadata **cur_r)
{
	size_t fallback = sd->n;
	*cur_r = NULL;
	for (size_t i = sd->n; i-- > 0;) {
		struct metadata *md = load_version(sd, i, true);
		if (md == NULL)
			continue;
		if (!md->held) {
			if (*cur_r != NULL)
				metadata_free(cur_r);
			*cur_r = md;
			return i;
		}
		if (*cur_r == NULL) {
			*cur_r = md;
			fallback = i;
		} else {
			metadata_free(&md);
		}
	}
	return fallback;
}

/* One submitter. "name" and "current" come before the versions but are
 * those of the current version (find_current); every version that reads
 * is listed. A submitter none of whose versions reads is left out. */
static void index_submitter(struct index_out *o, const struct slug_dir *sd, const char *slug)
{
	struct metadata *cur = NULL;
	size_t last = find_current(sd, &cur);
	if (cur == NULL)
		return;
	put_open(o->f, 2, !o->any, '{');
	o->any = true;
	put_key(o->f, 3, true, "slug");
	put_str(o->f, slug);
	put_key(o->f, 3, false, "name");
	put_str(o->f, cur->submitter.name);
	put_key(o->f, 3, false, "current");
	fprintf(o->f, "\"v%d\"", sd->v[last]);
	put_key(o->f, 3, false, "versions");
	fputc('[', o->f);
	bool first = true;
	for (size_t i = 0; i < sd->n; i++) {
		struct metadata *md = i == last ? cur : load_version(sd, i, true);
		if (md == NULL)
			continue;
		put_version(o->f, first, sd->v[i], md);
		first = false;
		o->n_versions++;
		if (md != cur)
			metadata_free(&md);
	}
	put_close(o->f, 3, ']');
	put_close(o->f, 2, '}');

	o->n_submitters++;
	const char *st = cur->status ? cur->status : "";
	o->accepted += strcmp(st, "accepted") == 0;
	o->late += strcmp(st, "late") == 0;
	o->rejected += strcmp(st, "rejected") == 0;
	o->over_limit += cur->over_limit;
	o->unverified += !cur->submitter.verified;
	metadata_free(&cur);
}

/* "title" comes before the submitters but is the call_title of the last
 * entry (in walk order) that has one: look for it from the end, where it
 * is found at the first entry read unless entries lack it. Quiet: the
 * walk that writes the index logs what it skips. */
static char *index_title(int cfd, const char *call, const struct strlist *slugs)
{
	char *title = NULL;
	for (size_t i = slugs->n; title == NULL && i > 0; i--) {
		struct slug_dir sd;
		if (slug_open(cfd, call, slugs->v[i - 1], false, &sd, NULL) == 1) {
			for (size_t j = sd.n; title == NULL && j > 0; j--) {
				struct metadata *md = load_version(&sd, j - 1, false);
				if (md != NULL && md->call_title != NULL)
					title = xstrdup(md->call_title);
				metadata_free(&md);
			}
		}
		slug_close(&sd);
	}
	return title;
}

/* The whole document into o->f; -1 if a submitter's versions cannot be
 * listed (the index is then not replaced). */
static int index_write(struct index_out *o, int cfd, const char *call,
		       const struct strlist *slugs, struct err *err)
{
	char *title = index_title(cfd, call, slugs);
	FILE *f = o->f;
	fputc('{', f);
	put_key(f, 1, true, "call");
	put_str(f, call);
	put_key(f, 1, false, "title");
	put_str(f, title);
	free(title);
	put_key(f, 1, false, "submitters");
	fputc('[', f);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < slugs->n; i++) {
		struct slug_dir sd;
		rc = slug_open(cfd, call, slugs->v[i], true, &sd, err);
		if (rc == 1)
			index_submitter(o, &sd, slugs->v[i]);
		rc = rc < 0 ? -1 : 0;
		slug_close(&sd);
	}
	if (o->any)
		put_close(f, 1, ']');
	else
		fputc(']', f);
	put_key(f, 1, false, "totals");
	fputc('{', f);
	static const char *const keys[] = { "submitters", "versions", "accepted", "late",
					     "rejected", "over_limit", "unverified" };
	const long vals[] = { o->n_submitters, o->n_versions, o->accepted, o->late,
			      o->rejected, o->over_limit, o->unverified };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		put_key(f, 2, i == 0, keys[i]);
		fprintf(f, "%ld", vals[i]);
	}
	put_close(f, 1, '}');
	put_close(f, 0, '}');
	fputc('\n', f);
	return rc;
}

/* A fresh index.json.tmp in cfd (a crash's leftover removed), as a FILE. */
static FILE *index_create(int cfd, const char *call, struct err *err)
{
	unlinkat(cfd, INDEX_TMP, 0);
	int fd = openat(cfd, INDEX_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			SPOOL_FILE_MODE);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f == NULL) {
		err_setsys(err, ERR_TEMP, "spool: create calls/%s/%s", call, INDEX_TMP);
		if (fd >= 0) {
			close(fd);
			unlinkat(cfd, INDEX_TMP, 0);
		}
	}
	return f;
}

/* Flush, fsync and close the staging file; if ok, rename it over
 * index.json and fsync the directory. Otherwise, or on failure, it is
 * removed and index.json left as it was. */
static int index_commit(int cfd, const char *call, FILE *f, bool ok, struct err *err)
{
	bool written = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
	int saved = errno;
	written = fclose(f) == 0 && written;
	if (ok && !written) {
		errno = saved;
		err_setsys(err, ERR_TEMP, "spool: write calls/%s/%s", call, INDEX_TMP);
	}
	if (!ok || !written) {
		unlinkat(cfd, INDEX_TMP, 0);
		return -1;
	}
	if (renameat(cfd, INDEX_TMP, cfd, INDEX_NAME) < 0) {
		err_setsys(err, ERR_TEMP, "spool: rename calls/%s/%s", call, INDEX_TMP);
		unlinkat(cfd, INDEX_TMP, 0);
		return -1;
	}
	if (fsync(cfd) < 0) {
		err_setsys(err, ERR_TEMP, "spool: fsync directory calls/%s", call);
		return -1;
	}
	return 0;
}

int spool_write_index(const struct spool *sp, const char *call, struct err *err)
{
	if (!spool_name_ok(call)) {
		err_set(err, ERR_TEMP, "spool: invalid call name %s", log_q(call));
		return -1;
	}
	char *rel = xasprintf("calls/%s", call);
	int cfd = spool_walk(sp, rel, true, err);
	if (cfd < 0) {
		free(rel);
		return -1;
	}
	struct strlist slugs = {0};
	int rc = -1;
	/* The daemon and intakectl reindex may both write it. */
	if (flock(cfd, LOCK_EX) < 0)
		err_setsys(err, ERR_TEMP, "spool: lock calls/%s", call);
	else if (list_slugs(cfd, rel, &slugs, err) == 0) {
		struct index_out o = { .f = index_create(cfd, call, err) };
		if (o.f != NULL) {
			bool ok = index_write(&o, cfd, call, &slugs, err) == 0;
			rc = index_commit(cfd, call, o.f, ok, err);
		}
	}
	strlist_free(&slugs);
	free(rel);
	close(cfd); /* releases the lock */
	return rc;
}
