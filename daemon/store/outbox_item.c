/* outbox_item.c — one outbox item by its id: where it is, its envelope,
 * and the recovery of items a killed daemon staged but never published
 * (issue 14: no receipt lost, none counted that was never queued). */
#include <dirent.h>
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

/* The directory of id in d, and where that is; NULL when nowhere. */
static char *locate(const struct outbox_dirs *d, const char *id, enum outbox_where *w)
{
	const char *dirs[] = { d->queue, d->sent, d->failed, d->tmp };
	const enum outbox_where where[] = { OUTBOX_QUEUED, OUTBOX_SENT, OUTBOX_FAILED,
					    OUTBOX_STAGED };
	for (size_t i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s", dirs[i], id);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			*w = where[i];
			return p;
		}
		free(p);
	}
	*w = OUTBOX_NOWHERE;
	return NULL;
}

enum outbox_where outbox_where(const struct spool *sp, const char *id)
{
	struct outbox_dirs d;
	struct err err = { 0 };
	enum outbox_where w = OUTBOX_NOWHERE;
	if (!plain_id(id) || outbox_dirs_open(sp, &d, &err) < 0)
		return OUTBOX_NOWHERE;
	free(locate(&d, id, &w));
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
	char *dir = locate(&d, id, w);
	int rc = dir == NULL ? 0 : outbox_envelope_load(dir, it, &state, err);
	free(state);
	free(dir);
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
	char *dir = xasprintf("%s/%s", d.queue, id);
	int rc = outbox_envelope_load(dir, &it, &state, err);
	if (rc == 0) {
		free(it.ref);
		it.ref = xstrdup(ref);
		char *env = outbox_envelope_json(&it, state ? state : "queued", 0);
		char *path = xasprintf("%s/envelope.json", dir);
		rc = fsio_replace(path, env, strlen(env), 0600, err);
		free(path);
		free(env);
		outbox_item_free(&it);
	}
	free(state);
	free(dir);
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
	DIR *dp = opendir(d.tmp);
	struct dirent *de;
	int rc = 0;
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char *p = xasprintf("%s/%s", d.tmp, de->d_name);
		if (fsio_rmtree(p) < 0) {
			err_setsys(err, ERR_TEMP, "outbox: remove %s", p);
			rc = -1;
		} else {
			log_info("event=ack-withdrawn id=%s detail=\"staged, never queued\"",
				 de->d_name);
			(*n_r)++;
		}
		free(p);
	}
	if (dp != NULL)
		closedir(dp);
	if (rc == 0 && *n_r > 0 && fsio_fsync_dir(d.tmp, err) < 0)
		rc = -1;
	outbox_dirs_free(&d);
	return rc;
}

void outbox_item_clear(struct outbox_item *it)
{
	outbox_item_free(it);
}
