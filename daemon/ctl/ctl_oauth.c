/* ctl_oauth.c — intakectl oauth login: the first refresh token, with the
 * device authorization grant (RFC 8628), so that it works on a headless
 * server: intakectl shows a URL and a code, the operator signs in from any
 * browser, intakectl polls the token endpoint and stores the refresh
 * token atomically (write aside, fsync, rename; mode 0600) at
 * refresh_token_file, where the daemon reads it at its next refresh. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "ctl.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/oauth.h"
#include "ctl_oauth.h"
#include "intaked/util.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define DEFAULT_INTERVAL 5
#define SLOW_DOWN_STEP 5          /* RFC 8628 §3.5 */
#define HTTP_TIMEOUT 60
#define TEXT_MAX 200
#define POLL_AGAIN (-1)          /* not an exit code */

struct device {
	char *device_code, *user_code, *uri, *uri_complete;
	long expires_in, interval;
};

static void device_clear(struct device *d)
{
	free(d->device_code);
	free(d->user_code);
	free(d->uri);
	free(d->uri_complete);
	memset(d, 0, sizeof(*d));
}

/* Provider text for the terminal: printable ASCII, cut short. */
static char *printable_dup(const char *s)
{
	char *out = xstrdup(s ? s : "");
	size_t i = 0;
	for (; out[i] && i < TEXT_MAX; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
	out[i] = '\0';
	return out;
}

static long positive_or(const struct jval *o, const char *key, long dflt)
{
	long v = (long)jr_int(o, key, 1, LONG_MAX, dflt);
	return v > 0 ? v : dflt;
}

int ctl_oauth_post_json(struct ctl *c, const struct oauth_config *oc, const char *url,
			const char *form, long *status_r, struct jread *rd)
{
	struct oauth_response resp;
	struct err err = { 0 };
	int rc = -1;
	memset(rd, 0, sizeof(*rd));
	oauth_response_init(&resp);
	if (oauth_http_post(oc, url, HTTP_TIMEOUT, form, &resp, status_r, &err) < 0)
		fprintf(c->err, "intakectl: %s\n", err.msg);
	else if (jr_load(rd, resp.data, resp.len, SIZE_MAX, JR_OBJECT | JR_LENIENT) < 0)
		fprintf(c->err, "intakectl: %s answered HTTP %ld without a JSON object\n", url,
			*status_r);
	else
		rc = 0;
	oauth_response_free(&resp);
	return rc;
}

static int device_start(struct ctl *c, const struct oauth_config *oc, struct device *d)
{
	struct buf b;
	long status = 0;
	buf_init(&b, OAUTH_RESPONSE_MAX);
	oauth_form_add(&b, "client_id", oc->client_id);
	oauth_form_add(&b, "scope", oc->scope);
	char *form = buf_steal(&b);
	/* Past the '&' oauth_form_add put before the first field. */
	struct jread rd;
	int got = ctl_oauth_post_json(c, oc, oc->device_auth_url, form + 1, &status, &rd);
	free(form);
	if (got < 0)
		return CTL_FAIL;
	struct jval root = jr_root(&rd), *o = &root;
	const char *dc = jr_strref(o, "device_code"), *uc = jr_strref(o, "user_code");
	/* Google says verification_url, RFC 8628 verification_uri. */
	const char *uri = jr_strref(o, "verification_uri") ? jr_strref(o, "verification_uri")
						       : jr_strref(o, "verification_url");
	int rc = CTL_OK;
	if (status != 200 || dc == NULL || uc == NULL || uri == NULL) {
		char *e = printable_dup(jr_strref(o, "error")), *ed = printable_dup(jr_strref(o, "error_description"));
		fprintf(c->err, "intakectl: the device authorization endpoint refused: HTTP %ld %s %s\n",
			status, e, ed);
		free(e);
		free(ed);
		rc = CTL_FAIL;
	} else {
		d->device_code = xstrdup(dc);
		d->user_code = printable_dup(uc);
		d->uri = printable_dup(uri);
		d->uri_complete = jr_strref(o, "verification_uri_complete") ?
			printable_dup(jr_strref(o, "verification_uri_complete")) : NULL;
		d->expires_in = positive_or(o, "expires_in", 900);
		d->interval = positive_or(o, "interval", DEFAULT_INTERVAL);
	}
	jr_close(&rd);
	return rc;
}

static char *poll_form(const struct oauth_config *oc, const struct device *d)
{
	struct buf b;
	buf_init(&b, OAUTH_RESPONSE_MAX);
	buf_puts(&b, "grant_type=" DEVICE_GRANT);
	oauth_form_add(&b, "device_code", d->device_code);
	oauth_form_add(&b, "client_id", oc->client_id);
	/* Google's "TV and limited input" clients have a secret. */
	oauth_form_add(&b, "client_secret", oc->client_secret);
	return buf_steal(&b);
}

int ctl_oauth_save_token(struct ctl *c, const struct oauth_config *oc, const char *rt)
{
	struct err err = { 0 };
	size_t n = strlen(rt);
	char *data = xasprintf("%s\n", rt);
	int rc = fsio_replace(oc->refresh_token_file, data, n + 1, 0600, &err);
	explicit_bzero(data, n + 1);
	free(data);
	if (rc < 0) {
		fprintf(c->err, "intakectl: cannot save the refresh token: %s\n", err.msg);
		return CTL_IOERR;
	}
	log_info("event=oauth-login client=%s file=%s", log_q(oc->client_id),
		 log_q(oc->refresh_token_file));
	if (geteuid() == 0)
		fprintf(c->err, "intakectl: note: %s belongs to root; a daemon running as "
			"another user cannot read it (chown it, or run sudo -u intaked intakectl "
			"oauth login)\n", oc->refresh_token_file);
	fprintf(c->out, "Signed in. The refresh token is saved in %s (mode 0600).\n"
		"Check it: intaked -c %s --check-config, then intakectl -c %s status\n"
		"(a running intaked uses it at its next connection).\n",
		oc->refresh_token_file, c->cfg->path, c->cfg->path);
	return CTL_OK;
}

/* One answer of the token endpoint: POLL_AGAIN, or an exit code. */
static int poll_answer(struct ctl *c, const struct oauth_config *oc, const struct jval *o,
		       long status,
		       struct device *d)
{
	const char *error = jr_strref(o, "error"), *rt = jr_strref(o, "refresh_token");
	if (status == 200 && rt != NULL && rt[0] != '\0') {
		int rc = ctl_oauth_save_token(c, oc, rt);
		explicit_bzero((char *)rt, strlen(rt));
		return rc;
	}
	if (status == 200) {
		fprintf(c->err, "intakectl: signed in, but the provider sent no refresh token "
			"(is offline_access among the scopes?)\n");
		return CTL_FAIL;
	}
	if (error != NULL && strcmp(error, "authorization_pending") == 0)
		return POLL_AGAIN;
	if (error != NULL && strcmp(error, "slow_down") == 0) {
		d->interval += SLOW_DOWN_STEP;
		return POLL_AGAIN;
	}
	char *e = printable_dup(error ? error : "no error code");
	char *ed = printable_dup(jr_strref(o, "error_description"));
	fprintf(c->err, "intakectl: sign-in failed: %s%s%s (HTTP %ld)\n", e, ed[0] ? ": " : "",
		ed, status);
	free(e);
	free(ed);
	return CTL_FAIL;
}

static int device_poll(struct ctl *c, const struct oauth_config *oc, struct device *d)
{
	char *form = poll_form(oc, d);
	time_t deadline = time(NULL) + d->expires_in;
	int rc = POLL_AGAIN;
	while (rc == POLL_AGAIN) {
		sleep((unsigned)d->interval);
		if (time(NULL) >= deadline) {
			fprintf(c->err, "intakectl: sign-in failed: expired_token (the code was "
				"not used within %ld s)\n", d->expires_in);
			rc = CTL_FAIL;
			break;
		}
		long status = 0;
		struct jread rd;
		if (ctl_oauth_post_json(c, oc, oc->token_url, form, &status, &rd) == 0) {
			struct jval root = jr_root(&rd);
			rc = poll_answer(c, oc, &root, status, d);
		} else {
			rc = CTL_FAIL;
		}
		jr_close(&rd);
	}
	explicit_bzero(form, strlen(form));
	free(form);
	return rc;
}

/* The token settings login is for: [mailbox]'s, or [smtp]'s own. */
static const struct oauth_config *login_config(struct ctl *c, const char **section_r)
{
	const struct config *cfg = c->cfg;
	*section_r = "mailbox";
	if (auth_is_oauth(cfg->mailbox.auth))
		return &cfg->mailbox.oauth;
	*section_r = "smtp";
	if (auth_is_oauth(cfg->smtp.auth))
		return &cfg->smtp.oauth;
	return NULL;
}

static int oauth_login(struct ctl *c, bool loopback)
{
	const char *section;
	const struct oauth_config *oc = login_config(c, &section);
	const char *missing = oc == NULL ? "auth = xoauth2 or oauthbearer"
			      : oc->grant != GRANT_REFRESH_TOKEN ? "grant = refresh_token"
			      : loopback && oc->auth_url == NULL ? "auth_url"
			      : !loopback && oc->device_auth_url == NULL ? "device_auth_url" : NULL;
	if (missing != NULL) {
		fprintf(c->err, "intakectl: %s: [%s] %s is required for oauth login\n",
			c->cfg->path, section, missing);
		return CTL_CONFIG;
	}
	if (loopback)
		return ctl_oauth_loopback(c, oc);
	struct device d = { 0 };
	int rc = device_start(c, oc, &d);
	if (rc == CTL_OK) {
		fprintf(c->out, "To sign in, open %s in a browser (on any device) and enter the "
			"code: %s\n", d.uri, d.user_code);
		if (d.uri_complete)
			fprintf(c->out, "(or open %s)\n", d.uri_complete);
		fprintf(c->out, "Waiting for the sign-in (the code expires in %ld min)...\n",
			d.expires_in / 60);
		fflush(c->out);
		rc = device_poll(c, oc, &d);
	}
	device_clear(&d);
	return rc;
}

int ctl_cmd_oauth(struct ctl *c, const struct ctl_args *a)
{
	if (strcmp(a->pos[0], "login") != 0) {
		fprintf(c->err, "intakectl: oauth login is the only oauth command\n");
		return CTL_USAGE;
	}
	return oauth_login(c, a->loopback);
}
