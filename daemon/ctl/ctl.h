/* ctl.h — intakectl's commands (SPEC §2, man/intakectl.1), on top of the
 * daemon's own modules: config, spool, metadata, outbox, ack, digest,
 * remind and publish. Nothing here parses the spool a second way.
 *
 * Every command returns an exit status of man/intakectl.1 and has printed
 * the reason of a failure to c->err ("intakectl: ..."), one line. */
#ifndef INTAKED_CTL_H
#define INTAKED_CTL_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;
struct metadata;

enum ctl_exit {
	CTL_OK = 0,
	CTL_FAIL = 1,     /* unknown call or entry, or the command failed */
	CTL_USAGE = 64,
	CTL_IOERR = 74,   /* the spool or OUTDIR could not be read or written */
	CTL_CONFIG = 78,
};

struct ctl {
	const struct config *cfg; /* borrowed */
	struct spool *sp;         /* opened by ctl_open_spool, closed by ctl_close */
	time_t now;
	FILE *out, *err;
};

/* What the command line gave a command, checked against its synopsis by
 * intakectl.c before the command runs. */
struct ctl_args {
	const char *pos[2];       /* CALL / ID / OUTDIR, in order */
	size_t npos;
	bool json, send, dry_run;
	bool no_late, no_rejected, no_unverified, include_unverified;
	/* publish: --include-late --originals --fragment, and the values of
	 * --columns --intro --template --lang (NULL: not given) */
	bool include_late, originals, fragment;
	const char *columns, *intro, *templ, *langs;
	bool loopback;            /* oauth login --loopback */
	const char *format;       /* "csv" | "json" | "xlsx" for export */
	const char *output;       /* export, diff: -o FILE (NULL: standard output) */
	bool no_bom;              /* export --format csv --no-bom */
	/* list: only the versions that are all of these (none: every version) */
	bool current, late, over_limit, unverified, unreadable;
	const char *since;        /* received at or after: a date in the call's zone, or ISO 8601 */
	bool html;                /* diff --html */
	const char *order;        /* compile --order name|received (NULL: name) */
};

/* Open cfg->spool_dir (it must exist already: a read-only command never
 * creates a spool, as root, that the daemon could not write). CTL_OK or
 * CTL_IOERR (printed). */
int ctl_open_spool(struct ctl *c);
void ctl_close(struct ctl *c);

/* The call named, or NULL after printing "unknown call". */
const struct call_config *ctl_find_call(struct ctl *c, const char *name);

/* Every committed submission of a call, in slug and version order. */
struct ctl_sub {
	char *relpath;
	struct metadata *md;      /* owned */
	bool current;             /* the highest version of its submitter */
};
struct ctl_subs {
	struct ctl_sub *v;
	size_t n;
};
int ctl_subs_load(struct ctl *c, const char *call, struct ctl_subs *subs, struct err *err);
void ctl_subs_free(struct ctl_subs *subs);

/* Sorted names of the call directories in SPOOL/calls (configured or
 * not; symlinks skipped). */
int ctl_list_calls(struct ctl *c, struct strlist *names, struct err *err);

/* Visit every entry of the spool: the submissions of every call
 * directory (as spool_each_submission), then unmatched/, ignored/ and
 * quarantine/. md is borrowed for the call; return non-zero to stop (not
 * an error). Unreadable entries are skipped. 0, or -1 (err). */
typedef int (*ctl_entry_fn)(const char *relpath, const struct metadata *md, void *arg);
int ctl_each_entry(struct ctl *c, ctl_entry_fn fn, void *arg, struct err *err);

/* Find the entry named by name anywhere in the spool (calls, unmatched,
 * ignored, quarantine): its metadata.json "id", an unambiguous prefix of
 * it, or its path in the spool ("calls/CALL/SLUG/vN", also under the
 * spool directory or with a trailing slash). 1 found (*relpath_r and
 * *md_r owned by the caller), 0 not found, -1 the spool could not be
 * read, -2 the prefix is ambiguous (err lists the entries it names). */
int ctl_find_entry(struct ctl *c, const char *name, char **relpath_r, struct metadata **md_r,
		   struct err *err);

/* The spool opened and the entry named found: CTL_OK with *relpath_r and
 * *md_r (caller frees), or the exit code once the reason is printed (no
 * such entry: CTL_FAIL; an ambiguous prefix: CTL_USAGE; spool trouble:
 * CTL_IOERR). */
int ctl_open_entry(struct ctl *c, const char *name, char **relpath_r, struct metadata **md_r);

/* The name shown for a submitter: the roster's, else the sender's display
 * name or address. Borrowed from md. */
const char *ctl_submitter_name(const struct metadata *md);
/* t in zone as "2022-03-29 17:59 EDT", or "-" for 0. */
void ctl_format_time(time_t t, const char *zone, char *out, size_t n);

/* A text table whose columns are as wide as their widest cell (in
 * terminal columns, UTF-8 aware). Cells are copied and cleaned. */
struct ctl_table;
struct ctl_table *ctl_table_new(const char *const *headers, size_t ncols);
void ctl_table_add(struct ctl_table *t, const char *const *cells);
/* Column col is shown at most width terminal columns wide (cut with an
 * ellipsis), so that a table fits a 100-column terminal. */
void ctl_table_cap(struct ctl_table *t, size_t col, size_t width);
void ctl_table_print(const struct ctl_table *t, FILE *out);
void ctl_table_free(struct ctl_table **t);

/* The commands. */
int ctl_cmd_status(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_calls(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_list(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_show(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_missing(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_export(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_digest(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_remind(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_resend_ack(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_publish(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_compile(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_reindex(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_outbox(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_oauth(struct ctl *c, const struct ctl_args *a);

/* "42s", "17m", "5h", "3d": how long before now t was. */
void ctl_format_age(time_t now, time_t t, char *out, size_t n);
int ctl_cmd_accept(struct ctl *c, const struct ctl_args *a);
int ctl_cmd_diff(struct ctl *c, const struct ctl_args *a);

#endif
