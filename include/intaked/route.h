/* route.h — which call a message is for. Pure.
 * Precedence, most specific first: Delivered-To, X-Original-To, To, Cc
 * (each an exact or plus-address match on match_to), then the subject tag
 * (match_subject). Within one level, a call that also matches the subject
 * beats one that does not; then an exact address beats a "+tag" match of a
 * bare match_to (inputs+imrf@ goes to the call that names it, not to one
 * that takes any inputs+...@); a remaining tie goes to the call listed
 * first. Every other call that matched at all is listed in also[]. */
#ifndef INTAKED_ROUTE_H
#define INTAKED_ROUTE_H

#include <stddef.h>
#include "intaked/analysis.h"
#include "intaked/config.h"

#define ROUTE_MAX_ALSO 8

struct route_result {
	int call;                 /* index into cfg->calls, -1: no match */
	const char *matched_by;   /* "delivered-to" "x-original-to" "to" "cc"
				   * "subject", or NULL */
	int also[ROUTE_MAX_ALSO]; /* other calls that matched, by index */
	size_t n_also;
};

void route_message(const struct config *cfg, const struct analysis *a,
		   struct route_result *r);

#endif
