/* imap.h — the only door to the IMAP server (libetpan inside, our own
 * OpenSSL stream underneath so certificates and host names are verified).
 * Nothing outside imap.c and tls.c sees a libetpan type.
 *
 * Errors: ERR_TEMP for anything that a later retry may cure (connection,
 * TLS handshake or verification, timeouts, BYE, protocol garbage),
 * ERR_AUTH when credentials are refused, ERR_MESSAGE for a problem with
 * one message only (e.g. it vanished). */
#ifndef INTAKED_IMAP_H
#define INTAKED_IMAP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct imap_session;

struct imap_message {
	uint32_t uid;
	time_t internaldate;      /* the server's receipt time */
	unsigned char *raw;       /* byte-exact message, owned */
	size_t len;
};

/* Connect (TLS: implicit for imaps, STARTTLS required for imap), verify the
 * certificate against mc->ca_file or the system store and mc->host, then
 * LOGIN / AUTHENTICATE PLAIN, or XOAUTH2 with access_token when non-NULL.
 * Credentials are never sent before TLS is up and verified. */
int imap_open(const struct mailbox_config *mc, const char *access_token,
	      struct imap_session **s_r, struct err *err);
/* SELECT folder; *uidvalidity_r set. */
int imap_select(struct imap_session *s, const char *folder,
		uint32_t *uidvalidity_r, struct err *err);
/* UIDs not yet marked filed (UID SEARCH UNKEYWORD $Filed, or UNSEEN where
 * the folder takes no keywords), ascending. *uids_r: caller frees. */
int imap_search_pending(struct imap_session *s, uint32_t **uids_r, size_t *n_r,
			struct err *err);
/* UID FETCH (RFC822.SIZE INTERNALDATE BODY.PEEK[]). A message bigger than
 * max_size is refused with ERR_MESSAGE before its body is transferred. */
int imap_fetch(struct imap_session *s, uint32_t uid, size_t max_size,
	       struct imap_message *m, struct err *err);
void imap_message_clear(struct imap_message *m);
/* after_filing: flag = +FLAGS (\Seen $Filed); move:FOLDER = UID MOVE, or
 * COPY + \Deleted + UID EXPUNGE when MOVE is not offered. */
int imap_mark_filed(struct imap_session *s, uint32_t uid,
		    const struct mailbox_config *mc, struct err *err);
/* Wait for new mail with IDLE (if offered and mc->idle), at most
 * max_seconds, returning early when wake_fd (>= 0) becomes readable.
 * Returns 1 when the server announced new messages, 0 otherwise; -1 on
 * error. Without IDLE it just waits. */
int imap_wait(struct imap_session *s, long max_seconds, int wake_fd, struct err *err);
/* LOGOUT (best effort) and free. NULL-safe. */
void imap_close(struct imap_session **s);

#endif
