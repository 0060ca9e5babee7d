/* policy.h — timeliness and the resulting status. Pure: the receipt time is
 * the server's INTERNALDATE, never the clock. */
#ifndef INTAKED_POLICY_H
#define INTAKED_POLICY_H

#include <time.h>
#include "intaked/config.h"

enum timeliness { TIME_EARLY, TIME_ON_TIME, TIME_WITHIN_GRACE, TIME_LATE };
enum sub_status { STATUS_ACCEPTED, STATUS_LATE, STATUS_REJECTED };

struct policy_verdict {
	enum timeliness timeliness;
	enum sub_status status;
	time_t deadline;          /* effective: extension or the call's */
	int extended;             /* 1 if a per-mission extension applied */
	int over_limit;
};

/* member_name: the roster member (for extensions) or NULL. words < 0 means
 * not counted (never over the limit). */
void policy_judge(const struct call_config *call, const char *member_name,
		  time_t received, long words, struct policy_verdict *v);
const char *policy_timeliness_name(enum timeliness t); /* "early" "on_time" ... */
const char *policy_status_name(enum sub_status s);     /* "accepted" "late" "rejected" */

#endif
