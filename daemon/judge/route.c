/* route.c — which call a message is for (precedence in route.h). */
#include <string.h>
#include <strings.h>

#include "intaked/address.h"
#include "intaked/route.h"
#include "intaked/util.h"

/* 2: some address equals a wanted one; 1: only with a "+tag"; 0: none. */
static int list_matches(const struct strlist *addrs, const struct strlist *wants)
{
	int best = 0;
	for (size_t i = 0; i < addrs->n; i++)
		for (size_t j = 0; j < wants->n; j++)
			if (address_matches(addrs->v[i], wants->v[j]))
				best = str_ieq(addrs->v[i], wants->v[j]) ? 2 : best > 1 ? best : 1;
	return best;
}

static int subject_matches(const struct call_config *call, const char *subject)
{
	if (subject == NULL)
		return 0;
	for (size_t i = 0; i < call->match_subject.n; i++)
		if (str_icase_find(subject, call->match_subject.v[i]) != NULL)
			return 1;
	return 0;
}

struct level {
	const char *name;
	const struct strlist *addrs;
};

static void add_also(struct route_result *r, int call)
{
	if (call == r->call || r->n_also >= ROUTE_MAX_ALSO)
		return;
	for (size_t i = 0; i < r->n_also; i++)
		if (r->also[i] == call)
			return;
	r->also[r->n_also++] = call;
}

void route_message(const struct config *cfg, const struct analysis *a,
		   struct route_result *r)
{
	const struct level levels[] = {
		{ "delivered-to", &a->delivered_to },
		{ "x-original-to", &a->original_to },
		{ "to", &a->to },
		{ "cc", &a->cc },
	};
	memset(r, 0, sizeof(*r));
	r->call = -1;
	/* Best: lowest level with an address match; then the subject; then an
	 * exact address over a "+tag" one; then the order of the configuration. */
	int best_level = -1, best_exact = 0, best_subject = 0;
	for (size_t c = 0; c < cfg->ncalls; c++) {
		const struct call_config *call = &cfg->calls[c];
		int subj = subject_matches(call, a->subject);
		int level = -1, exact = 0;
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]) && level < 0; l++)
			if ((exact = list_matches(levels[l].addrs, &call->match_to)) > 0)
				level = (int)l;
		if (level < 0 && !subj)
			continue;
		int rank = level >= 0 ? level : (int)(sizeof(levels) / sizeof(levels[0]));
		int better = r->call < 0 || rank < best_level ||
			     (rank == best_level && subj && !best_subject) ||
			     (rank == best_level && subj == best_subject && exact > best_exact);
		if (better) {
			int previous = r->call;
			r->call = (int)c;
			if (previous >= 0)
				add_also(r, previous);
			best_level = rank;
			best_exact = exact;
			best_subject = subj;
			r->matched_by = level >= 0 ? levels[level].name : "subject";
		} else {
			add_also(r, (int)c);
		}
	}
}
