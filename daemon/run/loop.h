/* loop.h — the daemon's life: fetch every folder, file what is new, flush
 * the outbox; then wait (IDLE or the poll interval) and do it again.
 * Signals only set flags: SIGTERM/SIGINT finish the current message and
 * exit, SIGHUP reloads the configuration (the old one stays if the new one
 * is invalid). */
#ifndef INTAKED_LOOP_H
#define INTAKED_LOOP_H

#include <stdbool.h>
#include <time.h>
#include "intaked/config.h"

struct loop_options {
	const char *config_path;
	bool once;                /* one pass, then exit */
	time_t now;               /* --now: the scheduling clock starts here; 0: real time */
};

/* Exit status per SPEC §2: 0, 75 when a server could not be reached. Takes
 * ownership of *cfg (replaced on reload, freed at exit). */
int loop_run(struct config **cfg, const struct loop_options *opt);

#endif
