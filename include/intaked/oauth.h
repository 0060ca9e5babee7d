/* oauth.h — OAuth 2.0 access tokens for SASL XOAUTH2 (IMAP and SMTP): the
 * refresh-token grant of RFC 6749 §6, or the client-credentials grant
 * (§4.4, app-only access) with a client secret or a signed client
 * assertion (oauth_grant.c), against the provider's token endpoint
 * (libcurl and JSON inside; no libcurl type outside oauth.c).
 *
 * The refresh token lives in refresh_token_file (mode 0600) and is read
 * at every refresh, so an operator can put in a new one without a restart.
 * A provider that rotates it (Microsoft identity platform does) returns a
 * new one with each grant: it replaces the file atomically (fsio_replace,
 * 0600) before the access token is used, so a crash never leaves us with
 * only the old, now revoked, token. The directory of the file must be
 * writable by the daemon. Tokens are never logged. */
#ifndef INTAKED_OAUTH_H
#define INTAKED_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/util.h"

/* Longest token endpoint response read (bigger: ERR_TEMP). */
#define OAUTH_RESPONSE_MAX 65536
/* An access token is used until this many seconds before it expires (a
 * token living less than twice that: until half its life). */
#define OAUTH_EXPIRY_MARGIN 60

struct oauth;

/* A token cache for one client configuration. oc is borrowed and must
 * outlive the cache; timeout (seconds, <= 0: 60) bounds each request. */
struct oauth *oauth_new(const struct oauth_config *oc, long timeout);
/* Wipes the cached token. NULL-safe, sets *o = NULL. */
void oauth_free(struct oauth **o);

/* A valid access token at now: the cached one while it has more than
 * OAUTH_EXPIRY_MARGIN seconds left, else a fresh one from the endpoint.
 * *token_r is borrowed until the next call on o. Errors:
 *   ERR_AUTH   the endpoint refused the grant (invalid_grant: the refresh
 *              token expired or was revoked; invalid_client, ...): a
 *              person must act; err->msg names the OAuth error code;
 *   ERR_TEMP   network, timeout, HTTP 5xx or 429, malformed response, or
 *              the rotated refresh token could not be saved;
 *   ERR_CONFIG refresh_token_file cannot be read (or is group-readable). */
int oauth_token(struct oauth *o, time_t now, const char **token_r, struct err *err);
/* The server refused the access token (revoked early): forget it, so the
 * next oauth_token() asks the endpoint again. */
void oauth_invalidate(struct oauth *o);

/* ------------------------------------------------ exposed for unit tests */

/* What a token endpoint answered (strings owned, wiped by _clear). */
struct oauth_grant {
	char *access_token;
	long expires_in;          /* seconds; 3600 when the response omits it */
	char *refresh_token;      /* a rotated one, or NULL */
};

/* Judge an HTTP status and body from the token endpoint: 200 with a JSON
 * object holding a non-empty "access_token" (token_type, if given,
 * "Bearer") fills g; a JSON {"error": CODE} or any 4xx other than 429 is
 * ERR_AUTH ("oauth: token endpoint refused the refresh token:
 * invalid_grant (DESCRIPTION)"); 5xx, 429 and garbage are ERR_TEMP. */
int oauth_parse_response(long status, const char *body, size_t len, struct oauth_grant *g,
			 struct err *err);
void oauth_grant_clear(struct oauth_grant *g);

/* The token endpoint's HTTP and forms, shared by oauth_grant.c and
 * intakectl oauth login (ctl_oauth.c). */
/* Client assertions live this long (Microsoft accepts up to 10 min). */
#define OAUTH_ASSERTION_LIFETIME 300

struct oauth_response {
	char *data;               /* OAUTH_RESPONSE_MAX + 1 bytes */
	size_t len;
	bool overflow;
};

/* POST form (application/x-www-form-urlencoded) to url, trusting
 * oc->token_ca_file when set. 0 with *status_r (any HTTP status), or -1
 * (ERR_TEMP: network, TLS, response too big). */
int oauth_http_post(const struct oauth_config *oc, const char *url, long timeout,
		    const char *form, struct oauth_response *resp, long *status_r,
		    struct err *err);
void oauth_response_init(struct oauth_response *r);
void oauth_response_free(struct oauth_response *r);

/* "&name=value", value percent-encoded (nothing for NULL or ""). */
void oauth_form_add(struct buf *b, const char *name, const char *value);
/* The client's credentials for the token endpoint: client_id, and
 * client_secret or (with a certificate) client_assertion_type and a
 * client_assertion whose audience is oc->token_url. -1: the key or
 * certificate could not be used (ERR_CONFIG). */
int oauth_client_auth(const struct oauth_config *oc, time_t now, struct buf *b,
		      struct err *err);
/* The whole form of the daemon's grant (refresh_token: with the token
 * given; client_credentials: with oc->scope). Caller wipes and frees. */
char *oauth_grant_form(const struct oauth_config *oc, const char *refresh_token, time_t now,
		       struct err *err);

/* RS256 JWT for private_key_jwt (RFC 7523 §2.2): header alg, typ, x5t
 * (base64url SHA-1 of the certificate's DER, as Microsoft wants); claims
 * aud iss sub jti nbf iat exp. *jwt_r: caller frees. */
int oauth_jwt_assertion(const struct oauth_config *oc, time_t now, char **jwt_r,
			struct err *err);
/* base64url without padding. Caller frees. */
char *oauth_b64url(const unsigned char *data, size_t len);

#endif
