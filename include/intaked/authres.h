/* authres.h — the Authentication-Results header (RFC 8601) of our own
 * receiving servers: which header counts, and what it says. Pure.
 *
 * Only headers whose authserv-id is one of [mailbox] authserv_id count,
 * and of those only the topmost: a receiving server prepends its header,
 * so one with our name further down was written before the mail reached
 * us, by the sender (RFC 8601 §5 asks the server to remove such headers;
 * not every one does). Comments, quoted strings, the version number, and
 * ptype.property=value are parsed; a header that does not parse counts
 * as no result at all. */
#ifndef INTAKED_AUTHRES_H
#define INTAKED_AUTHRES_H

#include <stdbool.h>
#include "intaked/analysis.h"
#include "intaked/util.h"

struct authres {
	char authserv_id[256];      /* lower-case */
	/* The first result of each method ("pass", "fail", "none", ...) and
	 * the header.from of the first dmarc result; "" if absent. */
	char spf[16], dkim[16], dmarc[16];
	char dmarc_from[256];       /* lower-case */
};

/* Parse one header value. 0, or -1 when it is not of RFC 8601's form
 * (then *r says nothing). */
int authres_parse(const char *value, struct authres *r);
/* The topmost Authentication-Results of a from one of ids (lower-case);
 * 1 found, 0 none (*r zeroed). */
int authres_ours(const struct analysis *a, const struct strlist *ids, struct authres *r);
/* dmarc=pass for the domain of from_addr (the From header's address). */
bool authres_dmarc_pass_for(const struct authres *r, const char *from_addr);

#endif
