/* test_address.c — From headers as missions' mail systems write them, and
 * the one form addresses are compared in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "intaked/address.h"

static const struct {
	const char *value;
	const char *addr; /* NULL: no address */
	const char *name;
} from_rows[] = {
	{ "France ONU <france@diplomatie.gouv.fr>", "france@diplomatie.gouv.fr", "France ONU" },
	{ "\"Smith, John\" <j@x.org>", "j@x.org", "\"Smith, John\"" },
	/* Unquoted specials in the display name: the angle-addr wins. */
	{ "Mission of X [Geneva] <a@x.org>", "a@x.org", "Mission of X [Geneva]" },
	{ "Smith, John <j@x.org>", "j@x.org", "Smith, John" },
	{ "Dept; Foreign Affairs <d@x.org>", "d@x.org", "Dept; Foreign Affairs" },
	{ "Dept: Foreign Affairs <d@x.org>", "d@x.org", "Dept: Foreign Affairs" },
	{ "A (the <b@y.org> desk) <a@x.org>", "a@x.org", "A (the <b@y.org> desk)" },
	{ "\"<b@y.org>\" <a@x.org>", "a@x.org", "\"<b@y.org>\"" },
	{ "<a@x.org>", "a@x.org", "" },
	{ "<@relay.x.org:a@x.org>", "a@x.org", "" },
	{ "Broken <not an address> Real <r@x.org>", "r@x.org", "Real" },
	/* No angle-addr: the first mailbox that has a domain. */
	{ "a@x.org", "a@x.org", "" },
	{ "a@x.org (Mission A)", "a@x.org", "" },
	{ "desk, a@x.org", "a@x.org", "" },
	{ "Group: a@x.org;", "a@x.org", "" },
	{ "\"john smith\"@x.org", "\"john smith\"@x.org", "" },
	/* Local part as written, domain canonical. */
	{ "Desk <Desk.Officer@MOFA.Gov.BD>", "Desk.Officer@mofa.gov.bd", "Desk" },
	{ "B <desk@b\xC3\xBCrgeramt.test>", "desk@xn--brgeramt-65a.test", "B" },
	{ "B <desk@XN--BRGERAMT-65A.test>", "desk@xn--brgeramt-65a.test", "B" },
	/* Nothing to answer. */
	{ "Mission of Nowhere", NULL, "" },
	{ "desk", NULL, "" },
	{ "<desk>", NULL, "" },
	{ "undisclosed-recipients:;", NULL, "" },
	{ "", NULL, "" },
	{ "<@x.org>", NULL, "" },
	{ "a@", NULL, "" },
	{ "\"unterminated <a@x.org>", NULL, "" },
};

static void test_from_header(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(from_rows) / sizeof(from_rows[0]); i++) {
		char *name = NULL;
		char *addr = address_from_header(from_rows[i].value, &name);
		if (from_rows[i].addr == NULL) {
			if (addr != NULL)
				fail_msg("row %zu '%s': got %s, want none", i, from_rows[i].value, addr);
		} else if (addr == NULL || strcmp(addr, from_rows[i].addr) != 0) {
			fail_msg("row %zu '%s': got %s, want %s", i, from_rows[i].value,
				 addr ? addr : "NULL", from_rows[i].addr);
		} else if (strcmp(name, from_rows[i].name) != 0) {
			fail_msg("row %zu '%s': name '%s', want '%s'", i, from_rows[i].value, name,
				 from_rows[i].name);
		}
		free(addr);
		free(name);
	}
	assert_null(address_from_header(NULL, NULL));
}

static void test_canonical_and_display(void **state)
{
	(void)state;
	char *s = address_canonical("x@M\xC3\xBCnchen.test");
	assert_string_equal(s, "x@xn--mnchen-3ya.test");
	free(s);
	s = address_display("x@xn--mnchen-3ya.test");
	assert_string_equal(s, "x@m\xC3\xBCnchen.test");
	free(s);
	s = address_display("x@plain.test");
	assert_string_equal(s, "x@plain.test");
	free(s);
	s = address_display("x@xn--not-valid-.test"); /* shown as it is */
	assert_string_equal(s, "x@xn--not-valid-.test");
	free(s);
	assert_null(address_canonical("nodomain"));
	assert_null(address_canonical("@x.org"));
	assert_null(address_canonical(NULL));
}

static void test_sender_key(void **state)
{
	(void)state;
	static const char *const same[] = {
		"stranger@gmail.test", "stranger+1@gmail.test", "Stranger+abc@GMAIL.test",
		"stranger+@gmail.test",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *k = address_sender_key(same[i]);
		assert_string_equal(k, "stranger@gmail.test");
		free(k);
	}
	char *k = address_sender_key("+only@x.test"); /* not a tag: nothing before it */
	assert_string_equal(k, "+only@x.test");
	free(k);
	k = address_sender_key("desk@b\xC3\xBCrgeramt.test");
	assert_string_equal(k, "desk@xn--brgeramt-65a.test");
	free(k);
	k = address_sender_key("strangers:imrf:2022-03-10T10");
	assert_string_equal(k, "strangers:imrf:2022-03-10t10");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_header),
		cmocka_unit_test(test_canonical_and_display),
		cmocka_unit_test(test_sender_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
