/* smtp.h — submit mail with libcurl: STARTTLS required for smtp://,
 * implicit TLS for smtps://, certificates verified, AUTH; or, with
 * sc->plaintext (tls = none), plain SMTP to a loopback address without
 * AUTH. One connection is reused for a batch. No libcurl type outside
 * smtp.c. */
#ifndef INTAKED_SMTP_H
#define INTAKED_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct smtp_session;

/* Prepare a session (nothing is sent yet: the connection is made by the
 * first smtp_send and kept for the next ones). access_token: for
 * sc->auth = xoauth2 or oauthbearer (that SASL mechanism and no other),
 * else NULL (password from sc). -1 with ERR_CONFIG for a url that is not
 * smtp:// or smtps://. */
int smtp_open(const struct smtp_config *sc, const char *access_token,
	      struct smtp_session **s_r, struct err *err);
/* One recipient per transaction, so a refusal is known per recipient.
 * from "" is the null sender. msg must use CRLF line ends. Returns 0 when
 * the server accepted it; -1 with ERR_TEMP (connection, TLS, timeout,
 * 4xx: retry later), ERR_MESSAGE (5xx to MAIL/RCPT/DATA, or an envelope
 * address that cannot be sent: permanent for this recipient) or ERR_AUTH
 * (credentials refused); err->msg holds the server's reply. */
int smtp_send(struct smtp_session *s, const char *from, const char *rcpt,
	      const char *msg, size_t len, struct err *err);
/* After a failed smtp_send: true when the failure was the connection's
 * (connect, TLS, greeting, EHLO, AUTH, timeout), not the message's, so
 * the rest of a batch should wait too. */
bool smtp_failed_connection(const struct smtp_session *s);
void smtp_close(struct smtp_session **s);
/* a can be used as an envelope address as it is: ASCII, '@', no blank,
 * control character or angle bracket, at most 254 bytes; "" (the null
 * sender) only when allow_empty. */
bool smtp_envelope_ok(const char *a, bool allow_empty);

#endif
