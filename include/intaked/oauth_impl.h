/* oauth_impl.h — between oauth.c (token cache, HTTP), oauth_grant.c (the
 * request forms and client authentication: a secret, or a private_key_jwt
 * client assertion signed with OpenSSL) and ctl_oauth.c (intakectl oauth
 * login, the device authorization grant of RFC 8628). */
#ifndef INTAKED_OAUTH_IMPL_H
#define INTAKED_OAUTH_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "intaked/config.h"
#include "intaked/err.h"
#include "intaked/util.h"

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
/* intakectl oauth login: store a refresh token at oc->refresh_token_file
 * (atomic, 0600) and say so; the exit code. (ctl_oauth.c) */
struct ctl;
int ctl_oauth_save_token(struct ctl *c, const struct oauth_config *oc, const char *rt);
/* POST form to url and read a JSON object (NULL after printing why). */
struct json_t;
struct json_t *ctl_oauth_post_json(struct ctl *c, const struct oauth_config *oc,
				   const char *url, const char *form, long *status_r);
/* The authorization-code flow with a loopback redirect and PKCE (RFC 8252,
 * RFC 7636), for providers whose device flow refuses mail scopes (Gmail):
 * an exit code. (ctl_oauth_loopback.c) */
int ctl_oauth_loopback(struct ctl *c, const struct oauth_config *oc);

/* base64url without padding. Caller frees. */
char *oauth_b64url(const unsigned char *data, size_t len);

#endif
