/* health.c — SPOOL/state/health.json: what the daemon is doing, per
 * folder, for intakectl status. Written whole and atomically (a reader
 * sees the old file or the new one); a failed write is logged and costs
 * nothing else: the daemon's work never waits on its status file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "intaked/spool.h"
#include "intaked/health.h"
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

static json_t *jtime(time_t t)
{
	char s[32];
	if (t == 0)
		return json_null();
	tztime_format_utc(t, s, sizeof(s));
	return json_string(s);
}

static json_t *folder_json(const struct health_folder *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "state", json_string(health_state_name(f->state)));
	json_object_set_new(o, "since", jtime(f->since));
	json_object_set_new(o, "last_fetch", jtime(f->last_fetch));
	json_object_set_new(o, "last_error", f->last_error ? json_string(f->last_error)
							   : json_null());
	json_object_set_new(o, "last_error_at", jtime(f->last_error_at));
	json_object_set_new(o, "sync_done", json_integer((json_int_t)f->sync_done));
	json_object_set_new(o, "sync_total", json_integer((json_int_t)f->sync_total));
	return o;
}

static void health_write(struct health *h)
{
	time_t now = time(NULL);
	json_t *root = json_object(), *folders = json_array();
	json_object_set_new(root, "pid", json_integer(h->pid));
	json_object_set_new(root, "updated", jtime(now));
	for (size_t i = 0; i < h->nfolders; i++)
		json_array_append_new(folders, folder_json(&h->folders[i]));
	json_object_set_new(root, "folders", folders);
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	json_decref(root);
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

static time_t jget_time(json_t *o, const char *key)
{
	time_t t = 0;
	json_t *v = json_object_get(o, key);
	if (json_is_string(v) && tztime_parse_iso8601(json_string_value(v), &t) < 0)
		t = 0;
	return t;
}

static size_t jget_size(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (size_t)json_integer_value(v) : 0;
}

static void folder_load(json_t *o, struct health_folder *f)
{
	json_t *name = json_object_get(o, "name"), *err = json_object_get(o, "last_error");
	const char *state = json_string_value(json_object_get(o, "state"));
	f->name = xstrdup(json_is_string(name) ? json_string_value(name) : "?");
	f->state = HEALTH_DISCONNECTED;
	for (size_t k = 0; state != NULL && k < sizeof(state_names) / sizeof(state_names[0]); k++)
		if (strcmp(state, state_names[k]) == 0)
			f->state = (enum health_state)k;
	f->since = jget_time(o, "since");
	f->last_fetch = jget_time(o, "last_fetch");
	f->last_error_at = jget_time(o, "last_error_at");
	f->last_error = json_is_string(err) ? xstrdup(json_string_value(err)) : NULL;
	f->sync_done = jget_size(o, "sync_done");
	f->sync_total = jget_size(o, "sync_total");
}

int health_load(const struct spool *sp, struct health **h_r, struct err *err)
{
	*h_r = NULL;
	char *text = NULL;
	size_t len;
	int rc = spool_area_read(sp, SPOOL_STATE, HEALTH_FILE, HEALTH_FILE_MAX, &text, &len, err);
	if (rc == 1)
		return 0;
	json_t *root = rc < 0 ? NULL : json_loadb(text, len, 0, NULL);
	json_t *folders = json_object_get(root, "folders");
	if (rc == 0 && (!json_is_object(root) || !json_is_array(folders))) {
		char *path = spool_area_shown(sp, SPOOL_STATE, HEALTH_FILE);
		err_set(err, ERR_TEMP, "%s: not a health record", path);
		free(path);
		rc = -1;
	}
	if (rc == 0) {
		struct health *h = xcalloc(1, sizeof(*h));
		json_t *pid = json_object_get(root, "pid");
		h->pid = json_is_integer(pid) ? (long)json_integer_value(pid) : 0;
		h->updated = jget_time(root, "updated");
		h->nfolders = json_array_size(folders);
		h->folders = xcalloc(h->nfolders ? h->nfolders : 1, sizeof(*h->folders));
		for (size_t i = 0; i < h->nfolders; i++)
			folder_load(json_array_get(folders, i), &h->folders[i]);
		*h_r = h;
		rc = 1;
	}
	json_decref(root);
	free(text);
	return rc;
}
