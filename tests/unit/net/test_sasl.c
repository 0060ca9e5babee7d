/* test_sasl.c — OAUTHBEARER (RFC 7628): the GS2-framed initial response
 * (RFC 7628 §4.1's example byte for byte, saslname escaping, refused
 * inputs), base64, and the status of a server's error challenge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "intaked/log.h"
#include "sasl.h"

static void test_rfc7628_example(void **state)
{
	(void)state;
	struct err err = { 0 };
	/* RFC 7628 §4.1, with "a=" as intaked always sends it. */
	char *m = sasl_oauthbearer("user@example.com", "server.example.com", 143,
				   "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", &err);
	assert_non_null(m);
	assert_string_equal(m, "n,a=user@example.com,\001host=server.example.com\001port=143\001"
			       "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001");
	char *b = sasl_base64(m, strlen(m));
	/* The RFC's base64 of the same message without "a=user@example.com". */
	const char *rfc = "n,,\001host=server.example.com\001port=143\001"
			  "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001";
	char *plain = sasl_base64(rfc, strlen(rfc));
	assert_string_equal(plain, "biwsAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVy"
				   "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
	assert_int_equal(strlen(b), 4 * ((strlen(m) + 2) / 3));
	sasl_wipe_free(&plain);
	sasl_wipe_free(&b);
	sasl_wipe_free(&m);
	assert_null(m);
}

static void test_saslname_escapes_comma_and_equals(void **state)
{
	(void)state;
	struct err err = { 0 };
	char *m = sasl_oauthbearer("a,b=c@x.org", "imap.x.org", 993, "t0k.en-_~+/=", &err);
	assert_non_null(m);
	assert_string_equal(m, "n,a=a=2Cb=3Dc@x.org,\001host=imap.x.org\001port=993\001"
			       "auth=Bearer t0k.en-_~+/=\001\001");
	sasl_wipe_free(&m);
	/* Every byte escaped: the size computed in advance still holds. */
	m = sasl_oauthbearer(",,,,,,,,", "h", 65535, "t", &err);
	assert_string_equal(m, "n,a==2C=2C=2C=2C=2C=2C=2C=2C,\001host=h\001port=65535\001"
			       "auth=Bearer t\001\001");
	sasl_wipe_free(&m);
}

static void test_refuses_what_would_break_the_framing(void **state)
{
	(void)state;
	struct {
		const char *user, *host;
		int port;
		const char *token;
		enum err_class cls;
	} bad[] = {
		{ "", "h", 1, "t", ERR_CONFIG },
		{ "u\001x", "h", 1, "t", ERR_CONFIG },
		{ "u", "h\001auth=Bearer x", 1, "t", ERR_CONFIG },
		{ "u", "", 1, "t", ERR_CONFIG },
		{ "u", "h", 0, "t", ERR_CONFIG },
		{ "u", "h", 70000, "t", ERR_CONFIG },
		{ "u", "h", 1, "", ERR_AUTH },
		{ "u", "h", 1, NULL, ERR_AUTH },
		{ "u", "h", 1, "tok\001\001", ERR_AUTH },
		{ "u", "h", 1, "two words", ERR_AUTH },
		{ "u", "h", 1, "t\r\nA OK", ERR_AUTH },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = { 0 };
		char *m = sasl_oauthbearer(bad[i].user, bad[i].host, bad[i].port, bad[i].token, &err);
		if (m != NULL)
			fail_msg("case %zu: built %s", i, m);
		assert_int_equal(err.cls, bad[i].cls);
		assert_non_null(strstr(err.msg, "oauthbearer: "));
	}
}

static void test_base64_padding(void **state)
{
	(void)state;
	const char *in[] = { "", "\001", "ab", "abc", "abcd" };
	const char *out[] = { "", "AQ==", "YWI=", "YWJj", "YWJjZA==" };
	for (size_t i = 0; i < 5; i++) {
		char *b = sasl_base64(in[i], strlen(in[i]));
		assert_string_equal(b, out[i]);
		sasl_wipe_free(&b);
	}
}

static void test_error_status(void **state)
{
	(void)state;
	char st[SASL_STATUS_MAX + 1];
	/* RFC 7628 §4.3's challenge (line end as read from the server). */
	sasl_error_status("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwi"
			  "b3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtu"
			  "b3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=\r\n", st, sizeof(st));
	assert_string_equal(st, "invalid_token");
	/* {"status":"4\x01\x7f"}: control bytes become '?'. */
	const char *ctl = "{\"status\":\"4\\u0001\\u007f\"}";
	char *b = sasl_base64(ctl, strlen(ctl));
	sasl_error_status(b, st, sizeof(st));
	assert_string_equal(st, "4??");
	sasl_wipe_free(&b);
	/* A long status is cut. */
	char json[200] = "{\"status\":\"";
	memset(json + 11, 'x', 100);
	memcpy(json + 111, "\"}", 3);
	b = sasl_base64(json, strlen(json));
	sasl_error_status(b, st, sizeof(st));
	assert_int_equal(strlen(st), SASL_STATUS_MAX);
	sasl_wipe_free(&b);
	/* Not base64, not JSON, no status, empty: "". */
	const char *junk[] = { "", "!!!!", "abc", "bm90IGpzb24=", "eyJhIjoxfQ==", "e30=" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		st[0] = 'x';
		sasl_error_status(junk[i], st, sizeof(st));
		assert_string_equal(st, "");
	}
	/* A short output buffer is respected. */
	char tiny[4];
	sasl_error_status("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", tiny, sizeof(tiny));
	assert_string_equal(tiny, "inv");
}

int main(void)
{
	log_init("test_sasl", false, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7628_example),
		cmocka_unit_test(test_saslname_escapes_comma_and_equals),
		cmocka_unit_test(test_refuses_what_would_break_the_framing),
		cmocka_unit_test(test_base64_padding),
		cmocka_unit_test(test_error_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
