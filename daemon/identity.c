/* identity.c — roster member and verification of a message's sender. */
#include <string.h>

#include "intaked/identity.h"

/* Copy the result word after "method=" (e.g. "pass") into out. */
static void auth_method_result(const char *value, const char *method, char *out, size_t n)
{
	size_t mlen = strlen(method);
	out[0] = '\0';
	for (const char *p = value; (p = str_icase_find(p, method)) != NULL; p += mlen) {
		bool word_start = p == value || strchr(" \t;(", p[-1]) != NULL;
		if (!word_start || p[mlen] != '=')
			continue;
		const char *v = p + mlen + 1;
		size_t k = 0;
		while (v[k] && k + 1 < n && strchr(" \t;()", v[k]) == NULL)
			k++;
		memcpy(out, v, k);
		out[k] = '\0';
		str_lower(out);
		return;
	}
}

void identity_parse_auth_results(const char *value, struct auth_results *ar)
{
	memset(ar, 0, sizeof(*ar));
	if (value == NULL)
		return;
	auth_method_result(value, "spf", ar->spf, sizeof(ar->spf));
	auth_method_result(value, "dkim", ar->dkim, sizeof(ar->dkim));
	auth_method_result(value, "dmarc", ar->dmarc, sizeof(ar->dmarc));
}

void identity_resolve(const struct call_config *call, const struct analysis *a,
		      struct identity *id)
{
	memset(id, 0, sizeof(*id));
	identity_parse_auth_results(analysis_header(a, "Authentication-Results"), &id->auth);
	id->member = roster_match(call->roster, a->from_addr, &id->matched_by);
	if (id->member == NULL) {
		id->slug = roster_unknown_slug(a->from_addr);
		id->verified = false;
		return;
	}
	id->slug = xstrdup(id->member->slug);
	id->verified = call->require_auth == REQUIRE_AUTH_NONE ||
		       strcmp(id->auth.dmarc, "pass") == 0;
}

void identity_clear(struct identity *id)
{
	xfree(&id->slug);
	id->member = NULL;
}
