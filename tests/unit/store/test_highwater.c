/* test_highwater.c — the per-folder high-water mark: candidates from a
 * search, advancing over filed messages, unfiled ones kept for retry
 * (and forgotten once gone), the retry limit, and the record on disk
 * (kept per folder and UIDVALIDITY, damage tolerated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intaked/fsio.h"
#include "intaked/highwater.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "intaked/util.h"

/* The "ledger": UIDs below 1000 that are multiples of 7 are not filed. */
static bool filed_unless_7(uint32_t uid, void *arg)
{
	(void)arg;
	return uid >= 1000 || uid % 7 != 0;
}

static bool filed_all(uint32_t uid, void *arg)
{
	(void)uid;
	(void)arg;
	return true;
}

static bool filed_none(uint32_t uid, void *arg)
{
	(void)uid;
	(void)arg;
	return false;
}

static void test_advance_and_retry(void **state)
{
	(void)state;
	struct highwater hw = { .uidvalidity = 5 };
	uint32_t found[] = { 3, 5, 7, 8, 14, 20 };
	size_t n = highwater_candidates(&hw, found, 6);
	assert_int_equal(n, 6);
	assert_true(highwater_advance(&hw, found, 3, filed_unless_7, NULL));
	assert_int_equal(hw.mark, 7);
	assert_int_equal(hw.nretry, 1);
	assert_int_equal(hw.retry[0], 7);
	highwater_advance(&hw, found + 3, 3, filed_unless_7, NULL);
	assert_int_equal(hw.mark, 20);
	assert_int_equal(hw.nretry, 2);
	assert_int_equal(hw.retry[1], 14);

	/* Next pass: the server finds 7 (still there), not 14 (expunged),
	 * and, for 21:*, the highest UID 20 again (RFC 3501's N:*). */
	uint32_t again[] = { 7, 20 };
	n = highwater_candidates(&hw, again, 2);
	assert_int_equal(n, 1);
	assert_int_equal(again[0], 7);
	assert_int_equal(hw.nretry, 1);
	/* Filed now (a smaller limit, another attempt): out of retry. */
	assert_true(highwater_advance(&hw, again, 1, filed_all, NULL));
	assert_int_equal(hw.nretry, 0);
	assert_int_equal(hw.mark, 20);
	/* Nothing changes when nothing new is filed. */
	assert_false(highwater_advance(&hw, again, 0, filed_all, NULL));
	highwater_clear(&hw);
}

static void test_retry_full_stops_the_mark(void **state)
{
	(void)state;
	struct highwater hw = { .uidvalidity = 1 };
	size_t n = HIGHWATER_RETRY_MAX + 10;
	uint32_t *uids = xcalloc(n, sizeof(*uids));
	for (size_t i = 0; i < n; i++)
		uids[i] = (uint32_t)(i + 1);
	highwater_advance(&hw, uids, n, filed_none, NULL);
	assert_int_equal(hw.nretry, HIGHWATER_RETRY_MAX);
	assert_int_equal(hw.mark, HIGHWATER_RETRY_MAX);
	assert_true(hw.full);
	/* Filed ones above the stuck mark do not move it in this pass. */
	uint32_t later = (uint32_t)n + 5;
	highwater_advance(&hw, &later, 1, filed_all, NULL);
	assert_int_equal(hw.mark, HIGHWATER_RETRY_MAX);
	free(uids);
	highwater_clear(&hw);
}

static void test_record_on_disk(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_highwater.XXXXXX";
	struct spool *sp = NULL;
	struct err err = { 0 };
	struct highwater hw;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_open(dir, &sp, &err), 0);

	highwater_load(sp, "INBOX", 42, &hw);
	assert_false(hw.known);
	assert_int_equal(hw.mark, 0);
	uint32_t uids[] = { 1, 7, 9 };
	highwater_advance(&hw, uids, 3, filed_unless_7, NULL);
	hw.marked = 9;
	assert_int_equal(highwater_save(sp, "INBOX", &hw, &err), 0);
	highwater_clear(&hw);
	highwater_load(sp, "Entr\xc3\xa9" "es", 3, &hw);
	hw.mark = 4;
	assert_int_equal(highwater_save(sp, "Entr\xc3\xa9" "es", &hw, &err), 0);
	highwater_clear(&hw);

	highwater_load(sp, "INBOX", 42, &hw);
	assert_true(hw.known);
	assert_int_equal(hw.mark, 9);
	assert_int_equal(hw.marked, 9);
	assert_int_equal(hw.nretry, 1);
	assert_int_equal(hw.retry[0], 7);
	highwater_clear(&hw);
	/* Another UIDVALIDITY: every UID names another message. */
	highwater_load(sp, "INBOX", 43, &hw);
	assert_false(hw.known);
	assert_int_equal(hw.mark, 0);
	assert_int_equal(hw.nretry, 0);
	highwater_clear(&hw);
	highwater_load(sp, "Entr\xc3\xa9" "es", 3, &hw);
	assert_int_equal(hw.mark, 4);
	highwater_clear(&hw);

	/* Damaged records: from UID 1 again (the ledger refiles nothing). */
	char *path = xasprintf("%s/state/highwater", dir);
	const char *bad[] = {
		"{",
		"{\"INBOX\": {\"uidvalidity\": 42, \"mark\": 9, \"marked\": 9, \"retry\": [10]}}",
		"{\"INBOX\": {\"uidvalidity\": 42, \"mark\": 9, \"marked\": 9, \"retry\": [5, 3]}}",
		"{\"INBOX\": {\"uidvalidity\": 42, \"mark\": -1, \"marked\": 0, \"retry\": []}}",
		"{\"INBOX\": {\"uidvalidity\": 42, \"mark\": \"9\", \"marked\": 0}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fsio_replace(path, bad[i], strlen(bad[i]), 0640, &err), 0);
		highwater_load(sp, "INBOX", 42, &hw);
		if (hw.known || hw.mark != 0 || hw.nretry != 0)
			fail_msg("damaged record %zu taken: mark %u", i, hw.mark);
		highwater_clear(&hw);
	}
	free(path);
	spool_close(&sp);
	fsio_rmtree(dir);
}

int main(void)
{
	log_init("test_highwater", false, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_advance_and_retry),
		cmocka_unit_test(test_retry_full_stops_the_mark),
		cmocka_unit_test(test_record_on_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
