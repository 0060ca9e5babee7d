/* spool_entry.c — what an entry being built needs besides its files
 * (spool.c): paths for the analysis worker, a streamed message linked in,
 * and its version number. The spool is the only writer of calls/, so it
 * hands out the versions: a submitter's directory is listed once, then
 * every version taken, filed or given back is remembered here. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/spool.h"
#include "spool_internal.h"
#include "intaked/util.h"

/* One submitter: the highest version filed (-1: not known, read the
 * directory when next asked) and the versions taken by live entries. */
struct version_slot {
	char *key;                /* "CALL/SLUG" */
	int filed;
	int *taken;
	size_t ntaken, cap;
};

struct spool_versions {
	struct version_slot *slots;
	size_t n, cap;
};

char *spool_entry_path(const struct spool_entry *e, const char *name)
{
	return xasprintf("%s/%s", e->dir, name);
}

int spool_entry_link(struct spool_entry *e, int dirfd, const char *path, const char *name)
{
	return linkat(dirfd, path, e->fd, name, 0);
}

void spool_entry_drop_files(struct spool_entry *e)
{
	fsio_rmtree(e->files_dir);
}

void spool_versions_free(struct spool_versions **vp)
{
	struct spool_versions *v = *vp;
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->slots[i].key);
		free(v->slots[i].taken);
	}
	free(v->slots);
	free(v);
	*vp = NULL;
}

void spool_forget_versions(struct spool *sp)
{
	spool_versions_free(spool_versions_of(sp));
}

static struct version_slot *slot_find(struct spool_versions *v, const char *key)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (strcmp(v->slots[i].key, key) == 0)
			return &v->slots[i];
	return NULL;
}

static struct version_slot *slot_get(struct spool *sp, const char *key)
{
	struct spool_versions **vp = spool_versions_of(sp);
	if (*vp == NULL)
		*vp = xcalloc(1, sizeof(**vp));
	struct spool_versions *v = *vp;
	struct version_slot *s = slot_find(v, key);
	if (s != NULL)
		return s;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->slots = xreallocarray(v->slots, v->cap, sizeof(*v->slots));
	}
	s = &v->slots[v->n++];
	*s = (struct version_slot){ .key = xstrdup(key), .filed = -1 };
	return s;
}

/* The highest version filed (read from the spool when not known; 0 when
 * it cannot be read: the commit will say why) or taken. */
static int slot_latest(struct version_slot *s, const struct spool *sp, const char *call,
		       const char *slug)
{
	if (s->filed < 0)
		s->filed = spool_latest_version(sp, call, slug);
	int v = s->filed < 0 ? 0 : s->filed;
	for (size_t i = 0; i < s->ntaken; i++)
		if (s->taken[i] > v)
			v = s->taken[i];
	return v;
}

int spool_entry_take_version(struct spool_entry *e, const char *call, const char *slug)
{
	spool_version_release(e);
	char *key = xasprintf("%s/%s", call, slug);
	struct version_slot *s = slot_get(e->sp, key);
	int version = slot_latest(s, e->sp, call, slug) + 1;
	if (s->ntaken == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->taken = xreallocarray(s->taken, s->cap, sizeof(*s->taken));
	}
	s->taken[s->ntaken++] = version;
	e->vkey = key;
	e->version = version;
	return version;
}

void spool_version_release(struct spool_entry *e)
{
	if (e->vkey == NULL)
		return;
	struct version_slot *s = slot_find(*spool_versions_of(e->sp), e->vkey);
	for (size_t i = 0; s && i < s->ntaken; i++)
		if (s->taken[i] == e->version) {
			s->taken[i] = s->taken[--s->ntaken];
			break;
		}
	xfree(&e->vkey);
	e->version = 0;
}

void spool_version_settle(struct spool_entry *e, bool filed)
{
	if (e->vkey == NULL)
		return;
	struct version_slot *s = slot_find(*spool_versions_of(e->sp), e->vkey);
	if (s != NULL && !filed)
		s->filed = -1; /* its path was taken: read the directory again */
	else if (s != NULL && s->filed >= 0 && s->filed < e->version)
		s->filed = e->version;
	spool_version_release(e);
}
