/* oauth.c — the refresh-token grant (RFC 6749 §6) with libcurl, the
 * response read with json.h, the access token cached until shortly
 * before it expires. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "intaked/fsio.h"
#include "intaked/json.h"
#include "intaked/log.h"
#include "intaked/oauth.h"
#include "intaked/util.h"

#define DEFAULT_EXPIRES_IN 3600
#define DEFAULT_TIMEOUT 60
#define PROVIDER_TEXT_MAX 160

struct oauth {
	const struct oauth_config *oc;
	long timeout;
	char *token;              /* cached access token, wiped when dropped */
	time_t refresh_at;        /* when to ask for a new one */
};

static bool curl_ready;

/* ------------------------------------------------------------- helpers */

static void wipe_free(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* Provider text is untrusted: printable ASCII only, cut short. */
static void printable(const char *in, char *out, size_t size)
{
	size_t i = 0;
	for (; in != NULL && in[i] != '\0' && i + 1 < size && i < PROVIDER_TEXT_MAX; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

/* ------------------------------------------------------------- parsing */

void oauth_grant_clear(struct oauth_grant *g)
{
	wipe_free(&g->access_token);
	wipe_free(&g->refresh_token);
	g->expires_in = 0;
}

static int refused(const struct jval *obj, long status, struct err *err)
{
	char code[PROVIDER_TEXT_MAX + 1], desc[PROVIDER_TEXT_MAX + 1];
	printable(jr_strref(obj, "error"), code, sizeof(code));
	printable(jr_strref(obj, "error_description"), desc, sizeof(desc));
	err_set(err, ERR_AUTH, "oauth: token endpoint refused the refresh token: %s%s%s%s (HTTP %ld)",
		code[0] ? code : "no error code", desc[0] ? " (" : "", desc, desc[0] ? ")" : "",
		status);
	return -1;
}

static int read_grant(const struct jval *obj, struct oauth_grant *g, struct err *err)
{
	const char *at = jr_strref(obj, "access_token");
	const char *type = jr_strref(obj, "token_type");
	const char *rt = jr_strref(obj, "refresh_token");
	long long exp = jr_int(obj, "expires_in", 1, LONG_MAX, 0);
	const char *exp_text = exp == 0 ? jr_strref(obj, "expires_in") : NULL;

	if (at == NULL || at[0] == '\0') {
		err_set(err, ERR_TEMP, "oauth: token endpoint sent no access_token");
		return -1;
	}
	if (type != NULL && !str_ieq(type, "bearer")) {
		char t[PROVIDER_TEXT_MAX + 1];
		printable(type, t, sizeof(t));
		err_set(err, ERR_TEMP, "oauth: token endpoint sent a token of type %s, not Bearer", t);
		return -1;
	}
	g->expires_in = DEFAULT_EXPIRES_IN;
	if (exp > 0)
		g->expires_in = (long)exp;
	else if (exp_text != NULL) { /* some providers quote it */
		unsigned long v;
		if (parse_ulong(exp_text, 365UL * 86400, &v) == 0 && v > 0)
			g->expires_in = (long)v;
	}
	g->access_token = xstrdup(at);
	g->refresh_token = rt != NULL && rt[0] != '\0' ? xstrdup(rt) : NULL;
	return 0;
}

int oauth_parse_response(long status, const char *body, size_t len, struct oauth_grant *g,
			 struct err *err)
{
	memset(g, 0, sizeof(*g));
	/* Provider JSON: a value of the wrong type reads as missing. */
	struct jread rd;
	bool parsed = jr_load(&rd, body, len, SIZE_MAX,
			      JR_OBJECT | JR_UNIQUE_KEYS | JR_LENIENT) == 0;
	struct jval obj = jr_root(&rd);
	int rc = -1;

	if (status >= 500 || status == 429)
		err_set(err, ERR_TEMP, "oauth: token endpoint is unavailable (HTTP %ld)", status);
	else if (parsed && jr_strref(&obj, "error") != NULL)
		refused(&obj, status, err);
	else if (status >= 400)
		err_set(err, ERR_AUTH, "oauth: token endpoint refused the refresh token (HTTP %ld)",
			status);
	else if (status != 200)
		err_set(err, ERR_TEMP, "oauth: unexpected HTTP %ld from the token endpoint", status);
	else if (!parsed)
		err_set(err, ERR_TEMP, "oauth: token endpoint sent no JSON object");
	else
		rc = read_grant(&obj, g, err);
	if (parsed) {
		/* The response held the tokens: the parser's copies go too. */
		const char *at = jr_strref(&obj, "access_token");
		const char *rt = jr_strref(&obj, "refresh_token");
		if (at != NULL)
			explicit_bzero((char *)at, strlen(at));
		if (rt != NULL)
			explicit_bzero((char *)rt, strlen(rt));
	}
	jr_close(&rd);
	if (rc < 0)
		oauth_grant_clear(g);
	return rc;
}

/* --------------------------------------------------------------- HTTP */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct oauth_response *r = arg;
	size_t n = size * nmemb;
	if (n > OAUTH_RESPONSE_MAX - r->len) {
		r->overflow = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	memcpy(r->data + r->len, ptr, n);
	r->len += n;
	return n;
}

void oauth_response_init(struct oauth_response *r)
{
	*r = (struct oauth_response){ .data = xmalloc(OAUTH_RESPONSE_MAX + 1) };
}

void oauth_response_free(struct oauth_response *r)
{
	if (r->data != NULL)
		explicit_bzero(r->data, r->len);
	free(r->data);
	r->data = NULL;
}

static int curl_start(struct err *err)
{
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(err, ERR_TEMP, "oauth: curl_global_init failed");
			return -1;
		}
		curl_ready = true;
	}
	return 0;
}

int oauth_http_post(const struct oauth_config *oc, const char *url, long timeout,
		    const char *form, struct oauth_response *resp, long *status_r,
		    struct err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	if (curl_start(err) < 0)
		return -1;
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	if (h == NULL || hdr == NULL)
		fatalx("oauth: out of memory");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	if (oc->token_ca_file != NULL) {
		/* A private identity provider: its CAs instead of the system's. */
		curl_easy_setopt(h, CURLOPT_CAINFO, oc->token_ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "intaked");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status_r);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (resp->overflow) {
		err_set(err, ERR_TEMP, "oauth: token endpoint response is larger than %d bytes",
			OAUTH_RESPONSE_MAX);
		return -1;
	}
	if (rc != CURLE_OK) {
		err_set(err, ERR_TEMP, "oauth: token endpoint %s: %s", url,
			errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* Save a rotated refresh token before anything uses the new access
 * token: the provider may have revoked the old one already. */
static int save_rotated(const struct oauth *o, const char *old, const char *fresh,
			struct err *err)
{
	if (strcmp(old, fresh) == 0)
		return 0;
	size_t n = strlen(fresh);
	char *data = xmalloc(n + 2);
	memcpy(data, fresh, n);
	memcpy(data + n, "\n", 2);
	int rc = fsio_replace(o->oc->refresh_token_file, data, n + 1, 0600, err);
	explicit_bzero(data, n + 1);
	free(data);
	if (rc < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		err_set(err, ERR_TEMP, "oauth: cannot save the rotated refresh token: %s", msg);
		return -1;
	}
	return 1;
}

static int refresh(struct oauth *o, time_t now, struct err *err)
{
	char *rt = NULL, *form = NULL;
	struct oauth_response resp;
	struct oauth_grant g = { 0 };
	long status = 0;
	int rc = -1, rotated = 0;
	bool app = o->oc->grant == GRANT_CLIENT_CREDENTIALS;

	oauth_response_init(&resp);
	if ((!app && config_read_secret(o->oc->refresh_token_file, &rt, err) < 0) ||
	    (form = oauth_grant_form(o->oc, rt, time(NULL), err)) == NULL)
		goto out;
	if (oauth_http_post(o->oc, o->oc->token_url, o->timeout, form, &resp, &status, err) < 0 ||
	    oauth_parse_response(status, resp.data, resp.len, &g, err) < 0 ||
	    (!app && g.refresh_token && (rotated = save_rotated(o, rt, g.refresh_token, err)) < 0))
		goto out;
	wipe_free(&o->token);
	o->token = g.access_token;
	g.access_token = NULL;
	/* Refresh a margin before expiry; a short-lived token at half-life. */
	o->refresh_at = now + (g.expires_in > 2 * OAUTH_EXPIRY_MARGIN
				       ? g.expires_in - OAUTH_EXPIRY_MARGIN : g.expires_in / 2);
	log_info("event=oauth-refreshed client=%s grant=%s expires_in=%ld rotated=%s",
		 log_q(o->oc->client_id), oauth_grant_name(o->oc->grant), g.expires_in,
		 rotated > 0 ? "yes" : "no");
	rc = 0;
out:
	oauth_grant_clear(&g);
	oauth_response_free(&resp);
	wipe_free(&form);
	config_wipe_secret(&rt);
	return rc;
}

/* ---------------------------------------------------------------- API */

struct oauth *oauth_new(const struct oauth_config *oc, long timeout)
{
	struct oauth *o = xcalloc(1, sizeof(*o));
	o->oc = oc;
	o->timeout = timeout > 0 ? timeout : DEFAULT_TIMEOUT;
	return o;
}

void oauth_free(struct oauth **o)
{
	if (*o == NULL)
		return;
	wipe_free(&(*o)->token);
	xfree(o);
}

void oauth_invalidate(struct oauth *o)
{
	wipe_free(&o->token);
	o->refresh_at = 0;
}

int oauth_token(struct oauth *o, time_t now, const char **token_r, struct err *err)
{
	*token_r = NULL;
	if (o->oc->token_url == NULL ||
	    (o->oc->grant == GRANT_REFRESH_TOKEN && o->oc->refresh_token_file == NULL)) {
		err_set(err, ERR_CONFIG, "oauth: token_url and refresh_token_file are required");
		return -1;
	}
	/* A token that expires within the margin could die mid-session. */
	if (o->token == NULL || now >= o->refresh_at) {
		if (refresh(o, now, err) < 0)
			return -1;
	}
	*token_r = o->token;
	return 0;
}
