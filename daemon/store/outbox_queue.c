/* outbox_queue.c — the outbox's directories (opened through the spool,
 * never through a symlink) and the queueing of items: built in
 * outbox/tmp/ID, files fsynced, renamed whole into queue/ (outbox.c
 * delivers them). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "outbox_impl.h"
#include "intaked/spool.h"
#include "intaked/util.h"

/* --- directories ---------------------------------------------------------- */

void outbox_dirs_free(struct outbox_dirs *d)
{
	/* All borrowed from the spool: nothing to close. */
	d->root = d->queue = d->sent = d->failed = d->tmp = -1;
}

int outbox_dirs_open(const struct spool *sp, struct outbox_dirs *d, struct err *err)
{
	static const char *const names[] = { "queue", "sent", "failed", "tmp" };
	int *fds[] = { &d->queue, &d->sent, &d->failed, &d->tmp };
	d->sp = sp;
	d->queue = d->sent = d->failed = d->tmp = -1;
	d->root = spool_area_fd(sp, SPOOL_OUTBOX);
	for (size_t i = 0; i < 4; i++)
		if ((*fds[i] = spool_area_sub_fd(sp, SPOOL_OUTBOX, names[i], err)) < 0)
			break;
	if (d->tmp < 0) {
		outbox_dirs_free(d);
		return -1;
	}
	return 0;
}

int outbox_item_dir(int dirfd, const char *id)
{
	return openat(dirfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

char *outbox_shown(const struct outbox_dirs *d, int dirfd, const char *id)
{
	const char *part = dirfd == d->queue ? "queue" : dirfd == d->sent ? "sent" :
			   dirfd == d->failed ? "failed" : "tmp";
	char *rel = xasprintf("%s/%s", part, id);
	char *shown = spool_area_shown(d->sp, SPOOL_OUTBOX, rel);
	free(rel);
	return shown;
}

/* A listing of the part dirfd (its own fd: closedir leaves dirfd open).
 * Opened again, not dup'ed: the spool keeps dirfd, and a dup would share
 * its offset, leaving the next listing empty. */
DIR *outbox_opendir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd < 0 ? NULL : fdopendir(fd);
	if (dp == NULL && fd >= 0)
		close(fd);
	return dp;
}

int outbox_cancel(const struct spool *sp, const char *id, struct err *err)
{
	struct outbox_dirs d;
	if (id == NULL || *id == '\0' || strchr(id, '/') != NULL || id[0] == '.') {
		err_set(err, ERR_MESSAGE, "outbox: bad item id");
		return -1;
	}
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	outbox_note_removal();
	int rc = fsio_rmtree_at(d.queue, id) < 0 || fsio_rmtree_at(d.tmp, id) < 0 ? -1
											: fsync(d.queue);
	if (rc < 0 && err && err->cls == ERR_NONE) {
		char *dir = outbox_shown(&d, d.queue, id);
		err_setsys(err, ERR_TEMP, "outbox: remove %s", dir);
		free(dir);
	}
	outbox_dirs_free(&d);
	return rc;
}

/* --- queueing ------------------------------------------------------------- */

/* message.eml and envelope.json into dir; fsynced with the directory when
 * sync, else left to the caller's spool_sync. */
static int write_item(int tmpfd, const struct outbox_item *it, const char *msg,
		      size_t len, bool sync, struct err *err)
{
	const char *dir = it->id;
	int dfd = outbox_item_dir(tmpfd, dir);
	if (dfd < 0) {
		err_setsys(err, ERR_TEMP, "open %s", dir);
		return -1;
	}
	int (*write_file)(int, const char *, const void *, size_t, mode_t, struct err *) =
		sync ? fsio_write_new : fsio_create;
	char *env = outbox_envelope_json(it, "queued", 0);
	int rc = -1;
	if (write_file(dfd, "message.eml", msg, len, 0600, err) == 0 &&
	    write_file(dfd, "envelope.json", env, strlen(env), 0600, err) == 0) {
		rc = sync ? fsync(dfd) : 0;
		if (rc < 0)
			err_setsys(err, ERR_TEMP, "fsync %s", dir);
	}
	free(env);
	close(dfd);
	return rc;
}

static int stage_item(const struct spool *sp, const char *id, const char *kind,
		      const char *ref, const char *from, const char *rcpt,
		      const char *message_id, const char *msg, size_t len, time_t now,
		      bool sync, char **id_r, struct err *err)
{
	if (kind == NULL || from == NULL || rcpt == NULL || *rcpt == '\0' || msg == NULL) {
		err_set(err, ERR_MESSAGE, "outbox: kind, from and rcpt are required");
		return -1;
	}
	struct outbox_dirs d;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	char stamp[32], hex[17];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	random_hex(hex, 8);
	struct outbox_item it = {
		.id = id ? xstrdup(id) : xasprintf("%s-%s", stamp, hex),
		.kind = xstrdup(kind), .ref = xstrdup(ref), .from = xstrdup(from),
		.rcpt = xstrdup(rcpt), .message_id = xstrdup(message_id),
		.created = now, .next_attempt = now,
	};
	int rc = -1;
	if (mkdirat(d.tmp, it.id, 0700) < 0) {
		err_setsys(err, ERR_TEMP, "mkdir outbox/tmp/%s", it.id);
	} else if (write_item(d.tmp, &it, msg, len, sync, err) < 0) {
		fsio_rmtree_at(d.tmp, it.id);
	} else {
		*id_r = it.id;
		it.id = NULL;
		rc = 0;
	}
	outbox_item_free(&it);
	outbox_dirs_free(&d);
	return rc;
}

int outbox_stage(const struct spool *sp, const char *kind, const char *ref,
		 const char *from, const char *rcpt, const char *message_id,
		 const char *msg, size_t len, time_t now, char **id_r, struct err *err)
{
	return stage_item(sp, NULL, kind, ref, from, rcpt, message_id, msg, len, now, false,
			  id_r, err);
}

int outbox_stage_as(const struct spool *sp, const char *id, const char *kind, const char *ref,
		    const char *from, const char *rcpt, const char *message_id, const char *msg,
		    size_t len, time_t now, struct err *err)
{
	char *got = NULL;
	if (id == NULL || *id == '\0' || strchr(id, '/') != NULL || id[0] == '.') {
		err_set(err, ERR_MESSAGE, "outbox: bad item id");
		return -1;
	}
	int rc = stage_item(sp, id, kind, ref, from, rcpt, message_id, msg, len, now, false,
			    &got, err);
	free(got);
	return rc;
}

int outbox_publish(const struct spool *sp, char *const *ids, size_t n, struct err *err)
{
	struct outbox_dirs d;
	int rc = 0;
	if (n == 0)
		return 0;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (renameat(d.tmp, ids[i], d.queue, ids[i]) < 0) {
			err_setsys(err, ERR_TEMP, "rename outbox/tmp/%s", ids[i]);
			rc = -1;
		} else {
			log_debug("event=outbox-queued id=%s", ids[i]);
		}
	}
	if (fsync(d.queue) < 0 || fsync(d.tmp) < 0) {
		if (rc == 0)
			err_setsys(err, ERR_TEMP, "fsync outbox");
		rc = -1; /* in place; only their durability is in doubt */
	}
	outbox_dirs_free(&d);
	return rc;
}

int outbox_queue(const struct spool *sp, const char *kind, const char *ref,
		 const char *from, const char *rcpt, const char *message_id,
		 const char *msg, size_t len, time_t now, char **id_r, struct err *err)
{
	char *id = NULL;
	if (stage_item(sp, NULL, kind, ref, from, rcpt, message_id, msg, len, now, true, &id,
		       err) < 0)
		return -1;
	int rc = outbox_publish(sp, &id, 1, err);
	if (rc == 0 && id_r)
		*id_r = id;
	else
		free(id);
	return rc;
}
