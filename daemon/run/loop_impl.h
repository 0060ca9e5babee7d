/* loop_impl.h — the daemon's state, between loop.c (connect, flush, wait,
 * reload) and loop_folder.c (one pass over a folder). */
#ifndef INTAKED_LOOP_IMPL_H
#define INTAKED_LOOP_IMPL_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "intaked/config.h"
#include "intaked/err.h"
#include "loop.h"

struct loop {
	struct config *cfg;
	const struct loop_options *opt;
	time_t started;
	struct spool *sp;
	struct ledger *ledger;
	struct ratelimit *rl;
	struct intake *intake;
	struct imap_session *imap;
	struct oauth *imap_oauth, *smtp_oauth; /* access-token caches (xoauth2) */
	struct health *health;    /* SPOOL/state/health.json, for intakectl status */
	int spill_fd;             /* SPOOL/tmp: big messages are streamed there */
	int failures;             /* reconnects failed in a row (backoff.h) */
	time_t next_connect;
	long watchdog_half;       /* seconds; 0 without a systemd watchdog */
	struct timespec group_since; /* when the first staged message was */
	unsigned filed;           /* messages filed since start */
	enum err_class fetch_cls; /* why the last pass over the mailbox failed */
};

/* The scheduling clock: real time, or --now advancing with real time. */
time_t loop_now(const struct loop *lp);
/* SIGTERM or SIGINT came: finish the current message and stop. */
bool loop_stopping(void);
/* File what is new in folder; -1 with err when the session failed. */
int loop_folder(struct loop *lp, const char *folder, struct err *err);

#endif
