/* fsio.h — durable file operations: nothing is visible until it is complete
 * and on disk (write aside, fsync, rename, fsync the directory). */
#ifndef INTAKED_FSIO_H
#define INTAKED_FSIO_H

#include <stddef.h>
#include <sys/types.h>
#include "intaked/err.h"

/* read(2) and write(2) retrying on EINTR (the one place that loop is written). */
ssize_t fsio_read(int fd, void *buf, size_t n);
ssize_t fsio_write(int fd, const void *buf, size_t n);
ssize_t fsio_pread(int fd, void *buf, size_t n, off_t off);
/* Read fd to its end, at most max bytes; *data_r is NUL-terminated and owned
 * by the caller. name is for the error message. */
int fsio_read_fd(int fd, const char *name, size_t max, char **data_r, size_t *len_r,
		 struct err *err);
/* write(2) all of data, retrying on EINTR and short writes. 0 or -1/errno. */
int fsio_write_all(int fd, const void *data, size_t len);
/* Create name in dirfd with O_EXCL|O_NOFOLLOW, write all, fsync, close. */
int fsio_write_new(int dirfd, const char *name, const void *data, size_t len,
		   mode_t mode, struct err *err);
/* The same without the fsync: for files staged in a batch that one
 * syncfs (spool_sync) makes durable before anything refers to them. */
int fsio_create(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		struct err *err);
/* Replace path atomically: write "path.tmp", fsync, rename, fsync dir. */
int fsio_replace(const char *path, const void *data, size_t len, mode_t mode,
		 struct err *err);
/* The same for name in dirfd (name.tmp beside it; no symlink followed):
 * what a module that holds a directory fd uses. */
int fsio_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		    struct err *err);
int fsio_fsync_dir(const char *path, struct err *err);
/* mkdir -p; existing directories are fine. */
int fsio_mkdirs(const char *path, mode_t mode, struct err *err);
/* Read a whole regular file (not following a final symlink) up to max bytes;
 * *data_r is NUL-terminated and owned by the caller. */
int fsio_read_file(const char *path, size_t max, char **data_r, size_t *len_r,
		   struct err *err);
/* The same for name in dirfd. */
int fsio_read_at(int dirfd, const char *name, size_t max, char **data_r, size_t *len_r,
		 struct err *err);
/* rm -rf that never follows symlinks out of path. */
int fsio_rmtree(const char *path);
/* The same for name in dirfd. */
int fsio_rmtree_at(int dirfd, const char *name);
int fsio_exists(const char *path);

#endif
