/* smtp.c — mail submission through one libcurl easy handle, so a batch
 * shares one connection (one EHLO, STARTTLS and AUTH). TLS is on and
 * verified (there is no option to turn verification off), except with
 * [smtp] tls = none, which the configuration allows only to a loopback
 * address and without credentials. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "intaked/confval.h"
#include "intaked/log.h"
#include "smtp.h"
#include "intaked/util.h"

#define SMTP_DEFAULT_TIMEOUT 60L
#define SMTP_CONNECT_TIMEOUT 30L
#define REPLY_MAX            300

struct smtp_session {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	const char *data;         /* the message being sent */
	size_t left;
	bool conn_failed;         /* last failure was not about the message */
	char reply[REPLY_MAX];    /* the server's last response line */
};

/* curl_global_init is not thread-safe and must run once before any
 * handle: the daemon and intakectl are single-threaded, so a static flag
 * is enough. It is never undone (curl_global_cleanup at exit buys
 * nothing). */
static bool curl_ready;

static int global_init(struct err *err)
{
	if (curl_ready)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(err, ERR_TEMP, "smtp: curl_global_init failed");
		return -1;
	}
	curl_ready = true;
	return 0;
}

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct smtp_session *s = arg;
	size_t room = size * nmemb;
	size_t n = s->left < room ? s->left : room;
	memcpy(ptr, s->data, n);
	s->data += n;
	s->left -= n;
	return n;
}

/* libcurl hands every SMTP response line to the header callback (the
 * server's lines only, never our commands, so no credentials): keep the
 * last 4xx/5xx one, printable, for error messages (not the "221 Bye" that
 * follows it when libcurl closes the session). */
static size_t reply_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct smtp_session *s = arg;
	size_t n = size * nmemb, k = 0;
	if (n < 3 || (ptr[0] != '4' && ptr[0] != '5'))
		return n;
	for (size_t i = 0; i < n && k + 1 < sizeof(s->reply); i++)
		if (ptr[i] != '\r' && ptr[i] != '\n')
			s->reply[k++] = (ptr[i] >= 0x20 && ptr[i] < 0x7F) ? ptr[i] : '?';
	if (k > 0)
		s->reply[k] = '\0';
	return n;
}

/* Envelope addresses go into SMTP commands verbatim: anything that could
 * end or extend a command line (CR, LF, blanks, brackets) is refused, as
 * is non-ASCII (we do not ask for SMTPUTF8). "" is the null sender. */
bool smtp_envelope_ok(const char *a, bool allow_empty)
{
	size_t n = strlen(a);
	if (n == 0)
		return allow_empty;
	if (n > 254 || strchr(a, '@') == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F || *p == '<' || *p == '>')
			return false;
	return true;
}

#define SETOPT(s, opt, val)                                                   \
	do {                                                                  \
		if (curl_easy_setopt((s)->curl, opt, val) != CURLE_OK) {      \
			err_set(err, ERR_CONFIG, "smtp: cannot set " #opt);   \
			goto fail;                                            \
		}                                                             \
	} while (0)

/* The URL's scheme, and tls = none only where it cannot leak anything. */
static int check_config(const struct smtp_config *sc, struct err *err)
{
	bool implicit = sc->url && str_has_prefix_ci(sc->url, "smtps://");
	if (sc->url == NULL || (!implicit && !str_has_prefix_ci(sc->url, "smtp://"))) {
		err_set(err, ERR_CONFIG, "smtp: url must start with smtp:// or smtps://");
		return -1;
	}
	/* The configuration checks this too; here it is what keeps a
	 * credential or a mail off the network in clear whatever the caller. */
	if (sc->plaintext && (implicit || sc->host == NULL || !confval_loopback_host(sc->host) ||
			      sc->user != NULL || sc->password != NULL)) {
		err_set(err, ERR_CONFIG, "smtp: tls = none only to loopback and without AUTH");
		return -1;
	}
	return 0;
}

static int set_tls_options(struct smtp_session *s, const struct smtp_config *sc,
			   struct err *err)
{
	if (sc->plaintext) {
		/* tls = none (loopback, checked above): no STARTTLS even if
		 * offered, as a local MTA's self-signed certificate would fail. */
		SETOPT(s, CURLOPT_PROTOCOLS_STR, "smtp");
		SETOPT(s, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
		return 0;
	}
	SETOPT(s, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	/* STARTTLS is required on smtp://: a server that does not offer
	 * it fails the transfer instead of receiving our password in
	 * clear. */
	SETOPT(s, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SETOPT(s, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(s, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(s, CURLOPT_SSL_VERIFYHOST, 2L);
	if (sc->ca_file != NULL) {
		/* Instead of the system store, as for IMAP: no CA directory. */
		SETOPT(s, CURLOPT_CAINFO, sc->ca_file);
		SETOPT(s, CURLOPT_CAPATH, NULL);
	}
	return 0;
fail:
	return -1;
}

static int set_auth_options(struct smtp_session *s, const struct smtp_config *sc,
			    const char *access_token, struct err *err)
{
	if (sc->user != NULL)
		SETOPT(s, CURLOPT_USERNAME, sc->user);
	if (auth_is_oauth(sc->auth)) {
		if (access_token == NULL) {
			err_set(err, ERR_AUTH, "smtp: %s without an access token",
				auth_method_name(sc->auth));
			return -1;
		}
		/* Only the configured mechanism: libcurl would otherwise pick
		 * OAUTHBEARER or XOAUTH2 from what the server offers. */
		SETOPT(s, CURLOPT_LOGIN_OPTIONS,
		       sc->auth == AUTH_OAUTHBEARER ? "AUTH=OAUTHBEARER" : "AUTH=XOAUTH2");
		SETOPT(s, CURLOPT_XOAUTH2_BEARER, access_token);
	} else if (sc->password != NULL) {
		SETOPT(s, CURLOPT_PASSWORD, sc->password);
	}
	return 0;
fail:
	return -1;
}

/* Timeouts, and the callbacks that feed the message and read replies. */
static int set_transfer_options(struct smtp_session *s, const struct smtp_config *sc,
				struct err *err)
{
	long timeout = sc->timeout > 0 ? sc->timeout : SMTP_DEFAULT_TIMEOUT;
	SETOPT(s, CURLOPT_TIMEOUT, timeout);
	SETOPT(s, CURLOPT_CONNECTTIMEOUT, timeout < SMTP_CONNECT_TIMEOUT ? timeout
								    : SMTP_CONNECT_TIMEOUT);
	SETOPT(s, CURLOPT_NOSIGNAL, 1L);
	SETOPT(s, CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(s, CURLOPT_UPLOAD, 1L);
	SETOPT(s, CURLOPT_READFUNCTION, read_cb);
	SETOPT(s, CURLOPT_READDATA, s);
	SETOPT(s, CURLOPT_HEADERFUNCTION, reply_cb);
	SETOPT(s, CURLOPT_HEADERDATA, s);
	return 0;
fail:
	return -1;
}

int smtp_open(const struct smtp_config *sc, const char *access_token,
	      struct smtp_session **s_r, struct err *err)
{
	*s_r = NULL;
	if (check_config(sc, err) < 0 || global_init(err) < 0)
		return -1;
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		err_set(err, ERR_TEMP, "smtp: curl_easy_init failed");
		free(s);
		return -1;
	}
	SETOPT(s, CURLOPT_URL, sc->url);
	if (set_tls_options(s, sc, err) < 0 || set_auth_options(s, sc, access_token, err) < 0 ||
	    set_transfer_options(s, sc, err) < 0)
		goto fail;
	*s_r = s;
	return 0;
fail:
	smtp_close(&s);
	return -1;
}

/* Whether a failed transfer was refused by a reply about this message
 * (MAIL, RCPT, DATA, or the final dot) rather than failing on the way to
 * it (connect, TLS, greeting, EHLO, STARTTLS, AUTH): libcurl does not say
 * which step failed, but its result codes do. MAIL, RCPT and DATA refusals
 * are CURLE_SEND_ERROR; a refusal of the final dot is
 * CURLE_WEIRD_SERVER_REPLY after the DO phase ("pretransfer") finished,
 * which a bad greeting (the same code) never reaches. 421 closes the
 * session and 530 means we are not authenticated: both are the
 * connection's. */
static bool refused_message(CURLcode rc, long code, curl_off_t pretransfer)
{
	if (code < 400 || code >= 600 || code == 421 || code == 530)
		return false;
	if (rc == CURLE_SEND_ERROR)
		return true;
	return (rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_RECV_ERROR) && pretransfer > 0;
}

int smtp_send(struct smtp_session *s, const char *from, const char *rcpt,
	      const char *msg, size_t len, struct err *err)
{
	s->conn_failed = false;
	if (!smtp_envelope_ok(from ? from : "", true) || !smtp_envelope_ok(rcpt ? rcpt : "", false)) {
		err_set(err, ERR_MESSAGE, "smtp: unusable envelope address");
		return -1;
	}
	char *mail_from = xasprintf("<%s>", from ? from : "");
	char *rcpt_to = xasprintf("<%s>", rcpt);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt_to);
	s->data = msg;
	s->left = len;
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	if (rcpts != NULL &&
	    curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, mail_from) == CURLE_OK &&
	    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts) == CURLE_OK &&
	    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) == CURLE_OK)
		rc = curl_easy_perform(s->curl);
	long code = 0;
	curl_off_t pretransfer = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(s->curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	/* The list is freed now: do not leave the handle pointing at it. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	free(mail_from);
	free(rcpt_to);
	s->data = NULL;
	s->left = 0;
	if (rc == CURLE_OK)
		return 0;

	char detail[CURL_ERROR_SIZE + REPLY_MAX + 8];
	snprintf(detail, sizeof(detail), "%s%s%s",
		 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc),
		 s->reply[0] && code >= 400 ? ": " : "", code >= 400 ? s->reply : "");
	bool about_message = refused_message(rc, code, pretransfer);
	s->conn_failed = !about_message;
	log_debug("event=smtp-failed curl=%d code=%ld pretransfer_us=%ld about_message=%d",
		  (int)rc, code, (long)pretransfer, about_message);
	if (rc == CURLE_LOGIN_DENIED || code == 530)
		err_set(err, ERR_AUTH, "smtp: authentication refused (%ld): %s", code, detail);
	else if (about_message && code >= 500)
		err_set(err, ERR_MESSAGE, "smtp: %ld refused: %s", code, detail);
	else if (code >= 400 && code < 600)
		err_set(err, ERR_TEMP, "smtp: %ld: %s", code, detail);
	else
		err_set(err, ERR_TEMP, "smtp: %s: %s", curl_easy_strerror(rc), detail);
	return -1;
}

bool smtp_failed_connection(const struct smtp_session *s)
{
	return s->conn_failed;
}

void smtp_close(struct smtp_session **s)
{
	if (*s == NULL)
		return;
	if ((*s)->curl != NULL)
		curl_easy_cleanup((*s)->curl); /* sends QUIT on a live connection */
	free(*s);
	*s = NULL;
}
