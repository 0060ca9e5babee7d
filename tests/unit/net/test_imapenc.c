/* test_imapenc.c — INTERNALDATE to instants, folder names to modified UTF-7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imapenc.h"

struct date_case {
	int y, mo, d, h, mi, s, zone;
	int rc;
	long long t; /* expected instant when rc == 0 (checked with Python) */
};

static const struct date_case date_cases[] = {
	/* the server's zone is undone: 17:59 EDT is 21:59Z */
	{ 2022, 3, 29, 17, 59, 0, -400, 0, 1648591140 },
	{ 2022, 3, 30, 3, 59, 59, 530, 0, 1648592999 },   /* +0530 crosses midnight back */
	{ 2000, 2, 29, 0, 0, 0, -1130, 0, 951823800 },     /* half-hour negative zone */
	{ 2024, 2, 29, 12, 0, 0, 0, 0, 1709208000 },
	{ 1970, 1, 1, 0, 0, 0, 0, 0, 0 },
	{ 1969, 12, 31, 23, 59, 59, 0, 0, -1 },
	{ 1900, 1, 1, 0, 0, 0, 0, 0, -2208988800LL },
	{ 9999, 12, 31, 23, 59, 59, 1400, 0, 253402250399LL },
	{ 2016, 12, 31, 23, 59, 60, 0, 0, 1483228800 },    /* leap second rolls over */
	{ 2023, 2, 29, 0, 0, 0, 0, -1, 0 },                /* not a leap year */
	{ 1900, 2, 29, 0, 0, 0, 0, -1, 0 },                /* century, not leap */
	{ 2022, 4, 31, 0, 0, 0, 0, -1, 0 },
	{ 2022, 13, 1, 0, 0, 0, 0, -1, 0 },
	{ 2022, 0, 1, 0, 0, 0, 0, -1, 0 },
	{ 2022, 1, 0, 0, 0, 0, 0, -1, 0 },
	{ 2022, 1, 1, 24, 0, 0, 0, -1, 0 },
	{ 2022, 1, 1, 0, 60, 0, 0, -1, 0 },
	{ 2022, 1, 1, 0, 0, 61, 0, -1, 0 },
	{ 2022, 1, 1, 0, 0, 0, 60, -1, 0 },                /* "+0060" */
	{ 2022, 1, 1, 0, 0, 0, 2400, -1, 0 },
	{ 2022, 1, 1, 0, 0, 0, -2400, -1, 0 },
	{ 1899, 12, 31, 0, 0, 0, 0, -1, 0 },
	{ 10000, 1, 1, 0, 0, 0, 0, -1, 0 },
};

static void test_date_to_time(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		const struct date_case *c = &date_cases[i];
		time_t t = 12345;
		int rc = imapenc_date_to_time(c->y, c->mo, c->d, c->h, c->mi, c->s, c->zone, &t);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, c->rc);
		if (rc == 0 && (long long)t != c->t)
			fail_msg("case %zu: %lld, want %lld", i, (long long)t, c->t);
		if (rc != 0 && t != 12345)
			fail_msg("case %zu: output written on error", i);
	}
}

struct utf7_case {
	const char *in;
	const char *out; /* NULL: refused */
};

static const struct utf7_case utf7_cases[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "R&D", "R&-D" },
	{ "&&", "&-&-" },
	{ "Envoy\xc3\xa9", "Envoy&AOk-" },
	{ "Archive/\xc3\x89" "crits & Co", "Archive/&AMk-crits &- Co" }, /* as Dovecot lists it */
	{ "\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c", "&AMAAyQDOANUA3A-" },
	/* RFC 3501 5.1.3's own example */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" },                      /* surrogate pair */
	{ "a\xf0\x9f\x98\x80" "b\xe2\x82\xac", "a&2D3eAA-b&IKw-" },
	{ "~ !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}", "~ !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}" },
	{ "\xc3", NULL },               /* truncated */
	{ "\xc3(", NULL },              /* bad continuation */
	{ "\xc0\xaf", NULL },           /* overlong '/' */
	{ "\xe0\x80\xaf", NULL },       /* overlong, 3 bytes */
	{ "\xed\xa0\x80", NULL },       /* UTF-16 surrogate */
	{ "\xf4\x90\x80\x80", NULL },   /* beyond U+10FFFF */
	{ "\xff", NULL },
	{ "a\x01" "b", NULL },          /* control character */
	{ "a\tb", NULL },
	{ "a\x7f", NULL },
};

static void test_mutf7(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf7_cases) / sizeof(utf7_cases[0]); i++) {
		const struct utf7_case *c = &utf7_cases[i];
		char *got = imapenc_mutf7(c->in);
		if (c->out == NULL && got != NULL)
			fail_msg("case %zu: got \"%s\", want refusal", i, got);
		if (c->out != NULL && (got == NULL || strcmp(got, c->out) != 0))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got ? got : "(null)", c->out);
		free(got);
	}
}

static void test_mutf7_length_cap(void **state)
{
	(void)state;
	char name[1100];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_null(imapenc_mutf7(name));
	name[1024] = '\0';
	char *ok = imapenc_mutf7(name);
	assert_non_null(ok);
	assert_int_equal(strlen(ok), 1024);
	free(ok);
	/* The longest output: every byte a 4-byte character. */
	for (size_t i = 0; i + 4 <= 1024; i += 4)
		memcpy(name + i, "\xf0\x9f\x98\x80", 4);
	name[1024] = '\0';
	char *big = imapenc_mutf7(name);
	assert_non_null(big);
	assert_int_equal(big[0], '&');
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_to_time),
		cmocka_unit_test(test_mutf7),
		cmocka_unit_test(test_mutf7_length_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
