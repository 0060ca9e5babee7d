/* identity.h — who sent a message: the roster member its From address
 * belongs to (never its display name), and whether the call's require_auth
 * lets us call that verified. Pure. */
#ifndef INTAKED_IDENTITY_H
#define INTAKED_IDENTITY_H

#include <stdbool.h>
#include "intaked/analysis.h"
#include "intaked/config.h"
#include "intaked/roster.h"

struct auth_results {
	char spf[16], dkim[16], dmarc[16]; /* "pass" "fail" "none" ..., "" if absent */
};

struct identity {
	const struct roster_member *member; /* borrowed from the call's roster, or NULL */
	enum roster_match matched_by;
	char *slug;                         /* member slug or unknown-HASH; owned */
	bool verified;
	struct auth_results auth;
};

/* Parse the topmost Authentication-Results header (the one our own MTA
 * added; lower ones may be forged by the sender). value may be NULL. */
void identity_parse_auth_results(const char *value, struct auth_results *ar);
/* Resolve the sender of a against call. Frees nothing of its inputs; the
 * result's slug is owned: identity_clear(). */
void identity_resolve(const struct call_config *call, const struct analysis *a,
		      struct identity *id);
void identity_clear(struct identity *id);

#endif
