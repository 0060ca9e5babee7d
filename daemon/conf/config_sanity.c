/* config_sanity.c — configuration that loads but would betray the
 * operator: two calls that claim the same mail, and directories (spool,
 * state, secrets) that someone else could write into. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/address.h"
#include "config_impl.h"
#include "intaked/log.h"

/* ---- directories (OpenSSH StrictModes) ------------------------------------ */

/* The deepest existing directory of path (path itself if it exists),
 * resolved. NULL if none can be resolved. */
static char *existing_ancestor(const char *path)
{
	char *p = xstrdup(path);
	for (;;) {
		char *real = realpath(p, NULL);
		if (real != NULL) {
			free(p);
			return real;
		}
		char *slash = strrchr(p, '/');
		if (errno != ENOENT || slash == NULL || slash == p) {
			free(p);
			return errno == ENOENT ? xstrdup("/") : NULL;
		}
		*slash = '\0';
	}
}

/* Others may not write into it, nor own it. A root-owned sticky directory
 * such as /tmp is the one exception: there, nobody can rename or remove
 * what another user made. */
static bool dir_safe(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return false;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return true;
	return st->st_uid == 0 && (st->st_mode & S_ISVTX) != 0;
}

int config_dir_secure(const char *path, struct err *err)
{
	char *dir = existing_ancestor(path);
	struct stat st;
	if (dir == NULL) {
		err_setsys(err, ERR_CONFIG, "cannot resolve %s", path);
		return -1;
	}
	for (;;) {
		if (stat(dir, &st) < 0) {
			err_setsys(err, ERR_CONFIG, "cannot stat %s", dir);
			break;
		}
		if (!dir_safe(&st)) {
			err_set(err, ERR_CONFIG, "%s (on the way to %s) is writable by group or "
				"others, or owned by another user (mode %04o, uid %u): "
				"anyone who can write there can replace what intaked keeps",
				dir, path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
			break;
		}
		char *slash = strrchr(dir, '/');
		if (slash == NULL || strcmp(dir, "/") == 0) {
			free(dir);
			return 0;
		}
		slash[slash == dir ? 1 : 0] = '\0';
	}
	free(dir);
	return -1;
}

static void check_spool_dirs(struct config_load *ld, const struct config_section *spool)
{
	const char *root = ld->cfg->spool_dir;
	char *state = xasprintf("%s/state", root);
	struct err e = { 0 };
	int line = spool != NULL ? config_key_line(spool, "dir") : 0;
	if (config_dir_secure(root, &e) < 0 || config_dir_secure(state, &e) < 0)
		config_fail(ld, line, spool, line ? "dir" : NULL, "%s", e.msg);
	free(state);
}

/* ---- calls that claim the same mail --------------------------------------- */

/* wide (of call w, line lw) also catches tagged (of call t, line lt). */
static void warn_overlap(const struct config_load *ld, const struct config_section *w,
			 const char *wide, int lw, const struct config_section *t,
			 const char *tagged, int lt)
{
	char *msg = xasprintf("%s:%d: [%s] match_to '%s' also catches '%s', the match_to of "
			      "[%s] at %s:%d (mail to it goes to [%s])", ld->path, lw, w->raw,
			      wide, tagged, t->raw, ld->path, lt, t->raw);
	log_warnx("event=config-warning detail=%s", log_q(msg));
	free(msg);
}

static void check_match_pair(struct config_load *ld, const struct config_section *a,
			     const struct config_section *b)
{
	const struct strlist *wa = &ld->cfg->calls[a->call].match_to;
	const struct strlist *wb = &ld->cfg->calls[b->call].match_to;
	int la = config_key_line(a, "match_to"), lb = config_key_line(b, "match_to");
	for (size_t i = 0; i < wa->n; i++)
		for (size_t j = 0; j < wb->n; j++) {
			if (str_ieq(wa->v[i], wb->v[j])) {
				config_fail(ld, lb, b, "match_to", "'%s' is also the match_to of "
					    "[%s] at %s:%d: which call would it be?", wb->v[j],
					    a->raw, ld->path, la);
				return;
			}
			/* "intake@x" also takes "intake+gcm@x": routing prefers the
			 * exact address, but it is easy to get wrong. */
			if (address_matches(wb->v[j], wa->v[i]))
				warn_overlap(ld, a, wa->v[i], la, b, wb->v[j], lb);
			else if (address_matches(wa->v[i], wb->v[j]))
				warn_overlap(ld, b, wb->v[j], lb, a, wa->v[i], la);
		}
}

void config_check_sanity(struct config_load *ld)
{
	const struct config_section *spool = NULL;
	for (size_t i = 0; i < ld->nsections; i++) {
		const struct config_section *a = &ld->sections[i];
		if (a->kind == SEC_SPOOL)
			spool = a;
		for (size_t j = i + 1; a->kind == SEC_CALL && j < ld->nsections; j++)
			if (ld->sections[j].kind == SEC_CALL)
				check_match_pair(ld, a, &ld->sections[j]);
	}
	if (!ld->failed)
		check_spool_dirs(ld, spool);
}
