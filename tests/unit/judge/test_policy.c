/* test_policy.c — timeliness, status and the word limit (SPEC §5), one row
 * per rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "intaked/policy.h"
#include "intaked/tztime.h"

static time_t at(const char *iso)
{
	time_t t;
	if (tztime_parse_iso8601(iso, &t) != 0)
		fail_msg("bad time in test: %s", iso);
	return t;
}

struct row {
	const char *received;
	const char *member;
	enum late_policy late;
	long grace, words, word_limit;
	bool has_opens;
	enum timeliness want_time;
	enum sub_status want_status;
	int want_extended, want_over;
};

static void test_judge(void **state)
{
	(void)state;
	static const struct row rows[] = {
		/* deadline 2022-03-29T22:00:00Z (6PM EDT), opens 2022-03-01T05:00:00Z */
		{ "2022-02-28T12:00:00Z", NULL, LATE_FLAG, 0, 10, 0, true, TIME_EARLY, STATUS_ACCEPTED, 0, 0 },
		{ "2022-02-28T12:00:00Z", NULL, LATE_FLAG, 0, 10, 0, false, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-01T05:00:00Z", NULL, LATE_FLAG, 0, 10, 0, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T21:59:00Z", NULL, LATE_FLAG, 0, 10, 0, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
		/* At the deadline exactly: still on time. */
		{ "2022-03-29T22:00:00Z", NULL, LATE_REJECT, 0, 10, 0, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T22:00:01Z", NULL, LATE_FLAG, 0, 10, 0, true, TIME_LATE, STATUS_LATE, 0, 0 },
		{ "2022-03-29T22:00:01Z", NULL, LATE_ACCEPT, 0, 10, 0, true, TIME_LATE, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T22:00:01Z", NULL, LATE_REJECT, 0, 10, 0, true, TIME_LATE, STATUS_REJECTED, 0, 0 },
		/* Grace is inclusive, and accepted whatever the late policy. */
		{ "2022-03-29T22:00:01Z", NULL, LATE_REJECT, 900, 10, 0, true, TIME_WITHIN_GRACE, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T22:15:00Z", NULL, LATE_REJECT, 900, 10, 0, true, TIME_WITHIN_GRACE, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T22:15:01Z", NULL, LATE_REJECT, 900, 10, 0, true, TIME_LATE, STATUS_REJECTED, 0, 0 },
		/* Bangladesh's extension (2022-03-31T22:00:00Z) replaces the deadline. */
		{ "2022-03-30T12:00:00Z", "Bangladesh", LATE_REJECT, 0, 10, 0, true, TIME_ON_TIME, STATUS_ACCEPTED, 1, 0 },
		{ "2022-03-30T12:00:00Z", "bangladesh", LATE_REJECT, 0, 10, 0, true, TIME_ON_TIME, STATUS_ACCEPTED, 1, 0 },
		{ "2022-03-31T22:10:00Z", "Bangladesh", LATE_REJECT, 900, 10, 0, true, TIME_WITHIN_GRACE, STATUS_ACCEPTED, 1, 0 },
		{ "2022-03-31T22:20:00Z", "Bangladesh", LATE_FLAG, 900, 10, 0, true, TIME_LATE, STATUS_LATE, 1, 0 },
		{ "2022-03-30T12:00:00Z", "France", LATE_REJECT, 0, 10, 0, true, TIME_LATE, STATUS_REJECTED, 0, 0 },
		/* An extension does not move "opens". */
		{ "2022-02-28T12:00:00Z", "Bangladesh", LATE_FLAG, 0, 10, 0, true, TIME_EARLY, STATUS_ACCEPTED, 1, 0 },
		/* Word limit: over only when a limit is set and words exceed it. */
		{ "2022-03-29T12:00:00Z", NULL, LATE_FLAG, 0, 5000, 5000, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T12:00:00Z", NULL, LATE_FLAG, 0, 5001, 5000, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 1 },
		{ "2022-03-29T12:00:00Z", NULL, LATE_FLAG, 0, 999999, 0, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
		{ "2022-03-29T12:00:00Z", NULL, LATE_FLAG, 0, -1, 10, true, TIME_ON_TIME, STATUS_ACCEPTED, 0, 0 },
	};
	struct extension ext = { .member = (char *)"Bangladesh" };
	ext.deadline = at("2022-03-31T22:00:00Z");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct call_config call = {
			.name = (char *)"imrf-2022",
			.has_opens = r->has_opens,
			.opens = at("2022-03-01T05:00:00Z"),
			.deadline = at("2022-03-29T22:00:00Z"),
			.grace = r->grace,
			.word_limit = r->word_limit,
			.late = r->late,
			.extensions = &ext,
			.n_extensions = 1,
		};
		struct policy_verdict v;
		memset(&v, 0xff, sizeof(v));
		policy_judge(&call, r->member, at(r->received), r->words, &v);
		if (v.timeliness != r->want_time || v.status != r->want_status ||
		    v.extended != r->want_extended || v.over_limit != r->want_over)
			fail_msg("row %zu (%s): got %s/%s ext=%d over=%d", i, r->received,
				 policy_timeliness_name(v.timeliness), policy_status_name(v.status),
				 v.extended, v.over_limit);
		assert_int_equal(v.deadline, r->want_extended ? ext.deadline : call.deadline);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(policy_timeliness_name(TIME_EARLY), "early");
	assert_string_equal(policy_timeliness_name(TIME_ON_TIME), "on_time");
	assert_string_equal(policy_timeliness_name(TIME_WITHIN_GRACE), "within_grace");
	assert_string_equal(policy_timeliness_name(TIME_LATE), "late");
	assert_string_equal(policy_status_name(STATUS_ACCEPTED), "accepted");
	assert_string_equal(policy_status_name(STATUS_LATE), "late");
	assert_string_equal(policy_status_name(STATUS_REJECTED), "rejected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
