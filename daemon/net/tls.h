/* tls.h — a client connection over our own TCP socket that becomes a
 * verified TLS (OpenSSL) stream: TLS >= 1.2, the peer's chain checked
 * against a CA file or the system store, its name (or IP literal) checked
 * against the host we dialled, SNI for names. Every read, write, connect
 * and handshake step has a timeout, so a silent server cannot hang us.
 *
 * A connection starts in plain text (for IMAP STARTTLS) and is upgraded in
 * place by tls_conn_handshake(); for implicit TLS call it right away.
 * No libetpan or OpenSSL type appears here. */
#ifndef INTAKED_TLS_H
#define INTAKED_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "intaked/err.h"

struct tls_conn;

/* Resolve host and connect to port, trying each address in turn, each
 * within timeout seconds (<= 0: 60). The socket is non-blocking,
 * close-on-exec and below FD_SETSIZE (libetpan must never see a larger
 * one). *c_r is owned by the caller: tls_conn_free(). ERR_TEMP on failure,
 * naming host and port. */
int tls_conn_connect(const char *host, int port, long timeout,
		     struct tls_conn **c_r, struct err *err);

/* TLS client handshake on c, verifying the certificate chain against
 * ca_file (NULL: the system default paths) and the host given to
 * tls_conn_connect(). Until it returns 0 nothing but the handshake has
 * been sent. ERR_TEMP for network, handshake and verification failures
 * ("certificate verify failed for HOST: REASON"), ERR_CONFIG when ca_file
 * cannot be loaded. On failure c is unusable (reads and writes fail). */
int tls_conn_handshake(struct tls_conn *c, const char *ca_file, struct err *err);

/* Read at most n bytes (waiting up to the timeout for the first one).
 * Returns > 0 bytes read, 0 at end of stream, -1 on error, timeout or
 * cancel (see tls_conn_error()). */
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t n);
/* Write all n bytes (each wait bounded by the timeout). Returns n or -1. */
ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t n);

/* True when bytes are buffered inside the TLS layer (decrypted, or records
 * read ahead), i.e. a read would not block although poll() on the socket
 * may say nothing is there. */
bool tls_conn_pending(const struct tls_conn *c);
/* The socket, or -1 once closed. Only for poll(); never read it directly. */
int tls_conn_fd(const struct tls_conn *c);
bool tls_conn_is_tls(const struct tls_conn *c);
void tls_conn_set_timeout(struct tls_conn *c, long seconds);
/* From now on reads and writes fail at once (used to abandon a session). */
void tls_conn_cancel(struct tls_conn *c);
/* Why the last read/write failed ("timed out after 60 s", "connection
 * closed by server", ...); "" if nothing failed. Borrowed. */
const char *tls_conn_error(const struct tls_conn *c);
/* Send close_notify (best effort, never waits) and close the socket;
 * the struct stays valid for tls_conn_error() until tls_conn_free(). */
void tls_conn_close(struct tls_conn *c);
/* Close if needed and free; NULL-safe, sets *c = NULL. */
void tls_conn_free(struct tls_conn **c);

#endif
