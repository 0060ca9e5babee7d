/* health.c — SPOOL/state/health.json: what the daemon is doing, per
 * folder, for intakectl status. Written whole and atomically (a reader
 * sees the old file or the new one); a failed write is logged and costs
 * nothing else: the daemon's work never waits on its status file. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/spool.h"
#include "intaked/health.h"
#include "intaked/json.h"
#include "intaked/log.h"
#include "intaked/tztime.h"

#define ERROR_TEXT_MAX 400

static const char *const state_names[] = { "disconnected", "connected", "idle", "polling" };

const char *health_state_name(enum health_state st)
{
	return (size_t)st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st] : "?";
}

#define HEALTH_FILE "health.json"

struct health *health_new(const struct spool *sp, const struct strlist *folders)
{
	struct health *h = xcalloc(1, sizeof(*h));
	h->sp = sp;
	h->pid = (long)getpid();
	h->nfolders = folders->n;
	h->folders = xcalloc(folders->n ? folders->n : 1, sizeof(*h->folders));
	time_t now = time(NULL);
	for (size_t i = 0; i < folders->n; i++) {
		h->folders[i].name = xstrdup(folders->v[i]);
		h->folders[i].since = now;
	}
	h->dirty = true;
	return h;
}

void health_free(struct health **h)
{
	if (*h == NULL)
		return;
	for (size_t i = 0; i < (*h)->nfolders; i++) {
		free((*h)->folders[i].name);
		free((*h)->folders[i].last_error);
	}
	free((*h)->folders);
	xfree(h);
}

/* ---------------------------------------------------------------- writing */

static jnode *folder_json(const struct health_folder *f)
{
	jnode *o = jn_object();
	jn_set_str(o, "name", f->name);
	jn_set_str(o, "state", health_state_name(f->state));
	jn_set_time(o, "since", f->since);
	jn_set_time(o, "last_fetch", f->last_fetch);
	jn_set_str(o, "last_error", f->last_error);
	jn_set_time(o, "last_error_at", f->last_error_at);
	jn_set_int(o, "sync_done", (long long)f->sync_done);
	jn_set_int(o, "sync_total", (long long)f->sync_total);
	return o;
}

static void health_write(struct health *h)
{
	time_t now = time(NULL);
	jnode *root = jn_object(), *folders = jn_array();
	jn_set_int(root, "pid", h->pid);
	jn_set_time(root, "updated", now);
	for (size_t i = 0; i < h->nfolders; i++)
		jn_push(folders, folder_json(&h->folders[i]));
	jn_set(root, "folders", folders);
	char *text = jn_dump(root, JN_INDENT1_ASCII);
	jn_free(root);
	struct err err = { 0 };
	if (text == NULL || spool_area_replace(h->sp, SPOOL_STATE, HEALTH_FILE, text,
					       strlen(text), 0600, &err) < 0) {
		char *path = spool_area_shown(h->sp, SPOOL_STATE, HEALTH_FILE);
		log_warnx("event=health-write-failed path=%s error=%s", log_q(path),
			  log_q(text ? err.msg : "out of memory"));
		free(path);
	}
	free(text);
	h->dirty = false;
	h->written = now;
	h->updated = now;
}

/* Mere progress waits for the rate limit; a change does not. */
static void maybe_write(struct health *h, bool changed)
{
	h->dirty = true;
	if (changed || time(NULL) - h->written >= HEALTH_WRITE_EVERY)
		health_write(h);
}

void health_flush(struct health *h)
{
	if (h != NULL && h->dirty)
		health_write(h);
}

static struct health_folder *find(struct health *h, const char *folder)
{
	for (size_t i = 0; i < h->nfolders; i++)
		if (strcmp(h->folders[i].name, folder) == 0)
			return &h->folders[i];
	return NULL;
}

void health_set_state(struct health *h, const char *folder, enum health_state st)
{
	bool changed = false;
	time_t now = time(NULL);
	for (size_t i = 0; i < h->nfolders; i++) {
		struct health_folder *f = &h->folders[i];
		if ((folder != NULL && strcmp(f->name, folder) != 0) || f->state == st)
			continue;
		f->state = st;
		f->since = now;
		if (st == HEALTH_DISCONNECTED)
			f->sync_total = f->sync_done = 0; /* the pass is over */
		changed = true;
	}
	if (changed)
		maybe_write(h, true);
}

void health_set_error(struct health *h, const char *folder, const char *msg)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < h->nfolders; i++) {
		struct health_folder *f = &h->folders[i];
		if (folder != NULL && strcmp(f->name, folder) != 0)
			continue;
		free(f->last_error);
		f->last_error = strndup(msg, ERROR_TEXT_MAX);
		if (f->last_error == NULL)
			fatalx("health: out of memory");
		f->last_error_at = now;
	}
	maybe_write(h, true);
}

void health_fetched(struct health *h, const char *folder)
{
	struct health_folder *f = find(h, folder);
	if (f == NULL)
		return;
	f->last_fetch = time(NULL);
	bool was_syncing = f->sync_total > 0;
	f->sync_done = f->sync_total = 0;
	maybe_write(h, was_syncing);
}

void health_progress(struct health *h, const char *folder, size_t done, size_t total)
{
	struct health_folder *f = find(h, folder);
	if (f == NULL)
		return;
	bool starting = f->sync_total == 0;
	f->sync_done = done;
	f->sync_total = total;
	maybe_write(h, starting);
}

/* ---------------------------------------------------------------- reading */

/* A record we only display: a damaged value reads as "unknown" (json.h
 * JR_LENIENT), the rest still shows. */
static void folder_load(const struct jval *o, struct health_folder *f)
{
	const char *name = jr_strref(o, "name"), *state = jr_strref(o, "state");
	f->name = xstrdup(name != NULL ? name : "?");
	f->state = HEALTH_DISCONNECTED;
	for (size_t k = 0; state != NULL && k < sizeof(state_names) / sizeof(state_names[0]); k++)
		if (strcmp(state, state_names[k]) == 0)
			f->state = (enum health_state)k;
	f->since = jr_time(o, "since");
	f->last_fetch = jr_time(o, "last_fetch");
	f->last_error_at = jr_time(o, "last_error_at");
	f->last_error = jr_str(o, "last_error");
	f->sync_done = (size_t)jr_int(o, "sync_done", 0, LLONG_MAX, 0);
	f->sync_total = (size_t)jr_int(o, "sync_total", 0, LLONG_MAX, 0);
}

static struct health *health_from(struct jread *rd, size_t nfolders, const struct jval *folders)
{
	struct jval root = jr_root(rd);
	struct health *h = xcalloc(1, sizeof(*h));
	h->pid = (long)jr_int(&root, "pid", LONG_MIN, LONG_MAX, 0);
	h->updated = jr_time(&root, "updated");
	h->nfolders = nfolders;
	h->folders = xcalloc(h->nfolders ? h->nfolders : 1, sizeof(*h->folders));
	for (size_t i = 0; i < h->nfolders; i++) {
		struct jval f = jr_item(folders, i);
		folder_load(&f, &h->folders[i]);
	}
	return h;
}

int health_load(const struct spool *sp, struct health **h_r, struct err *err)
{
	*h_r = NULL;
	char *text = NULL;
	size_t len;
	int rc = spool_area_read(sp, SPOOL_STATE, HEALTH_FILE, HEALTH_FILE_MAX, &text, &len, err);
	if (rc == 1)
		return 0;
	struct jread rd = { 0 };
	struct jval root, folders;
	if (rc == 0 && jr_load(&rd, text, len, HEALTH_FILE_MAX, JR_OBJECT | JR_LENIENT) == 0) {
		root = jr_root(&rd);
		size_t n = jr_array(&root, "folders", SIZE_MAX, &folders);
		if (folders.node != NULL) {
			*h_r = health_from(&rd, n, &folders);
			rc = 1;
		}
	}
	if (rc == 0) {
		char *path = spool_area_shown(sp, SPOOL_STATE, HEALTH_FILE);
		err_set(err, ERR_TEMP, "%s: not a health record", path);
		free(path);
		rc = -1;
	}
	jr_close(&rd);
	free(text);
	return rc;
}
