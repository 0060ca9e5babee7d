/* test_sendmail.c — the sendmail(8) transport against small shell scripts
 * standing in for the MTA: how it is run, what it is fed, and how each
 * way of failing is classed. The real Postfix is in the integration test
 * (tests/integration/test_local_submission.py). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "sendmail.h"
#include "intaked/util.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_sendmail.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fsio_rmtree(dir);
}

/* A script in dir; body runs under /bin/sh with D set to dir. */
static char *script(const char *name, const char *body)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nD=%s\n%s", dir, body);
	fclose(f);
	assert_int_equal(chmod(path, 0700), 0);
	return path;
}

static char *slurp(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *data = NULL;
	size_t len;
	struct err e = { 0 };
	if (fsio_read_file(path, 1 << 24, &data, &len, &e) < 0)
		fail_msg("%s", e.msg);
	free(path);
	return data;
}

/* Run program once; returns sendmail_send's result, *e its error,
 * *transport whether the batch would stop. */
static int run(const char *program, long timeout, const char *from, const char *rcpt,
	       const char *msg, size_t len, struct err *e, bool *transport)
{
	struct smtp_config sc = { .sendmail = (char *)program, .timeout = timeout };
	struct sendmail_session *s = NULL;
	assert_int_equal(sendmail_open(&sc, &s, e), 0);
	int rc = sendmail_send(s, from, rcpt, msg, len, e);
	*transport = rc < 0 && sendmail_failed_transport(s);
	sendmail_close(&s);
	assert_null(s);
	return rc;
}

static const char msg[] = "From: a@example.org\r\nTo: b@example.org\r\nSubject: t\r\n\r\n"
			  "line one\r\n.\r\nline three, a CR\ralone\r\n";

static void test_argv_input_and_environment(void **state)
{
	(void)state;
	char *p = script("ok", "printf '%s\\n' \"$@\" >$D/argv\ncat >$D/in\nenv >$D/env\n"
			       "echo queued\n");
	struct err e = { 0 };
	bool transport;
	setenv("TEST_SENDMAIL_LEAK", "1", 1);
	assert_int_equal(run(p, 10, "", "-oQ/tmp@example.org", msg, strlen(msg), &e, &transport),
			 0);
	unsetenv("TEST_SENDMAIL_LEAK");
	char *argv = slurp("argv"), *in = slurp("in"), *env = slurp("env");
	/* "--": a recipient that looks like an option stays a recipient. */
	assert_string_equal(argv, "-oi\n-f\n<>\n--\n-oQ/tmp@example.org\n");
	assert_string_equal(in, "From: a@example.org\nTo: b@example.org\nSubject: t\n\n"
				"line one\n.\nline three, a CR\ralone\n");
	assert_null(strstr(env, "TEST_SENDMAIL_LEAK"));
	assert_non_null(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
	free(argv);
	free(in);
	free(env);

	assert_int_equal(run(p, 10, "ops@example.org", "b@example.org", msg, strlen(msg), &e,
			     &transport), 0);
	argv = slurp("argv");
	assert_string_equal(argv, "-oi\n-f\nops@example.org\n--\nb@example.org\n");
	free(argv);
	free(p);
}

static void test_exit_status_classes(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		enum err_class cls;
		bool transport;
		const char *want;
	} rows[] = {
		{ "cat >/dev/null\necho 'queue file: No space left' >&2\nexit 75\n", ERR_TEMP, true,
		  "sendmail: exit 75: queue file: No space left" },
		{ "cat >/dev/null\necho 'b@example.org... User unknown' >&2\nexit 67\n", ERR_MESSAGE,
		  false, "sendmail: exit 67: b@example.org... User unknown" },
		{ "cat >/dev/null\necho 'bad header' >&2\nexit 65\n", ERR_MESSAGE, false,
		  "sendmail: exit 65: bad header" },
		{ "echo usage >&2\nexit 64\n", ERR_TEMP, true, "sendmail: exit 64: usage" },
		{ "cat >/dev/null\nexit 1\n", ERR_TEMP, true, "sendmail: exit 1" },
		{ "cat >/dev/null\nkill -9 $$\n", ERR_TEMP, true, "sendmail: killed by signal 9" },
		{ "printf 'one\\ntwo\\033\\n'\nexit 75\n", ERR_TEMP, true,
		  "sendmail: exit 75: one; two?" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *p = script("row", rows[i].body);
		struct err e = { 0 };
		bool transport;
		assert_int_equal(run(p, 10, "", "b@example.org", msg, strlen(msg), &e, &transport),
				 -1);
		if (e.cls != rows[i].cls || transport != rows[i].transport ||
		    strcmp(e.msg, rows[i].want) != 0)
			fail_msg("row %zu: class %d transport %d '%s'", i, e.cls, transport, e.msg);
		free(p);
	}
}

/* What it writes is capped; one that does not read its input and exits
 * must not take us down with SIGPIPE. */
static void test_output_capped_input_unread(void **state)
{
	(void)state;
	char *p = script("loud", "i=0\nwhile [ $i -lt 200 ]; do echo \"error line $i\" >&2; "
				 "i=$((i+1)); done\nexit 75\n");
	size_t big = 8u << 20;
	char *huge = xmalloc(big);
	memset(huge, 'x', big);
	struct err e = { 0 };
	bool transport;
	assert_int_equal(run(p, 10, "", "b@example.org", huge, big, &e, &transport), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "error line 0; error line 1;"));
	assert_non_null(strstr(e.msg, "..."));
	assert_null(strstr(e.msg, "error line 199"));
	assert_true(strlen(e.msg) < SENDMAIL_OUTPUT_MAX + 64);
	free(huge);
	free(p);
}

/* A hung sendmail is killed with what it started; one that exits but
 * leaves a background process holding its output is not waited for. */
static void test_timeout_and_background(void **state)
{
	(void)state;
	char *p = script("hang", "cat >/dev/null\n(sleep 60; touch $D/survived) &\nsleep 60\n");
	struct err e = { 0 };
	bool transport;
	time_t t0 = time(NULL);
	assert_int_equal(run(p, 1, "", "b@example.org", msg, strlen(msg), &e, &transport), -1);
	assert_true(time(NULL) - t0 <= 3);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_true(transport);
	assert_string_equal(e.msg, "sendmail: timed out after 1s (killed)");
	free(p);

	p = script("bg", "cat >/dev/null\n(sleep 5) &\nexit 0\n");
	t0 = time(NULL);
	assert_int_equal(run(p, 30, "", "b@example.org", msg, strlen(msg), &e, &transport), 0);
	assert_true(time(NULL) - t0 <= 2);
	free(p);
}

static void test_cannot_run_and_bad_envelope(void **state)
{
	(void)state;
	char *missing = xasprintf("%s/missing", dir);
	struct err e = { 0 };
	bool transport;
	assert_int_equal(run(missing, 5, "", "b@example.org", msg, strlen(msg), &e, &transport),
			 -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_true(transport);
	assert_non_null(strstr(e.msg, "cannot run"));
	free(missing);

	char *p = script("never", "touch $D/ran\n");
	static const char *const bad[][2] = {
		{ "", "b c@example.org" }, { "", "" }, { "a@x.org\n-t", "b@example.org" },
		{ "", "<b@example.org>" }, { "", "nobody" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run(p, 5, bad[i][0], bad[i][1], msg, strlen(msg), &e, &transport),
				 -1);
		assert_int_equal(e.cls, ERR_MESSAGE);
		assert_false(transport);
	}
	char *ran = xasprintf("%s/ran", dir);
	assert_false(fsio_exists(ran));
	free(ran);
	free(p);

	struct smtp_config sc = { 0 };
	struct sendmail_session *s = NULL;
	assert_int_equal(sendmail_open(&sc, &s, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_input_and_environment),
		cmocka_unit_test(test_exit_status_classes),
		cmocka_unit_test(test_output_capped_input_unread),
		cmocka_unit_test(test_timeout_and_background),
		cmocka_unit_test(test_cannot_run_and_bad_envelope),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
