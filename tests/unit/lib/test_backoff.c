/* test_backoff.c — the one retry delay: doubling from min to max, jitter
 * within ±20 % of it, the same formula for reconnects and outgoing mail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "intaked/backoff.h"

struct row {
	long min, max;
	int attempts;
	long nominal; /* before jitter */
};

static void test_table(void **state)
{
	(void)state;
	static const struct row rows[] = {
		/* outgoing mail: 1 min doubling to 1 h */
		{ 60, 3600, 1, 60 },
		{ 60, 3600, 2, 120 },
		{ 60, 3600, 3, 240 },
		{ 60, 3600, 6, 1920 },
		{ 60, 3600, 7, 3600 },
		{ 60, 3600, 100, 3600 },
		{ 60, 3600, 0, 60 },          /* no failure counted yet: the minimum */
		/* reconnects: 2 s doubling to 5 min */
		{ 2, 300, 1, 2 },
		{ 2, 300, 2, 4 },
		{ 2, 300, 8, 256 },
		{ 2, 300, 9, 300 },
		{ 2, 300, 1000000, 300 },     /* no overflow however long it fails */
	};
	static const uint32_t rs[] = { 0, 1, 7, 12345, UINT32_MAX };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		long lo = w->nominal - w->nominal / 5, hi = lo + w->nominal * 2 / 5;
		/* r = 0 gives the low end; every r stays within ±20 %. */
		assert_int_equal(backoff_delay(w->min, w->max, w->attempts, 0), lo);
		for (size_t k = 0; k < sizeof(rs) / sizeof(rs[0]); k++) {
			long d = backoff_delay(w->min, w->max, w->attempts, rs[k]);
			if (d < lo || d > hi)
				fail_msg("row %zu r=%u: %ld not in [%ld, %ld]", i, rs[k], d, lo, hi);
		}
		/* the high end is reached */
		assert_int_equal(backoff_delay(w->min, w->max, w->attempts,
					       (uint32_t)(w->nominal * 2 / 5)), hi);
	}
}

static void test_random(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		long d = backoff_next(60, 3600, 1);
		assert_true(d >= 48 && d <= 72);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
