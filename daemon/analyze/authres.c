/* authres.c — Authentication-Results (RFC 8601 §2.2), parsed with a
 * cursor over the header value:
 *
 *   authserv-id [CFWS version] ( [CFWS] ";" [CFWS] "none"
 *                              / 1*( [CFWS] ";" method["/"ver] "=" result
 *                                    [reason=value] *(ptype.property=value) ) )
 *
 * CFWS is blanks and comments, which nest and quote with backslashes: a
 * "dmarc=pass" inside a comment is no result. */
#include <ctype.h>
#include <string.h>

#include "intaked/authres.h"

struct cur {
	const char *p;
	bool bad;
};

/* Blanks and (nested) comments. An unclosed comment makes the header bad. */
static void skip_cfws(struct cur *c)
{
	for (;;) {
		while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
			c->p++;
		if (*c->p != '(')
			return;
		int depth = 0;
		do {
			if (*c->p == '\\' && c->p[1] != '\0')
				c->p++;
			else if (*c->p == '(')
				depth++;
			else if (*c->p == ')')
				depth--;
			c->p++;
		} while (depth > 0 && *c->p != '\0');
		if (depth > 0) {
			c->bad = true;
			return;
		}
	}
}

static bool keyword_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_';
}

/* A MIME token (RFC 2045): anything but controls, blanks and tspecials. */
static bool token_char(char ch)
{
	return (unsigned char)ch > 0x20 && (unsigned char)ch < 0x7F &&
	       strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* Copy into out (lower-case, cut to n-1) what the cursor spans while
 * pred holds; false if it spans nothing. */
static bool take(struct cur *c, bool (*pred)(char), char *out, size_t n)
{
	size_t k = 0;
	const char *start = c->p;
	while (*c->p && pred(*c->p)) {
		if (k + 1 < n)
			out[k++] = (char)tolower((unsigned char)*c->p);
		c->p++;
	}
	out[k] = '\0';
	return c->p != start;
}

static bool quoted(struct cur *c, char *out, size_t n)
{
	size_t k = 0;
	if (*c->p != '"')
		return false;
	for (c->p++; *c->p && *c->p != '"'; c->p++) {
		if (*c->p == '\\' && c->p[1] != '\0')
			c->p++;
		if (k + 1 < n)
			out[k++] = (char)tolower((unsigned char)*c->p);
	}
	out[k] = '\0';
	if (*c->p != '"')
		return false;
	c->p++;
	return true;
}

/* value: a token or a quoted string. */
static bool value(struct cur *c, char *out, size_t n)
{
	return quoted(c, out, n) || take(c, token_char, out, n);
}

/* A property's value: a value, or [local-part] "@" domain (tokens with '@'). */
static bool pvalue_char(char ch)
{
	return token_char(ch) || ch == '@';
}

static bool expect(struct cur *c, char ch)
{
	skip_cfws(c);
	if (*c->p != ch)
		return false;
	c->p++;
	skip_cfws(c);
	return !c->bad;
}

/* reason=value and ptype.property=value pairs up to the next ';'. */
static bool properties(struct cur *c, bool is_dmarc, struct authres *r, bool first_dmarc)
{
	char ptype[32], prop[64], val[256];
	for (;;) {
		skip_cfws(c);
		if (c->bad)
			return false;
		if (*c->p == ';' || *c->p == '\0')
			return true;
		if (!take(c, keyword_char, ptype, sizeof(ptype)))
			return false;
		if (strcmp(ptype, "reason") == 0) {
			if (!expect(c, '=') || !value(c, val, sizeof(val)))
				return false;
			continue;
		}
		if (!expect(c, '.') || !take(c, keyword_char, prop, sizeof(prop)) ||
		    !expect(c, '=') || !(quoted(c, val, sizeof(val)) ||
					 take(c, pvalue_char, val, sizeof(val))))
			return false;
		if (is_dmarc && first_dmarc && strcmp(ptype, "header") == 0 &&
		    strcmp(prop, "from") == 0)
			memcpy(r->dmarc_from, val, sizeof(r->dmarc_from));
	}
}

static void note_result(struct authres *r, const char *method, const char *result)
{
	char *slot = strcmp(method, "spf") == 0 ? r->spf :
		     strcmp(method, "dkim") == 0 ? r->dkim :
		     strcmp(method, "dmarc") == 0 ? r->dmarc : NULL;
	if (slot != NULL && slot[0] == '\0')
		memcpy(slot, result, sizeof(r->spf)); /* both hold 16 bytes, NUL included */
}

/* One resinfo after its ';': method[/version]=result and its properties. */
static bool resinfo(struct cur *c, struct authres *r)
{
	char method[32], ver[16], result[sizeof(r->spf)];
	skip_cfws(c);
	if (!take(c, keyword_char, method, sizeof(method)))
		return false;
	skip_cfws(c);
	if (*c->p == '/') {
		if (!expect(c, '/') || !take(c, keyword_char, ver, sizeof(ver)))
			return false;
	}
	if (!expect(c, '=') || !take(c, keyword_char, result, sizeof(result)))
		return false;
	bool first_dmarc = strcmp(method, "dmarc") == 0 && r->dmarc[0] == '\0';
	note_result(r, method, result);
	return properties(c, strcmp(method, "dmarc") == 0, r, first_dmarc);
}

static bool all_digits(char ch)
{
	return isdigit((unsigned char)ch) != 0;
}

int authres_parse(const char *v, struct authres *r)
{
	struct cur c = { v ? v : "", false };
	char ver[16];
	memset(r, 0, sizeof(*r));
	skip_cfws(&c);
	if (c.bad || !value(&c, r->authserv_id, sizeof(r->authserv_id)))
		goto bad;
	skip_cfws(&c);
	/* Only version 1 exists; a header of another version is not ours to read. */
	if (take(&c, all_digits, ver, sizeof(ver)) && strcmp(ver, "1") != 0)
		goto bad;
	skip_cfws(&c);
	if (c.bad || *c.p != ';')
		goto bad;
	while (*c.p == ';') {
		c.p++;
		skip_cfws(&c);
		char word[8];
		struct cur peek = c;
		/* "; none": no method was applied. */
		if (take(&peek, keyword_char, word, sizeof(word)) && strcmp(word, "none") == 0) {
			skip_cfws(&peek);
			if (*peek.p == '\0') {
				c = peek;
				break;
			}
		}
		if (!resinfo(&c, r))
			goto bad;
		skip_cfws(&c);
		if (c.bad)
			goto bad;
	}
	if (*c.p != '\0')
		goto bad;
	return 0;
bad:
	{
		char id[256];
		memcpy(id, r->authserv_id, sizeof(id));
		memset(r, 0, sizeof(*r));
		memcpy(r->authserv_id, id, sizeof(id));
	}
	return -1;
}

int authres_ours(const struct analysis *a, const struct strlist *ids, struct authres *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < a->nheaders; i++) {
		if (!str_ieq(a->headers[i].name, "Authentication-Results"))
			continue;
		struct authres h;
		int rc = authres_parse(a->headers[i].value, &h);
		if (!strlist_contains_ci(ids, h.authserv_id))
			continue;
		/* The topmost of ours decides, even when it does not parse:
		 * a lower one may be the sender's. */
		if (rc == 0)
			*r = h;
		return 1;
	}
	return 0;
}

bool authres_dmarc_pass_for(const struct authres *r, const char *from_addr)
{
	const char *at = from_addr ? strrchr(from_addr, '@') : NULL;
	return at != NULL && strcmp(r->dmarc, "pass") == 0 && r->dmarc_from[0] != '\0' &&
	       str_ieq(r->dmarc_from, at + 1);
}
