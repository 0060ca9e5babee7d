/* spool_metadata.c — metadata.json of committed entries, read and
 * replaced without following any symlink inside the spool: for updates
 * after filing (the acknowledgement's state) and for intakectl. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "spool_internal.h"
#include "intaked/util.h"

int spool_load_metadata(const struct spool *sp, const char *relpath, struct metadata **md_r,
			struct err *err)
{
	*md_r = NULL;
	int fd = spool_walk(sp, relpath, false, err);
	if (fd < 0)
		return -1;
	char *text = NULL;
	size_t len;
	struct err rerr = {0};
	int rc = fsio_read_at(fd, "metadata.json", SPOOL_METADATA_MAX, &text, &len, &rerr);
	close(fd);
	if (rc < 0) {
		err_set(err, ERR_TEMP, "spool: %s: %s", relpath, rerr.msg);
		return -1;
	}
	struct err perr = {0};
	rc = metadata_from_json(text, len, md_r, &perr);
	free(text);
	if (rc < 0)
		err_set(err, perr.cls, "%s/metadata.json: %s", relpath, perr.msg);
	return rc;
}

int spool_save_metadata(const struct spool *sp, const char *relpath,
			const struct metadata *md, struct err *err)
{
	int fd = spool_walk(sp, relpath, false, err);
	if (fd < 0)
		return -1;
	char *text = metadata_to_json(md);
	int rc = spool_replace_at(fd, "metadata.json", text, err);
	free(text);
	close(fd);
	return rc;
}

#define METADATA_NEXT "metadata.json.next"

int spool_stage_metadata(const struct spool *sp, const char *relpath,
			 const struct metadata *md, struct err *err)
{
	int fd = spool_walk(sp, relpath, false, err);
	if (fd < 0)
		return -1;
	char *text = metadata_to_json(md);
	unlinkat(fd, METADATA_NEXT, 0); /* left by a crash */
	int rc = fsio_create(fd, METADATA_NEXT, text, strlen(text), SPOOL_FILE_MODE, err);
	free(text);
	close(fd);
	return rc;
}

static bool not_older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

int spool_commit_metadata(const struct spool *sp, const char *relpath, struct err *err)
{
	int fd = spool_walk(sp, relpath, false, err);
	if (fd < 0)
		return -1;
	struct stat next, cur;
	int rc = 1;
	if (fstatat(fd, METADATA_NEXT, &next, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = 0; /* nothing staged */
	} else if (fstatat(fd, "metadata.json", &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
		   not_older(&cur.st_mtim, &next.st_mtim)) {
		/* Replaced since it was staged (intakectl): what was staged
		 * would undo that. */
		unlinkat(fd, METADATA_NEXT, 0);
		rc = 0;
	} else if (renameat(fd, METADATA_NEXT, fd, "metadata.json") < 0) {
		err_setsys(err, ERR_TEMP, "spool: %s: put metadata.json in place", relpath);
		rc = -1;
	}
	close(fd);
	return rc;
}
