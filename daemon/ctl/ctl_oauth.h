/* ctl_oauth.h — between ctl_oauth.c (intakectl oauth login, the device
 * authorization grant of RFC 8628) and ctl_oauth_loopback.c. */
#ifndef INTAKED_CTL_OAUTH_H
#define INTAKED_CTL_OAUTH_H

#include "intaked/json.h"
#include "intaked/oauth.h"

/* intakectl oauth login: store a refresh token at oc->refresh_token_file
 * (atomic, 0600) and say so; the exit code. (ctl_oauth.c) */
struct ctl;
int ctl_oauth_save_token(struct ctl *c, const struct oauth_config *oc, const char *rt);
/* POST form to url and read the JSON object answered into rd (leniently:
 * a value of the wrong type reads as missing; jr_close it afterwards): 0,
 * or -1 after printing why. */
int ctl_oauth_post_json(struct ctl *c, const struct oauth_config *oc, const char *url,
			const char *form, long *status_r, struct jread *rd);
/* The authorization-code flow with a loopback redirect and PKCE (RFC 8252,
 * RFC 7636), for providers whose device flow refuses mail scopes (Gmail):
 * an exit code. (ctl_oauth_loopback.c) */
int ctl_oauth_loopback(struct ctl *c, const struct oauth_config *oc);

#endif
