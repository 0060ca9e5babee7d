/* imap.h — the only door to the IMAP server (libetpan inside, our own
 * OpenSSL stream underneath so certificates and host names are verified).
 * Nothing outside imap.c and tls.c sees a libetpan type.
 *
 * Errors: ERR_TEMP for anything that a later retry may cure (connection,
 * TLS handshake or verification, timeouts, BYE, protocol garbage),
 * ERR_AUTH when credentials are refused, ERR_MESSAGE for a problem with
 * one message only (e.g. it vanished), ERR_PROTOCOL when the server
 * answered BAD: it takes a command for malformed (the text says why). */
#ifndef INTAKED_IMAP_H
#define INTAKED_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"

struct imap_session;

/* Messages bigger than this are streamed to a file (imap_fetch_body with
 * a spill_dir) instead of being held in memory. */
#define IMAP_SPILL_MIN (1024 * 1024)

struct imap_message {
	uint32_t uid;
	time_t internaldate;      /* the server's receipt time */
	unsigned char *raw;       /* byte-exact message: owned heap memory, or a
				   * read-only mapping of path */
	size_t len;
	char *path;               /* streamed to disk: the file's name in dirfd,
				   * fsynced, mode 0640; imap_message_clear
				   * unlinks it */
	int dirfd;                /* with path: the spill directory (a dup of
				   * the caller's, closed by imap_message_clear) */
	char sha256[65];          /* of raw, computed while streaming; "" when
				   * the message was fetched into memory */
};

/* What UID FETCH (RFC822.SIZE INTERNALDATE) said about one message. */
struct imap_meta {
	uint32_t uid;
	bool found;               /* false: gone, or no size/date from the server */
	uint32_t size;
	time_t internaldate;
};

/* Connect (TLS: implicit for imaps, STARTTLS required for imap), verify the
 * certificate against mc->ca_file or the system store and mc->host, then
 * LOGIN / AUTHENTICATE PLAIN, or with access_token (non-NULL) SASL XOAUTH2
 * or OAUTHBEARER as mc->auth says.
 * Credentials are never sent before TLS is up and verified. */
int imap_open(const struct mailbox_config *mc, const char *access_token,
	      struct imap_session **s_r, struct err *err);
/* SELECT folder; *uidvalidity_r set. */
int imap_select(struct imap_session *s, const char *folder,
		uint32_t *uidvalidity_r, struct err *err);
/* UIDs worth a look, ascending: UID SEARCH UID <also>,<above+1>:* (also:
 * the nalso UIDs to try again, ascending), plus NOT KEYWORD $Filed where
 * the folder takes keywords. Never \Seen: people read mail too. A
 * search of N:* also finds the highest UID when it is below N: the
 * caller sorts them out (highwater_candidates). *uids_r: caller frees. */
int imap_search_pending(struct imap_session *s, uint32_t above, const uint32_t *also,
			size_t nalso, uint32_t **uids_r, size_t *n_r, struct err *err);
/* Does the selected folder store keywords ($Filed)? PERMANENTFLAGS. */
bool imap_folder_keywords(const struct imap_session *s);
/* UID FETCH (RFC822.SIZE INTERNALDATE BODY.PEEK[]). A message bigger than
 * max_size is refused with ERR_MESSAGE before its body is transferred. */
int imap_fetch(struct imap_session *s, uint32_t uid, size_t max_size,
	       struct imap_message *m, struct err *err);
/* Size and INTERNALDATE of n UIDs (ascending) in one round trip, so a big
 * first sync costs one body fetch per message. meta[i] is for uids[i]. */
int imap_fetch_meta(struct imap_session *s, const uint32_t *uids, size_t n,
		    struct imap_meta *meta, struct err *err);
/* BODY.PEEK[] of the message meta describes (found, size <= max_size, else
 * ERR_MESSAGE before any transfer). With spill_dirfd >= 0 (a directory
 * on the spool's filesystem, opened by the caller) a message over IMAP_SPILL_MIN goes to a file
 * there as it arrives, hashed on the way, and raw maps that file: the
 * daemon never holds it in its own memory. */
int imap_fetch_body(struct imap_session *s, const struct imap_meta *meta, size_t max_size,
		    int spill_dirfd, struct imap_message *m, struct err *err);
/* BODY.PEEK[] of n small messages in one UID FETCH (a first sync would
 * otherwise wait for one round trip per message): m[i] and errs[i] are
 * for meta[i]; errs[i] holds ERR_MESSAGE for one that is gone or over
 * max_size (m[i] then empty). Returns -1 only when the command failed.
 * The whole response is held in memory: keep the batch to a few MiB. */
int imap_fetch_bodies(struct imap_session *s, const struct imap_meta *meta, size_t n,
		      size_t max_size, struct imap_message *m, struct err *errs,
		      struct err *err);
void imap_message_clear(struct imap_message *m);
/* after_filing: flag = +FLAGS (\Seen $Filed); move:FOLDER = UID MOVE, or
 * COPY + \Deleted + UID EXPUNGE when MOVE is not offered. */
int imap_mark_filed(struct imap_session *s, uint32_t uid,
		    const struct mailbox_config *mc, struct err *err);
/* The same for n UIDs in one command (a batch of a first sync). */
int imap_mark_filed_many(struct imap_session *s, const uint32_t *uids, size_t n,
			 const struct mailbox_config *mc, struct err *err);
/* Wait for new mail with IDLE (if offered and mc->idle), at most
 * max_seconds, returning early when wake_fd (>= 0) becomes readable.
 * Returns 1 when the server announced new messages, 0 otherwise; -1 on
 * error. Without IDLE it just waits. */
int imap_wait(struct imap_session *s, long max_seconds, int wake_fd, struct err *err);
/* Whether imap_wait waits in IDLE (offered, enabled, not refused yet). */
bool imap_uses_idle(const struct imap_session *s);
/* LOGOUT (best effort) and free. NULL-safe. */
void imap_close(struct imap_session **s);

#endif
