/* Authentication-Results (RFC 8601) as authres.c reads it: comments,
 * quoted strings, versions, "none", and which header counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "intaked/authres.h"

static void test_parse(void **state)
{
	(void)state;
	struct authres r;
	assert_int_equal(authres_parse("MX.example.org 1; (x; dmarc=pass) spf=pass "
				       "smtp.mailfrom=\"a@b.org\"; dkim=pass (good (nested) sig) "
				       "header.d=b.org; dmarc=pass (p=reject) header.from=B.org",
				       &r), 0);
	assert_string_equal(r.authserv_id, "mx.example.org");
	assert_string_equal(r.spf, "pass");
	assert_string_equal(r.dkim, "pass");
	assert_string_equal(r.dmarc, "pass");
	assert_string_equal(r.dmarc_from, "b.org");
	assert_true(authres_dmarc_pass_for(&r, "someone@b.org"));
	assert_false(authres_dmarc_pass_for(&r, "someone@evil.org"));

	/* a result inside a comment is no result */
	assert_int_equal(authres_parse("mx; spf=pass (dmarc=pass) smtp.mailfrom=b.org; "
				       "dmarc=fail header.from=b.org", &r), 0);
	assert_string_equal(r.dmarc, "fail");
	assert_int_equal(authres_parse("mx; none", &r), 0);
	assert_string_equal(r.dmarc, "");
	assert_int_equal(authres_parse("\"mx.example.org\"; dkim/1=pass reason=\"ok; fine\" "
				       "header.i=@b.org", &r), 0);
	assert_string_equal(r.dkim, "pass");

	/* not of RFC 8601's form: nothing */
	const char *bad[] = { "", "mx", "mx 2; dmarc=pass header.from=b.org",
			      "mx; dmarc=pass (unclosed header.from=b.org", "mx; dmarc",
			      "mx; dmarc=pass header.from", "mx; none; dmarc=pass" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(authres_parse(bad[i], &r), -1);
		assert_string_equal(r.dmarc, "");
	}
}

static void test_ours_topmost(void **state)
{
	(void)state;
	struct header h[] = {
		{ "Received", "from x" },
		{ "Authentication-Results", "other.example; dmarc=pass header.from=b.org" },
		{ "Authentication-Results", "mx.example.org; dmarc=fail header.from=b.org" },
		{ "Authentication-Results", "mx.example.org; dmarc=pass header.from=b.org" },
	};
	struct analysis a = { 0 };
	a.headers = h;
	a.nheaders = 4;
	struct strlist ids = { 0 };
	strlist_push(&ids, "mx.example.org");
	struct authres r;
	assert_int_equal(authres_ours(&a, &ids, &r), 1);
	assert_string_equal(r.dmarc, "fail");
	a.nheaders = 2;
	assert_int_equal(authres_ours(&a, &ids, &r), 0);
	assert_string_equal(r.dmarc, "");
	strlist_free(&ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ours_topmost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
