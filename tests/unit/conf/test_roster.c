/* test_roster.c — roster CSV, matching rules and slugs, one row per case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/roster.h"

static const char sample[] =
	"\xEF\xBB\xBF"                                   /* BOM */
	"Notes,Addresses,Name\r\n"                       /* any order, extra column */
	"# kept by the secretariat\r\n"
	"first,\"@mofa.gov.bd;bangladesh@un.int\",Bangladesh\r\n"
	"\r\n"
	",france@diplomatie.gouv.fr,France\r\n"
	"x,@sre.gob.mx, \"Mexico\"\r\n"
	"\"a \"\"quoted\"\" note\",\"china@un.int;@mfa.gov.cn\",China\r\n"
	",\"@diplomatie.gouv.ci\",C\xC3\xB4te d'Ivoire\r\n"
	",@un.int,UN Secretariat\r\n"
	"\"multi\nline note\",,Holy See\r\n"
	",egypt@mfa.gov.eg,\xD9\x85\xD8\xB5\xD8\xB1\n"; /* "مصر" */

static struct roster *load_sample(void)
{
	struct roster *r = NULL;
	struct err e = { 0 };
	if (roster_parse("sample.csv", sample, sizeof(sample) - 1, &r, &e) != 0)
		fail_msg("%s", e.msg);
	return r;
}

static void test_parse(void **state)
{
	(void)state;
	struct roster *r = load_sample();
	assert_int_equal(r->n, 8);
	assert_string_equal(r->members[0].name, "Bangladesh");
	assert_string_equal(r->members[0].slug, "bangladesh");
	assert_int_equal(r->members[0].domains.n, 1);
	assert_string_equal(r->members[0].domains.v[0], "mofa.gov.bd");
	assert_string_equal(r->members[0].addresses.v[0], "bangladesh@un.int");
	assert_string_equal(r->members[2].name, "Mexico");
	assert_string_equal(r->members[4].slug, "cote-d-ivoire");
	/* "Holy See" has a note with a newline in it but no address. */
	assert_string_equal(r->members[6].name, "Holy See");
	assert_int_equal(r->members[6].addresses.n + r->members[6].domains.n, 0);
	roster_free(&r);
	assert_null(r);
}

/* addr -> member name (NULL: none) and rule. */
static void test_match(void **state)
{
	(void)state;
	static const struct { const char *addr, *member; enum roster_match how; } rows[] = {
		{ "expert@mofa.gov.bd", "Bangladesh", ROSTER_DOMAIN },
		{ "EXPERT@MOFA.GOV.BD", "Bangladesh", ROSTER_DOMAIN },
		/* A full address beats a domain: bangladesh@un.int is not the UN. */
		{ "bangladesh@un.int", "Bangladesh", ROSTER_ADDRESS },
		{ "Bangladesh@UN.int", "Bangladesh", ROSTER_ADDRESS },
		{ "china@un.int", "China", ROSTER_ADDRESS },
		{ "someone@un.int", "UN Secretariat", ROSTER_DOMAIN },
		{ "france@diplomatie.gouv.fr", "France", ROSTER_ADDRESS },
		{ "other@diplomatie.gouv.fr", NULL, ROSTER_NONE },
		{ "x@sub.mofa.gov.bd", NULL, ROSTER_NONE },  /* exact domains only */
		{ "x@mofa.gov.bd.evil.example", NULL, ROSTER_NONE },
		{ "mofa.gov.bd", NULL, ROSTER_NONE },
		{ "", NULL, ROSTER_NONE },
	};
	struct roster *r = load_sample();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum roster_match how = ROSTER_ADDRESS;
		const struct roster_member *m = roster_match(r, rows[i].addr, &how);
		if (rows[i].member == NULL) {
			if (m != NULL)
				fail_msg("row %zu: %s matched %s", i, rows[i].addr, m->name);
		} else if (m == NULL || strcmp(m->name, rows[i].member) != 0) {
			fail_msg("row %zu: %s matched %s", i, rows[i].addr, m ? m->name : "nobody");
		}
		assert_int_equal(how, rows[i].how);
	}
	assert_string_equal(roster_match_name(ROSTER_ADDRESS), "address");
	assert_string_equal(roster_match_name(ROSTER_DOMAIN), "domain");
	assert_string_equal(roster_match_name(ROSTER_NONE), "none");
	assert_null(roster_match(NULL, "a@b.c", NULL));
	roster_free(&r);
}

static void test_find(void **state)
{
	(void)state;
	struct roster *r = load_sample();
	assert_non_null(roster_find(r, "bangladesh"));
	assert_non_null(roster_find(r, "C\xC3\xB4te d'Ivoire"));
	assert_non_null(roster_find(r, "C\xC3\x94TE D'IVOIRE")); /* Unicode case folding */
	assert_null(roster_find(r, "Cote d'Ivoire"));           /* accents matter in names */
	assert_null(roster_find(r, "Atlantis"));
	roster_free(&r);
}

/* Each bad roster and the start of the error it must give. */
static void test_errors(void **state)
{
	(void)state;
	static const struct { const char *csv, *want; } rows[] = {
		{ "", "r.csv: empty" },
		{ "\n\n", "r.csv: empty" },
		{ "Bangladesh,@mofa.gov.bd\n", "r.csv:1: the header row must name" },
		{ "name,email\nA,a@x.org\n", "r.csv:1: the header row must name" },
		{ "name,addresses\nA,\"a@x.org\n", "r.csv:2: unterminated quoted field" },
		{ "name,addresses\nA,\"a@x.org\"x\n", "r.csv:2: text after a closing quote" },
		{ "name,addresses\nA,a@x.org\n\na,b@x.org\n", "r.csv:4: 'a' is listed twice" },
		{ "name,addresses\nA,a@x.org\nB,A@X.ORG\n", "r.csv:3: 'a@x.org' is already listed for A" },
		{ "name,addresses\nA,@x.org\nB,@X.org\n", "r.csv:3: '@x.org' is already listed for A" },
		{ "name,addresses\nA,not-an-address\n", "r.csv:2: 'not-an-address' is neither" },
		{ "name,addresses\nA,@bad_domain\n", "r.csv:2: '@bad_domain' is neither" },
		{ "name,addresses\nA,\"a@x.org\nb\"\n", "r.csv:2: 'a@x.org?b' is neither" },
		{ "name,addresses\n,a@x.org\n", "r.csv:2: the name is empty" },
		{ "name,addresses\n\xC3(,a@x.org\n", "r.csv:2: the name is empty or not valid UTF-8" },
		{ "name,addresses\nC\xC3\xB4te d'Ivoire,a@x.org\nCote d Ivoire,b@x.org\n",
		  "r.csv:3: 'C\xC3\xB4te d'Ivoire' and 'Cote d Ivoire' would share" },
		{ "name,addresses\nA,a@x.org\nB\0,b@x.org\n", "r.csv: contains a NUL byte" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct roster *r = NULL;
		struct err e = { 0 };
		size_t len = strlen(rows[i].csv);
		if (strstr(rows[i].want, "NUL"))
			len += 1 + strlen(rows[i].csv + len + 1);
		if (roster_parse("r.csv", rows[i].csv, len, &r, &e) != -1)
			fail_msg("row %zu accepted", i);
		assert_null(r);
		assert_int_equal(e.cls, ERR_CONFIG);
		if (strncmp(e.msg, rows[i].want, strlen(rows[i].want)) != 0)
			fail_msg("row %zu: got '%s', want '%s...'", i, e.msg, rows[i].want);
	}
}

static void test_slugify(void **state)
{
	(void)state;
	static const struct { const char *name, *slug; } rows[] = {
		{ "Bangladesh", "bangladesh" },
		{ "C\xC3\xB4te d'Ivoire", "cote-d-ivoire" },
		{ "T\xC3\xBCrkiye", "turkiye" },
		{ "S\xC3\xA3o Tom\xC3\xA9 and Pr\xC3\xAD" "ncipe", "sao-tome-and-principe" },
		{ "Bosnia & Herzegovina", "bosnia-herzegovina" },
		{ "  --Holy See--  ", "holy-see" },
		{ "\xC3\x86r\xC3\xB8", "aero" },                 /* Ærø */
		{ "Stra\xC3\x9F" "e", "strasse" },               /* Straße */
		{ "\xC5\x81\xC3\xB3\x64\xC5\xBA", "lodz" },       /* Łódź */
		{ "\xEF\xAC\x81nland", "finland" },               /* ligature fi */
		{ "\xE4\xB8\xAD\xE5\x9B\xBD (China)", "china" },  /* 中国 (China) */
		{ "Viet Nam", "viet-nam" },
		{ "G77+China", "g77-china" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *s = roster_slugify(rows[i].name);
		if (strcmp(s, rows[i].slug) != 0)
			fail_msg("row %zu: got '%s' want '%s'", i, s, rows[i].slug);
		free(s);
	}
}

static void test_slug_non_latin(void **state)
{
	(void)state;
	const char *egypt = "\xD9\x85\xD8\xB5\xD8\xB1"; /* مصر */
	char hex[65], want[32];
	sha256_hex(egypt, strlen(egypt), hex);
	snprintf(want, sizeof(want), "member-%.8s", hex);
	char *s = roster_slugify(egypt);
	assert_string_equal(s, want);
	free(s);
	/* Two non-Latin names do not collide. */
	char *a = roster_slugify("\xD0\xA0\xD0\xBE\xD1\x81\xD1\x81\xD0\xB8\xD1\x8F"); /* Россия */
	char *b = roster_slugify("\xE6\x97\xA5\xE6\x9C\xAC");                        /* 日本 */
	assert_true(strncmp(a, "member-", 7) == 0 && strlen(a) == 15);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	/* Long names are cut without a trailing '-'. */
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[59] = ' ';
	s = roster_slugify(longname);
	assert_true(strlen(s) <= 60);
	assert_true(s[strlen(s) - 1] != '-');
	free(s);
}

static void test_unknown_slug(void **state)
{
	(void)state;
	char hex[65], want[32];
	sha256_hex("someone@example.org", 19, hex);
	snprintf(want, sizeof(want), "unknown-%.10s", hex);
	char *s = roster_unknown_slug("SomeOne@Example.ORG");
	assert_string_equal(s, want);
	free(s);
}

static void test_load_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_roster.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/roster.csv", dir);
	struct roster *r = NULL;
	struct err e = { 0 };
	assert_int_equal(roster_load(path, &r, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open roster"));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("name,addresses\nBangladesh,\"@mofa.gov.bd;bangladesh@un.int\"\nX,bad\n", f);
	fclose(f);
	assert_int_equal(roster_load(path, &r, &e), -1);
	char want[160];
	snprintf(want, sizeof(want), "%s:3: 'bad' is neither", path);
	assert_true(strncmp(e.msg, want, strlen(want)) == 0);
	f = fopen(path, "w");
	fputs("name,addresses\nBangladesh,\"@mofa.gov.bd;bangladesh@un.int\"\n", f);
	fclose(f);
	assert_int_equal(roster_load(path, &r, &e), 0);
	assert_int_equal(r->n, 1);
	roster_free(&r);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),        cmocka_unit_test(test_match),
		cmocka_unit_test(test_find),         cmocka_unit_test(test_errors),
		cmocka_unit_test(test_slugify),      cmocka_unit_test(test_slug_non_latin),
		cmocka_unit_test(test_unknown_slug), cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
