/* test_util.c — buffers, string lists, durations, hashes, durable files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/util.h"

static void test_buf_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_puts(&b, "6789"), -1); /* would exceed 8 */
	assert_string_equal(b.data, "12345");
	assert_int_equal(buf_printf(&b, "%d", 678), 0);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(buf_printf(&b, "x"), -1);
	char *s = buf_steal(&b);
	assert_string_equal(s, "12345678");
	assert_null(b.data);
	free(s);
}

static void test_strlist_split(void **state)
{
	(void)state;
	struct strlist l = { 0 };
	strlist_split(&l, " a@x.org, ,B@y.org ,", ',');
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "a@x.org");
	assert_string_equal(l.v[1], "B@y.org");
	assert_null(l.v[2]);
	assert_true(strlist_contains_ci(&l, "b@Y.ORG"));
	assert_false(strlist_contains_ci(&l, "c@y.org"));
	strlist_free(&l);
}

static void test_durations(void **state)
{
	(void)state;
	static const struct { const char *in; long want; } rows[] = {
		{ "30s", 30 }, { "15m", 900 }, { "3h", 10800 }, { "7d", 604800 }, { "45", 45 },
		{ "0s", 0 }, { "", -1 }, { "m", -1 }, { "-5m", -1 }, { "5x", -1 }, { "1.5h", -1 },
		{ "99999999999999999999d", -1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long v = -1;
		int rc = parse_duration(rows[i].in, &v);
		if (rows[i].want < 0)
			assert_int_equal(rc, -1);
		else {
			assert_int_equal(rc, 0);
			assert_int_equal(v, rows[i].want);
		}
	}
}

static void test_strings(void **state)
{
	(void)state;
	assert_true(str_ieq("Auto-Submitted", "auto-submitted"));
	assert_false(str_ieq("abc", "abcd"));
	assert_non_null(str_icase_find("Re: [IMRF] input", "[imrf]"));
	assert_null(str_icase_find("Re: input", "[imrf]"));
	assert_true(str_has_suffix_ci("Input.DOCX", ".docx"));
	char s[] = "  padded \r\n";
	assert_string_equal(str_trim(s), "padded");
}

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	char r[17];
	random_hex(r, 8);
	assert_int_equal(strlen(r), 16);
}

static void test_percent_escape_round_trip(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 256);
	assert_int_equal(str_percent_escape(&b, "INBOX\tA%B\r\nZ"), 0);
	assert_string_equal(b.data, "INBOX%09A%25B%0D%0AZ");
	assert_int_equal(str_percent_unescape(b.data), 0);
	assert_string_equal(b.data, "INBOX\tA%B\r\nZ");
	buf_free(&b);
	char bad[] = "x%4", nul[] = "x%00", odd[] = "%zz";
	assert_int_equal(str_percent_unescape(bad), -1);
	assert_int_equal(str_percent_unescape(nul), -1);
	assert_int_equal(str_percent_unescape(odd), -1);
	assert_int_equal(hex_value('f'), 15);
	assert_int_equal(hex_value('G'), -1);
}

static void test_fsio_replace_and_new(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_util.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/a/b/c", dir);
	struct err err = { 0 };
	assert_int_equal(fsio_mkdirs(path, 0750, &err), 0);
	char *file = xasprintf("%s/state.json", path);
	assert_int_equal(fsio_replace(file, "one", 3, 0640, &err), 0);
	assert_int_equal(fsio_replace(file, "two!", 4, 0640, &err), 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(fsio_read_file(file, 100, &data, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_string_equal(data, "two!");
	free(data);
	assert_int_equal(fsio_read_file(file, 2, &data, &len, &err), -1);

	int dfd = open(path, O_RDONLY | O_DIRECTORY);
	assert_int_equal(fsio_write_new(dfd, "new", "x", 1, 0640, &err), 0);
	assert_int_equal(fsio_write_new(dfd, "new", "y", 1, 0640, &err), -1); /* O_EXCL */
	/* A planted symlink is never written through. */
	assert_int_equal(symlinkat("/tmp/elsewhere-test-util", dfd, "link"), 0);
	assert_int_equal(fsio_write_new(dfd, "link", "z", 1, 0640, &err), -1);
	assert_false(fsio_exists("/tmp/elsewhere-test-util"));
	close(dfd);

	assert_int_equal(fsio_rmtree(dir), 0);
	assert_false(fsio_exists(dir));
	free(file);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_strlist_split),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_percent_escape_round_trip),
		cmocka_unit_test(test_fsio_replace_and_new),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
