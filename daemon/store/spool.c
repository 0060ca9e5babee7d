/* spool.c — the record of truth on disk (SPEC §6).
 *
 * Only the spool root may be a symlink (operators link /var/lib/intaked
 * elsewhere). Inside it, every directory is walked with openat(O_NOFOLLOW):
 * a symlink planted in the spool makes an operation fail or skips the
 * entry, and never leads a read or a write outside. An entry is built in
 * tmp/ID on the same filesystem and appears with one rename(2) that never
 * replaces anything (RENAME_NOREPLACE). Reading the tree and index.json
 * are in spool_index.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "spool_internal.h"
#include "intaked/util.h"

/* A directory listing larger than this is not a spool we wrote. */
#define LIST_MAX 1000000u

/* In the order of enum spool_area. */
static const char *const spool_areas[] = {
	"calls", "unmatched", "ignored", "quarantine", "tmp", "outbox", "state",
};
#define NAREAS (sizeof(spool_areas) / sizeof(spool_areas[0]))

struct spool {
	char *dir;
	int fd;        /* the root, opened once; everything inside goes via *at() */
	/* Each area, opened once at spool_open (O_NOFOLLOW) and kept for the
	 * process's life, so that a file operation does not walk from the
	 * root again. A symlink swapped in for an area later is not seen: the
	 * fd still names the real directory, inside the spool. An area
	 * removed while the process runs stays removed for it (writes fail
	 * with ENOENT) until it is restarted: spool_open makes it again. */
	int area_fd[NAREAS];
	/* Directories inside an area kept the same way (spool_area_sub_fd),
	 * behind a pointer so that holders of a const spool may fill it. */
	struct sub_cache *subs;
	int lock_fd;   /* state/intaked.lock while spool_lock() holds it, else -1 */
	struct spool_versions *versions; /* handed out (spool_entry.c) */
};

const char *spool_dir(const struct spool *sp)
{
	return sp->dir;
}

int spool_root_fd(const struct spool *sp)
{
	return sp->fd;
}

const char *spool_area_name(enum spool_area area)
{
	return (unsigned)area < NAREAS ? spool_areas[area] : "?";
}

int spool_area_fd(const struct spool *sp, enum spool_area area)
{
	if ((unsigned)area >= NAREAS) {
		errno = EINVAL;
		return -1;
	}
	return sp->area_fd[area];
}

#define SUBS_MAX 8

struct sub_cache {
	struct {
		enum spool_area area;
		char *name;
		int fd;
	} v[SUBS_MAX];
	size_t n;
};

int spool_area_sub_fd(const struct spool *sp, enum spool_area area, const char *subdir,
		      struct err *err)
{
	struct sub_cache *c = sp->subs;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].area == area && strcmp(c->v[i].name, subdir) == 0)
			return c->v[i].fd;
	if (c->n == SUBS_MAX) {
		err_set(err, ERR_TEMP, "spool: more than %d directories kept open", SUBS_MAX);
		return -1;
	}
	int fd = spool_area_sub(sp, area, subdir, true, err);
	if (fd >= 0) {
		c->v[c->n].area = area;
		c->v[c->n].name = xstrdup(subdir);
		c->v[c->n++].fd = fd;
	}
	return fd;
}

static void subs_free(struct sub_cache *c)
{
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		close(c->v[i].fd);
		free(c->v[i].name);
	}
	free(c);
}

/* The cached fd of the area relpath starts with ("calls/x/v1" -> calls),
 * and in *rest_r what follows it ("x/v1", or "" for the area itself);
 * -1 when the first component is no area. */
static int area_of(const struct spool *sp, const char *relpath, const char **rest_r)
{
	for (size_t i = 0; i < NAREAS; i++) {
		size_t n = strlen(spool_areas[i]);
		if (strncmp(relpath, spool_areas[i], n) == 0 &&
		    (relpath[n] == '/' || relpath[n] == '\0')) {
			*rest_r = relpath + n + (relpath[n] == '/');
			return sp->area_fd[i];
		}
	}
	*rest_r = relpath;
	return -1;
}

/* ---- directory walking without following symlinks ---- */

int spool_open_dir_at(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int spool_reopen_dir(int dirfd)
{
	/* Not dup(): a dup shares the directory offset, and a readdir through
	 * it would leave the cached fd at the end for the next reader. */
	return openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool spool_is_dir_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir name in dirfd unless it exists; the parent is fsynced when a
 * directory was made, so the new name survives a crash. */
static int mkdir_durable_at(int dirfd, const char *name, const char *shown, struct err *err)
{
	if (mkdirat(dirfd, name, SPOOL_DIR_MODE) < 0) {
		if (errno == EEXIST)
			return 0;
		err_setsys(err, ERR_TEMP, "spool: mkdir %s", shown);
		return -1;
	}
	if (fsync(dirfd) < 0) {
		err_setsys(err, ERR_TEMP, "spool: fsync parent of %s", shown);
		return -1;
	}
	return 0;
}

static void walk_error(struct err *err, const char *relpath, const char *name, int errnum)
{
	errno = errnum;
	if (errnum == ELOOP || errnum == ENOTDIR)
		err_set(err, ERR_TEMP, "spool: %s: %s is not a directory "
			"(symlinks inside the spool are not followed)", relpath, name);
	else
		err_setsys(err, ERR_TEMP, "spool: open %s", relpath);
}

/* One component below fd (made, with its parent fsynced, when missing
 * and create); -1 with err. */
static int walk_step(int fd, const char *c, const char *relpath, bool create, struct err *err)
{
	int next = spool_open_dir_at(fd, c);
	if (next < 0 && errno == ENOENT && create) {
		if (mkdir_durable_at(fd, c, relpath, err) < 0)
			return -1;
		next = spool_open_dir_at(fd, c);
	}
	if (next < 0)
		walk_error(err, relpath, c, errno);
	return next;
}

int spool_walk(const struct spool *sp, const char *relpath, bool create, struct err *err)
{
	if (!spool_relpath_valid(relpath)) {
		err_set(err, ERR_TEMP, "spool: invalid path %s", log_q(relpath));
		errno = EINVAL;
		return -1;
	}
	/* From the area's cached fd (borrowed: not closed here) when relpath
	 * is inside one, else from the root's. */
	const char *rest;
	int fd = area_of(sp, relpath, &rest);
	if (fd < 0)
		fd = sp->fd;
	if (*rest == '\0') {
		int own = spool_reopen_dir(fd);
		if (own < 0)
			err_setsys(err, ERR_TEMP, "spool: open %s", relpath);
		return own;
	}
	bool owned = false;
	char *copy = xstrdup(rest);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = walk_step(fd, c, relpath, create, err);
		int saved = errno;
		if (owned)
			close(fd);
		fd = next;
		owned = true;
		if (fd < 0) {
			errno = saved;
			break;
		}
	}
	free(copy);
	return fd;
}

int spool_list_dir(int dirfd, struct strlist *names, struct err *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		err_setsys(err, ERR_TEMP, "spool: read directory");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (names->n >= LIST_MAX) {
			err_set(err, ERR_TEMP, "spool: more than %u entries in a directory", LIST_MAX);
			rc = -1;
			break;
		}
		strlist_push(names, de->d_name);
	}
	if (rc == 0 && errno != 0) {
		err_setsys(err, ERR_TEMP, "spool: read directory");
		rc = -1;
	}
	closedir(d);
	return rc;
}

/* ---- open, clean up ---- */

static void spool_cleanup_tmp(struct spool *sp)
{
	int tfd = sp->area_fd[SPOOL_TMP];
	struct strlist names = {0};
	struct err err = {0};
	if (spool_list_dir(tfd, &names, &err) < 0) {
		log_warnx("event=spool-cleanup-failed dir=%s error=%s", log_q(sp->dir),
			  log_q(err.msg));
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		char *path = xasprintf("%s/tmp/%s", sp->dir, names.v[i]);
		if (fsio_rmtree_at(tfd, names.v[i]) < 0)
			log_warn("event=spool-cleanup path=%s result=failed", log_q(path));
		else
			log_info("event=spool-cleanup path=%s", log_q(path));
		free(path);
	}
	strlist_free(&names);
}

/* Close what spool_open opened so far. */
static void close_areas(struct spool *sp)
{
	for (size_t i = 0; i < NAREAS; i++)
		if (sp->area_fd[i] >= 0)
			close(sp->area_fd[i]);
}

/* Make each area if missing and open it for the process's life. */
static int open_areas(struct spool *sp, struct err *err)
{
	for (size_t i = 0; i < NAREAS; i++) {
		if (mkdir_durable_at(sp->fd, spool_areas[i], spool_areas[i], err) < 0)
			return -1;
		sp->area_fd[i] = spool_open_dir_at(sp->fd, spool_areas[i]);
		if (sp->area_fd[i] < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			err_set(err, ERR_CONFIG, "spool: %s/%s is not a directory "
				"(symlinks inside the spool are not followed)", sp->dir,
				spool_areas[i]);
			return -1;
		}
		if (sp->area_fd[i] < 0) {
			err_setsys(err, ERR_TEMP, "spool: open %s/%s", sp->dir, spool_areas[i]);
			return -1;
		}
	}
	return 0;
}

int spool_open(const char *dir, struct spool **sp_r, struct err *err)
{
	*sp_r = NULL;
	if (fsio_mkdirs(dir, SPOOL_DIR_MODE, err) < 0)
		return -1;
	/* The root alone may be a symlink. */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "spool: open %s", dir);
		return -1;
	}
	struct spool *sp = xcalloc(1, sizeof(*sp));
	sp->dir = xstrdup(dir);
	sp->fd = fd;
	sp->lock_fd = -1;
	sp->subs = xcalloc(1, sizeof(*sp->subs));
	for (size_t i = 0; i < NAREAS; i++)
		sp->area_fd[i] = -1;
	if (open_areas(sp, err) < 0) {
		spool_close(&sp);
		return -1;
	}
	*sp_r = sp;
	return 0;
}

void spool_close(struct spool **spp)
{
	struct spool *sp = *spp;
	if (sp == NULL)
		return;
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	subs_free(sp->subs);
	close_areas(sp);
	close(sp->fd);
	free(sp->dir);
	spool_versions_free(&sp->versions);
	free(sp);
	*spp = NULL;
}

struct spool_versions **spool_versions_of(struct spool *sp)
{
	return &sp->versions;
}

int spool_lock(struct spool *sp, struct err *err)
{
	int fd = openat(sp->area_fd[SPOOL_STATE], "intaked.lock",
			O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "%s/state/intaked.lock", sp->dir);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err_set(err, ERR_TEMP, "another intaked is running on spool %s", sp->dir);
		close(fd);
		return -1;
	}
	sp->lock_fd = fd;
	/* Half-built entries of a crashed run: only the lock holder may
	 * remove them, or a reader would race the daemon's current entry. */
	spool_cleanup_tmp(sp);
	return 0;
}

/* ---- entries ---- */

static void entry_free(struct spool_entry *e)
{
	spool_version_release(e);
	if (e->files_fd >= 0)
		close(e->files_fd);
	if (e->fd >= 0)
		close(e->fd);
	free(e->id);
	free(e->dir);
	free(e->files_dir);
	free(e);
}

/* Make tmp/ID; a leftover of the same id is stale (the same message
 * half-filed earlier in this run) and is removed first. */
static int make_staging(struct spool *sp, int tfd, const char *id, struct err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (mkdirat(tfd, id, SPOOL_DIR_MODE) == 0)
			return 0;
		if (errno != EEXIST || attempt > 0)
			break;
		char *path = xasprintf("%s/tmp/%s", sp->dir, id);
		log_info("event=spool-cleanup path=%s", log_q(path));
		fsio_rmtree_at(tfd, id);
		free(path);
	}
	err_setsys(err, ERR_TEMP, "spool: mkdir tmp/%s", id);
	return -1;
}

int spool_begin(struct spool *sp, const char *id, struct spool_entry **e_r, struct err *err)
{
	*e_r = NULL;
	if (!spool_name_ok(id)) {
		err_set(err, ERR_TEMP, "spool: invalid entry id %s", log_q(id));
		return -1;
	}
	int tfd = sp->area_fd[SPOOL_TMP];
	struct spool_entry *e = xcalloc(1, sizeof(*e));
	e->fd = e->files_fd = -1;
	e->sp = sp;
	e->id = xstrdup(id);
	e->dir = xasprintf("%s/tmp/%s", sp->dir, id);
	e->files_dir = xasprintf("%s/files", e->dir);
	if (make_staging(sp, tfd, id, err) < 0) {
		entry_free(e);
		return -1;
	}
	e->fd = spool_open_dir_at(tfd, id);
	if (e->fd < 0 || mkdirat(e->fd, "files", SPOOL_DIR_MODE) < 0 ||
	    (e->files_fd = spool_open_dir_at(e->fd, "files")) < 0) {
		err_setsys(err, ERR_TEMP, "spool: prepare %s", e->dir);
		spool_abort(&e);
		return -1;
	}
	*e_r = e;
	return 0;
}

int spool_entry_write(struct spool_entry *e, const char *name, const void *data, size_t len,
		      struct err *err)
{
	int dirfd = e->fd;
	if (strncmp(name, "files/", 6) == 0) {
		name += 6;
		dirfd = e->files_fd;
	}
	if (!spool_name_ok(name)) {
		err_set(err, ERR_TEMP, "spool: invalid file name %s", log_q(name));
		return -1;
	}
	if (dirfd < 0) {
		err_set(err, ERR_TEMP, "spool: %s is sealed", e->dir);
		return -1;
	}
	return fsio_create(dirfd, name, data, len, SPOOL_FILE_MODE, err);
}

void spool_entry_seal(struct spool_entry *e)
{
	if (e->files_fd >= 0)
		close(e->files_fd);
	if (e->fd >= 0)
		close(e->fd);
	e->fd = e->files_fd = -1;
}

int spool_sync(struct spool *sp, struct err *err)
{
	if (syncfs(sp->fd) < 0) {
		err_setsys(err, ERR_TEMP, "spool: syncfs %s", sp->dir);
		return -1;
	}
	return 0;
}

void spool_abort(struct spool_entry **ep)
{
	struct spool_entry *e = *ep;
	if (e == NULL)
		return;
	fsio_rmtree(e->dir);
	entry_free(e);
	*ep = NULL;
}

/* rename that never replaces: rename(2) would silently replace an empty
 * directory. Filesystems without RENAME_NOREPLACE get a check first (one
 * daemon writes the spool, so the window is ours alone). */
static int rename_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
	if (renameat2(olddirfd, oldname, newdirfd, newname, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	struct stat st;
	if (fstatat(newdirfd, newname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(olddirfd, oldname, newdirfd, newname);
}

/* Move the staged entry to relpath: parent walked (and made) without
 * following symlinks, renamed (made durable by the caller's spool_sync). */
static int commit_move(struct spool *sp, struct spool_entry *e, const char *relpath,
		       struct err *err)
{
	const char *slash = strrchr(relpath, '/');
	const char *last = slash ? slash + 1 : relpath;
	int pfd;
	if (slash == NULL) {
		pfd = spool_reopen_dir(sp->fd);
	} else {
		char *parent = xstrndup(relpath, (size_t)(slash - relpath));
		pfd = spool_walk(sp, parent, true, err);
		free(parent);
	}
	if (pfd < 0)
		return -1;
	int rc = -1;
	if (rename_noreplace(sp->area_fd[SPOOL_TMP], e->id, pfd, last) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			err_set(err, ERR_TEMP, "spool: %s already exists; not replaced", relpath);
		else
			err_setsys(err, ERR_TEMP, "spool: rename tmp/%s to %s", e->id, relpath);
	} else {
		rc = 0;
	}
	close(pfd);
	return rc;
}

int spool_commit(struct spool *sp, struct spool_entry **ep, const char *relpath,
		 struct err *err)
{
	struct spool_entry *e = *ep;
	*ep = NULL;
	if (!spool_relpath_valid(relpath)) {
		err_set(err, ERR_TEMP, "spool: invalid path %s", log_q(relpath));
		spool_version_settle(e, false);
		spool_abort(&e);
		return -1;
	}
	if (commit_move(sp, e, relpath, err) < 0) {
		spool_version_settle(e, false);
		spool_abort(&e);
		return -1;
	}
	spool_version_settle(e, true);
	entry_free(e);
	return 0;
}

bool spool_entry_exists(const struct spool *sp, const char *relpath)
{
	int fd = spool_walk(sp, relpath, false, NULL);
	if (fd < 0)
		return false;
	struct stat st;
	bool ok = fstatat(fd, "metadata.json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		  S_ISREG(st.st_mode);
	close(fd);
	return ok;
}

/* Replace name in dirfd: name.tmp written and fsynced, renamed, directory
 * fsynced; all relative to dirfd so no symlink is followed. */
int spool_replace_at(int dirfd, const char *name, const char *text, struct err *err)
{
	return fsio_replace_at(dirfd, name, text, strlen(text), SPOOL_FILE_MODE, err);
}
