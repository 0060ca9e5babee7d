/* test_json.c — the JSON module: loading (valid, invalid, oversized), typed
 * getters naming the key path of the first error, the dump styles the
 * on-disk formats use, and writer→reader round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/json.h"

struct load_row {
	const char *text;
	size_t max;
	unsigned flags;
	const char *want_error; /* NULL: loads; else a substring of rd.error */
};

static void test_load(void **state)
{
	(void)state;
	static const struct load_row rows[] = {
		{ "{\"a\": 1}", 100, JR_OBJECT, NULL },
		{ "[1, 2]", 100, 0, NULL },
		{ "[1, 2]", 100, JR_OBJECT, "not a JSON object" },
		{ "{\"a\": 1", 100, 0, "line 1" },
		{ "", 100, 0, "line" },
		{ "{\"a\": 1, \"a\": 2}", 100, JR_UNIQUE_KEYS, "duplicate" },
		{ "{\"a\": 1, \"a\": 2}", 100, 0, NULL },
		{ "{\"a\": \"xxxxxxxxxx\"}", 10, 0, "larger than 10 bytes" },
		{ "{\"a\": \"\xff\"}", 100, 0, "line 1" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct jread rd;
		int rc = jr_load(&rd, rows[i].text, strlen(rows[i].text), rows[i].max,
				 rows[i].flags);
		if (rows[i].want_error == NULL) {
			assert_int_equal(rc, 0);
			assert_false(rd.failed);
			assert_non_null(rd.root);
		} else {
			assert_int_equal(rc, -1);
			assert_true(rd.failed);
			assert_null(rd.root);
			if (strstr(rd.error, rows[i].want_error) == NULL)
				fail_msg("row %zu: error \"%s\" lacks \"%s\"", i, rd.error,
					 rows[i].want_error);
		}
		jr_close(&rd);
	}
}

static void test_load_fd(void **state)
{
	(void)state;
	int p[2];
	const char *text = "{\"k\": [true, null]}";
	struct jread rd;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	assert_int_equal(jr_load_fd(&rd, p[0], 1000, JR_OBJECT), 0);
	close(p[0]);
	struct jval root = jr_root(&rd), arr;
	assert_int_equal(jr_array(&root, "k", 10, &arr), 2);
	struct jval first = jr_item(&arr, 0), second = jr_item(&arr, 1);
	assert_true(jr_bool(&first, NULL, false));
	assert_true(jr_absent(&second));
	jr_close(&rd);

	/* Oversized through the fd too. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	assert_int_equal(jr_load_fd(&rd, p[0], 5, 0), -1);
	close(p[0]);
	assert_non_null(strstr(rd.error, "larger than 5 bytes"));
	jr_close(&rd);
}

/* One getter applied to the document {"v": <value>} nested as
 * {"outer": {"list": [<doc>]}} so the path is named. */
enum getter { G_STR, G_INT, G_BOOL, G_REAL, G_TIME, G_ARRAY, G_OBJECT };

struct get_row {
	const char *value;      /* JSON text of "v"; NULL: missing */
	enum getter g;
	const char *want_error; /* NULL: fine */
};

static void apply(const struct jval *o, enum getter g)
{
	struct jval sub;
	switch (g) {
	case G_STR:
		free(jr_str(o, "v"));
		break;
	case G_INT:
		(void)jr_int(o, "v", -5, 5, 0);
		break;
	case G_BOOL:
		(void)jr_bool(o, "v", false);
		break;
	case G_REAL:
		(void)jr_real(o, "v", 0.0, 1.0, -1.0);
		break;
	case G_TIME:
		(void)jr_time(o, "v");
		break;
	case G_ARRAY:
		(void)jr_array(o, "v", 2, &sub);
		break;
	case G_OBJECT:
		(void)jr_object(o, "v", &sub);
		break;
	}
}

static void test_getters(void **state)
{
	(void)state;
	static const struct get_row rows[] = {
		{ "\"x\"", G_STR, NULL },
		{ "null", G_STR, NULL },
		{ NULL, G_STR, NULL },
		{ "3", G_STR, "outer.list[1].v is not a string" },
		{ "5", G_INT, NULL },
		{ "-5", G_INT, NULL },
		{ "6", G_INT, "outer.list[1].v is out of range" },
		{ "-6", G_INT, "outer.list[1].v is out of range" },
		{ "1.5", G_INT, "outer.list[1].v is not an integer" },
		{ "\"1\"", G_INT, "outer.list[1].v is not an integer" },
		{ "true", G_BOOL, NULL },
		{ "0", G_BOOL, "outer.list[1].v is not a boolean" },
		{ "0.5", G_REAL, NULL },
		{ "1", G_REAL, NULL },
		{ "1.5", G_REAL, "outer.list[1].v is not a number in range" },
		{ "\"2022-03-29T22:00:00Z\"", G_TIME, NULL },
		{ "\"yesterday\"", G_TIME, "outer.list[1].v is not an ISO 8601 time" },
		{ "12", G_TIME, "outer.list[1].v is not an ISO 8601 time" },
		{ "[1, 2]", G_ARRAY, NULL },
		{ "[1, 2, 3]", G_ARRAY, "outer.list[1].v has too many items" },
		{ "{}", G_ARRAY, "outer.list[1].v is not an array" },
		{ "{}", G_OBJECT, NULL },
		{ "[]", G_OBJECT, "outer.list[1].v is not an object" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[256];
		struct jread rd;
		if (rows[i].value != NULL)
			snprintf(text, sizeof(text), "{\"outer\": {\"list\": [0, {\"v\": %s}]}}",
				 rows[i].value);
		else
			snprintf(text, sizeof(text), "{\"outer\": {\"list\": [0, {}]}}");
		assert_int_equal(jr_load(&rd, text, strlen(text), 1000, JR_OBJECT), 0);
		struct jval root = jr_root(&rd), outer, list;
		assert_true(jr_object(&root, "outer", &outer));
		assert_int_equal(jr_array(&outer, "list", 10, &list), 2);
		struct jval item = jr_item(&list, 1);
		apply(&item, rows[i].g);
		if (rows[i].want_error == NULL) {
			if (rd.failed)
				fail_msg("row %zu: unexpected error \"%s\"", i, rd.error);
		} else {
			assert_true(rd.failed);
			assert_string_equal(rd.error, rows[i].want_error);
		}
		jr_close(&rd);
	}
}

/* After the first error, getters give their defaults and the error stays. */
static void test_first_error_wins(void **state)
{
	(void)state;
	const char *text = "{\"a\": 1, \"b\": \"s\", \"c\": 7}";
	struct jread rd;
	assert_int_equal(jr_load(&rd, text, strlen(text), 100, JR_OBJECT), 0);
	struct jval root = jr_root(&rd);
	assert_int_equal(jr_int(&root, "a", 0, 10, -1), 1);
	assert_int_equal(jr_int(&root, "b", 0, 10, -1), -1);
	assert_int_equal(jr_int(&root, "c", 0, 10, -1), -1);
	assert_string_equal(rd.error, "b is not an integer");
	assert_string_equal(rd.path, "b");
	jr_fail(&root, "c", "is wrong");
	assert_string_equal(rd.error, "b is not an integer");
	jr_close(&rd);
}

/* A lenient reader reads on past a bad value (which gives its default). */
static void test_lenient(void **state)
{
	(void)state;
	const char *text = "{\"a\": \"x\", \"b\": 2, \"c\": -1}";
	struct jread rd;
	assert_int_equal(jr_load(&rd, text, strlen(text), 100, JR_OBJECT | JR_LENIENT), 0);
	struct jval root = jr_root(&rd);
	assert_int_equal(jr_int(&root, "a", 0, 10, 7), 7);
	assert_int_equal(jr_int(&root, "b", 0, 10, 7), 2);
	assert_int_equal(jr_int(&root, "c", 0, 10, 0), 0);
	assert_true(rd.failed);
	assert_string_equal(rd.error, "a is not an integer");
	jr_close(&rd);
}

struct dump_row {
	enum jn_style style;
	const char *want;
};

static jnode *sample(void)
{
	jnode *o = jn_object(), *a = jn_array();
	jn_set_str(o, "z", "\xc3\xa9t\xc3\xa9");
	jn_set_int(o, "a", 42);
	jn_push(a, jn_bool(true));
	jn_push(a, jn_null());
	jn_set(o, "list", a);
	return o;
}

static void test_dump_styles(void **state)
{
	(void)state;
	static const struct dump_row rows[] = {
		{ JN_COMPACT, "{\"z\":\"\xc3\xa9t\xc3\xa9\",\"a\":42,\"list\":[true,null]}" },
		{ JN_INDENT2, "{\n  \"z\": \"\xc3\xa9t\xc3\xa9\",\n  \"a\": 42,\n  \"list\": [\n"
			      "    true,\n    null\n  ]\n}" },
		{ JN_INDENT2_SORTED, "{\n  \"a\": 42,\n  \"list\": [\n    true,\n    null\n"
				     "  ],\n  \"z\": \"\xc3\xa9t\xc3\xa9\"\n}" },
		{ JN_INDENT1_ASCII, "{\n \"z\": \"\\u00E9t\\u00E9\",\n \"a\": 42,\n \"list\": [\n"
				    "  true,\n  null\n ]\n}" },
	};
	jnode *o = sample();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *text = jn_dump(o, rows[i].style);
		assert_string_equal(text, rows[i].want);
		free(text);
	}
	jn_free(o);
}

static void test_writer_values(void **state)
{
	(void)state;
	jnode *o = jn_object();
	jn_set_str(o, "null", NULL);
	jn_set_str(o, "bad", "a\xff" "b");
	jn_set_time(o, "never", 0);
	jn_set_time(o, "t", 1648591200);
	jn_set(o, "r", jn_real(0.25));
	jn_set_int(o, "t", 1); /* replaces */
	jn_set_time(o, "t", 1648591200);
	char *text = jn_dump(o, JN_COMPACT);
	assert_string_equal(text, "{\"null\":null,\"bad\":\"a\xef\xbf\xbd" "b\",\"never\":null,"
				  "\"t\":\"2022-03-29T22:00:00Z\",\"r\":0.25}");
	free(text);
	jn_free(o);
	jnode *s = jn_str("lone");
	text = jn_dump(s, JN_COMPACT);
	assert_string_equal(text, "\"lone\"");
	free(text);
	jn_free(s);
}

/* What the writer writes, the reader reads back, in every style. */
static void test_round_trip(void **state)
{
	(void)state;
	static const enum jn_style styles[] = { JN_COMPACT, JN_INDENT2, JN_INDENT2_SORTED,
						JN_INDENT1_ASCII };
	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		jnode *o = jn_object(), *docs = jn_array(), *d = jn_object();
		jn_set_str(o, "name", "caf\xc3\xa9 \"q\"\n");
		jn_set_int(o, "big", 9007199254740993LL);
		jn_set_bool(o, "yes", true);
		jn_set_time(o, "at", 1648591200);
		jn_set(o, "frac", jn_real(0.5));
		jn_set_int(d, "size", 12);
		jn_push(docs, d);
		jn_set(o, "docs", docs);
		char *text = jn_dump(o, styles[i]);
		jn_free(o);

		struct jread rd;
		assert_int_equal(jr_load(&rd, text, strlen(text), 4096,
					 JR_OBJECT | JR_UNIQUE_KEYS), 0);
		struct jval root = jr_root(&rd), arr;
		char *name = jr_str(&root, "name");
		assert_string_equal(name, "caf\xc3\xa9 \"q\"\n");
		free(name);
		assert_int_equal(jr_int(&root, "big", 0, INT64_MAX, 0), 9007199254740993LL);
		assert_true(jr_bool(&root, "yes", false));
		assert_int_equal(jr_time(&root, "at"), 1648591200);
		assert_true(jr_real(&root, "frac", 0, 1, -1) == 0.5);
		assert_int_equal(jr_array(&root, "docs", 5, &arr), 1);
		struct jval d0 = jr_item(&arr, 0);
		assert_int_equal(jr_int(&d0, "size", 0, 100, -1), 12);
		assert_null(jr_strref(&root, "missing"));
		assert_false(rd.failed);
		jr_close(&rd);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_fd),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_dump_styles),
		cmocka_unit_test(test_writer_values),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
