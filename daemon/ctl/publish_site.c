/* publish_site.c — putting a publication in place (see publish_site.h).
 * The marker lists the files publish wrote; before a site is replaced,
 * every file in it must be on that list: a file a web editor added
 * (a .htaccess, a translation) makes publish refuse, naming it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/util.h"
#include "publish_site.h"

#define MARKER_MAX (64u * 1024 * 1024)
#define SITE_FILE_MODE 0644

char *publish_site_normalize(const char *outdir)
{
	char *o = xstrdup(outdir);
	size_t n = strlen(o);
	while (n > 1 && o[n - 1] == '/')
		o[--n] = '\0';
	const char *base = strrchr(o, '/') ? strrchr(o, '/') + 1 : o;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		free(o);
		return NULL;
	}
	return o;
}

/* Every regular file below dirfd, as "prefix/name", into files; a
 * symlink or special file is listed too (it is not ours either). */
static int list_files(int dfd, const char *prefix, struct strlist *files)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *rel = *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub < 0 ? -1 : list_files(sub, rel, files);
		} else {
			strlist_push(files, rel);
		}
		free(rel);
	}
	closedir(d);
	return rc;
}

static bool listed(const char *marker, const char *rel)
{
	size_t n = strlen(rel);
	for (const char *p = marker; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, rel, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* The first file of the site that its marker does not list, or NULL. */
static char *foreign_file(int fd, struct err *err)
{
	char *marker = NULL;
	size_t len;
	struct strlist files = { 0 };
	char *found = NULL;
	if (fsio_read_at(fd, PUBLISH_MARKER, MARKER_MAX, &marker, &len, NULL) < 0)
		marker = NULL;
	int dup_fd = dup(fd);
	if (dup_fd < 0 || list_files(dup_fd, "", &files) < 0) {
		err_setsys(err, ERR_TEMP, "read the existing site");
		found = xstrdup("");
	}
	for (size_t i = 0; !found && i < files.n; i++)
		if (strcmp(files.v[i], PUBLISH_MARKER) != 0 && !(marker && listed(marker, files.v[i])))
			found = xstrdup(files.v[i]);
	strlist_free(&files);
	free(marker);
	return found;
}

int publish_site_check(const char *site, bool *exists_r, struct err *err)
{
	struct stat st;
	*exists_r = false;
	if (lstat(site, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		err_setsys(err, ERR_TEMP, "%s", site);
		return -1;
	}
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
		err_set(err, ERR_MESSAGE, "%s exists and is no directory%s: not replaced", site,
			S_ISLNK(st.st_mode) ? " (a symlink; give the real path)" : "");
		return -1;
	}
	*exists_r = true;
	int fd = open(site, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "%s", site);
		return -1;
	}
	char *foreign = foreign_file(fd, err);
	close(fd);
	if (foreign && *foreign)
		err_set(err, ERR_MESSAGE, "%s/%s was not written by intakectl publish: nothing in "
			"%s is replaced (move that file away, or publish to another OUTDIR)", site,
			foreign, site);
	int rc = foreign ? -1 : 0;
	free(foreign);
	return rc;
}

int publish_site_mark(int sitefd, const char *call, struct err *err)
{
	struct strlist files = { 0 };
	int dup_fd = dup(sitefd);
	if (dup_fd < 0 || list_files(dup_fd, "", &files) < 0) {
		err_setsys(err, ERR_TEMP, "list the site");
		strlist_free(&files);
		return -1;
	}
	struct buf b;
	buf_init(&b, MARKER_MAX);
	buf_printf(&b, "call %s\n", call);
	for (size_t i = 0; i < files.n; i++)
		buf_printf(&b, "%s\n", files.v[i]);
	strlist_free(&files);
	char *text = buf_steal(&b);
	int rc = fsio_write_new(sitefd, PUBLISH_MARKER, text, strlen(text), SITE_FILE_MODE, err);
	if (rc == 0 && fchmodat(sitefd, PUBLISH_MARKER, SITE_FILE_MODE, 0) < 0) {
		err_setsys(err, ERR_TEMP, "chmod %s", PUBLISH_MARKER);
		rc = -1;
	}
	free(text);
	return rc;
}

int publish_site_swap(const char *tmp, const char *site, bool exists, struct err *err)
{
	if (!exists) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, site, RENAME_NOREPLACE) == 0)
			return 0;
		err_setsys(err, ERR_TEMP, "rename %s to %s", tmp, site);
		return -1;
	}
	/* Atomic: at every instant the site is the old one or the new one. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, site, RENAME_EXCHANGE) == 0) {
		fsio_rmtree(tmp);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS) {
		err_setsys(err, ERR_TEMP, "exchange %s and %s", tmp, site);
		return -1;
	}
	/* A file system without RENAME_EXCHANGE: old aside, new in, old out. */
	char rnd[13];
	random_hex(rnd, 6);
	char *old = xasprintf("%s.old-%s", site, rnd);
	int rc = -1;
	if (rename(site, old) < 0) {
		err_setsys(err, ERR_TEMP, "rename %s aside", site);
	} else if (rename(tmp, site) < 0) {
		err_setsys(err, ERR_TEMP, "rename %s to %s", tmp, site);
		if (rename(old, site) < 0)
			log_warn("event=publish-restore-failed old=%s", log_q(old));
	} else {
		fsio_rmtree(old);
		rc = 0;
	}
	free(old);
	return rc;
}
