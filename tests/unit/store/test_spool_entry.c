/* test_spool_entry.c — the spool hands out version numbers: one more than
 * the highest filed or held by a live entry, given back on abort, read
 * again from the directory after a failed commit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "spool_fixture.h"

static int setup(void **state)
{
	return spool_fixture_setup(state, "test_spool_entry");
}

static struct spool_entry *begin(struct fixture *f, const char *id)
{
	struct spool_entry *e = NULL;
	assert_int_equal(spool_begin(f->sp, id, &e, NULL), 0);
	assert_int_equal(spool_entry_write(e, "metadata.json", "{}\n", 3, NULL), 0);
	return e;
}

static int commit(struct fixture *f, struct spool_entry **e, int version)
{
	char *rel = spool_submission_path("imrf", "bd", version);
	int rc = spool_commit(f->sp, e, rel, NULL);
	free(rel);
	return rc;
}

static void test_versions_handed_out(void **state)
{
	struct fixture *f = *state;
	struct spool_entry *a = begin(f, "a"), *b = begin(f, "b"), *c = begin(f, "c");
	assert_int_equal(spool_entry_take_version(a, "imrf", "bd"), 1);
	assert_int_equal(spool_entry_take_version(b, "imrf", "bd"), 2);
	/* Another submitter counts on its own. */
	assert_int_equal(spool_entry_take_version(c, "imrf", "mx"), 1);
	spool_abort(&c);
	/* Given back: the next message of bd takes 2 again once b is gone. */
	spool_abort(&b);
	b = begin(f, "b2");
	assert_int_equal(spool_entry_take_version(b, "imrf", "bd"), 2);
	assert_int_equal(commit(f, &a, 1), 0);
	assert_int_equal(commit(f, &b, 2), 0);
	c = begin(f, "c2");
	assert_int_equal(spool_entry_take_version(c, "imrf", "bd"), 3);
	spool_abort(&c);
}

static void test_version_read_from_spool(void **state)
{
	struct fixture *f = *state;
	struct spool_entry *a = begin(f, "a");
	/* Filed before this run (v1, v2 on disk): read from the directory. */
	assert_int_equal(commit(f, &a, 2), 0);
	a = begin(f, "a2");
	assert_int_equal(spool_entry_take_version(a, "imrf", "bd"), 3);
	/* The path was taken behind the spool's back (v3 planted): the
	 * commit fails, the spool reads the directory again. */
	char *v3 = xasprintf("%s/calls/imrf/bd/v3", f->dir);
	assert_int_equal(mkdir(v3, 0750), 0);
	assert_int_equal(commit(f, &a, 3), -1);
	a = begin(f, "a3");
	assert_int_equal(spool_entry_take_version(a, "imrf", "bd"), 4);
	assert_int_equal(commit(f, &a, 4), 0);
	/* Forgotten (a reload): read from the directory again. */
	char *v5 = xasprintf("%s/calls/imrf/bd/v5", f->dir);
	assert_int_equal(mkdir(v5, 0750), 0);
	spool_forget_versions(f->sp);
	a = begin(f, "a5");
	assert_int_equal(spool_entry_take_version(a, "imrf", "bd"), 6);
	spool_abort(&a);
	free(v5);
	free(v3);
}

static void test_entry_paths(void **state)
{
	struct fixture *f = *state;
	struct spool_entry *e = begin(f, "p");
	char *raw = xasprintf("%s/raw.eml", f->elsewhere), *files = spool_entry_path(e, "files");
	char *want = xasprintf("%s/tmp/p/files", f->dir);
	assert_string_equal(files, want);
	assert_int_equal(fsio_replace(raw, "x", 1, 0640, NULL), 0);
	assert_int_equal(spool_entry_link(e, AT_FDCWD, raw, "message.eml"), 0);
	assert_int_equal(spool_entry_link(e, AT_FDCWD, raw, "message.eml"), -1); /* never replaces */
	spool_entry_drop_files(e);
	assert_false(fsio_exists(files));
	spool_abort(&e);
	free(raw);
	free(files);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_versions_handed_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_read_from_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_paths, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
