/* ctl.c — what intakectl's commands share: the spool, calls, the entries
 * of a call, finding an entry by id, and text safe for a terminal.
 *
 * The spool is read only through spool.h (which never follows a symlink
 * inside it); the directory listings here for "which calls, which dated
 * folders" open every level with O_NOFOLLOW as well. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unistr.h>
#include <uniwidth.h>

#include "ctl.h"
#include "intaked/fsio.h"
#include "intaked/metadata.h"
#include "intaked/printable.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* More names than this in one spool directory is not a spool we wrote. */
#define CTL_LIST_MAX 1000000u

int ctl_open_spool(struct ctl *c)
{
	struct err err = { 0 };
	struct stat st;

	if (c->sp != NULL)
		return CTL_OK;
	if (stat(c->cfg->spool_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(c->err, "intakectl: spool %s does not exist or is no directory "
			"(has intaked run yet? is [spool] dir right?)\n", c->cfg->spool_dir);
		return CTL_IOERR;
	}
	if (spool_open(c->cfg->spool_dir, &c->sp, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	return CTL_OK;
}

void ctl_close(struct ctl *c)
{
	spool_close(&c->sp);
}

const struct call_config *ctl_find_call(struct ctl *c, const char *name)
{
	const struct call_config *call = config_find_call(c->cfg, name);
	if (call == NULL) {
		char *shown = printable_copy(name);
		fprintf(c->err, "intakectl: no call named \"%s\" in %s (see: intakectl calls)\n",
			shown, c->cfg->path);
		free(shown);
	}
	return call;
}

/* ---- the submissions of a call ---- */

static int subs_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct ctl_subs *subs = arg;
	struct err err = { 0 };
	struct metadata *copy = NULL;
	/* The visitor's metadata is borrowed: keep a copy made by the same
	 * code that reads metadata.json. */
	char *json = metadata_to_json(md);
	int rc = metadata_from_json(json, strlen(json), &copy, &err);
	free(json);
	if (rc < 0)
		return 0;
	subs->v = xreallocarray(subs->v, subs->n + 1, sizeof(*subs->v));
	subs->v[subs->n++] = (struct ctl_sub){ .relpath = xstrdup(relpath), .md = copy };
	return 0;
}

/* "calls/CALL/SLUG/vN": the length of "calls/CALL/SLUG". */
static size_t slug_prefix_len(const char *relpath)
{
	const char *v = strrchr(relpath, '/');
	return v ? (size_t)(v - relpath) : strlen(relpath);
}

int ctl_subs_load(struct ctl *c, const char *call, struct ctl_subs *subs, struct err *err)
{
	subs->v = NULL;
	subs->n = 0;
	if (spool_each_submission(c->sp, call, subs_visit, subs, err) < 0)
		return -1;
	/* Visited in slug, version order: of each slug, the last version
	 * not held (issue 14) is current, or the last when all are held. */
	for (size_t i = 0; i < subs->n;) {
		size_t end = i + 1, cur;
		size_t la = slug_prefix_len(subs->v[i].relpath);
		while (end < subs->n && slug_prefix_len(subs->v[end].relpath) == la &&
		       strncmp(subs->v[i].relpath, subs->v[end].relpath, la) == 0)
			end++;
		for (cur = end - 1; cur > i && subs->v[cur].md->held; cur--)
			;
		if (subs->v[cur].md->held)
			cur = end - 1;
		for (size_t k = i; k < end; k++)
			subs->v[k].current = k == cur;
		i = end;
	}
	return 0;
}

void ctl_subs_free(struct ctl_subs *subs)
{
	for (size_t i = 0; i < subs->n; i++) {
		free(subs->v[i].relpath);
		metadata_free(&subs->v[i].md);
	}
	free(subs->v);
	subs->v = NULL;
	subs->n = 0;
}

/* ---- finding an entry by id ---- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the real directories in relpath (below the spool root,
 * every level opened without following symlinks). Missing: empty. */
static int list_subdirs(struct ctl *c, const char *relpath, struct strlist *names,
			struct err *err)
{
	int rc = 0;
	int fd = spool_open_dir(c->sp, relpath, err);
	if (fd < 0) {
		if (errno == ENOENT) {
			err_clear(err);
			return 0;
		}
		return -1;
	}
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		err_setsys(err, ERR_TEMP, "spool: read %s/%s", c->cfg->spool_dir, relpath);
		return -1;
	}
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL && names->n < CTL_LIST_MAX) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			strlist_push(names, de->d_name);
		errno = 0;
	}
	if (errno != 0) {
		err_setsys(err, ERR_TEMP, "spool: read %s/%s", c->cfg->spool_dir, relpath);
		rc = -1;
	}
	closedir(d);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(*names->v), cmp_name);
	return rc;
}

int ctl_list_calls(struct ctl *c, struct strlist *names, struct err *err)
{
	return list_subdirs(c, "calls", names, err);
}

/* spool_each_submission's callback stops the walk by returning non-zero;
 * this remembers that it did, so the areas after calls/ are skipped too. */
struct each {
	ctl_entry_fn fn;
	void *arg;
	bool stopped;
};

static int each_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct each *e = arg;
	if (e->fn(relpath, md, e->arg) != 0)
		e->stopped = true;
	return e->stopped;
}

/* Entries one level (quarantine/ID) or two levels (unmatched/DAY/ID) down;
 * one whose metadata.json cannot be read is skipped, as in calls/. */
static int each_in_area(struct ctl *c, struct each *e, const char *area, int depth,
			struct err *err)
{
	struct strlist names = { 0 };
	int rc = list_subdirs(c, area, &names, err);
	for (size_t i = 0; rc == 0 && !e->stopped && i < names.n; i++) {
		char *rel = xasprintf("%s/%s", area, names.v[i]);
		struct metadata *md = NULL;
		struct err lerr = { 0 };
		if (depth > 1)
			rc = each_in_area(c, e, rel, depth - 1, err);
		else if (spool_relpath_valid(rel) && spool_load_metadata(c->sp, rel, &md, &lerr) == 0)
			each_visit(rel, md, e);
		metadata_free(&md);
		free(rel);
	}
	strlist_free(&names);
	return rc;
}

int ctl_each_entry(struct ctl *c, ctl_entry_fn fn, void *arg, struct err *err)
{
	struct each e = { .fn = fn, .arg = arg };
	struct strlist calls = { 0 };
	int rc = ctl_list_calls(c, &calls, err);
	for (size_t i = 0; rc == 0 && !e.stopped && i < calls.n; i++)
		rc = spool_each_submission(c->sp, calls.v[i], each_visit, &e, err);
	strlist_free(&calls);
	static const struct { const char *area; int depth; } areas[] = {
		{ "unmatched", 2 }, { "ignored", 2 }, { "quarantine", 1 },
	};
	for (size_t i = 0; rc == 0 && !e.stopped && i < sizeof(areas) / sizeof(areas[0]); i++)
		rc = each_in_area(c, &e, areas[i].area, areas[i].depth, err);
	return rc;
}

/* An entry is named by its id, an unambiguous prefix of it, or its path
 * in the spool (calls/CALL/SLUG/vN, as the daemon's log prints it,
 * optionally under the spool's own directory). A path is matched against
 * the entries the walk finds, never opened as given. */
struct find {
	const char *id;           /* the name given, when it is no path */
	char *path;               /* the relative path given, else NULL */
	char *relpath;            /* the one entry found */
	size_t matches;           /* entries whose id starts with id */
	bool exact;
	struct buf candidates;    /* "ID  RELPATH" lines of an ambiguous prefix */
};

static int find_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct find *f = arg;
	if (f->path != NULL) {
		if (strcmp(relpath, f->path) != 0)
			return 0;
		f->relpath = xstrdup(relpath);   /* loaded again below: md is borrowed */
		return 1;
	}
	if (md->id == NULL || strncmp(md->id, f->id, strlen(f->id)) != 0)
		return 0;
	free(f->relpath);
	f->relpath = xstrdup(relpath);
	if (strcmp(md->id, f->id) == 0) {
		f->exact = true;
		return 1;
	}
	if (++f->matches <= 5)
		buf_printf(&f->candidates, "  %s  %s\n", md->id, relpath);
	return 0;
}

/* The spool-relative path of name when it is a path ("a/b"), else NULL. */
static char *entry_path(const struct ctl *c, const char *name)
{
	if (strchr(name, '/') == NULL)
		return NULL;
	const char *dir = c->cfg->spool_dir;
	size_t dl = strlen(dir);
	if (strncmp(name, dir, dl) == 0 && name[dl] == '/')
		name += dl + 1;
	char *p = xstrdup(name);
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int ctl_find_entry(struct ctl *c, const char *name, char **relpath_r, struct metadata **md_r,
		   struct err *err)
{
	struct find f = { .id = name, .path = entry_path(c, name) };
	buf_init(&f.candidates, 1024);
	*relpath_r = NULL;
	*md_r = NULL;
	int rc = ctl_each_entry(c, find_visit, &f, err) < 0 ? -1 : 0;
	if (rc == 0 && f.relpath != NULL && !f.exact && f.path == NULL && f.matches > 1) {
		char *shown = printable_copy(name);
		err_set(err, ERR_MESSAGE, "\"%s\" is ambiguous: %zu entries have an id that "
			"starts with it:\n%s%s", shown, f.matches,
			f.candidates.data ? f.candidates.data : "", f.matches > 5 ? "  ...\n" : "");
		free(shown);
		rc = -2;
	}
	if (rc == 0 && f.relpath != NULL && spool_load_metadata(c->sp, f.relpath, md_r, err) < 0)
		rc = -1;
	if (rc == 0 && f.relpath != NULL) {
		*relpath_r = f.relpath;
		f.relpath = NULL;
		rc = 1;
	}
	free(f.relpath);
	free(f.path);
	buf_free(&f.candidates);
	return rc;
}

int ctl_open_entry(struct ctl *c, const char *name, char **relpath_r, struct metadata **md_r)
{
	struct err err = { 0 };
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	int found = ctl_find_entry(c, name, relpath_r, md_r, &err);
	if (found == -2) {
		fprintf(c->err, "intakectl: %s", err.msg);
		return CTL_USAGE;
	}
	if (found < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	if (found == 0) {
		char *shown = printable_copy(name);
		fprintf(c->err, "intakectl: no entry with id, id prefix or path \"%s\" in %s "
			"(see: intakectl list CALL)\n", shown, c->cfg->spool_dir);
		free(shown);
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* ---- text ---- */

const char *ctl_submitter_name(const struct metadata *md)
{
	if (md->submitter.name && *md->submitter.name)
		return md->submitter.name;
	if (md->from_name && *md->from_name)
		return md->from_name;
	return md->from && *md->from ? md->from : "?";
}

void ctl_format_time(time_t t, const char *zone, char *out, size_t n)
{
	if (t == 0)
		snprintf(out, n, "-");
	else if (zone == NULL || *zone == '\0')
		tztime_format_utc(t, out, n);
	else
		tztime_format_local(t, zone, out, n);
}

/* ---- tables ---- */

struct ctl_table {
	size_t ncols;
	char **cells;             /* rows * ncols, row 0 the headers */
	size_t nrows;
	size_t *cap;              /* per column: widest shown, 0 no limit */
};

struct ctl_table *ctl_table_new(const char *const *headers, size_t ncols)
{
	struct ctl_table *t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	t->cap = xcalloc(ncols, sizeof(*t->cap));
	ctl_table_add(t, headers);
	return t;
}

void ctl_table_cap(struct ctl_table *t, size_t col, size_t width)
{
	if (col < t->ncols)
		t->cap[col] = width;
}

/* s cut to width terminal columns, the last one an ellipsis: a new
 * string, s freed. */
static char *cut_to_width(char *s, size_t width)
{
	size_t used = 0, at = 0, len = strlen(s);
	while (at < len) {
		ucs4_t u;
		int n = u8_mbtouc(&u, (const uint8_t *)s + at, len - at);
		int w = uc_width(u, "UTF-8");
		if (used + (size_t)(w > 0 ? w : 0) > width - 1)
			break;
		used += (size_t)(w > 0 ? w : 0);
		at += (size_t)n;
	}
	char *cut = xasprintf("%.*s…", (int)at, s);
	free(s);
	return cut;
}

void ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = printable_copy(cells[i] ? cells[i] : "-");
	t->nrows++;
}

static size_t text_width(const char *s)
{
	int w = u8_strwidth((const uint8_t *)s, "UTF-8");
	return w < 0 ? strlen(s) : (size_t)w;
}

void ctl_table_print(const struct ctl_table *t, FILE *out)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++)
			if (t->cap[i] > 1 && text_width(t->cells[r * t->ncols + i]) > t->cap[i])
				t->cells[r * t->ncols + i] =
					cut_to_width(t->cells[r * t->ncols + i], t->cap[i]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t cw = text_width(t->cells[r * t->ncols + i]);
			if (cw > w[i])
				w[i] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * t->ncols + i];
			fputs(cell, out);
			if (i + 1 < t->ncols)
				fprintf(out, "%*s", (int)(w[i] - text_width(cell) + 2), "");
		}
		fputc('\n', out);
	}
	free(w);
}

void ctl_table_free(struct ctl_table **tp)
{
	struct ctl_table *t = *tp;
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->cap);
	free(t);
	*tp = NULL;
}
