/* mailer.h — the outbox's one way out: an SMTP session (smtp.h) or the
 * local sendmail(8) (sendmail.h, [smtp] url = sendmail:), chosen by the
 * configuration. The calls and their errors are those of smtp.h. */
#ifndef INTAKED_MAILER_H
#define INTAKED_MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct mailer;

/* Nothing is sent or run yet. access_token: as for smtp_open (unused by
 * sendmail). -1 with ERR_CONFIG for an unusable configuration. */
int mailer_open(const struct smtp_config *sc, const char *access_token, struct mailer **m_r,
		struct err *err);
/* One recipient; msg with CRLF line ends; from "" is the null sender.
 * 0, or -1 with ERR_TEMP, ERR_MESSAGE (permanent for this recipient) or
 * ERR_AUTH. */
int mailer_send(struct mailer *m, const char *from, const char *rcpt, const char *msg,
		size_t len, struct err *err);
/* After a failed mailer_send: the failure was the way out's (server
 * unreachable, sendmail failing), not the message's: the batch stops. */
bool mailer_failed_transport(const struct mailer *m);
void mailer_close(struct mailer **m);

#endif
