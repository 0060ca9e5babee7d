/* test_tztime.c — wall times in IANA zones across DST, ISO 8601, formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/tztime.h"

/* The C library's setenv/unsetenv/tzset, interposed: tztime must leave
 * the process-wide TZ alone (another thread may be formatting a log line
 * or a date in the local zone at the same moment). */
static int tz_env_writes, tzset_calls;

int setenv(const char *name, const char *value, int overwrite)
{
	int (*real)(const char *, const char *, int) =
		(int (*)(const char *, const char *, int))dlsym(RTLD_NEXT, "setenv");
	tz_env_writes += strcmp(name, "TZ") == 0;
	return real(name, value, overwrite);
}

int unsetenv(const char *name)
{
	int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "unsetenv");
	tz_env_writes += strcmp(name, "TZ") == 0;
	return real(name);
}

void tzset(void)
{
	void (*real)(void) = (void (*)(void))dlsym(RTLD_NEXT, "tzset");
	tzset_calls++;
	real();
}

/* want_utc NULL: must be refused. */
struct local_row {
	const char *wall, *zone, *want_utc;
};

static void test_parse_local(void **state)
{
	(void)state;
	static const struct local_row rows[] = {
		/* The SPEC's example deadline: 6PM EDT. */
		{ "2022-03-29 18:00", "America/New_York", "2022-03-29T22:00:00Z" },
		{ "2022-03-01 00:00", "America/New_York", "2022-03-01T05:00:00Z" },
		{ "2022-03-29 18:00:30", "America/New_York", "2022-03-29T22:00:30Z" },
		/* Spring forward: 02:00-02:59 does not exist that night. */
		{ "2022-03-13 02:30", "America/New_York", NULL },
		{ "2022-03-13 01:59", "America/New_York", "2022-03-13T06:59:00Z" },
		{ "2022-03-13 03:00", "America/New_York", "2022-03-13T07:00:00Z" },
		/* Fall back: 01:30 happens twice; the earlier (EDT) one wins. */
		{ "2022-11-06 01:30", "America/New_York", "2022-11-06T05:30:00Z" },
		{ "2022-11-06 02:30", "America/New_York", "2022-11-06T07:30:00Z" },
		{ "2022-03-27 02:30", "Europe/Paris", NULL },
		{ "2022-03-27 03:30", "Europe/Paris", "2022-03-27T01:30:00Z" },
		{ "2022-10-30 02:30", "Europe/Paris", "2022-10-30T00:30:00Z" },
		{ "2022-07-01 12:00", "Europe/Paris", "2022-07-01T10:00:00Z" },
		{ "2022-07-01 12:00", "UTC", "2022-07-01T12:00:00Z" },
		{ "2022-07-01 12:00", "Asia/Kolkata", "2022-07-01T06:30:00Z" },
		{ "2024-02-29 00:00", "UTC", "2024-02-29T00:00:00Z" },
		{ "2023-02-29 00:00", "UTC", NULL },
		{ "2022-13-01 00:00", "UTC", NULL },
		{ "2022-03-29 24:00", "UTC", NULL },
		{ "2022-03-29 18:60", "UTC", NULL },
		{ "2022-03-29T18:00", "UTC", NULL },
		{ "2022-03-29 18:00 ", "UTC", NULL },
		{ "22-03-29 18:00", "UTC", NULL },
		{ "2022-03-29 18:00", "Mars/Olympus_Mons", NULL },
		{ "2022-03-29 18:00", "America", NULL },
		{ "2022-03-29 18:00", "../../etc/passwd", NULL },
		{ "2022-03-29 18:00", "", NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t = 0;
		int rc = tztime_parse_local(rows[i].wall, rows[i].zone, &t);
		if (rows[i].want_utc == NULL) {
			if (rc != -1)
				fail_msg("row %zu: %s %s accepted", i, rows[i].wall, rows[i].zone);
			continue;
		}
		char got[32];
		if (rc != 0)
			fail_msg("row %zu: %s %s refused", i, rows[i].wall, rows[i].zone);
		tztime_format_utc(t, got, sizeof(got));
		assert_string_equal(got, rows[i].want_utc);
	}
}

static void test_tz_restored(void **state)
{
	(void)state;
	time_t t;
	setenv("TZ", "Asia/Tokyo", 1);
	assert_int_equal(tztime_parse_local("2022-03-29 18:00", "America/New_York", &t), 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	unsetenv("TZ");
	assert_int_equal(tztime_parse_local("2022-03-29 18:00", "Europe/Paris", &t), 0);
	assert_null(getenv("TZ"));
}

static void test_zone_valid(void **state)
{
	(void)state;
	assert_true(tztime_zone_valid("America/New_York"));
	assert_true(tztime_zone_valid("UTC"));
	assert_true(tztime_zone_valid("Europe/Paris"));
	assert_false(tztime_zone_valid("America"));          /* a directory */
	assert_false(tztime_zone_valid("America/Gotham"));
	assert_false(tztime_zone_valid("/etc/localtime"));
	assert_false(tztime_zone_valid("EST5EDT,M3.2.0,M11.1.0")); /* a POSIX rule, not a zone */
	assert_false(tztime_zone_valid(NULL));
}

static void test_iso8601(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } rows[] = {
		{ "2022-03-29T21:59:00Z", "2022-03-29T21:59:00Z" },
		{ "2022-03-29T21:59Z", "2022-03-29T21:59:00Z" },
		{ "2022-03-29t21:59:00z", "2022-03-29T21:59:00Z" },
		{ "2022-03-29 21:59:00Z", "2022-03-29T21:59:00Z" },
		{ "2022-03-29T17:59:00-04:00", "2022-03-29T21:59:00Z" },
		{ "2022-03-29T23:59:00+0200", "2022-03-29T21:59:00Z" },
		{ "2022-03-30T03:29:00+05:30", "2022-03-29T21:59:00Z" },
		{ "2022-03-29T21:59:00.123Z", "2022-03-29T21:59:00Z" },
		{ "2022-03-29T21:59:00", NULL },  /* no offset: ambiguous */
		{ "2022-03-29", NULL },
		{ "2022-03-29T21:59:00+24:00", NULL },
		{ "2022-03-29T21:59:00Zjunk", NULL },
		{ "2022-02-30T00:00:00Z", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t;
		int rc = tztime_parse_iso8601(rows[i].in, &t);
		if (rows[i].want == NULL) {
			if (rc != -1)
				fail_msg("row %zu: '%s' accepted", i, rows[i].in);
			continue;
		}
		char got[32];
		if (rc != 0)
			fail_msg("row %zu: '%s' refused", i, rows[i].in);
		tztime_format_utc(t, got, sizeof(got));
		assert_string_equal(got, rows[i].want);
	}
}

static void test_format_local(void **state)
{
	(void)state;
	char out[64];
	time_t t;
	assert_int_equal(tztime_parse_iso8601("2022-03-29T21:59:00Z", &t), 0);
	tztime_format_local(t, "America/New_York", out, sizeof(out));
	assert_string_equal(out, "2022-03-29 17:59 EDT");
	tztime_format_local(t, "Europe/Paris", out, sizeof(out));
	assert_string_equal(out, "2022-03-29 23:59 CEST");
	assert_int_equal(tztime_parse_iso8601("2022-01-10T12:00:00Z", &t), 0);
	tztime_format_local(t, "America/New_York", out, sizeof(out));
	assert_string_equal(out, "2022-01-10 07:00 EST");
	struct tm tm;
	tztime_local(t, "Asia/Tokyo", &tm);
	assert_int_equal(tm.tm_hour, 21);
	assert_int_equal(tm.tm_mday, 10);
}

static void test_at_local_minute(void **state)
{
	(void)state;
	static const struct { const char *now, *zone; int minute; const char *want; } rows[] = {
		{ "2022-03-29T21:59:00Z", "America/New_York", 8 * 60, "2022-03-29T12:00:00Z" },
		/* 02:00 New York time is already the next day in UTC. */
		{ "2022-03-30T02:00:00Z", "America/New_York", 8 * 60, "2022-03-29T12:00:00Z" },
		{ "2022-03-29T21:59:00Z", "Europe/Paris", 0, "2022-03-28T22:00:00Z" },
		/* In the gap: moved forward by its length, 02:30 -> 03:30 EDT. */
		{ "2022-03-13T12:00:00Z", "America/New_York", 2 * 60 + 30, "2022-03-13T07:30:00Z" },
		/* In the fold: the earlier one. */
		{ "2022-11-06T12:00:00Z", "America/New_York", 60 + 30, "2022-11-06T05:30:00Z" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t now;
		char got[32];
		assert_int_equal(tztime_parse_iso8601(rows[i].now, &now), 0);
		tztime_format_utc(tztime_at_local_minute(now, rows[i].zone, rows[i].minute), got,
				  sizeof(got));
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu: got %s want %s", i, got, rows[i].want);
	}
}

/* Every entry point, with TZ set to a third zone: TZ is never written,
 * tzset() never called, and the process's own local time is untouched. */
static void test_env_untouched(void **state)
{
	(void)state;
	char out[64];
	struct tm tm;
	time_t t = 1648591140; /* 2022-03-29T21:59:00Z */
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	tz_env_writes = tzset_calls = 0;
	assert_int_equal(tztime_parse_local("2022-03-29 18:00", "America/New_York", &t), 0);
	tztime_format_local(t, "Europe/Paris", out, sizeof(out));
	tztime_local(t, "America/New_York", &tm);
	(void)tztime_at_local_minute(t, "Europe/Paris", 8 * 60);
	assert_true(tztime_zone_valid("Europe/Paris"));
	assert_int_equal(tztime_parse_iso8601("2022-03-29T17:59:00-04:00", &t), 0);
	tztime_format_utc(t, out, sizeof(out));
	assert_int_equal(tz_env_writes, 0);
	assert_int_equal(tzset_calls, 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_hour, 6); /* 21:59Z is 06:59 in Tokyo */
	unsetenv("TZ");
}

/* Alternating zones: nothing of one conversion leaks into the next. */
static void test_zones_interleave(void **state)
{
	(void)state;
	static const struct { const char *zone, *want; } rows[] = {
		{ "America/New_York", "2022-03-29 17:59 EDT" },
		{ "Europe/Paris", "2022-03-29 23:59 CEST" },
		{ "Asia/Kolkata", "2022-03-30 03:29 IST" },
		{ "UTC", "2022-03-29 21:59 UTC" },
	};
	time_t t = 1648591140;
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			char out[64];
			tztime_format_local(t, rows[i].zone, out, sizeof(out));
			if (strcmp(out, rows[i].want) != 0)
				fail_msg("round %d %s: got '%s'", round, rows[i].zone, out);
			struct tm tm;
			tztime_local(t, rows[(i + 1) % 4].zone, &tm);
		}
}

/* DST edges in New York, as the deadline and reminders show them. */
static void test_dst_edges_formatted(void **state)
{
	(void)state;
	static const struct { const char *utc, *want; } rows[] = {
		{ "2022-03-29T22:00:00Z", "2022-03-29 18:00 EDT" }, /* "6PM EDT" */
		{ "2022-03-13T06:59:00Z", "2022-03-13 01:59 EST" }, /* before spring forward */
		{ "2022-03-13T07:00:00Z", "2022-03-13 03:00 EDT" }, /* after it */
		{ "2022-11-06T05:30:00Z", "2022-11-06 01:30 EDT" }, /* the fold, first */
		{ "2022-11-06T06:30:00Z", "2022-11-06 01:30 EST" }, /* the fold, second */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t;
		char out[64];
		assert_int_equal(tztime_parse_iso8601(rows[i].utc, &t), 0);
		tztime_format_local(t, "America/New_York", out, sizeof(out));
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("row %zu: got '%s' want '%s'", i, out, rows[i].want);
	}
	time_t deadline;
	assert_int_equal(tztime_parse_local("2022-03-29 18:00", "America/New_York", &deadline), 0);
	assert_int_equal((long long)deadline, 1648591200LL);
}

/* An unknown zone is refused, never silently taken as UTC. */
static void test_invalid_zone(void **state)
{
	(void)state;
	static const char *const bad[] = { "Mars/Olympus_Mons", "America", "EST5EDT4",
					   "Europe/Paris/", "", "UTC+3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t = 42;
		if (tztime_zone_valid(bad[i]))
			fail_msg("'%s' valid", bad[i]);
		if (tztime_parse_local("2022-03-29 18:00", bad[i], &t) != -1 || t != 42)
			fail_msg("'%s' accepted", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_local),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_zone_valid),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_format_local),
		cmocka_unit_test(test_at_local_minute),
		cmocka_unit_test(test_env_untouched),
		cmocka_unit_test(test_zones_interleave),
		cmocka_unit_test(test_dst_edges_formatted),
		cmocka_unit_test(test_invalid_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
