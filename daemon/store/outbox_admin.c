/* outbox_admin.c — list, retry and drop outbox items for the operator,
 * under the flush lock (outbox_admin.h says why that is enough). */
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
#include "intaked/outbox_admin.h"
#include "outbox_impl.h"
#include "intaked/util.h"

#define LIST_MAX 100000

static int entry_cmp(const void *a, const void *b)
{
	const struct outbox_entry *x = a, *y = b;
	int fx = strcmp(x->state, "failed") == 0, fy = strcmp(y->state, "failed") == 0;
	if (fx != fy)
		return fx - fy;
	if (x->it.created != y->it.created)
		return x->it.created < y->it.created ? -1 : 1;
	return strcmp(x->it.id, y->it.id);
}

static void list_dir(int dirfd, bool failed, struct outbox_entry **v, size_t *n)
{
	DIR *dp = outbox_opendir(dirfd);
	struct dirent *de;
	while (dp != NULL && *n < LIST_MAX && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		struct outbox_entry *e = &(*v)[(*n)++];
		memset(e, 0, sizeof(*e));
		char *state = NULL;
		struct err err = { 0 };
		if (outbox_envelope_load(dirfd, de->d_name, &e->it, &state, &err) < 0) {
			e->broken = true;
			e->it.last_error = xstrdup(err.msg);
		}
		free(e->it.id); /* the directory name is authoritative */
		e->it.id = xstrdup(de->d_name);
		e->state = failed ? "failed" : e->it.attempts > 0 ? "deferred" : "queued";
		free(state);
	}
	if (dp != NULL)
		closedir(dp);
}

int outbox_list_items(const struct spool *sp, struct outbox_entry **v_r, size_t *n_r,
		      struct err *err)
{
	struct outbox_dirs d;
	*v_r = NULL;
	*n_r = 0;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	list_dir(d.queue, false, v_r, n_r);
	list_dir(d.failed, true, v_r, n_r);
	if (*n_r > 1)
		qsort(*v_r, *n_r, sizeof(**v_r), entry_cmp);
	outbox_dirs_free(&d);
	return 0;
}

void outbox_entries_free(struct outbox_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		outbox_item_free(&v[i].it);
	free(v);
}

/* ------------------------------------------------------------- changes */

static bool valid_id(const char *id)
{
	return id != NULL && id[0] != '\0' && id[0] != '.' && strchr(id, '/') == NULL &&
	       strlen(id) < 200;
}

/* The flush lock, waiting for a flush under way to finish. */
static int lock_outbox(const struct outbox_dirs *d, struct err *err)
{
	for (int tries = 0; tries < OUTBOX_ADMIN_WAIT * 10; tries++) {
		int fd = outbox_take_lock(d, err);
		if (fd != -2)
			return fd;
		usleep(100000);
	}
	err_set(err, ERR_TEMP, "outbox: still being flushed after %d s; try again",
		OUTBOX_ADMIN_WAIT);
	return -1;
}

/* Replace id/envelope.json in from_dir, then (to_dir >= 0) move the item
 * into to_dir. */
static int rewrite_and_move(const char *id, int from_dir, int to_dir,
			    const struct outbox_item *it, const char *state, time_t done_at,
			    struct err *err)
{
	char *env = outbox_envelope_json(it, state, done_at);
	int rc = outbox_envelope_save(from_dir, id, env, err);
	free(env);
	if (rc < 0 || to_dir < 0)
		return rc;
	if (renameat(from_dir, id, to_dir, it->id) < 0) {
		err_setsys(err, ERR_TEMP, "rename outbox item %s", id);
		rc = -1;
	}
	if (rc == 0 && (fsync(to_dir) < 0 || fsync(from_dir) < 0)) {
		err_setsys(err, ERR_TEMP, "fsync outbox");
		rc = -1;
	}
	return rc;
}

/* id is a real directory (not a symlink) in dirfd. */
static bool has_item(int dirfd, const char *id)
{
	struct stat st;
	return fstatat(dirfd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

enum action { RETRY, DROP };

/* One item of queue/ or failed/, loaded under the lock. */
static int change(const struct outbox_dirs *d, const char *id, enum action act, time_t now,
		  struct err *err)
{
	bool in_queue = has_item(d->queue, id), in_failed = !in_queue && has_item(d->failed, id);
	struct outbox_item it = { 0 };
	char *state = NULL;
	int rc = 1; /* nothing to do: no such item for this action */
	if ((in_queue || (in_failed && act == RETRY)) &&
	    outbox_envelope_load(in_queue ? d->queue : d->failed, id, &it, &state, err) < 0)
		rc = -1;
	else if (in_queue && act == RETRY) {
		it.next_attempt = now;
		rc = rewrite_and_move(id, d->queue, -1, &it, "queued", 0, err);
	} else if (in_queue && act == DROP) {
		free(it.last_error);
		it.last_error = xstrdup(OUTBOX_DROPPED);
		rc = rewrite_and_move(id, d->queue, d->failed, &it, "failed", now, err);
	} else if (in_failed && act == RETRY) {
		/* created restarts the three days before it is given up. */
		it.next_attempt = now;
		it.created = now;
		rc = rewrite_and_move(id, d->failed, d->queue, &it, "queued", 0, err);
	}
	if (rc == 0) {
		log_info("event=outbox-%s id=%s rcpt=%s by=operator",
			 act == RETRY ? "retry" : "drop", id, log_q(it.rcpt));
		rc = OUTBOX_DONE;
	} else {
		rc = rc > 0 ? OUTBOX_NOT_FOUND : OUTBOX_ERROR;
	}
	outbox_item_free(&it);
	free(state);
	return rc;
}

static int admin(const struct spool *sp, const char *id, enum action act, time_t now,
		 struct err *err)
{
	if (!valid_id(id))
		return OUTBOX_NOT_FOUND;
	struct outbox_dirs d;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return OUTBOX_ERROR;
	int lock = lock_outbox(&d, err), rc = OUTBOX_ERROR;
	if (lock >= 0) {
		rc = change(&d, id, act, now, err);
		close(lock);
	}
	outbox_dirs_free(&d);
	return rc;
}

int outbox_retry(const struct spool *sp, const char *id, time_t now, struct err *err)
{
	return admin(sp, id, RETRY, now, err);
}

int outbox_drop(const struct spool *sp, const char *id, time_t now, struct err *err)
{
	return admin(sp, id, DROP, now, err);
}
