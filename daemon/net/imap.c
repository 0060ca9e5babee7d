/* imap.c — the IMAP client: libetpan speaks the protocol, on top of our own
 * stream (tls.c) so that certificates are verified and every read and
 * write has a timeout. No libetpan type leaves this file. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "intaked/imap.h"
#include "imap_impl.h"
#include "imapenc.h"
#include "intaked/log.h"
#include "sasl.h"
#include "tls.h"
#include "intaked/util.h"

#define LOGOUT_TIMEOUT 5

void *imap_must(void *p)
{
	if (p == NULL)
		fatalx("imap: out of memory");
	return p;
}

/* ------------------------------------------------ libetpan stream driver */

/* Remember the start of the last line the server sent: libetpan answers
 * a tagged BAD and a response for another tag alike (MAILIMAP_ERROR_
 * PROTOCOL), and only the first means "your command is malformed". */
static void note_received(struct imap_session *s, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl + 1 : end) - p);
		if (s->rx_done) {
			s->rx_len = 0;
			s->rx_done = false;
		}
		size_t room = sizeof(s->rx_line) - 1 - s->rx_len;
		memcpy(s->rx_line + s->rx_len, p, len < room ? len : room);
		s->rx_len += len < room ? len : room;
		s->rx_line[s->rx_len] = '\0';
		s->rx_done = nl != NULL;
		p += len;
	}
}

static ssize_t low_read(mailstream_low *low, void *buf, size_t n)
{
	struct imap_session *s = low->data;
	ssize_t r = tls_conn_read(s->conn, buf, n);
	/* libetpan's literal reader loops for as long as reads return 0: end
	 * of stream must be an error, or a server that announces {1000} and
	 * hangs up after 3 bytes makes it spin forever. */
	if (r > 0)
		note_received(s, buf, (size_t)r);
	return r > 0 ? r : -1;
}

static ssize_t low_write(mailstream_low *low, const void *buf, size_t n)
{
	return tls_conn_write(((struct imap_session *)low->data)->conn, buf, n);
}

static int low_close(mailstream_low *low)
{
	tls_conn_close(((struct imap_session *)low->data)->conn);
	return 0;
}

static int low_get_fd(mailstream_low *low)
{
	return tls_conn_fd(((struct imap_session *)low->data)->conn);
}

static void low_free(mailstream_low *low)
{
	free(low); /* the session frees the tls_conn, after reading its error */
}

static void low_cancel(mailstream_low *low)
{
	tls_conn_cancel(((struct imap_session *)low->data)->conn);
}

static struct mailstream_cancel *low_get_cancel(mailstream_low *low)
{
	(void)low;
	return NULL; /* only mailstream_wait_idle() wants it; we poll ourselves */
}

static mailstream_low_driver tls_driver = {
	.mailstream_read = low_read,
	.mailstream_write = low_write,
	.mailstream_close = low_close,
	.mailstream_get_fd = low_get_fd,
	.mailstream_free = low_free,
	.mailstream_cancel = low_cancel,
	.mailstream_get_cancel = low_get_cancel,
};

/* ------------------------------------------------------------- errors */

/* Server text is untrusted: printable ASCII only, cut short. */
static const char *server_text(const struct imap_session *s, char *buf, size_t len)
{
	const char *t = s->imap != NULL ? s->imap->imap_response : NULL;
	if (t == NULL || t[0] == '\0')
		return "(no reason given)";
	size_t i = 0;
	for (; t[i] != '\0' && i + 1 < len && i < 200; i++)
		buf[i] = t[i] >= 0x20 && t[i] < 0x7f ? t[i] : '?';
	buf[i] = '\0';
	return buf;
}

static bool response_code_is(const struct imap_session *s, const char *code)
{
	const struct mailimap_response_info *ri = s->imap->imap_response_info;
	return ri != NULL && ri->rsp_atom != NULL && str_ieq(ri->rsp_atom, code);
}

/* Was the last line the tagged BAD of the command just sent? */
static bool tagged_bad(const struct imap_session *s)
{
	char tag[32];
	snprintf(tag, sizeof(tag), "%d BAD", s->imap->imap_tag);
	size_t n = strlen(tag);
	return s->rx_done && strncmp(s->rx_line, tag, n) == 0 &&
	       (s->rx_line[n] == ' ' || s->rx_line[n] == '\r' || s->rx_line[n] == '\n');
}

/* Report libetpan result r of step what. A broken stream or unparsable
 * response ends the session (the protocol state is unknown); a tagged
 * NO does not. A tagged BAD (libetpan: a protocol error) says the server
 * takes the command for malformed: no retry will change its mind. */
void imap_fail(struct imap_session *s, int r, const char *what, struct err *err)
{
	char text[256];
	if (r == MAILIMAP_ERROR_PROTOCOL && s->imap != NULL && tagged_bad(s)) {
		err_set(err, ERR_PROTOCOL, "imap: %s: %s rejected as malformed (BAD): %s", s->host,
			what, server_text(s, text, sizeof(text)));
		return;
	}
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		s->broken = true;
		err_set(err, ERR_TEMP, "imap: %s: %s: %s", s->host, what,
			tls_conn_error(s->conn)[0] ? tls_conn_error(s->conn) : "connection lost");
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_NEEDS_MORE_DATA:
		s->broken = true;
		err_set(err, ERR_TEMP, "imap: %s: %s: unexpected response from server (libetpan error %d)",
			s->host, what, r);
		break;
	default:
		err_set(err, ERR_TEMP, "imap: %s: %s refused: %s", s->host, what,
			server_text(s, text, sizeof(text)));
		break;
	}
}

/* tls.c's messages do not say which protocol they are about. */
static void prefix_err(struct err *err)
{
	if (err == NULL || strncmp(err->msg, "imap: ", 6) == 0)
		return;
	char msg[sizeof(err->msg)];
	snprintf(msg, sizeof(msg), "%s", err->msg);
	err_set(err, err->cls, "imap: %s", msg);
}

int imap_check_usable(const struct imap_session *s, struct err *err)
{
	if (s == NULL || s->broken) {
		err_set(err, ERR_TEMP, "imap: session is unusable after an earlier error");
		return -1;
	}
	return 0;
}

int imap_check_selected(const struct imap_session *s, struct err *err)
{
	if (imap_check_usable(s, err) < 0)
		return -1;
	if (!s->selected) {
		err_set(err, ERR_TEMP, "imap: %s: no folder is selected", s->host);
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- open */

bool imap_has_cap(const struct imap_session *s, const char *name)
{
	const struct mailimap_connection_info *ci = s->imap->imap_connection_info;
	if (ci == NULL || ci->imap_capability == NULL)
		return false;
	return mailimap_has_extension(s->imap, name) != 0;
}

/* Ask again: capabilities change with STARTTLS and login, and those seen
 * before TLS must not be trusted after it. */
static int refresh_caps(struct imap_session *s, struct err *err)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(s->imap, &caps);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "CAPABILITY", err);
		return -1;
	}
	mailimap_capability_data_free(caps);
	return 0;
}

static int do_starttls(struct imap_session *s, const struct mailbox_config *mc, int greeting,
		       struct err *err)
{
	if (greeting == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		s->broken = true;
		err_set(err, ERR_TEMP, "imap: %s port %d sent PREAUTH before STARTTLS; refusing "
			"a session without TLS", mc->host, mc->port);
		return -1;
	}
	if (refresh_caps(s, err) < 0)
		return -1;
	if (!imap_has_cap(s, "STARTTLS")) {
		err_set(err, ERR_TEMP, "imap: %s port %d does not offer STARTTLS; refusing to log in "
			"without TLS (use imaps:// if the server has implicit TLS)", mc->host, mc->port);
		return -1;
	}
	int r = mailimap_starttls(s->imap);
	/* Bytes that arrived with the OK were sent in clear by someone: the
	 * response injection of CVE-2020-15953 (libetpan checks it too). */
	if (s->imap->imap_stream->read_buffer_len != 0) {
		s->broken = true;
		err_set(err, ERR_TEMP, "imap: %s: data injected after STARTTLS; connection dropped", mc->host);
		return -1;
	}
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "STARTTLS", err);
		s->broken = true; /* nothing more is said in clear */
		return -1;
	}
	if (tls_conn_handshake(s->conn, mc->ca_file, err) < 0) {
		prefix_err(err);
		s->broken = true;
		return -1;
	}
	return refresh_caps(s, err);
}

/* ------------------------------------------------------- OAUTHBEARER */

/* One command line (a, then b if given) with CRLF, flushed. */
static int send_line(mailimap *imap, const char *a, const char *b)
{
	mailstream *st = imap->imap_stream;
	if (mailstream_write(st, a, strlen(a)) < 0 ||
	    (b != NULL && mailstream_write(st, b, strlen(b)) < 0) ||
	    mailstream_write(st, "\r\n", 2) < 0 || mailstream_flush(st) < 0)
		return MAILIMAP_ERROR_STREAM;
	return MAILIMAP_NO_ERROR;
}

/* The tagged answer to AUTHENTICATE, read by libetpan's parser (which also
 * keeps its text and response code for server_text/response_code_is). */
static int auth_result(mailimap *imap)
{
	struct mailimap_response *resp = NULL;
	int r = mailimap_parse_response(imap, &resp);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	const struct mailimap_response_done *done = resp->rsp_resp_done;
	int cond = done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED
		? done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type : -1;
	mailimap_response_free(resp);
	if (cond == -1)
		return MAILIMAP_ERROR_FATAL; /* BYE: the server hung up */
	if (cond != MAILIMAP_RESP_COND_STATE_OK)
		return MAILIMAP_ERROR_LOGIN;
	imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	return MAILIMAP_NO_ERROR;
}

/* AUTHENTICATE OAUTHBEARER (RFC 7628) with libetpan's exported tag, line
 * and response functions: it has XOAUTH2 only. ir is the base64 initial
 * response, sent on the command line with SASL-IR (RFC 4959), else after
 * the server's empty challenge. A refusal comes as a challenge holding an
 * error JSON (its status goes to status_r), answered with %x01 (RFC 7628
 * §3.2.3) so that the server ends the exchange with a tagged NO. */
static int oauthbearer(struct imap_session *s, const char *ir, char *status_r, size_t size)
{
	mailimap *imap = s->imap;
	bool sent = imap_has_cap(s, "SASL-IR");
	status_r[0] = '\0';
	if (imap->imap_state != MAILIMAP_STATE_NON_AUTHENTICATED)
		return MAILIMAP_ERROR_BAD_STATE;
	mailstream_set_privacy(imap->imap_stream, 0);
	int r = mailimap_send_current_tag(imap);
	if (r == MAILIMAP_NO_ERROR)
		r = send_line(imap, sent ? "AUTHENTICATE OAUTHBEARER " : "AUTHENTICATE OAUTHBEARER",
			      sent ? ir : NULL);
	/* At most two challenges: the empty one, then an error. */
	for (int round = 0; r == MAILIMAP_NO_ERROR; round++) {
		const char *line = mailimap_read_line(imap);
		if (line == NULL) {
			r = MAILIMAP_ERROR_STREAM;
			break;
		}
		if (line[0] != '+')
			break;
		if (round == 2) {
			r = MAILIMAP_ERROR_PROTOCOL;
			break;
		}
		if (!sent) {
			r = send_line(imap, ir, NULL);
			sent = true;
			continue;
		}
		sasl_error_status(line[1] == ' ' ? line + 2 : line + 1, status_r, size);
		r = send_line(imap, "AQ==", NULL); /* base64 of %x01 */
	}
	mailstream_set_privacy(imap->imap_stream, 1);
	return r == MAILIMAP_NO_ERROR ? auth_result(imap) : r;
}

/* Build the initial response for mc and run the exchange. -1 with err set
 * when it cannot be built; else a libetpan result. */
static int login_oauthbearer(struct imap_session *s, const struct mailbox_config *mc,
			     const char *access_token, char *status_r, size_t size,
			     struct err *err)
{
	char *gs2 = sasl_oauthbearer(mc->user, mc->host, mc->port, access_token, err);
	if (gs2 == NULL) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		err_set(err, err->cls, "imap: %s", msg);
		return -1;
	}
	char *b64 = sasl_base64(gs2, strlen(gs2));
	int r = oauthbearer(s, b64, status_r, size);
	sasl_wipe_free(&b64);
	sasl_wipe_free(&gs2);
	return r;
}

static int authenticate(struct imap_session *s, const struct mailbox_config *mc,
			const char *access_token, struct err *err)
{
	int r;
	char text[256];
	if (mc->user == NULL || mc->user[0] == '\0') {
		err_set(err, ERR_CONFIG, "imap: no user name to log in with");
		return -1;
	}
	char status[SASL_STATUS_MAX + 1] = "";
	if (access_token != NULL) {
		bool bearer = mc->auth == AUTH_OAUTHBEARER;
		const char *mech = bearer ? "OAUTHBEARER" : "XOAUTH2";
		if (!mailimap_has_authentication(s->imap, mech)) {
			err_set(err, ERR_AUTH, "imap: %s does not offer AUTH=%s", mc->host, mech);
			return -1;
		}
		if (bearer)
			r = login_oauthbearer(s, mc, access_token, status, sizeof(status), err);
		else
			r = mailimap_oauth2_authenticate(s->imap, mc->user, access_token);
		if (r == -1)
			return -1;
	} else {
		if (mc->password == NULL) {
			err_set(err, ERR_CONFIG, "imap: no password for %s", mc->user);
			return -1;
		}
		if (imap_has_cap(s, "LOGINDISABLED")) {
			err_set(err, ERR_AUTH, "imap: %s refuses LOGIN (LOGINDISABLED)", mc->host);
			return -1;
		}
		r = mailimap_login(s->imap, mc->user, mc->password);
	}
	/* The secret went out through libetpan's write buffer. */
	mailstream *st = s->imap->imap_stream;
	if (st != NULL)
		explicit_bzero(st->write_buffer, st->buffer_max_size);
	if (r == MAILIMAP_ERROR_LOGIN) {
		/* RFC 5530: UNAVAILABLE is the server's trouble, not ours. */
		enum err_class cls = response_code_is(s, "UNAVAILABLE") ? ERR_TEMP : ERR_AUTH;
		err_set(err, cls, "imap: %s refused the login of %s: %s%s%s%s", mc->host, mc->user,
			server_text(s, text, sizeof(text)), status[0] ? " (" : "", status,
			status[0] ? ")" : "");
		return -1;
	}
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "login", err);
		return -1;
	}
	return refresh_caps(s, err);
}

int imap_open(const struct mailbox_config *mc, const char *access_token,
	      struct imap_session **s_r, struct err *err)
{
	*s_r = NULL;
	mailstream_debug = 0; /* it would write the protocol, passwords too, to a file */
	long timeout = mc->timeout > 0 ? mc->timeout : 60;
	struct imap_session *s = xcalloc(1, sizeof(*s));
	s->host = xstrdup(mc->host);
	if (tls_conn_connect(mc->host, mc->port, timeout, &s->conn, err) < 0 ||
	    (mc->implicit_tls && tls_conn_handshake(s->conn, mc->ca_file, err) < 0)) {
		prefix_err(err);
		s->broken = true;
		imap_close(&s);
		return -1;
	}
	mailstream_low *low = imap_must(mailstream_low_new(s, &tls_driver));
	/* A first sync reads megabytes: a few large reads, not thousands of 8 KiB. */
	mailstream *stream = imap_must(mailstream_new(low, 65536));
	s->imap = imap_must(mailimap_new(0, NULL));
	mailimap_set_timeout(s->imap, timeout);
	int greeting = mailimap_connect(s->imap, stream);
	if (greeting != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    greeting != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		imap_fail(s, greeting, "greeting", err);
		s->broken = true;
		imap_close(&s);
		return -1;
	}
	if ((!mc->implicit_tls && do_starttls(s, mc, greeting, err) < 0) ||
	    (mc->implicit_tls && refresh_caps(s, err) < 0) ||
	    (greeting != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	     authenticate(s, mc, access_token, err) < 0)) {
		imap_close(&s);
		return -1;
	}
	s->use_idle = mc->idle && mailimap_has_idle(s->imap);
	log_debug("event=imap_connected host=%s port=%d tls=%s idle=%s move=%s uidplus=%s",
		  log_q(mc->host), mc->port, mc->implicit_tls ? "implicit" : "starttls",
		  s->use_idle ? "yes" : "no", imap_has_cap(s, "MOVE") ? "yes" : "no",
		  imap_has_cap(s, "UIDPLUS") ? "yes" : "no");
	*s_r = s;
	return 0;
}

void imap_close(struct imap_session **sp)
{
	struct imap_session *s = *sp;
	if (s == NULL)
		return;
	if (s->imap != NULL) {
		/* mailimap_free() says LOGOUT while the stream is attached:
		 * briefly on a live session, not at all on a broken one. */
		if (s->broken)
			tls_conn_cancel(s->conn);
		else
			tls_conn_set_timeout(s->conn, LOGOUT_TIMEOUT);
		mailimap_free(s->imap);
	}
	tls_conn_free(&s->conn);
	free(s->host);
	free(s);
	*sp = NULL;
}

/* ------------------------------------------------------ select, search */

/* Keywords are stored when PERMANENTFLAGS has \* or the keyword itself,
 * or when the server sent no PERMANENTFLAGS (RFC 3501: all flags then). */
static bool folder_takes_keyword(const struct mailimap_selection_info *sel)
{
	if (sel->sel_perm_flags == NULL)
		return true;
	for (clistiter *it = clist_begin(sel->sel_perm_flags); it != NULL; it = clist_next(it)) {
		const struct mailimap_flag_perm *fp = clist_content(it);
		if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
			return true;
		if (fp->fl_flag != NULL && fp->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
		    fp->fl_flag->fl_data.fl_keyword != NULL &&
		    str_ieq(fp->fl_flag->fl_data.fl_keyword, FILED_KEYWORD))
			return true;
	}
	return false;
}

char *imap_encode_folder(const char *folder, struct err *err)
{
	char *enc = imapenc_mutf7(folder);
	if (enc == NULL)
		err_set(err, ERR_CONFIG, "imap: folder name %s is not valid UTF-8 or has control characters", log_q(folder));
	return enc;
}

int imap_select(struct imap_session *s, const char *folder,
		uint32_t *uidvalidity_r, struct err *err)
{
	*uidvalidity_r = 0;
	if (imap_check_usable(s, err) < 0)
		return -1;
	char *enc = imap_encode_folder(folder, err);
	if (enc == NULL)
		return -1;
	s->selected = false;
	int r = mailimap_select(s->imap, enc);
	free(enc);
	if (r != MAILIMAP_NO_ERROR) {
		char what[160];
		snprintf(what, sizeof(what), "SELECT %s", folder);
		imap_fail(s, r, what, err);
		return -1;
	}
	const struct mailimap_selection_info *sel = s->imap->imap_selection_info;
	if (sel == NULL || sel->sel_uidvalidity == 0) {
		err_set(err, ERR_TEMP, "imap: %s: SELECT %s: server sent no UIDVALIDITY", s->host, folder);
		return -1;
	}
	s->selected = true;
	s->keywords = folder_takes_keyword(sel);
	*uidvalidity_r = sel->sel_uidvalidity;
	log_debug("event=imap_selected folder=%s uidvalidity=%u exists=%u keywords=%s",
		  log_q(folder), sel->sel_uidvalidity, sel->sel_exists, s->keywords ? "yes" : "no");
	return 0;
}
