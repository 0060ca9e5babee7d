/* test_tls.c — tls.c against servers forked on 127.0.0.1: timeouts, end of
 * stream, cancel, and certificate checks with throwaway certificates made
 * in memory (name, IP, issuer). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* ----------------------------------------------------------- fixtures */

static int listen_any(int *port_r)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port_r = ntohs(a.sin_port);
	return fd;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct cert {
	EVP_PKEY *key;
	X509 *x509;
	char path[64]; /* the certificate as a PEM file, used as the CA */
};

/* A self-signed certificate for CN with the given subjectAltName. */
static void make_cert(struct cert *c, const char *cn, const char *san, long days_from, long days_to)
{
	c->key = EVP_EC_gen("P-256");
	assert_non_null(c->key);
	c->x509 = X509_new();
	X509_set_version(c->x509, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x509), (long)(ms_now() & 0x7fffffff));
	X509_gmtime_adj(X509_getm_notBefore(c->x509), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(c->x509), days_to * 86400);
	X509_NAME *name = X509_get_subject_name(c->x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->x509, name);
	X509_set_pubkey(c->x509, c->key);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, c->x509, c->x509, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	assert_non_null(ext);
	X509_add_ext(c->x509, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(c->x509, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c->x509, c->key, EVP_sha256()) > 0);
	snprintf(c->path, sizeof(c->path), "/tmp/test_tls.%d.%p.pem", (int)getpid(), (void *)c);
	FILE *f = fopen(c->path, "w");
	assert_non_null(f);
	PEM_write_X509(f, c->x509);
	fclose(f);
}

static void free_cert(struct cert *c)
{
	unlink(c->path);
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
}

enum server_mode { SERVE_SILENT, SERVE_HELLO_CLOSE, SERVE_TLS_HELLO, SERVE_TLS_TWO };

/* Fork a server that accepts one connection and acts per mode. */
static pid_t serve(int lfd, enum server_mode mode, const struct cert *c)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		_exit(1);
	if (mode == SERVE_SILENT) {
		sleep(10);
		_exit(0);
	}
	if (mode == SERVE_HELLO_CLOSE) {
		if (write(fd, "hello", 5) != 5)
			_exit(1);
		close(fd);
		_exit(0);
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(ctx, c->x509);
	SSL_CTX_use_PrivateKey(ctx, c->key);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		char b[16];
		if (mode == SERVE_TLS_TWO) /* two records, sent together */
			SSL_write(ssl, "first", 5);
		SSL_write(ssl, "hello", 5);
		while (SSL_read(ssl, b, sizeof(b)) > 0)
			;
		SSL_shutdown(ssl);
	}
	_exit(0);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* -------------------------------------------------------------- tests */

static void test_connect_refused(void **state)
{
	(void)state;
	int port, lfd = listen_any(&port);
	close(lfd);
	struct tls_conn *c = NULL;
	struct err err = { 0 };
	assert_int_equal(tls_conn_connect("127.0.0.1", port, 2, &c, &err), -1);
	assert_null(c);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "Connection refused"));
	assert_int_equal(tls_conn_connect("127.0.0.1", 0, 2, &c, &err), -1);
	assert_int_equal(err.cls, ERR_CONFIG);
}

static void test_plain_read_then_eof(void **state)
{
	(void)state;
	int port, lfd = listen_any(&port);
	pid_t pid = serve(lfd, SERVE_HELLO_CLOSE, NULL);
	struct tls_conn *c;
	struct err err = { 0 };
	assert_int_equal(tls_conn_connect("127.0.0.1", port, 2, &c, &err), 0);
	assert_false(tls_conn_is_tls(c));
	char buf[16];
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), 0);
	assert_string_equal(tls_conn_error(c), "connection closed by server");
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), -1); /* stays failed */
	tls_conn_free(&c);
	assert_null(c);
	reap(pid);
	close(lfd);
}

static void test_read_timeout_and_cancel(void **state)
{
	(void)state;
	int port, lfd = listen_any(&port);
	pid_t pid = serve(lfd, SERVE_SILENT, NULL);
	struct tls_conn *c;
	struct err err = { 0 };
	assert_int_equal(tls_conn_connect("127.0.0.1", port, 1, &c, &err), 0);
	char buf[16];
	long long t0 = ms_now();
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), -1);
	long long took = ms_now() - t0;
	assert_true(took >= 900 && took < 3000);
	assert_non_null(strstr(tls_conn_error(c), "timed out after 1 s"));
	tls_conn_free(&c);

	assert_int_equal(tls_conn_connect("127.0.0.1", port, 5, &c, &err), 0);
	tls_conn_cancel(c);
	t0 = ms_now();
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), -1);
	assert_int_equal(tls_conn_write(c, "x", 1), -1);
	assert_true(ms_now() - t0 < 500);
	tls_conn_free(&c);
	reap(pid);
	close(lfd);
}

static void test_write_timeout(void **state)
{
	(void)state;
	int port, lfd = listen_any(&port);
	pid_t pid = serve(lfd, SERVE_SILENT, NULL);
	struct tls_conn *c;
	struct err err = { 0 };
	assert_int_equal(tls_conn_connect("127.0.0.1", port, 1, &c, &err), 0);
	size_t big = 64u << 20; /* more than any socket buffer holds */
	char *data = calloc(1, big);
	assert_non_null(data);
	assert_int_equal(tls_conn_write(c, data, big), -1);
	assert_non_null(strstr(tls_conn_error(c), "timed out"));
	free(data);
	tls_conn_free(&c);
	reap(pid);
	close(lfd);
}

static void test_handshake_timeout_and_bad_ca(void **state)
{
	(void)state;
	int port, lfd = listen_any(&port);
	pid_t pid = serve(lfd, SERVE_SILENT, NULL);
	struct tls_conn *c;
	struct err err = { 0 };
	assert_int_equal(tls_conn_connect("127.0.0.1", port, 1, &c, &err), 0);
	assert_int_equal(tls_conn_handshake(c, NULL, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "timed out"));
	tls_conn_free(&c);

	assert_int_equal(tls_conn_connect("127.0.0.1", port, 1, &c, &err), 0);
	assert_int_equal(tls_conn_handshake(c, "/nonexistent/ca.pem", &err), -1);
	assert_int_equal(err.cls, ERR_CONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/ca.pem"));
	char buf[4];
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), -1);
	tls_conn_free(&c);
	reap(pid);
	close(lfd);
}

struct verify_case {
	const char *san;
	long from, to;       /* validity, days from now */
	const char *host;    /* what the client dials */
	bool other_ca;       /* trust an unrelated certificate instead */
	const char *want;    /* NULL: success; else a substring of the error */
};

static const struct verify_case verify_cases[] = {
	{ "IP:127.0.0.1", -1, 30, "127.0.0.1", false, NULL },
	{ "DNS:localhost", -1, 30, "localhost", false, NULL },
	{ "DNS:wrong.example", -1, 30, "127.0.0.1", false, "certificate verify failed for 127.0.0.1: IP address mismatch" },
	{ "DNS:wrong.example", -1, 30, "localhost", false, "certificate verify failed for localhost: hostname mismatch" },
	{ "DNS:*.localhost", -1, 30, "localhost", false, "hostname mismatch" },
	{ "IP:127.0.0.1", -30, -1, "127.0.0.1", false, "certificate has expired" },
	{ "IP:127.0.0.1", 1, 30, "127.0.0.1", false, "certificate is not yet valid" },
	{ "IP:127.0.0.1", -1, 30, "127.0.0.1", true, "certificate verify failed for 127.0.0.1: self-signed certificate" },
};

static void test_verify(void **state)
{
	(void)state;
	struct cert other;
	make_cert(&other, "unrelated", "DNS:unrelated.example", -1, 30);
	for (size_t i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]); i++) {
		const struct verify_case *v = &verify_cases[i];
		struct cert cert;
		make_cert(&cert, "server", v->san, v->from, v->to);
		int port, lfd = listen_any(&port);
		pid_t pid = serve(lfd, SERVE_TLS_HELLO, &cert);
		struct tls_conn *c;
		struct err err = { 0 };
		assert_int_equal(tls_conn_connect(v->host, port, 5, &c, &err), 0);
		int rc = tls_conn_handshake(c, v->other_ca ? other.path : cert.path, &err);
		if (v->want == NULL) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, err.msg);
			char buf[16];
			assert_true(tls_conn_is_tls(c));
			assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), 5);
			assert_memory_equal(buf, "hello", 5);
			assert_int_equal(tls_conn_write(c, "bye", 3), 3);
		} else {
			if (rc != -1 || err.cls != ERR_TEMP || strstr(err.msg, v->want) == NULL)
				fail_msg("case %zu: rc %d, \"%s\", want \"%s\"", i, rc, err.msg, v->want);
		}
		tls_conn_free(&c);
		reap(pid);
		close(lfd);
		free_cert(&cert);
	}
	free_cert(&other);
}

/* Records read ahead sit inside OpenSSL where poll() cannot see them: IDLE
 * must still learn that the server said something (tls_conn_pending). */
static void test_record_read_ahead_is_pending(void **state)
{
	(void)state;
	struct cert cert;
	make_cert(&cert, "server", "IP:127.0.0.1", -1, 30);
	int port, lfd = listen_any(&port);
	pid_t pid = serve(lfd, SERVE_TLS_TWO, &cert);
	struct tls_conn *c;
	struct err err = { 0 };
	assert_int_equal(tls_conn_connect("127.0.0.1", port, 5, &c, &err), 0);
	assert_int_equal(tls_conn_handshake(c, cert.path, &err), 0);
	struct pollfd p = { .fd = tls_conn_fd(c), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	usleep(200 * 1000); /* both records have arrived */
	char buf[16];
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "first", 5);
	bool seen = tls_conn_pending(c) || poll(&p, 1, 0) == 1;
	assert_true(seen);
	assert_int_equal(tls_conn_read(c, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_false(tls_conn_pending(c));
	tls_conn_free(&c);
	reap(pid);
	close(lfd);
	free_cert(&cert);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_plain_read_then_eof),
		cmocka_unit_test(test_read_timeout_and_cancel),
		cmocka_unit_test(test_write_timeout),
		cmocka_unit_test(test_handshake_timeout_and_bad_ca),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_record_read_ahead_is_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
