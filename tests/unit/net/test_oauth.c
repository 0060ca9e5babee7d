/* test_oauth.c — token endpoint responses (table), and the whole grant
 * against a one-request-at-a-time HTTP responder on loopback: the form
 * sent, caching, rotation of the refresh token, refusals, a dead port and
 * an oversized answer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/oauth.h"
#include "intaked/util.h"

/* ------------------------------------------------------- parse (table) */

struct parse_case {
	long status;
	const char *body;
	int rc;
	enum err_class cls;
	const char *token;
	long expires_in;
	const char *refresh;
	const char *msg_has;
};

static const struct parse_case parse_cases[] = {
	{ 200, "{\"access_token\":\"at1\",\"token_type\":\"Bearer\",\"expires_in\":3599}",
	  0, ERR_NONE, "at1", 3599, NULL, NULL },
	{ 200, "{\"access_token\":\"at2\",\"expires_in\":\"120\",\"refresh_token\":\"rt2\"}",
	  0, ERR_NONE, "at2", 120, "rt2", NULL },
	{ 200, "{\"access_token\":\"at3\",\"token_type\":\"bearer\"}", 0, ERR_NONE, "at3", 3600,
	  NULL, NULL },
	{ 200, "{\"access_token\":\"at4\",\"refresh_token\":\"\"}", 0, ERR_NONE, "at4", 3600, NULL,
	  NULL },
	{ 400, "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70008: expired\"}",
	  -1, ERR_AUTH, NULL, 0, NULL, "invalid_grant (AADSTS70008: expired) (HTTP 400)" },
	{ 401, "{\"error\":\"invalid_client\"}", -1, ERR_AUTH, NULL, 0, NULL, "invalid_client" },
	{ 400, "not json", -1, ERR_AUTH, NULL, 0, NULL, "HTTP 400" },
	{ 200, "{\"error\":\"invalid_grant\"}", -1, ERR_AUTH, NULL, 0, NULL, "invalid_grant" },
	{ 503, "{\"error\":\"temporarily_unavailable\"}", -1, ERR_TEMP, NULL, 0, NULL, "HTTP 503" },
	{ 429, "", -1, ERR_TEMP, NULL, 0, NULL, "HTTP 429" },
	{ 200, "<html>proxy login</html>", -1, ERR_TEMP, NULL, 0, NULL, "no JSON object" },
	{ 200, "[1,2]", -1, ERR_TEMP, NULL, 0, NULL, "no JSON object" },
	{ 200, "{\"token_type\":\"Bearer\"}", -1, ERR_TEMP, NULL, 0, NULL, "no access_token" },
	{ 200, "{\"access_token\":\"\"}", -1, ERR_TEMP, NULL, 0, NULL, "no access_token" },
	{ 200, "{\"access_token\":\"x\",\"token_type\":\"mac\"}", -1, ERR_TEMP, NULL, 0, NULL,
	  "type mac" },
	{ 200, "{\"access_token\":\"x\",\"access_token\":\"y\"}", -1, ERR_TEMP, NULL, 0, NULL,
	  "no JSON object" },
	{ 302, "", -1, ERR_TEMP, NULL, 0, NULL, "HTTP 302" },
	{ 400, "{\"error\":\"bad\\u0001code\\r\\nX: y\"}", -1, ERR_AUTH, NULL, 0, NULL,
	  "bad?code??X: y" },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct oauth_grant g;
		struct err err = { 0 };
		int rc = oauth_parse_response(c->status, c->body, strlen(c->body), &g, &err);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc, c->rc, err.msg);
		if (rc == 0) {
			assert_string_equal(g.access_token, c->token);
			assert_int_equal(g.expires_in, c->expires_in);
			if (c->refresh)
				assert_string_equal(g.refresh_token, c->refresh);
			else
				assert_null(g.refresh_token);
		} else {
			if (err.cls != c->cls)
				fail_msg("case %zu: class %s, want %s (%s)", i, err_class_name(err.cls),
					 err_class_name(c->cls), err.msg);
			if (strstr(err.msg, c->msg_has) == NULL)
				fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, c->msg_has);
			assert_null(g.access_token);
		}
		oauth_grant_clear(&g);
	}
}

/* -------------------------------------------------- loopback responder */

struct responder {
	int listen_fd;
	int port;
	pthread_t thread;
	/* the answers, one per request, in turn */
	const char *const *answers;
	size_t nanswers;
	size_t served;
	char last_request[4096];
};

static void read_request(int fd, char *out, size_t size)
{
	size_t len = 0;
	long want = -1;
	while (len + 1 < size) {
		ssize_t n = read(fd, out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
		char *end = strstr(out, "\r\n\r\n");
		if (end == NULL)
			continue;
		if (want < 0) {
			const char *cl = strcasestr(out, "Content-Length:");
			want = cl ? strtol(cl + 15, NULL, 10) : 0;
		}
		if ((long)(len - (size_t)(end + 4 - out)) >= want)
			break;
	}
	out[len] = '\0';
}

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	while (r->served < r->nanswers) {
		int fd = accept(r->listen_fd, NULL, NULL);
		if (fd < 0)
			break;
		read_request(fd, r->last_request, sizeof(r->last_request));
		const char *a = r->answers[r->served++];
		size_t off = 0, n = strlen(a);
		while (off < n) {
			ssize_t w = write(fd, a + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(fd);
	}
	return NULL;
}

static void responder_start(struct responder *r, const char *const *answers, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	memset(r, 0, sizeof(*r));
	r->answers = answers;
	r->nanswers = n;
	r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->listen_fd >= 0);
	assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->listen_fd, 4), 0);
	assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&sa, &sl), 0);
	r->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&r->thread, NULL, responder_main, r), 0);
}

static void responder_stop(struct responder *r)
{
	shutdown(r->listen_fd, SHUT_RDWR);
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
}

static char *http(int status, const char *body)
{
	return xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
			 strlen(body), body);
}

/* ---------------------------------------------------------- fixtures */

struct fixture {
	char dir[64];
	char *rt_path;
	char *url;
	struct oauth_config oc;
};

static void fixture_init(struct fixture *f, int port, const char *refresh_token)
{
	struct err err = { 0 };
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_oauth.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->rt_path = xasprintf("%s/refresh.token", f->dir);
	assert_int_equal(fsio_replace(f->rt_path, refresh_token, strlen(refresh_token), 0600,
				      &err), 0);
	f->url = xasprintf("http://127.0.0.1:%d/token", port);
	f->oc.token_url = f->url;
	f->oc.client_id = "intaked-client";
	f->oc.client_secret = "s3cr&t";
	f->oc.refresh_token_file = f->rt_path;
}

static void fixture_free(struct fixture *f)
{
	fsio_rmtree(f->dir);
	free(f->rt_path);
	free(f->url);
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	struct err err = { 0 };
	assert_int_equal(fsio_read_file(path, 4096, &data, &len, &err), 0);
	return data;
}

/* ------------------------------------------------------------- tests */

static void test_grant_cache_and_rotation(void **state)
{
	(void)state;
	char *a[] = {
		http(200, "{\"access_token\":\"AT-1\",\"token_type\":\"Bearer\",\"expires_in\":3600}"),
		http(200, "{\"access_token\":\"AT-2\",\"expires_in\":3600,\"refresh_token\":\"RT-2\"}"),
		http(200, "{\"access_token\":\"AT-3\",\"expires_in\":3600}"),
	};
	struct responder r;
	struct fixture f;
	struct err err = { 0 };
	const char *tok;

	responder_start(&r, (const char *const *)a, 3);
	fixture_init(&f, r.port, "RT 1/+\n");
	struct oauth *o = oauth_new(&f.oc, 5);

	assert_int_equal(oauth_token(o, 1000, &tok, &err), 0);
	assert_string_equal(tok, "AT-1");
	/* The form: the grant, the URL-encoded refresh token and client. */
	assert_non_null(strstr(r.last_request, "POST /token HTTP/1.1"));
	assert_non_null(strstr(r.last_request, "grant_type=refresh_token&refresh_token=RT%201%2F%2B"
					       "&client_id=intaked-client&client_secret=s3cr%26t"));
	assert_int_equal(r.served, 1);

	/* Cached until 60 s before expiry. */
	assert_int_equal(oauth_token(o, 1000 + 3600 - 61, &tok, &err), 0);
	assert_string_equal(tok, "AT-1");
	assert_int_equal(r.served, 1);

	/* Then refreshed; the rotated refresh token lands in the file (0600). */
	assert_int_equal(oauth_token(o, 1000 + 3600 - 60, &tok, &err), 0);
	assert_string_equal(tok, "AT-2");
	char *saved = slurp(f.rt_path);
	assert_string_equal(saved, "RT-2\n");
	free(saved);
	struct stat st;
	assert_int_equal(stat(f.rt_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A token the server refused is dropped; the next grant uses RT-2. */
	oauth_invalidate(o);
	assert_int_equal(oauth_token(o, 5000, &tok, &err), 0);
	assert_string_equal(tok, "AT-3");
	assert_non_null(strstr(r.last_request, "refresh_token=RT-2&"));

	oauth_free(&o);
	assert_null(o);
	responder_stop(&r);
	fixture_free(&f);
	for (size_t i = 0; i < 3; i++)
		free(a[i]);
}

static void test_short_lived_token_refreshes_at_half_life(void **state)
{
	(void)state;
	char *a[] = { http(200, "{\"access_token\":\"S1\",\"expires_in\":100}"),
		      http(200, "{\"access_token\":\"S2\",\"expires_in\":100}") };
	struct responder r;
	struct fixture f;
	struct err err = { 0 };
	const char *tok;

	responder_start(&r, (const char *const *)a, 2);
	fixture_init(&f, r.port, "rt");
	struct oauth *o = oauth_new(&f.oc, 5);
	assert_int_equal(oauth_token(o, 0, &tok, &err), 0);
	assert_int_equal(oauth_token(o, 49, &tok, &err), 0);
	assert_string_equal(tok, "S1");
	assert_int_equal(oauth_token(o, 50, &tok, &err), 0);
	assert_string_equal(tok, "S2");
	oauth_free(&o);
	responder_stop(&r);
	fixture_free(&f);
	free(a[0]);
	free(a[1]);
}

static void test_invalid_grant_is_auth_and_keeps_file(void **state)
{
	(void)state;
	char *a[] = { http(400, "{\"error\":\"invalid_grant\",\"error_description\":\"expired\"}") };
	struct responder r;
	struct fixture f;
	struct err err = { 0 };
	const char *tok = "x";

	responder_start(&r, (const char *const *)a, 1);
	fixture_init(&f, r.port, "old-token");
	struct oauth *o = oauth_new(&f.oc, 5);
	assert_int_equal(oauth_token(o, 0, &tok, &err), -1);
	assert_null(tok);
	assert_int_equal(err.cls, ERR_AUTH);
	assert_non_null(strstr(err.msg, "invalid_grant (expired)"));
	assert_null(strstr(err.msg, "old-token"));
	char *saved = slurp(f.rt_path);
	assert_string_equal(saved, "old-token");
	free(saved);
	oauth_free(&o);
	responder_stop(&r);
	fixture_free(&f);
	free(a[0]);
}

static void test_oversized_response_is_temp(void **state)
{
	(void)state;
	char *big = xmalloc(OAUTH_RESPONSE_MAX + 100);
	memset(big, 'a', OAUTH_RESPONSE_MAX + 99);
	big[OAUTH_RESPONSE_MAX + 99] = '\0';
	char *a[] = { http(200, big) };
	struct responder r;
	struct fixture f;
	struct err err = { 0 };
	const char *tok;

	responder_start(&r, (const char *const *)a, 1);
	fixture_init(&f, r.port, "rt");
	struct oauth *o = oauth_new(&f.oc, 5);
	assert_int_equal(oauth_token(o, 0, &tok, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "larger than"));
	oauth_free(&o);
	responder_stop(&r);
	fixture_free(&f);
	free(a[0]);
	free(big);
}

static void test_unreachable_endpoint_is_temp(void **state)
{
	(void)state;
	/* A port nobody listens on: bind one, note it, close it. */
	struct responder r;
	responder_start(&r, NULL, 0);
	int port = r.port;
	responder_stop(&r);

	struct fixture f;
	struct err err = { 0 };
	const char *tok;
	fixture_init(&f, port, "rt");
	struct oauth *o = oauth_new(&f.oc, 5);
	assert_int_equal(oauth_token(o, 0, &tok, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "token endpoint"));
	oauth_free(&o);
	fixture_free(&f);
}

static void test_unreadable_refresh_token_file_is_config(void **state)
{
	(void)state;
	struct fixture f;
	struct err err = { 0 };
	const char *tok;
	fixture_init(&f, 9, "rt");
	assert_int_equal(chmod(f.rt_path, 0644), 0);
	struct oauth *o = oauth_new(&f.oc, 5);
	assert_int_equal(oauth_token(o, 0, &tok, &err), -1);
	assert_int_equal(err.cls, ERR_CONFIG);
	assert_non_null(strstr(err.msg, "readable by group or others"));
	oauth_free(&o);
	fixture_free(&f);
}

int main(void)
{
	log_init("test_oauth", false, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_grant_cache_and_rotation),
		cmocka_unit_test(test_short_lived_token_refreshes_at_half_life),
		cmocka_unit_test(test_invalid_grant_is_auth_and_keeps_file),
		cmocka_unit_test(test_oversized_response_is_temp),
		cmocka_unit_test(test_unreachable_endpoint_is_temp),
		cmocka_unit_test(test_unreadable_refresh_token_file_is_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
