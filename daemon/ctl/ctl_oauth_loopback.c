/* ctl_oauth_loopback.c — intakectl oauth login --loopback: the
 * authorization-code flow for native apps (RFC 8252 §7.3) with PKCE
 * (RFC 7636, S256), for providers whose device flow refuses mail scopes
 * (Google allows https://mail.google.com/ only to "Desktop app" clients
 * with a loopback redirect). intakectl listens on 127.0.0.1 (a port the
 * kernel picks), prints the authorization URL, takes the one redirect
 * carrying the code (state checked), and trades it for the refresh token.
 * On a headless server the browser reaches the port through
 * ssh -L PORT:127.0.0.1:PORT. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>


#include "ctl.h"
#include "intaked/log.h"
#include "intaked/oauth.h"
#include "ctl_oauth.h"
#include "intaked/util.h"

#define WAIT_SECONDS 600          /* for the person to sign in */
#define REQUEST_MAX 8192
#define PARAM_MAX 2048

static char *random_b64url(size_t bytes)
{
	unsigned char r[64];
	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes)
		fatalx("oauth: getrandom failed");
	return oauth_b64url(r, bytes);
}

static int listen_loopback(int *port_r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port_r = ntohs(sa.sin_port);
	return fd;
}

/* The value of name in the query of "GET /?a=b&c=d HTTP/1.1", decoded;
 * NULL when absent. Caller frees. */
static char *query_param(const char *request, const char *name)
{
	const char *line_end = strpbrk(request, "\r\n"), *q = strchr(request, '?');
	if (q != NULL && line_end != NULL && q > line_end)
		q = NULL; /* a '?' in a header, not in the request line */
	const char *end = q ? strchr(q, ' ') : NULL;
	size_t n = strlen(name);
	for (const char *p = q; p != NULL && end != NULL && p < end; p = strchr(p + 1, '&')) {
		if (p + 1 + n >= end || strncmp(p + 1, name, n) != 0 || p[1 + n] != '=')
			continue;
		const char *v = p + 2 + n;
		char *out = xmalloc(PARAM_MAX + 1);
		size_t k = 0;
		for (; v < end && *v != '&' && k < PARAM_MAX; v++) {
			unsigned hi, lo;
			if (*v == '%' && v + 2 < end && sscanf(v + 1, "%1x%1x", &hi, &lo) == 2) {
				out[k++] = (char)(hi << 4 | lo);
				v += 2;
			} else {
				out[k++] = *v == '+' ? ' ' : *v;
			}
		}
		out[k] = '\0';
		return out;
	}
	return NULL;
}

static void reply(int fd, const char *text)
{
	char *r = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			    strlen(text), text);
	(void)!write(fd, r, strlen(r));
	free(r);
}

/* Wait for the redirect: the code (caller frees), or NULL after printing
 * why. Requests without our state (a favicon, a stray probe) are
 * answered and ignored. */
static char *wait_for_code(struct ctl *c, int lfd, const char *state)
{
	time_t deadline = time(NULL) + WAIT_SECONDS;
	while (time(NULL) < deadline) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		char req[REQUEST_MAX + 1];
		ssize_t n = recv(fd, req, REQUEST_MAX, 0);
		req[n > 0 ? n : 0] = '\0';
		char *got = query_param(req, "state"), *code = query_param(req, "code");
		char *error = query_param(req, "error");
		bool ours = got != NULL && strcmp(got, state) == 0;
		reply(fd, ours ? (code ? "Signed in. intakectl has the code; you may close this "
				  "window.\n" : "Sign-in failed; see intakectl.\n")
			       : "Not the sign-in intakectl is waiting for.\n");
		close(fd);
		free(got);
		if (ours && (code != NULL || error != NULL)) {
			if (code == NULL)
				fprintf(c->err, "intakectl: sign-in failed: %s\n", error);
			free(error);
			return code;
		}
		free(code);
		free(error);
	}
	fprintf(c->err, "intakectl: sign-in failed: nothing came back within %d min\n",
		WAIT_SECONDS / 60);
	return NULL;
}

static char *auth_request_url(const struct oauth_config *oc, const char *redirect,
			      const char *state, const char *challenge)
{
	struct buf b;
	buf_init(&b, 4 * OAUTH_RESPONSE_MAX);
	buf_puts(&b, oc->auth_url);
	buf_puts(&b, strchr(oc->auth_url, '?') ? "&" : "?");
	buf_puts(&b, "response_type=code");
	oauth_form_add(&b, "client_id", oc->client_id);
	oauth_form_add(&b, "redirect_uri", redirect);
	oauth_form_add(&b, "scope", oc->scope);
	oauth_form_add(&b, "state", state);
	oauth_form_add(&b, "code_challenge", challenge);
	buf_puts(&b, "&code_challenge_method=S256");
	/* Google: a refresh token only with offline access, and every time
	 * only with consent asked again. */
	buf_puts(&b, "&access_type=offline&prompt=consent");
	return buf_steal(&b);
}

static int exchange(struct ctl *c, const struct oauth_config *oc, const char *code,
		    const char *redirect, const char *verifier)
{
	struct buf b;
	buf_init(&b, 4 * OAUTH_RESPONSE_MAX);
	buf_puts(&b, "grant_type=authorization_code");
	oauth_form_add(&b, "code", code);
	oauth_form_add(&b, "redirect_uri", redirect);
	oauth_form_add(&b, "code_verifier", verifier);
	oauth_form_add(&b, "client_id", oc->client_id);
	oauth_form_add(&b, "client_secret", oc->client_secret);
	char *form = buf_steal(&b);
	long status = 0;
	struct jread rd;
	int got = ctl_oauth_post_json(c, oc, oc->token_url, form, &status, &rd);
	explicit_bzero(form, strlen(form));
	free(form);
	if (got < 0)
		return CTL_FAIL;
	struct jval o = jr_root(&rd);
	const char *rt = jr_strref(&o, "refresh_token");
	const char *error = jr_strref(&o, "error");
	int rc = CTL_FAIL;
	if (status == 200 && rt != NULL && rt[0] != '\0')
		rc = ctl_oauth_save_token(c, oc, rt);
	else
		fprintf(c->err, "intakectl: the token endpoint gave no refresh token: HTTP %ld %s\n",
			status, error && strlen(error) < 80 ? error : "");
	if (rt != NULL)
		explicit_bzero((char *)rt, strlen(rt));
	jr_close(&rd);
	return rc;
}

int ctl_oauth_loopback(struct ctl *c, const struct oauth_config *oc)
{
	int port = 0, lfd = listen_loopback(&port);
	if (lfd < 0) {
		fprintf(c->err, "intakectl: cannot listen on 127.0.0.1\n");
		return CTL_FAIL;
	}
	char *verifier = random_b64url(48), *state = random_b64url(16);
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	char *challenge = oauth_b64url(md, sizeof(md));
	char *redirect = xasprintf("http://127.0.0.1:%d/", port);
	char *url = auth_request_url(oc, redirect, state, challenge);
	fprintf(c->out, "To sign in, open this URL in a browser on this host (or one with\n"
		"ssh -L %d:127.0.0.1:%d to it):\n%s\nWaiting for the sign-in...\n", port, port,
		url);
	fflush(c->out);
	char *code = wait_for_code(c, lfd, state);
	close(lfd);
	int rc = code ? exchange(c, oc, code, redirect, verifier) : CTL_FAIL;
	if (code != NULL)
		explicit_bzero(code, strlen(code));
	free(code);
	free(url);
	free(redirect);
	free(challenge);
	free(state);
	explicit_bzero(verifier, strlen(verifier));
	free(verifier);
	return rc;
}
