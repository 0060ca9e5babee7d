/* policy.c — timeliness (SPEC §5) and the word limit. */
#include "intaked/policy.h"
#include "intaked/util.h"

static enum timeliness judge_time(const struct call_config *call, time_t deadline,
				  time_t received)
{
	if (call->has_opens && received < call->opens)
		return TIME_EARLY;
	if (received <= deadline)
		return TIME_ON_TIME;
	if (call->grace > 0 && received - deadline <= call->grace)
		return TIME_WITHIN_GRACE;
	return TIME_LATE;
}

static enum sub_status status_for(enum timeliness t, enum late_policy late)
{
	if (t != TIME_LATE)
		return STATUS_ACCEPTED;
	switch (late) {
	case LATE_ACCEPT: return STATUS_ACCEPTED;
	case LATE_REJECT: return STATUS_REJECTED;
	default: return STATUS_LATE;
	}
}

void policy_judge(const struct call_config *call, const char *member_name,
		  time_t received, long words, struct policy_verdict *v)
{
	v->deadline = config_deadline_for(call, member_name);
	v->extended = v->deadline != call->deadline;
	v->timeliness = judge_time(call, v->deadline, received);
	v->status = status_for(v->timeliness, call->late);
	v->over_limit = call->word_limit > 0 && words >= 0 && words > call->word_limit;
}

const char *policy_timeliness_name(enum timeliness t)
{
	switch (t) {
	case TIME_EARLY: return "early";
	case TIME_ON_TIME: return "on_time";
	case TIME_WITHIN_GRACE: return "within_grace";
	default: return "late";
	}
}

const char *policy_status_name(enum sub_status s)
{
	switch (s) {
	case STATUS_ACCEPTED: return "accepted";
	case STATUS_LATE: return "late";
	default: return "rejected";
	}
}
