/* test_uidvalidity.c — new, unchanged and changed UIDVALIDITY per folder,
 * kept across reopenings, and a damaged record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "intaked/uidvalidity.h"
#include "intaked/util.h"

struct step {
	const char *folder;
	uint32_t value;
	int rc;
	uint32_t old;
};

static const struct step steps[] = {
	{ "INBOX", 100, 0, 0 },          /* first sight */
	{ "INBOX", 100, 0, 0 },          /* unchanged */
	{ "Submissions/2022", 7, 0, 0 }, /* another folder */
	{ "INBOX", 4000000000u, 1, 100 },/* recreated */
	{ "INBOX", 4000000000u, 0, 0 },
	{ "Submissions/2022", 8, 1, 7 },
	{ "Entr\xc3\xa9" "es", 1, 0, 0 },    /* UTF-8 names are plain keys */
};

static void test_sequence(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_uidvalidity.XXXXXX";
	struct spool *sp = NULL;
	struct err err = { 0 };
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_open(dir, &sp, &err), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint32_t old = 12345;
		int rc = uidvalidity_check(sp, steps[i].folder, steps[i].value, &old, &err);
		if (rc != steps[i].rc || old != steps[i].old)
			fail_msg("step %zu: rc %d old %u, want %d %u", i, rc, old, steps[i].rc,
				 steps[i].old);
	}
	/* Damaged: replaced, and the folder counts as new. */
	char *path = xasprintf("%s/state/uidvalidity", dir);
	assert_int_equal(fsio_replace(path, "[", 1, 0640, &err), 0);
	assert_int_equal(uidvalidity_check(sp, "INBOX", 5, NULL, &err), 0);
	assert_int_equal(uidvalidity_check(sp, "INBOX", 6, NULL, &err), 1);
	free(path);
	spool_close(&sp);
	fsio_rmtree(dir);
}

int main(void)
{
	log_init("test_uidvalidity", false, 0);
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_sequence) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
