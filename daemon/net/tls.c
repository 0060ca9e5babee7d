/* tls.c — TCP connect and a verified OpenSSL client stream, with a poll()
 * timeout on every step. libetpan ships no certificate checks and no
 * timeouts we can trust (LIBRARIES.md), so the socket and TLS are ours. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "intaked/util.h"

#define TLS_DEFAULT_TIMEOUT 60

struct tls_conn {
	int fd;
	char *host;
	int port;
	long timeout;         /* seconds, per read/write/handshake */
	SSL_CTX *ctx;
	SSL *ssl;
	bool failed;          /* sticky: a stream that failed once stays failed */
	bool cancelled;
	char error[256];
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_fail(struct tls_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conn_fail(struct tls_conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->failed = true;
}

/* The most specific OpenSSL reason for the last failure, or fallback. */
static const char *ssl_reason(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		return fallback;
	const char *r = ERR_reason_error_string(e);
	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else
		ERR_error_string_n(e, buf, len);
	return buf;
}

/* Wait until fd is ready for events or the deadline passes: 1 ready,
 * 0 timed out, -1 error. A signal does not cut the wait short: callers
 * inside libetpan cannot tell an interruption from a failure. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 1; /* POLLHUP/POLLERR too: the next I/O call reports it */
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static bool usable(struct tls_conn *c)
{
	if (c->cancelled) {
		if (c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "connection abandoned");
		return false;
	}
	if (c->fd < 0) {
		if (c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "connection is closed");
		return false;
	}
	return !c->failed;
}

/* ------------------------------------------------------------ connect */

static int connect_addr(const struct addrinfo *ai, long timeout, int *fd_r, char *why, size_t whylen)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (fd >= FD_SETSIZE) {
		/* libetpan still calls select() in places. */
		snprintf(why, whylen, "descriptor %d is above FD_SETSIZE", fd);
		close(fd);
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		*fd_r = fd;
		return 0;
	}
	if (errno != EINPROGRESS) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	int w = wait_fd(fd, POLLOUT, now_ms() + timeout * 1000);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (w == 0)
		snprintf(why, whylen, "timed out after %ld s", timeout);
	else if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		snprintf(why, whylen, "%s", strerror(errno));
	else if (soerr != 0)
		snprintf(why, whylen, "%s", strerror(soerr));
	else {
		*fd_r = fd;
		return 0;
	}
	close(fd);
	return -1;
}

int tls_conn_connect(const char *host, int port, long timeout,
		     struct tls_conn **c_r, struct err *err)
{
	*c_r = NULL;
	if (timeout <= 0)
		timeout = TLS_DEFAULT_TIMEOUT;
	if (host == NULL || host[0] == '\0' || port <= 0 || port > 65535) {
		err_set(err, ERR_CONFIG, "no valid host and port to connect to");
		return -1;
	}
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, service, &hints, &res);
	if (g != 0) {
		err_set(err, ERR_TEMP, "cannot resolve %s: %s", host,
			g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
		return -1;
	}
	char why[160] = "no address";
	int fd = -1;
	for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		if (connect_addr(ai, timeout, &fd, why, sizeof(why)) < 0)
			fd = -1;
	freeaddrinfo(res);
	if (fd < 0) {
		err_set(err, ERR_TEMP, "cannot connect to %s port %d: %s", host, port, why);
		return -1;
	}
	struct tls_conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->host = xstrdup(host);
	c->port = port;
	c->timeout = timeout;
	*c_r = c;
	return 0;
}

/* ---------------------------------------------------------- handshake */

static bool is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static int setup_ssl(struct tls_conn *c, const char *ca_file, struct err *err)
{
	char reason[160];
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL) {
		err_set(err, ERR_TEMP, "TLS setup failed: %s", ssl_reason(reason, sizeof(reason), "SSL_CTX_new"));
		return -1;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	/* Whole TCP reads instead of a header and a body read per record
	 * (half the syscalls of a first sync); what is read ahead is seen by
	 * tls_conn_pending. */
	SSL_CTX_set_read_ahead(c->ctx, 1);
	if (ca_file != NULL) {
		if (access(ca_file, R_OK) != 0) {
			err_set(err, ERR_CONFIG, "cannot read CA file %s: %s", ca_file, strerror(errno));
			return -1;
		}
		if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
			err_set(err, ERR_CONFIG, "cannot load CA file %s: %s", ca_file,
				ssl_reason(reason, sizeof(reason), "no certificates in it"));
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		err_set(err, ERR_TEMP, "cannot load the system CA store: %s",
			ssl_reason(reason, sizeof(reason), "unknown error"));
		return -1;
	}
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		err_set(err, ERR_TEMP, "TLS setup failed: %s", ssl_reason(reason, sizeof(reason), "SSL_new"));
		return -1;
	}
	int ok;
	if (is_ip_literal(c->host)) {
		/* No SNI for addresses (RFC 6066); match an IP SAN instead. */
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host);
	} else {
		SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		ok = SSL_set_tlsext_host_name(c->ssl, c->host) == 1 && SSL_set1_host(c->ssl, c->host) == 1;
	}
	if (!ok) {
		err_set(err, ERR_TEMP, "TLS setup failed: cannot check the name %s", c->host);
		return -1;
	}
	return 0;
}

static void handshake_error(struct tls_conn *c, int sslerr, struct err *err)
{
	char reason[160];
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK)
		err_set(err, ERR_TEMP, "certificate verify failed for %s: %s", c->host,
			X509_verify_cert_error_string(v));
	else if (sslerr == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)
		err_set(err, ERR_TEMP, "TLS handshake with %s port %d failed: %s", c->host, c->port,
			errno != 0 ? strerror(errno) : "connection closed by server");
	else
		err_set(err, ERR_TEMP, "TLS handshake with %s port %d failed: %s", c->host, c->port,
			ssl_reason(reason, sizeof(reason), "connection closed by server"));
}

int tls_conn_handshake(struct tls_conn *c, const char *ca_file, struct err *err)
{
	if (c->ssl != NULL) {
		err_set(err, ERR_TEMP, "TLS is already active");
		return -1;
	}
	if (!usable(c)) {
		err_set(err, ERR_TEMP, "TLS handshake with %s: %s", c->host, c->error);
		return -1;
	}
	ERR_clear_error();
	if (setup_ssl(c, ca_file, err) < 0) {
		c->failed = true;
		snprintf(c->error, sizeof(c->error), "TLS setup failed");
		return -1;
	}
	long long deadline = now_ms() + c->timeout * 1000;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(c->ssl, r);
		short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
		int w = ev ? wait_fd(c->fd, ev, deadline) : -1;
		if (w > 0)
			continue;
		if (w == 0)
			err_set(err, ERR_TEMP, "TLS handshake with %s port %d timed out after %ld s",
				c->host, c->port, c->timeout);
		else
			handshake_error(c, e, err);
		conn_fail(c, "TLS handshake failed");
		return -1;
	}
	/* SSL_VERIFY_PEER already failed the handshake otherwise; checked
	 * again so that no future option can silently turn it off. */
	if (SSL_get0_peer_certificate(c->ssl) == NULL || SSL_get_verify_result(c->ssl) != X509_V_OK) {
		err_set(err, ERR_TEMP, "certificate verify failed for %s: no verified certificate", c->host);
		conn_fail(c, "TLS handshake failed");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ streams */

/* After a failed SSL_read/SSL_write: which event to wait for, or 0 after
 * recording why the stream is finished. eof_r tells a clean end apart. */
static short ssl_want(struct tls_conn *c, int r, const char *op, bool *eof_r)
{
	char reason[160];
	int e = SSL_get_error(c->ssl, r);
	*eof_r = false;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		*eof_r = true;
		conn_fail(c, "connection closed by server");
		return 0;
	case SSL_ERROR_SSL:
		if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			*eof_r = true;
			conn_fail(c, "connection closed by server (without TLS close_notify)");
			return 0;
		}
		break;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_last_error() == 0) {
			*eof_r = errno == 0;
			conn_fail(c, "%s: %s", op, errno != 0 ? strerror(errno) : "connection closed by server");
			return 0;
		}
		break;
	default:
		break;
	}
	conn_fail(c, "%s: %s", op, ssl_reason(reason, sizeof(reason), "TLS error"));
	return 0;
}

ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t n)
{
	if (!usable(c))
		return -1;
	if (n == 0)
		return 0;
	if (n > INT_MAX)
		n = INT_MAX;
	long long deadline = now_ms() + c->timeout * 1000;
	for (;;) {
		short ev;
		bool eof = false;
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			int r = SSL_read(c->ssl, buf, (int)n);
			if (r > 0)
				return r;
			ev = ssl_want(c, r, "read", &eof);
		} else {
			ssize_t r = recv(c->fd, buf, n, 0);
			if (r > 0)
				return r;
			if (r == 0) {
				eof = true;
				conn_fail(c, "connection closed by server");
				ev = 0;
			} else if (errno == EINTR) {
				continue;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev = POLLIN;
			} else {
				conn_fail(c, "read: %s", strerror(errno));
				ev = 0;
			}
		}
		if (ev == 0)
			return eof ? 0 : -1;
		int w = wait_fd(c->fd, ev, deadline);
		if (w == 0) {
			conn_fail(c, "timed out after %ld s waiting for the server", c->timeout);
			return -1;
		}
		if (w < 0) {
			conn_fail(c, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* One write attempt: bytes written (> 0), 0 to wait for *ev, -1 failed. */
static ssize_t write_some(struct tls_conn *c, const char *p, size_t len, short *ev)
{
	bool eof;
	if (c->ssl != NULL) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_write(c->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
		if (r > 0)
			return r;
		*ev = ssl_want(c, r, "write", &eof);
		return *ev ? 0 : -1;
	}
	/* MSG_NOSIGNAL: a peer that went away must not kill us with SIGPIPE. */
	ssize_t r = send(c->fd, p, len, MSG_NOSIGNAL);
	if (r >= 0)
		return r;
	if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
		*ev = POLLOUT;
		return 0;
	}
	conn_fail(c, "write: %s", strerror(errno));
	return -1;
}

ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t n)
{
	if (!usable(c))
		return -1;
	const char *p = buf;
	size_t done = 0;
	long long deadline = now_ms() + c->timeout * 1000;
	while (done < n) {
		short ev = 0;
		ssize_t r = write_some(c, p + done, n - done, &ev);
		if (r < 0)
			return -1;
		if (r > 0) {
			done += (size_t)r;
			deadline = now_ms() + c->timeout * 1000;
			continue;
		}
		int w = wait_fd(c->fd, ev, deadline);
		if (w == 0) {
			conn_fail(c, "timed out after %ld s sending to the server", c->timeout);
			return -1;
		}
		if (w < 0) {
			conn_fail(c, "poll: %s", strerror(errno));
			return -1;
		}
	}
	return (ssize_t)n;
}

bool tls_conn_pending(const struct tls_conn *c)
{
	/* SSL_pending counts only a record already decrypted, not the ones
	 * read ahead. */
	return c->ssl != NULL && c->fd >= 0 && SSL_has_pending(c->ssl);
}

int tls_conn_fd(const struct tls_conn *c)
{
	return c->fd;
}

bool tls_conn_is_tls(const struct tls_conn *c)
{
	return c->ssl != NULL;
}

void tls_conn_set_timeout(struct tls_conn *c, long seconds)
{
	c->timeout = seconds > 0 ? seconds : TLS_DEFAULT_TIMEOUT;
}

void tls_conn_cancel(struct tls_conn *c)
{
	c->cancelled = true;
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c->error;
}

void tls_conn_close(struct tls_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->ssl != NULL) {
		/* One non-blocking attempt at close_notify; a peer that is gone
		 * or slow does not hold us up. */
		if (!c->failed && !c->cancelled) {
			ERR_clear_error();
			SSL_shutdown(c->ssl);
		}
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	SSL_CTX_free(c->ctx);
	c->ctx = NULL;
	close(c->fd);
	c->fd = -1;
	ERR_clear_error();
}

void tls_conn_free(struct tls_conn **cp)
{
	struct tls_conn *c = *cp;
	if (c == NULL)
		return;
	tls_conn_close(c);
	free(c->host);
	free(c);
	*cp = NULL;
}
