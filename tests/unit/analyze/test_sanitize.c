/* test_sanitize.c — attachment names that cannot leave files/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/sanitize.h"
#include "intaked/util.h"

struct row {
	const char *name;
	const char *in;
	const char *want;
};

static const struct row rows[] = {
	{ "plain", "report.docx", "report.docx" },
	{ "spaces", "Déclaration finale.docx", "Déclaration_finale.docx" },
	{ "blanks at the ends", "  input.pdf \t", "input.pdf" },
	{ "unix traversal", "../../etc/passwd", "passwd" },
	{ "absolute", "/etc/passwd", "passwd" },
	{ "windows path", "C:\\Users\\x\\doc.docx", "doc.docx" },
	{ "mixed separators", "a/b\\c/d.txt", "d.txt" },
	{ "trailing slash", "dir/", "attachment" },
	{ "control byte", "a\x01" "b.docx", "ab.docx" },
	{ "newline and tab", "a\nb\tc.pdf", "abc.pdf" },
	{ "DEL and C1", "a\x7f" "b\xc2\x85" "c.pdf", "abc.pdf" },
	{ "bidi override", "cod\u202Excod.docx", "codxcod.docx" },
	{ "dotdot", "..", "attachment" },
	{ "dot", ".", "attachment" },
	{ "empty", "", "attachment" },
	{ "dots only", "....", "attachment" },
	{ "hidden", ".hidden", "hidden" },
	{ "hidden with extension", ".bashrc.txt", "bashrc.txt" },
	{ "leading dash", "-rf.txt", "rf.txt" },
	{ "trailing dots", "name.docx...", "name.docx" },
	{ "windows reserved characters", "a<b>c:d\"e|f?g*h.pdf", "a_b_c_d_e_f_g_h.pdf" },
	{ "invalid UTF-8 dropped", "caf\xe9.txt", "caf.txt" },
	{ "CJK kept", "提案 草稿.docx", "提案_草稿.docx" },
	{ "arabic kept", "مساهمة مصر.pdf", "مساهمة_مصر.pdf" },
	{ "no-break space", "a\u00A0b.txt", "a_b.txt" },
	{ "extension only", ".docx", "docx" },
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = sanitize_filename(rows[i].in, "attachment", 0);

		if (strcmp(got, rows[i].want) != 0)
			fail_msg("%s: \"%s\" -> \"%s\", want \"%s\"", rows[i].name, rows[i].in,
				 got, rows[i].want);
		free(got);
	}
}

static void test_fallbacks(void **state)
{
	char *s;

	(void)state;
	s = sanitize_filename(NULL, "attachment.pdf", 0);
	assert_string_equal(s, "attachment.pdf");
	free(s);
	s = sanitize_filename("..", NULL, 0);
	assert_string_equal(s, "file");
	free(s);
	/* The fallback is sanitized too. */
	s = sanitize_filename("", "../evil", 0);
	assert_string_equal(s, "evil");
	free(s);
	s = sanitize_filename("/", "..", 0);
	assert_string_equal(s, "file");
	free(s);
}

static void test_long_ascii_keeps_extension(void **state)
{
	char in[301];
	char *s;

	(void)state;
	memset(in, 'a', 295);
	memcpy(in + 295, ".docx", 6);
	s = sanitize_filename(in, "x", 0);
	assert_int_equal(strlen(s), 100);
	assert_true(str_has_suffix_ci(s, ".docx"));
	free(s);
	s = sanitize_filename(in, "x", 20);
	assert_string_equal(s, "aaaaaaaaaaaaaaa.docx");
	free(s);
}

static void test_long_utf8_not_cut_mid_character(void **state)
{
	struct buf b;
	char *in, *s;

	(void)state;
	buf_init(&b, 4096);
	for (int i = 0; i < 150; i++)
		assert_int_equal(buf_puts(&b, "é"), 0); /* 2 bytes each */
	assert_int_equal(buf_puts(&b, "中.pdf"), 0);
	in = buf_steal(&b);
	s = sanitize_filename(in, "x", 0);
	assert_true(strlen(s) <= 100);
	assert_true(str_has_suffix_ci(s, ".pdf"));
	/* 96 bytes of stem: 48 whole "é". */
	assert_int_equal(strlen(s), 96 + 4);
	char *clean = sanitize_utf8(s, strlen(s));
	assert_string_equal(clean, s); /* still valid UTF-8 */
	free(clean);
	free(s);
	/* An odd budget: the cut backs off to a character boundary. */
	s = sanitize_filename(in, "x", 9);
	assert_string_equal(s, "éé.pdf");
	free(s);
	free(in);
}

static void test_long_extension_is_not_kept(void **state)
{
	char in[200];
	char *s;

	(void)state;
	memset(in, 'b', 120);
	memcpy(in + 120, ".thisisnotanextension", 22);
	s = sanitize_filename(in, "x", 0);
	assert_int_equal(strlen(s), 100);
	assert_null(strchr(s, '.'));
	free(s);
}

static void test_utf8(void **state)
{
	char *s;

	(void)state;
	s = sanitize_utf8("ok é", strlen("ok é"));
	assert_string_equal(s, "ok é");
	free(s);
	s = sanitize_utf8("a\xff" "b", 3);
	assert_string_equal(s, "a\xEF\xBF\xBD" "b");
	free(s);
	s = sanitize_utf8("a\0b", 3);
	assert_string_equal(s, "a\xEF\xBF\xBD" "b");
	free(s);
	s = sanitize_utf8("\xE4\xB8", 2); /* truncated: one U+FFFD per byte */
	assert_string_equal(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
	free(s);
	s = sanitize_utf8(NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

/* ---- writing ---- */

struct dir {
	char path[64];
	int fd;
};

static int dir_setup(void **state)
{
	struct dir *d = xcalloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "/tmp/test_sanitize.XXXXXX");
	if (mkdtemp(d->path) == NULL)
		return -1;
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
	*state = d;
	return d->fd < 0 ? -1 : 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;

	close(d->fd);
	fsio_rmtree(d->path);
	free(d);
	return 0;
}

static void assert_file(int dirfd, const char *name, const char *content)
{
	char buf[256];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, content);
}

static void test_write_collisions(void **state)
{
	struct dir *d = *state;
	struct err err = { 0 };
	char *name = NULL;

	assert_int_equal(sanitize_write_unique(d->fd, "My report.docx", "attachment", "one", 3,
					       &name, &err), 0);
	assert_string_equal(name, "My_report.docx");
	free(name);
	assert_int_equal(sanitize_write_unique(d->fd, "My report.docx", "attachment", "two", 3,
					       &name, &err), 0);
	assert_string_equal(name, "My_report-2.docx");
	free(name);
	assert_int_equal(sanitize_write_unique(d->fd, "../My report.docx", "attachment", "three",
					       5, &name, &err), 0);
	assert_string_equal(name, "My_report-3.docx");
	free(name);
	assert_file(d->fd, "My_report.docx", "one");
	assert_file(d->fd, "My_report-2.docx", "two");
	assert_file(d->fd, "My_report-3.docx", "three");
	assert_int_equal(sanitize_write_unique(d->fd, "", "attachment", "", 0, &name, &err), 0);
	assert_string_equal(name, "attachment");
	free(name);
	assert_int_equal(sanitize_write_unique(d->fd, "noext", "attachment", "x", 1, &name, &err), 0);
	free(name);
	assert_int_equal(sanitize_write_unique(d->fd, "noext", "attachment", "y", 1, &name, &err), 0);
	assert_string_equal(name, "noext-2");
	free(name);
}

static void test_write_long_name_collision_fits(void **state)
{
	struct dir *d = *state;
	struct err err = { 0 };
	char in[200];
	char *a = NULL, *b = NULL;

	memset(in, 'z', 150);
	memcpy(in + 150, ".pdf", 5);
	assert_int_equal(sanitize_write_unique(d->fd, in, "x", "1", 1, &a, &err), 0);
	assert_int_equal(sanitize_write_unique(d->fd, in, "x", "2", 1, &b, &err), 0);
	assert_int_equal(strlen(a), 100);
	assert_int_equal(strlen(b), 100);
	assert_true(str_has_suffix_ci(b, "-2.pdf"));
	free(a);
	free(b);
}

static void test_write_never_follows_symlink(void **state)
{
	struct dir *d = *state;
	struct err err = { 0 };
	char target[128];
	char *name = NULL;
	struct stat st;

	snprintf(target, sizeof(target), "%s.target", d->path);
	assert_int_equal(symlinkat(target, d->fd, "evil.txt"), 0);
	assert_int_equal(sanitize_write_unique(d->fd, "evil.txt", "attachment", "data", 4, &name,
					       &err), 0);
	assert_string_equal(name, "evil-2.txt");
	free(name);
	/* Nothing was created through the link. */
	assert_int_equal(stat(target, &st), -1);
	assert_int_equal(fstatat(d->fd, "evil.txt", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_write_error_is_reported(void **state)
{
	struct err err = { 0 };
	char *name = NULL;

	(void)state;
	assert_int_equal(sanitize_write_unique(-1, "a.txt", "x", "1", 1, &name, &err), -1);
	assert_null(name);
	assert_int_equal(err.cls, ERR_TEMP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_long_ascii_keeps_extension),
		cmocka_unit_test(test_long_utf8_not_cut_mid_character),
		cmocka_unit_test(test_long_extension_is_not_kept),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test_setup_teardown(test_write_collisions, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_long_name_collision_fits, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_never_follows_symlink, dir_setup,
						dir_teardown),
		cmocka_unit_test(test_write_error_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
