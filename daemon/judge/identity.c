/* identity.c — roster member and verification of a message's sender. */
#include <string.h>

#include "intaked/authres.h"
#include "intaked/identity.h"

/* The results of our own receiving server (authres.h), and whether they
 * vouch for the From header's domain. */
static bool auth_check(const struct strlist *authserv_ids, const struct analysis *a,
		       struct auth_results *out)
{
	struct authres r;
	memset(out, 0, sizeof(*out));
	if (authserv_ids == NULL || authres_ours(a, authserv_ids, &r) == 0)
		return false;
	memcpy(out->spf, r.spf, sizeof(out->spf));
	memcpy(out->dkim, r.dkim, sizeof(out->dkim));
	memcpy(out->dmarc, r.dmarc, sizeof(out->dmarc));
	return authres_dmarc_pass_for(&r, a->from_addr);
}

void identity_resolve(const struct call_config *call, const struct strlist *authserv_ids,
		      const struct analysis *a, struct identity *id)
{
	memset(id, 0, sizeof(*id));
	bool dmarc_ok = auth_check(authserv_ids, a, &id->auth);
	id->member = roster_match(call->roster, a->from_addr, &id->matched_by);
	if (id->member == NULL) {
		id->slug = roster_unknown_slug(a->from_addr);
		id->verified = false;
		return;
	}
	id->slug = xstrdup(id->member->slug);
	id->verified = call->require_auth == REQUIRE_AUTH_NONE || dmarc_ok;
}

void identity_clear(struct identity *id)
{
	xfree(&id->slug);
	id->member = NULL;
}
