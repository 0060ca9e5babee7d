/* test_spool_areas.c — the area fds the spool keeps from spool_open: what
 * an area swapped for a symlink, or removed and made again, means for a
 * running process, and fds of the caller's own that do not disturb them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#include "spool_fixture.h"

static int setup(void **state)
{
	return spool_fixture_setup(state, "test_spool_areas");
}

static bool exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool ok = lstat(p, &st) == 0;
	free(p);
	return ok;
}

static size_t count_in(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* The fd is the spool's: the same one each time, open for the spool's life. */
static void test_area_fd_borrowed(void **state)
{
	struct fixture *f = *state;
	int fd = spool_area_fd(f->sp, SPOOL_STATE);
	assert_true(fd >= 0);
	assert_int_equal(spool_area_fd(f->sp, SPOOL_STATE), fd);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	assert_int_not_equal(spool_area_fd(f->sp, SPOOL_OUTBOX), fd);
	assert_int_equal(spool_area_fd(f->sp, (enum spool_area)99), -1);
}

/* A directory inside an area, kept too: made once, the same fd after. */
static void test_sub_fd_kept(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	int fd = spool_area_sub_fd(f->sp, SPOOL_OUTBOX, "queue", &err);
	assert_true(fd >= 0);
	assert_int_equal(spool_area_sub_fd(f->sp, SPOOL_OUTBOX, "queue", &err), fd);
	assert_int_not_equal(spool_area_sub_fd(f->sp, SPOOL_OUTBOX, "sent", &err), fd);
	assert_int_not_equal(spool_area_sub_fd(f->sp, SPOOL_STATE, "queue", &err), fd);
	char *outbox = xasprintf("%s/outbox", f->dir);
	assert_true(exists(outbox, "queue") && exists(outbox, "sent"));
	assert_int_equal(spool_area_sub_fd(f->sp, SPOOL_OUTBOX, "../x", &err), -1);
	free(outbox);
}

/* A symlink put in place of an area after spool_open: the kept fd still
 * names the real directory (moved aside, inside the spool); nothing is
 * written through the link. */
static void test_symlink_after_open(void **state)
{
	struct fixture *f = *state;
	char *state_dir = xasprintf("%s/state", f->dir);
	char *aside = xasprintf("%s/state-aside", f->dir);
	assert_int_equal(rename(state_dir, aside), 0);
	assert_int_equal(symlink(f->elsewhere, state_dir), 0);
	struct err err = { 0 };
	assert_int_equal(spool_area_replace(f->sp, SPOOL_STATE, "rec", "x\n", 2, 0640, &err), 0);
	assert_true(exists(aside, "rec"));
	assert_false(exists(f->elsewhere, "rec"));
	assert_true(spool_area_has(f->sp, SPOOL_STATE, "rec"));
	/* A spool opened now refuses the link. */
	struct spool *again = NULL;
	assert_int_equal(spool_open(f->dir, &again, &err), -1);
	assert_null(again);
	assert_non_null(strstr(err.msg, "symlink"));
	free(state_dir);
	free(aside);
}

/* An area removed and made again while the process runs: the process
 * keeps the removed one, so its writes fail (ENOENT) and write nothing
 * into the new one, until the spool is opened again. */
static void test_area_recreated(void **state)
{
	struct fixture *f = *state;
	char *state_dir = xasprintf("%s/state", f->dir);
	assert_int_equal(fsio_rmtree(state_dir), 0);
	assert_int_equal(mkdir(state_dir, 0750), 0);
	struct err err = { 0 };
	assert_int_equal(spool_area_replace(f->sp, SPOOL_STATE, "rec", "x\n", 2, 0640, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_false(exists(state_dir, "rec"));
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(spool_area_read(f->sp, SPOOL_STATE, "rec", 100, &data, &len, &err), 1);
	spool_close(&f->sp);
	assert_int_equal(spool_open(f->dir, &f->sp, &err), 0);
	assert_int_equal(spool_area_replace(f->sp, SPOOL_STATE, "rec", "x\n", 2, 0640, &err), 0);
	assert_true(exists(state_dir, "rec"));
	assert_int_equal(spool_area_read(f->sp, SPOOL_STATE, "rec", 100, &data, &len, &err), 0);
	assert_string_equal(data, "x\n");
	free(data);
	free(state_dir);
}

/* spool_area and spool_open_dir of an area give fds of the caller's own:
 * reading a directory through one leaves the next reader its entries. */
static void test_own_fds_have_own_offset(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	assert_int_equal(spool_area_replace(f->sp, SPOOL_STATE, "a", "1", 1, 0640, &err), 0);
	for (int round = 0; round < 2; round++) {
		int fd = round == 0 ? spool_area(f->sp, SPOOL_STATE, &err)
				    : spool_open_dir(f->sp, "state", &err);
		assert_true(fd >= 0);
		assert_int_not_equal(fd, spool_area_fd(f->sp, SPOOL_STATE));
		DIR *d = fdopendir(fd);
		assert_non_null(d);
		size_t n = 0;
		while (readdir(d) != NULL)
			n++;
		closedir(d);
		assert_true(n >= 3); /* ".", "..", "a" */
		assert_true(count_in(spool_area_fd(f->sp, SPOOL_STATE)) >= 1);
		assert_true(fcntl(spool_area_fd(f->sp, SPOOL_STATE), F_GETFD) >= 0);
	}
}

/* Paths inside an area are walked from its kept fd; a symlink below an
 * area is still refused component by component. */
static void test_walk_from_area(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	int fd = spool_open_dir(f->sp, "calls/c1/s1", &err);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENOENT);
	char *c1 = xasprintf("%s/calls/c1", f->dir);
	assert_int_equal(mkdir(c1, 0750), 0);
	char *s1 = xasprintf("%s/s1", c1);
	assert_int_equal(symlink(f->elsewhere, s1), 0);
	assert_int_equal(spool_open_dir(f->sp, "calls/c1/s1", &err), -1);
	assert_non_null(strstr(err.msg, "symlink"));
	assert_int_equal(unlink(s1), 0);
	assert_int_equal(mkdir(s1, 0750), 0);
	fd = spool_open_dir(f->sp, "calls/c1/s1", &err);
	assert_true(fd >= 0);
	close(fd);
	free(c1);
	free(s1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_area_fd_borrowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sub_fd_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_after_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_area_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_fds_have_own_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_from_area, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
