/* sasl.h — the client side of SASL OAUTHBEARER (RFC 7628), shared by the
 * IMAP client (imap.c) and tests; SMTP gets it from libcurl. Pure string
 * work: no I/O, no libetpan or OpenSSL type outside sasl.c. */
#ifndef INTAKED_SASL_H
#define INTAKED_SASL_H

#include <stddef.h>
#include "intaked/err.h"

/* Longest status text kept from a server's error challenge. */
#define SASL_STATUS_MAX 64

/* The OAUTHBEARER initial client response, not yet base64-encoded:
 *   "n,a=USER,\x01host=HOST\x01port=PORT\x01auth=Bearer TOKEN\x01\x01"
 * USER as a GS2 saslname ("," is "=2C", "=" is "=3D"). NULL with ERR_CONFIG
 * when user or host is empty or holds a control character, or ERR_AUTH
 * when the token is empty or holds anything but visible ASCII (it would
 * end the message early). The result holds the token: the caller frees it
 * with sasl_wipe_free(). */
char *sasl_oauthbearer(const char *user, const char *host, int port, const char *token,
		       struct err *err);
/* Standard base64 (RFC 4648 §4) of len bytes, padded; caller frees (with
 * sasl_wipe_free() when it holds a secret). */
char *sasl_base64(const void *data, size_t len);
/* The "status" of a server's OAUTHBEARER error challenge (RFC 7628 §3.2.2:
 * base64 of {"status":"invalid_token",...}), printable ASCII cut to
 * SASL_STATUS_MAX, into out; "" when the challenge is not such a JSON. */
void sasl_error_status(const char *b64, char *out, size_t size);
/* Zero a NUL-terminated secret and free it; NULL-safe, sets *s = NULL. */
void sasl_wipe_free(char **s);

#endif
