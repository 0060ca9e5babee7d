/* config_impl.h — internals shared by config.c (reading), config_keys.c
 * (one key at a time) and config_check.c (rules across keys, summary).
 * Nothing outside config*.c includes this. */
#ifndef INTAKED_CONFIG_IMPL_H
#define INTAKED_CONFIG_IMPL_H

/* The field at byte offset off of a config struct (the key tables say where). */
#define FIELD(base, off, type) ((type *)(void *)((char *)(base) + (off)))

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/util.h"

#define CONFIG_MAX_KEYS 32

enum config_section_kind { SEC_MAILBOX, SEC_SMTP, SEC_SPOOL, SEC_LIMITS, SEC_LOG, SEC_CALL };

struct config_section {
	char *raw;                    /* as inih names it: "call imrf-2022" */
	enum config_section_kind kind;
	int line;                     /* of the [header] */
	size_t call;                  /* SEC_CALL: index into cfg->calls */
	int key_line[CONFIG_MAX_KEYS];/* per key of its table; 0: not given */
};

/* extend = lines of one call, resolved once its roster and zone are known. */
struct config_extends {
	struct strlist values;
	int *lines;
};

struct config_load {
	struct config *cfg;           /* being built; owned until returned */
	const char *path;
	char *dir;                    /* absolute directory of path */
	char *owned_text;
	const char *text;
	size_t len, pos;              /* reader position */
	int line;                     /* line the reader handed out last */
	struct config_section *sections;
	size_t nsections;
	struct config_section *cur;   /* section of the current line, or NULL */
	struct config_extends *extends; /* one per call */
	char *url_folder;             /* folder named by the [mailbox] url */
	bool failed;
	struct err err;               /* the first problem, complete */
};

struct config_key;
/* base: the struct the section fills (struct mailbox_config, ...). */
typedef int (*config_set_fn)(struct config_load *ld, struct config_section *sec,
			     void *base, const struct config_key *key, const char *value,
			     struct err *err);

enum config_vtype {
	V_STR,      /* char *          */
	V_PATH,     /* char *, relative to the config's directory */
	V_FILE,     /* V_PATH that must be a readable regular file */
	V_SECRET,   /* char *, the content of a secret file */
	V_SECRET_PATH, /* char *, path of a secret file (checked, not kept) */
	V_BOOL,     /* bool            */
	V_DURATION, /* long seconds, min .. max */
	V_SIZE,     /* size_t bytes, .. max */
	V_UNSIGNED, /* unsigned, min .. max */
	V_LONG,     /* long, min .. max */
	V_INT,      /* int, min .. max */
	V_ADDRS,    /* struct strlist of addresses */
	V_FN,       /* fn does it all */
};

struct config_key {
	const char *name;
	enum config_vtype type;
	size_t off;                   /* in the section's struct */
	long min, max;
	config_set_fn fn;
	bool repeatable;
};

void config_fail(struct config_load *ld, int line, const struct config_section *sec,
		 const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* v as written, or ld->dir + "/" + v. Caller frees. */
char *config_resolve_path(const struct config_load *ld, const char *v);

const struct config_key *config_keys_for(enum config_section_kind kind, size_t *n_r);
int config_key_set(struct config_load *ld, struct config_section *sec,
		   const struct config_key *key, const char *value, struct err *err);
/* Line where sec set key, 0 if it did not. */
int config_key_line(const struct config_section *sec, const char *key);

struct config *config_new_defaults(const char *path);
void config_call_defaults(struct call_config *call, const char *name);
/* Rules across keys and files named by them; config_fail() on the first
 * problem. */
void config_finish(struct config_load *ld);
/* config_sanity.c: two calls with the same match_to (error) or one that
 * also catches another's +tag address (warning, logged); the spool and
 * state directories (config_dir_secure). */
void config_check_sanity(struct config_load *ld);
/* 0 if path (or, while it does not exist yet, its deepest existing
 * ancestor) and every directory above it is owned by root or us and
 * writable by neither group nor others (a root-owned sticky directory
 * such as /tmp excepted), as OpenSSH's StrictModes; else -1, err says
 * which directory. */
int config_dir_secure(const char *path, struct err *err);

#endif
