/* health.h — the daemon's state at a glance, for intakectl status
 * (issue 13): SPOOL/state/health.json, written atomically (fsio_replace,
 * mode 0600) by the daemon and only read by intakectl, which never guesses
 * from /proc. Per folder: connected / idle / polling / disconnected and
 * since when, the last successful fetch, the last error and the progress
 * of a sync. A change of state is written at once; the rest (progress, the
 * time of the last fetch) at most once per HEALTH_WRITE_EVERY seconds, so
 * that a first sync of thousands of messages costs a few writes.
 *
 *   {"pid": 123, "updated": "2026-12-07T19:00:00Z",
 *    "folders": [{"name": "INBOX", "state": "idle", "since": "...",
 *                 "last_fetch": "...", "last_error": "...",
 *                 "last_error_at": "...", "sync_done": 0, "sync_total": 0}]}
 *
 * Times are the real clock (never --now): they say what happened when. */
#ifndef INTAKED_HEALTH_H
#define INTAKED_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "intaked/err.h"
#include "intaked/util.h"

#define HEALTH_WRITE_EVERY 1 /* seconds between writes of mere progress */
#define HEALTH_FILE_MAX (256u * 1024)

enum health_state {
	HEALTH_DISCONNECTED,
	HEALTH_CONNECTED,         /* logged in, reading (a sync, a poll) */
	HEALTH_IDLE,              /* IMAP IDLE: the server tells us of new mail */
	HEALTH_POLLING,           /* looked at every poll_interval */
};

const char *health_state_name(enum health_state st);

struct health_folder {
	char *name;
	enum health_state state;
	time_t since, last_fetch, last_error_at;
	char *last_error;
	size_t sync_done, sync_total; /* of the pass under way; total 0: none */
};

struct spool;

struct health {
	const struct spool *sp;   /* writes SPOOL/state/health.json; NULL: a view
				   * loaded by health_load */
	long pid;
	time_t updated;
	struct health_folder *folders;
	size_t nfolders;
	bool dirty;
	time_t written;           /* last write, real clock */
};

/* The daemon's record for the folders watched (all disconnected). */
struct health *health_new(const struct spool *sp, const struct strlist *folders);
void health_free(struct health **h);

/* Every folder (folder NULL) or one. A state change is written at once;
 * the same state again keeps its "since". */
void health_set_state(struct health *h, const char *folder, enum health_state st);
/* An error reading the mailbox (folder NULL: the whole session). Written
 * at once. msg is kept as given (no secret goes into an err). */
void health_set_error(struct health *h, const char *folder, const char *msg);
/* A pass over folder read everything pending: written within a second. */
void health_fetched(struct health *h, const char *folder);
/* done of total pending messages filed; rate-limited. */
void health_progress(struct health *h, const char *folder, size_t done, size_t total);
/* Write now if anything is unwritten (before the daemon sleeps). */
void health_flush(struct health *h);

/* intakectl: read path. 1 loaded, 0 no file, -1 unreadable or invalid
 * (err). *h_r: free with health_free. */
int health_load(const struct spool *sp, struct health **h_r, struct err *err);

#endif
