/* sendmail.h — hand outgoing mail to the local MTA's sendmail(8) program
 * ([smtp] url = sendmail:), one process per message, the same calls as
 * smtp.h so that the outbox does not care which one it uses.
 *
 * Run as: PROGRAM -oi -f SENDER -- RECIPIENT, without a shell, with an
 * environment of PATH only, the message on stdin with LF line ends, stdout
 * and stderr captured (capped), in its own process group, killed after
 * [smtp] timeout. SENDER "" is written "<>", the null sender as Postfix,
 * Sendmail and Exim all take it. The recipient comes from the outbox item,
 * not from the headers (no -t): the item records exactly who got it. */
#ifndef INTAKED_SENDMAIL_H
#define INTAKED_SENDMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct sendmail_session;

/* Nothing runs yet. -1 with ERR_CONFIG when sc->sendmail is NULL. */
int sendmail_open(const struct smtp_config *sc, struct sendmail_session **s_r,
		  struct err *err);
/* One sendmail process for one recipient. msg uses CRLF line ends (they
 * become LF). Returns 0 when sendmail exited 0 (it has queued the mail);
 * -1 with ERR_MESSAGE for an unusable envelope address or exit status
 * EX_DATAERR (65) or EX_NOUSER (67), which no retry can change; else -1
 * with ERR_TEMP (any other exit status, a signal, the timeout, a program
 * that cannot run). err->msg holds the status and the start of what the
 * program wrote (at most SENDMAIL_OUTPUT_MAX bytes, made printable). */
int sendmail_send(struct sendmail_session *s, const char *from, const char *rcpt,
		  const char *msg, size_t len, struct err *err);
/* After a failed sendmail_send: true when the failure was not about the
 * message (ERR_TEMP), so the rest of the batch would fail the same way. */
bool sendmail_failed_transport(const struct sendmail_session *s);
void sendmail_close(struct sendmail_session **s);

#define SENDMAIL_OUTPUT_MAX 400

#endif
