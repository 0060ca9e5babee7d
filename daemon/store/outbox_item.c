/* outbox_item.c — one outbox item by its id: where it is, its envelope,
 * and the recovery of items a killed daemon staged but never published
 * (issue 14: no receipt lost, none counted that was never queued). */
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "outbox_impl.h"
#include "intaked/util.h"

static bool plain_id(const char *id)
{
	return id != NULL && *id != '\0' && strchr(id, '/') == NULL && id[0] != '.';
}

/* The part of d holding id as a real directory (not a symlink), and
 * where that is; -1 when nowhere. */
static int locate(const struct outbox_dirs *d, const char *id, enum outbox_where *w)
{
	const int dirs[] = { d->queue, d->sent, d->failed, d->tmp };
	const enum outbox_where where[] = { OUTBOX_QUEUED, OUTBOX_SENT, OUTBOX_FAILED,
					    OUTBOX_STAGED };
	for (size_t i = 0; i < 4; i++) {
		struct stat st;
		if (fstatat(dirs[i], id, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			*w = where[i];
			return dirs[i];
		}
	}
	*w = OUTBOX_NOWHERE;
	return -1;
}

static unsigned long removals;

unsigned long outbox_removals(void)
{
	return removals;
}

void outbox_note_removal(void)
{
	removals++;
}

enum outbox_where outbox_where(const struct spool *sp, const char *id)
{
	struct outbox_dirs d;
	struct err err = { 0 };
	enum outbox_where w = OUTBOX_NOWHERE;
	if (!plain_id(id) || outbox_dirs_open(sp, &d, &err) < 0)
		return OUTBOX_NOWHERE;
	locate(&d, id, &w);
	outbox_dirs_free(&d);
	return w;
}

int outbox_lookup(const struct spool *sp, const char *id, enum outbox_where *w,
		  struct outbox_item *it, struct err *err)
{
	struct outbox_dirs d;
	char *state = NULL;
	*w = OUTBOX_NOWHERE;
	memset(it, 0, sizeof(*it));
	if (!plain_id(id) || outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	int dirfd = locate(&d, id, w);
	int rc = dirfd < 0 ? 0 : outbox_envelope_load(dirfd, id, it, &state, err);
	free(state);
	outbox_dirs_free(&d);
	return rc;
}

int outbox_set_ref(const struct spool *sp, const char *id, const char *ref, struct err *err)
{
	struct outbox_dirs d;
	struct outbox_item it;
	char *state = NULL;
	if (!plain_id(id) || outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	int rc = outbox_envelope_load(d.queue, id, &it, &state, err);
	if (rc == 0) {
		free(it.ref);
		it.ref = xstrdup(ref);
		char *env = outbox_envelope_json(&it, state ? state : "queued", 0);
		rc = outbox_envelope_save(d.queue, id, env, err);
		free(env);
		outbox_item_free(&it);
	}
	free(state);
	outbox_dirs_free(&d);
	return rc;
}

int outbox_withdraw_staged(const struct spool *sp, const char *prefix, size_t *n_r,
			   struct err *err)
{
	struct outbox_dirs d;
	*n_r = 0;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	DIR *dp = outbox_opendir(d.tmp);
	struct dirent *de;
	int rc = 0;
	outbox_note_removal();
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (fsio_rmtree_at(d.tmp, de->d_name) < 0) {
			char *p = outbox_shown(&d, d.tmp, de->d_name);
			err_setsys(err, ERR_TEMP, "outbox: remove %s", p);
			free(p);
			rc = -1;
		} else {
			log_info("event=ack-withdrawn id=%s detail=\"staged, never queued\"",
				 de->d_name);
			(*n_r)++;
		}
	}
	if (dp != NULL)
		closedir(dp);
	if (rc == 0 && *n_r > 0 && fsync(d.tmp) < 0) {
		err_setsys(err, ERR_TEMP, "outbox: fsync tmp");
		rc = -1;
	}
	outbox_dirs_free(&d);
	return rc;
}

static int part_of(const struct outbox_dirs *d, enum outbox_where where)
{
	switch (where) {
	case OUTBOX_QUEUED: return d->queue;
	case OUTBOX_SENT: return d->sent;
	case OUTBOX_FAILED: return d->failed;
	case OUTBOX_STAGED: return d->tmp;
	default: return -1;
	}
}

int outbox_each(const struct spool *sp, enum outbox_where where, outbox_visit_fn fn,
		void *arg, struct err *err)
{
	struct outbox_dirs d;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	int dirfd = part_of(&d, where);
	DIR *dp = dirfd < 0 ? NULL : outbox_opendir(dirfd);
	if (dp == NULL) {
		err_setsys(err, ERR_TEMP, "outbox: list");
		outbox_dirs_free(&d);
		return -1;
	}
	struct dirent *de;
	int stop = 0;
	while (!stop && (de = readdir(dp)) != NULL) {
		struct outbox_item it;
		char *state = NULL;
		struct err e = { 0 };
		if (de->d_name[0] == '.' ||
		    outbox_envelope_load(dirfd, de->d_name, &it, &state, &e) < 0)
			continue;
		free(state);
		stop = fn(&it, arg);
		outbox_item_free(&it);
	}
	closedir(dp);
	outbox_dirs_free(&d);
	return 0;
}

void outbox_item_clear(struct outbox_item *it)
{
	outbox_item_free(it);
}
