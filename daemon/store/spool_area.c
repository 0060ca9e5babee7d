/* spool_area.c — the areas of the spool (state/, outbox/, ...) for the
 * modules that keep files there: each area was opened once from the
 * root's fd with O_NOFOLLOW (spool_open), and files in it are reached by
 * *at() calls on that fd, so a symlink planted in the spool is refused
 * instead of leading a read or a write outside. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "spool_internal.h"
#include "intaked/util.h"

char *spool_area_shown(const struct spool *sp, enum spool_area area, const char *name)
{
	if (name == NULL)
		return xasprintf("%s/%s", spool_dir(sp), spool_area_name(area));
	return xasprintf("%s/%s/%s", spool_dir(sp), spool_area_name(area), name);
}

/* errno of a failed open of something below the root, as a message. */
static void open_error(const struct spool *sp, enum spool_area area, const char *name,
		       struct err *err)
{
	int saved = errno;
	char *shown = spool_area_shown(sp, area, name);
	if (saved == ELOOP || saved == ENOTDIR)
		err_set(err, ERR_TEMP, "spool: %s is not a directory "
			"(symlinks inside the spool are not followed)", shown);
	else
		err_setsys(err, ERR_TEMP, "spool: open %s", shown);
	free(shown);
	errno = saved;
}

int spool_area(const struct spool *sp, enum spool_area area, struct err *err)
{
	int fd = spool_reopen_dir(spool_area_fd(sp, area));
	if (fd < 0)
		open_error(sp, area, NULL, err);
	return fd;
}

int spool_area_sub(const struct spool *sp, enum spool_area area, const char *subdir,
		   bool create, struct err *err)
{
	if (!spool_name_ok(subdir)) {
		err_set(err, ERR_TEMP, "spool: invalid directory name %s", log_q(subdir));
		errno = EINVAL;
		return -1;
	}
	int afd = spool_area_fd(sp, area);
	int fd = spool_open_dir_at(afd, subdir);
	if (fd < 0 && errno == ENOENT && create) {
		bool made = mkdirat(afd, subdir, 0700) == 0;
		if ((!made && errno != EEXIST) || (made && fsync(afd) < 0)) {
			open_error(sp, area, subdir, err);
			return -1;
		}
		fd = spool_open_dir_at(afd, subdir);
	}
	if (fd < 0)
		open_error(sp, area, subdir, err);
	return fd;
}

int spool_area_read(const struct spool *sp, enum spool_area area, const char *name,
		    size_t max, char **data_r, size_t *len_r, struct err *err)
{
	*data_r = NULL;
	int afd = spool_area_fd(sp, area);
	struct err rerr = { 0 };
	/* Absent (the open's ENOENT, nothing else: errno cleared) is the
	 * common case of a first run: no error then. */
	errno = 0;
	int rc = fsio_read_at(afd, name, max, data_r, len_r, &rerr);
	if (rc < 0 && errno == ENOENT)
		return 1;
	if (rc < 0) {
		char *shown = spool_area_shown(sp, area, name);
		err_set(err, rerr.cls, "spool: %s: %s", shown, rerr.msg);
		free(shown);
	}
	return rc;
}

bool spool_area_has(const struct spool *sp, enum spool_area area, const char *name)
{
	struct stat st;
	return fstatat(spool_area_fd(sp, area), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int spool_area_replace(const struct spool *sp, enum spool_area area, const char *name,
		       const void *data, size_t len, mode_t mode, struct err *err)
{
	return fsio_replace_at(spool_area_fd(sp, area), name, data, len, mode, err);
}

int spool_area_remove(const struct spool *sp, enum spool_area area, const char *name,
		      struct err *err)
{
	int afd = spool_area_fd(sp, area);
	if (unlinkat(afd, name, 0) < 0 && errno != ENOENT) {
		char *shown = spool_area_shown(sp, area, name);
		err_setsys(err, ERR_TEMP, "unlink %s", shown);
		free(shown);
		return -1;
	}
	if (fsync(afd) < 0) {
		err_setsys(err, ERR_TEMP, "spool: fsync %s", spool_area_name(area));
		return -1;
	}
	return 0;
}

int spool_open_dir(const struct spool *sp, const char *relpath, struct err *err)
{
	return spool_walk(sp, relpath, false, err);
}
