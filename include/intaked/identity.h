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

/* Resolve the sender of a against call. auth: the results of our own
 * receiving servers (authserv_ids, [mailbox] authserv_id; see authres.h):
 * with require_auth = dmarc a member is verified only by a dmarc=pass
 * for the From header's domain. Frees nothing of its inputs; the
 * result's slug is owned: identity_clear(). */
void identity_resolve(const struct call_config *call, const struct strlist *authserv_ids,
		      const struct analysis *a, struct identity *id);
void identity_clear(struct identity *id);

#endif
