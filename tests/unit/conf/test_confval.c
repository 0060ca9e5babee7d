/* test_confval.c — one configuration value at a time, one row per case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "intaked/confval.h"
#include "intaked/tztime.h"

static void test_bool(void **state)
{
	(void)state;
	static const struct { const char *in; int want; } rows[] = {
		{ "yes", 1 }, { "YES", 1 }, { "true", 1 }, { "on", 1 }, { "1", 1 },
		{ "no", 0 },  { "False", 0 }, { "off", 0 }, { "0", 0 },
		{ "y", -1 },  { "", -1 },     { "yes please", -1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool v = false;
		struct err e = { 0 };
		int rc = confval_bool(rows[i].in, &v, &e);
		if (rows[i].want < 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(e.cls, ERR_CONFIG);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(v, rows[i].want);
		}
	}
}

static void test_size(void **state)
{
	(void)state;
	static const struct { const char *in; size_t want; } rows[] = {
		{ "512", 512 }, { "64K", 64 << 10 }, { "64k", 64 << 10 }, { "64M", 64 << 20 },
		{ "1G", (size_t)1 << 30 }, { "0", 0 }, { "", 0 }, { "M", 0 }, { "1.5M", 0 },
		{ "-1M", 0 }, { "1T", 0 }, { "5G", 0 } /* over the 4G maximum */,
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t v = 0;
		int rc = confval_size(rows[i].in, (size_t)4 << 30, &v, NULL);
		if (rows[i].want == 0) {
			if (rc != -1)
				fail_msg("row %zu: '%s' accepted", i, rows[i].in);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(v, rows[i].want);
		}
	}
}

static void test_duration_range(void **state)
{
	(void)state;
	long v;
	struct err e = { 0 };
	assert_int_equal(confval_duration("15m", 0, 86400, &v, &e), 0);
	assert_int_equal(v, 900);
	assert_int_equal(confval_duration("2d", 0, 86400, &v, &e), -1);
	assert_non_null(strstr(e.msg, "out of range"));
	assert_int_equal(confval_duration("soon", 0, 86400, &v, &e), -1);
	assert_non_null(strstr(e.msg, "not a duration"));
	char out[32];
	assert_string_equal(confval_format_duration(5400, out, sizeof(out)), "1h30m");
	assert_string_equal(confval_format_duration(0, out, sizeof(out)), "0s");
	assert_string_equal(confval_format_duration(7 * 86400, out, sizeof(out)), "7d");
}

static void test_addresses(void **state)
{
	(void)state;
	static const struct { const char *in; bool ok; } rows[] = {
		{ "inputs@example.org", true },    { "inputs+imrf@example.org", true },
		{ "a.b-c_d@sub.example.co.uk", true }, { "x@localhost", true },
		{ "no-at.example.org", false },    { "@example.org", false },
		{ "a@", false },                   { "a b@example.org", false },
		{ "a@exa mple.org", false },       { "a@-example.org", false },
		{ "a@example..org", false },       { "a@example.org.", false },
		{ "<a@example.org>", false },      { "a@b@example.org", false },
		{ ".a@example.org", false },       { "a,b@example.org", false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (confval_is_address(rows[i].in) != rows[i].ok)
			fail_msg("row %zu: '%s'", i, rows[i].in);
	struct strlist l = { 0 };
	assert_int_equal(confval_address_list("Expert1@Example.org, expert2@example.org,"
					      " EXPERT1@example.org", &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "expert1@example.org");
	struct err e = { 0 };
	assert_int_equal(confval_address_list("a@example.org, nobody", &l, &e), -1);
	assert_non_null(strstr(e.msg, "'nobody'"));
	strlist_free(&l);
}

static void test_from(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } rows[] = {
		{ "GCM Written Inputs <Inputs@Example.org>", "inputs@example.org" },
		{ "inputs@example.org", "inputs@example.org" },
		{ "\"Inputs, GCM\" <inputs@example.org>", "inputs@example.org" },
		{ "<inputs@example.org>", "inputs@example.org" },
		{ "GCM <inputs@example.org", NULL },
		{ "GCM Written Inputs", NULL },
		{ "GCM <>", NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *addr = NULL;
		int rc = confval_from(rows[i].in, &addr, NULL);
		if (rows[i].want == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(addr, rows[i].want);
		free(addr);
	}
}

static void test_url(void **state)
{
	(void)state;
	static const struct { const char *in, *scheme, *host; int port; const char *path; } rows[] = {
		{ "imaps://imap.example.org:993/INBOX", "imaps", "imap.example.org", 993, "INBOX" },
		{ "IMAPS://imap.example.org", "imaps", "imap.example.org", 0, "" },
		{ "imap://127.0.0.1:10143/", "imap", "127.0.0.1", 10143, "" },
		{ "imaps://[::1]:993/Inputs%202022", "imaps", "::1", 993, "Inputs 2022" },
		{ "imaps://[::1]/INBOX/Sub", "imaps", "::1", 0, "INBOX/Sub" },
		{ "smtp://smtp.example.org:587", "smtp", "smtp.example.org", 587, "" },
		{ "imaps://user@imap.example.org/", NULL, NULL, 0, NULL },
		{ "imaps://imap.example.org:0/", NULL, NULL, 0, NULL },
		{ "imaps://imap.example.org:70000/", NULL, NULL, 0, NULL },
		{ "imaps://imap.example.org:x/", NULL, NULL, 0, NULL },
		{ "imaps://[::1/", NULL, NULL, 0, NULL },
		{ "imaps://[::1]x/", NULL, NULL, 0, NULL },
		{ "imaps:///INBOX", NULL, NULL, 0, NULL },
		{ "imaps://imap.example.org/INBOX?x=1", NULL, NULL, 0, NULL },
		{ "imaps://imap.example.org/IN%0", NULL, NULL, 0, NULL },
		{ "imaps://imap.example.org/IN%00BOX", NULL, NULL, 0, NULL },
		{ "imap.example.org", NULL, NULL, 0, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct confval_url u;
		int rc = confval_url(rows[i].in, &u, NULL);
		if (rows[i].scheme == NULL) {
			if (rc != -1)
				fail_msg("row %zu: '%s' accepted", i, rows[i].in);
			assert_null(u.scheme);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu: '%s' refused", i, rows[i].in);
		assert_string_equal(u.scheme, rows[i].scheme);
		assert_string_equal(u.host, rows[i].host);
		assert_int_equal(u.port, rows[i].port);
		assert_string_equal(u.path, rows[i].path);
		confval_url_clear(&u);
	}
}

/* The message of each refusal: config errors print it after file:line. */
static void test_url_errors(void **state)
{
	(void)state;
	static const struct { const char *in, *msg; } rows[] = {
		{ "imap.example.org", "'imap.example.org' is not a URL (scheme://host[:port])" },
		{ "://imap.example.org", "'://imap.example.org' is not a URL (scheme://host[:port])" },
		{ "imaps://user@imap.example.org/", "no user name in the URL, please: use 'user ='" },
		{ "imaps://user:secret@imap.example.org/",
		  "no user name in the URL, please: use 'user ='" },
		{ "imaps://@imap.example.org/", "no user name in the URL, please: use 'user ='" },
		{ "imaps://imap.example.org/INBOX?x=1", "no query or fragment in the URL, please" },
		{ "imaps://imap.example.org/INBOX#top", "no query or fragment in the URL, please" },
		{ "imaps://imap.example.org?", "no query or fragment in the URL, please" },
		{ "imaps:///INBOX", "bad host in URL" },
		{ "imaps://[::1/", "bad host in URL" },
		{ "imaps://[::1]x/", "bad host in URL" },
		{ "imaps://[]/", "bad host in URL" },
		{ "imaps://[fe80::1%25eth0]/", "bad host in URL" },
		{ "imaps://imap..example.org/", "bad host in URL" },
		{ "imaps://imap example.org/", "bad host in URL" },
		{ "imaps://imap.example.org:0/", "bad port in URL" },
		{ "imaps://imap.example.org:70000/", "bad port in URL" },
		{ "imaps://imap.example.org:x/", "bad port in URL" },
		{ "imaps://imap.example.org:/", "bad port in URL" },
		{ "imaps://[::1]:99999/", "bad port in URL" },
		{ "imaps://imap.example.org/IN%0", "bad %-escape in the URL path" },
		{ "imaps://imap.example.org/IN%zzBOX", "bad %-escape in the URL path" },
		{ "imaps://imap.example.org/IN%00BOX", "bad %-escape in the URL path" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct confval_url u;
		struct err e = { 0 };
		if (confval_url(rows[i].in, &u, &e) != -1)
			fail_msg("row %zu: '%s' accepted", i, rows[i].in);
		assert_int_equal(e.cls, ERR_CONFIG);
		if (strcmp(e.msg, rows[i].msg) != 0)
			fail_msg("row %zu: '%s': '%s'", i, rows[i].in, e.msg);
		assert_null(u.scheme);
		assert_null(u.host);
	}
}

/* Accepted forms: IPv4 and IPv6 literals, upper-case scheme, escapes. */
static void test_url_forms(void **state)
{
	(void)state;
	static const struct { const char *in, *scheme, *host; int port; const char *path; } rows[] = {
		{ "imaps://192.0.2.7:10993/INBOX", "imaps", "192.0.2.7", 10993, "INBOX" },
		{ "imaps://[2001:db8::7]:993/", "imaps", "2001:db8::7", 993, "" },
		{ "imaps://[::ffff:127.0.0.1]/", "imaps", "::ffff:127.0.0.1", 0, "" },
		{ "SMTPS://Mail.Example.ORG:465", "smtps", "Mail.Example.ORG", 465, "" },
		{ "https://login.example.org/oauth2/v2.0/token", "https", "login.example.org", 0,
		  "oauth2/v2.0/token" },
		{ "imaps://imap.example.org/Caf%C3%A9/%2Fx", "imaps", "imap.example.org", 0,
		  "Caf\xC3\xA9//x" },
		{ "imaps://imap.example.org:65535", "imaps", "imap.example.org", 65535, "" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct confval_url u;
		if (confval_url(rows[i].in, &u, NULL) != 0)
			fail_msg("row %zu: '%s' refused", i, rows[i].in);
		assert_string_equal(u.scheme, rows[i].scheme);
		assert_string_equal(u.host, rows[i].host);
		assert_int_equal(u.port, rows[i].port);
		assert_string_equal(u.path, rows[i].path);
		confval_url_clear(&u);
	}
}

static void test_minute_of_day(void **state)
{
	(void)state;
	int m;
	assert_int_equal(confval_minute_of_day("08:00", &m, NULL), 0);
	assert_int_equal(m, 480);
	assert_int_equal(confval_minute_of_day("23:59", &m, NULL), 0);
	assert_int_equal(m, 1439);
	assert_int_equal(confval_minute_of_day("24:00", &m, NULL), -1);
	assert_int_equal(confval_minute_of_day("8:00", &m, NULL), -1);
	assert_int_equal(confval_minute_of_day("08:60", &m, NULL), -1);
	assert_int_equal(confval_minute_of_day("08h00", &m, NULL), -1);
}

static void test_reminders(void **state)
{
	(void)state;
	long *v = NULL;
	size_t n = 0;
	assert_int_equal(confval_reminders("3h, 7d,1d, 3h", &v, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 7 * 86400);
	assert_int_equal(v[1], 86400);
	assert_int_equal(v[2], 3 * 3600);
	free(v);
	assert_int_equal(confval_reminders("7d, soon", &v, &n, NULL), -1);
	assert_int_equal(confval_reminders(" , ", &v, &n, NULL), -1);
	assert_int_equal(confval_reminders("30s", &v, &n, NULL), -1); /* under a minute */
}

static void test_datetime_zone(void **state)
{
	(void)state;
	static const struct { const char *in, *utc, *zone; } rows[] = {
		{ "2022-03-29 18:00 America/New_York", "2022-03-29T22:00:00Z", "America/New_York" },
		{ "  2022-03-29 18:00   Europe/Paris ", "2022-03-29T16:00:00Z", "Europe/Paris" },
		{ "2022-03-29 18:00", NULL, NULL },          /* zone required */
		{ "2022-03-29 18:00 EDT", NULL, NULL },      /* not an IANA zone */
		{ "2022-03-13 02:30 America/New_York", NULL, NULL }, /* in the gap */
		{ "2022-03-29 America/New_York", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t;
		char *zone = NULL, got[32];
		struct err e = { 0 };
		int rc = confval_datetime_zone(rows[i].in, &t, &zone, &e);
		if (rows[i].utc == NULL) {
			if (rc != -1)
				fail_msg("row %zu: '%s' accepted", i, rows[i].in);
			assert_true(strlen(e.msg) > 0);
			continue;
		}
		assert_int_equal(rc, 0);
		tztime_format_utc(t, got, sizeof(got));
		assert_string_equal(got, rows[i].utc);
		assert_string_equal(zone, rows[i].zone);
		free(zone);
	}
}

static void test_extend(void **state)
{
	(void)state;
	static const struct { const char *in, *name, *when, *zone; } rows[] = {
		{ "Bangladesh 2022-03-31 18:00", "Bangladesh", "2022-03-31 18:00", NULL },
		{ "Côte d'Ivoire 2022-03-31 18:00 Europe/Paris", "Côte d'Ivoire",
		  "2022-03-31 18:00", "Europe/Paris" },
		{ "United Republic of Tanzania  2022-04-01 09:30", "United Republic of Tanzania",
		  "2022-04-01 09:30", NULL },
		{ "2022-03-31 18:00", NULL, NULL, NULL },       /* no name */
		{ "Bangladesh 2022-03-31", NULL, NULL, NULL },  /* no time */
		{ "Bangladesh", NULL, NULL, NULL },
		{ "Bangladesh 18:00 2022-03-31", NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *name = NULL, *when = NULL, *zone = NULL;
		int rc = confval_extend(rows[i].in, &name, &when, &zone, NULL);
		if (rows[i].name == NULL) {
			if (rc != -1)
				fail_msg("row %zu: '%s' accepted", i, rows[i].in);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(name, rows[i].name);
		assert_string_equal(when, rows[i].when);
		if (rows[i].zone)
			assert_string_equal(zone, rows[i].zone);
		else
			assert_null(zone);
		free(name);
		free(when);
		free(zone);
	}
}

static void test_slug(void **state)
{
	(void)state;
	assert_true(confval_is_slug("imrf-2022", 40));
	assert_true(confval_is_slug("gcm.inputs_2", 40));
	assert_false(confval_is_slug("IMRF", 40));
	assert_false(confval_is_slug("-imrf", 40));
	assert_false(confval_is_slug(".hidden", 40));
	assert_false(confval_is_slug("a..b", 40));
	assert_false(confval_is_slug("a/b", 40));
	assert_false(confval_is_slug("a b", 40));
	assert_false(confval_is_slug("", 40));
	assert_false(confval_is_slug("abcdefghij", 9));
}

/* What [smtp] tls = none (and an http:// token_url) may talk to. */
static void test_loopback_host(void **state)
{
	(void)state;
	static const struct { const char *host; bool want; } rows[] = {
		{ "127.0.0.1", true },  { "127.255.0.9", true },   { "localhost", true },
		{ "LOCALHOST", true },  { "::1", true },           { "::ffff:127.0.0.1", true },
		{ "128.0.0.1", false }, { "127.0.0.1.example.org", false },
		{ "127.evil", false },  { "localhost.example.org", false },
		{ "::2", false },       { "::ffff:10.0.0.1", false }, { "", false },
		{ "0.0.0.0", false },   { "2001:db8::1", false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (confval_loopback_host(rows[i].host) != rows[i].want)
			fail_msg("%s: want %d", rows[i].host, rows[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),       cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration_range), cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_from),       cmocka_unit_test(test_url),
		cmocka_unit_test(test_url_errors),     cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_minute_of_day), cmocka_unit_test(test_reminders),
		cmocka_unit_test(test_datetime_zone), cmocka_unit_test(test_extend),
		cmocka_unit_test(test_slug),       cmocka_unit_test(test_loopback_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
