/* alarm.h — shout when mail stops flowing. If the mailbox cannot be read
 * (connection, TLS, login, token) for alarm_after (default 30 min), or at
 * once when the OAuth refresh token is rejected or the server rejects a
 * command as malformed (IMAP BAD), one alarm mail goes to
 * the operators ([smtp] operators) and every call's coordinators; then one
 * reminder a day while it lasts, and an "all clear" when the mailbox is
 * read again.
 *
 * The state is SPOOL/state/alarm (JSON, replaced atomically), so the
 * first failure survives restarts and --once runs (a cron job of --once
 * runs raises the alarm too) and a restart never sends the alarm again.
 * Times are on the scheduling clock (loop_now: --now moves it). A crash
 * between queueing the mail and saving the state may send it twice, never
 * not at all. */
#ifndef INTAKED_ALARM_H
#define INTAKED_ALARM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct spool;

#define ALARM_REMIND_EVERY (24L * 3600)

struct alarm_state {
	time_t first_failure;     /* 0: the mailbox is being read */
	time_t last_failure;
	time_t raised_at;         /* alarm mail queued; 0: not (yet) */
	time_t reminded_at;       /* last daily reminder; 0: none */
	bool token_rejected;      /* the cause: refresh token refused */
	bool command_rejected;    /* the cause: the server said BAD to a command */
	char reason[256];         /* the last error (printable ASCII) */
};

/* Read SPOOL/state/alarm; a missing file is a clear state (all zero).
 * A damaged file is reported (ERR_TEMP) and st is cleared. For intakectl
 * status too. */
int alarm_state_load(const struct spool *sp, struct alarm_state *st, struct err *err);

/* The mailbox could not be read at now (reason: the error, a line; never
 * a secret). Records the first failure; queues the alarm (or the daily
 * reminder) in the outbox when due. Returns 1 when a mail was queued, 0
 * when none was due, -1 on error (state or outbox not writable). */
int alarm_failure(const struct config *cfg, const struct spool *sp, time_t now,
		  bool token_rejected, const char *reason, struct err *err);

/* The same when the server rejected a command as malformed (IMAP BAD,
 * ERR_PROTOCOL): no waiting cures that, so the alarm goes out at once,
 * saying so, with reason (the server's text). */
int alarm_failure_rejected(const struct config *cfg, const struct spool *sp, time_t now,
			   const char *reason, struct err *err);

/* The mailbox was read at now: forget the failure; if an alarm had been
 * sent, queue the all-clear. Returns 1 when the all-clear was queued, 0
 * otherwise, -1 on error. Cheap when there was no failure (one stat). */
int alarm_success(const struct config *cfg, const struct spool *sp, time_t now,
		  struct err *err);

/* One line for intakectl status and systemd's STATUS=: "" when clear,
 * else "mailbox unreadable since 2022-03-29T22:01:00Z: REASON", prefixed
 * with "ALARM sent 2022-03-29T22:31:00Z: " once the alarm went out, and
 * saying "refresh token rejected" when that is the cause. */
void alarm_describe(const struct alarm_state *st, char *out, size_t size);

#endif
