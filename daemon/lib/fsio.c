/* fsio.c — durable file operations (write aside, fsync, rename, fsync dir). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/util.h"

ssize_t fsio_read(int fd, void *buf, size_t n)
{
	ssize_t r;
	while ((r = read(fd, buf, n)) < 0 && errno == EINTR)
		;
	return r;
}

ssize_t fsio_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r;
	while ((r = pread(fd, buf, n, off)) < 0 && errno == EINTR)
		;
	return r;
}

ssize_t fsio_write(int fd, const void *buf, size_t n)
{
	ssize_t w;
	while ((w = write(fd, buf, n)) < 0 && errno == EINTR)
		;
	return w;
}

int fsio_read_fd(int fd, const char *name, size_t max, char **data_r, size_t *len_r,
		 struct err *err)
{
	struct buf b;
	char chunk[65536];
	ssize_t r;

	buf_init(&b, max);
	while ((r = fsio_read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_append(&b, chunk, (size_t)r) < 0) {
			err_set(err, ERR_TEMP, "%s is larger than %zu bytes", name, max);
			buf_free(&b);
			return -1;
		}
	}
	if (r < 0) {
		err_setsys(err, ERR_TEMP, "read %s", name);
		buf_free(&b);
		return -1;
	}
	if (len_r)
		*len_r = b.len;
	*data_r = buf_steal(&b);
	return 0;
}

int fsio_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = fsio_write(fd, p, len);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(int dirfd, const char *name, const void *data, size_t len,
		      mode_t mode, bool sync, struct err *err)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "create %s", name);
		return -1;
	}
	if (fsio_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		err_setsys(err, ERR_TEMP, "write %s", name);
		close(fd);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	if (close(fd) < 0) {
		err_setsys(err, ERR_TEMP, "close %s", name);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	return 0;
}

int fsio_write_new(int dirfd, const char *name, const void *data, size_t len,
		   mode_t mode, struct err *err)
{
	return write_file(dirfd, name, data, len, mode, true, err);
}

int fsio_create(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		struct err *err)
{
	return write_file(dirfd, name, data, len, mode, false, err);
}

int fsio_fsync_dir(const char *path, struct err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "open directory %s", path);
		return -1;
	}
	int rc = fsync(fd);
	if (rc < 0)
		err_setsys(err, ERR_TEMP, "fsync directory %s", path);
	close(fd);
	return rc;
}

static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int fsio_replace(const char *path, const void *data, size_t len, mode_t mode, struct err *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	char *dir = parent_of(path);
	int rc = -1;

	unlink(tmp); /* a leftover of an earlier crash */
	if (fsio_write_new(AT_FDCWD, tmp, data, len, mode, err) < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		err_setsys(err, ERR_TEMP, "rename %s", tmp);
		unlink(tmp);
		goto out;
	}
	rc = fsio_fsync_dir(dir, err);
out:
	free(tmp);
	free(dir);
	return rc;
}

int fsio_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		    struct err *err)
{
	char *tmp = xasprintf("%s.tmp", name);
	int rc = -1;
	unlinkat(dirfd, tmp, 0); /* a leftover of an earlier crash */
	if (fsio_write_new(dirfd, tmp, data, len, mode, err) < 0)
		goto out;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err_setsys(err, ERR_TEMP, "rename %s", tmp);
		unlinkat(dirfd, tmp, 0);
		goto out;
	}
	if (fsync(dirfd) < 0) {
		err_setsys(err, ERR_TEMP, "fsync directory of %s", name);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int fsio_mkdirs(const char *path, mode_t mode, struct err *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf)) {
		err_set(err, ERR_CONFIG, "path too long: %s", path);
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			err_setsys(err, ERR_TEMP, "mkdir %s", buf);
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(err, ERR_TEMP, "%s is not a directory", path);
		return -1;
	}
	return 0;
}

int fsio_read_at(int dirfd, const char *name, size_t max, char **data_r, size_t *len_r,
		 struct err *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "open %s", name);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, ERR_TEMP, "%s is not a regular file", name);
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size > max) {
		err_set(err, ERR_TEMP, "%s is larger than %zu bytes", name, max);
		close(fd);
		return -1;
	}
	int rc = fsio_read_fd(fd, name, max, data_r, len_r, err);
	close(fd);
	return rc;
}

int fsio_read_file(const char *path, size_t max, char **data_r, size_t *len_r, struct err *err)
{
	return fsio_read_at(AT_FDCWD, path, max, data_r, len_r, err);
}

static int rmtree_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rmtree_at(fd, de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int fsio_rmtree(const char *path)
{
	return rmtree_at(AT_FDCWD, path);
}

int fsio_rmtree_at(int dirfd, const char *name)
{
	return rmtree_at(dirfd, name);
}

int fsio_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}
