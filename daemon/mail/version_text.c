/* version_text.c — see version_text.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/spool.h"
#include "intaked/util.h"
#include "intaked/version_text.h"

int version_text_read(const struct spool *sp, const char *relpath, char **text_r,
		      size_t *len_r, const char **src_r, struct err *err)
{
	static const char *const names[] = { "text.txt", "body.txt" };
	if (!spool_entry_exists(sp, relpath)) {
		err_set(err, ERR_TEMP, "spool: no entry %s", relpath);
		return -1;
	}
	int dfd = spool_open_dir(sp, relpath, err);
	if (dfd < 0)
		return -1;
	int rc = -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && rc < 0; i++) {
		if (faccessat(dfd, names[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			continue;
		rc = fsio_read_at(dfd, names[i], VERSION_TEXT_MAX, text_r, len_r, err);
		*src_r = names[i];
		if (rc < 0)
			break;
	}
	if (rc < 0 && err->msg[0] == '\0') {
		*text_r = xstrdup("");
		*len_r = 0;
		*src_r = "none";
		rc = 0;
	}
	close(dfd);
	return rc < 0 ? -1 : 0;
}

char *version_previous_path(const char *relpath, const char *supersedes)
{
	const char *slash = strrchr(relpath, '/');
	if (supersedes == NULL || slash == NULL || supersedes[0] != 'v' || supersedes[1] < '1' ||
	    supersedes[1] > '9' || strspn(supersedes + 1, "0123456789") != strlen(supersedes + 1))
		return NULL;
	return xasprintf("%.*s/%s", (int)(slash - relpath), relpath, supersedes);
}
