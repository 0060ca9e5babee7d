/* address.c — sender addresses read as mail clients read them, compared in
 * one canonical form (domain as a lower-case IDNA A-label, via libidn2).
 *
 * Why not GMime's address list parser alone: missions' mail systems write
 * display names with unquoted specials ("Smith, John <j@x>", "Mission
 * [Geneva] <a@x>", "Dept; Foreign Affairs <d@x>"). Read strictly, those
 * are several mailboxes, the first without a domain: the daemon recorded
 * an empty or wrong sender and merged different missions into one. Mail
 * clients show the angle-addr; so do we. */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intaked/address.h"
#include "intaked/util.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* Lower-case A-label of a domain, or the domain lower-cased when IDNA
 * refuses it (then the address is shown but never written to). */
static char *domain_a_label(const char *domain)
{
	char *lower = xstrdup(domain);
	char *out = NULL;
	str_lower(lower);
	if (lower[0] == '[' || (!has_non_ascii(lower) && strstr(lower, "xn--") == NULL))
		return lower;
	if (idn2_to_ascii_8z(lower, &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) == IDN2_OK) {
		free(lower);
		lower = xstrdup(out);
		str_lower(lower);
	}
	idn2_free(out);
	return lower;
}

char *address_canonical(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	if (at == NULL || at == addr || at[1] == '\0')
		return NULL;
	char *domain = domain_a_label(at + 1);
	char *out = xasprintf("%.*s@%s", (int)(at - addr), addr, domain);
	free(domain);
	return out;
}

char *address_display(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	char *out = NULL;
	if (at == NULL || strstr(at, "xn--") == NULL)
		return xstrdup(addr != NULL ? addr : "");
	if (idn2_to_unicode_8z8z(at + 1, &out, 0) != IDN2_OK) {
		idn2_free(out);
		return xstrdup(addr);
	}
	char *s = xasprintf("%.*s@%s", (int)(at - addr), addr, out);
	idn2_free(out);
	return s;
}

char *address_sender_key(const char *addr)
{
	char *canon = address_canonical(addr);
	char *s = canon != NULL ? canon : xstrdup(addr != NULL ? addr : "");
	char *at = strrchr(s, '@');
	char *plus = strchr(s, '+');
	if (at != NULL && plus != NULL && plus < at && plus > s)
		memmove(plus, at, strlen(at) + 1);
	str_lower(s);
	return s;
}

/* ---- header scanning ---------------------------------------------------- */

/* Past a quoted string (p at the opening quote); at the end if unclosed. */
static const char *skip_quoted(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return *p ? p + 1 : p;
}

/* Past a (nested) comment (p at the opening parenthesis). */
static const char *skip_comment(const char *p)
{
	int depth = 0;
	for (; *p; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;
}

/* "local@domain" that could be someone's mailbox: a local part with no
 * unquoted blank or bracket, a domain of atoms (or a [literal]). */
static bool plausible(const char *s)
{
	const char *at = strrchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0')
		return false;
	for (const char *p = s; p < at; p++) {
		if (*p == '"') {
			p = skip_quoted(p) - 1;
			if (p >= at)
				return false;
		} else if (is_blank(*p) || strchr("<>()[],;:\\", *p) != NULL) {
			return false;
		}
	}
	if (at[1] == '[')
		return s[strlen(s) - 1] == ']';
	for (const char *p = at + 1; *p; p++)
		if (is_blank(*p) || strchr("<>()[],;:\\\"@", *p) != NULL)
			return false;
	return true;
}

/* Blanks off both ends, in place. */
static char *trimmed(char *s)
{
	char *e = s + strlen(s);
	while (is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

/* The text of an angle-addr (lt at '<'), route ("@a,@b:") dropped; NULL
 * if the bracket is not closed. */
static char *angle_text(const char *lt, const char **end_r)
{
	const char *p = lt + 1;
	while (*p && *p != '>') {
		if (*p == '"')
			p = skip_quoted(p);
		else
			p++;
	}
	if (*p != '>')
		return NULL;
	*end_r = p + 1;
	char *raw = xstrndup(lt + 1, (size_t)(p - lt - 1));
	char *t = trimmed(raw);
	if (*t == '@' && strchr(t, ':') != NULL)
		t = strchr(t, ':') + 1;
	char *out = xstrdup(trimmed(t));
	free(raw);
	return out;
}

/* First plausible angle-addr; *name_r gets what precedes it. */
static char *first_angle_addr(const char *value, char **name_r)
{
	const char *p = value, *start = value;
	while (*p) {
		if (*p == '"') {
			p = skip_quoted(p);
		} else if (*p == '(') {
			p = skip_comment(p);
		} else if (*p == '<') {
			const char *end;
			char *a = angle_text(p, &end);
			if (a != NULL && plausible(a)) {
				char *n = xstrndup(start, (size_t)(p - start));
				*name_r = xstrdup(trimmed(n));
				free(n);
				return a;
			}
			free(a);
			p = a != NULL ? end : p + 1;
			start = p; /* a bogus <...> is not part of the next name */
		} else {
			p++;
		}
	}
	return NULL;
}

/* Without an angle-addr: the first addr-spec between separators, with
 * comments left out ("j@x.org (John)", "Group: a@x.org;"). */
static char *first_bare_addr(const char *value)
{
	struct buf b;
	buf_init(&b, strlen(value) + 1);
	char *found = NULL;
	for (const char *p = value;; ) {
		if (*p == '\0' || *p == ',' || *p == ';' || *p == ':') {
			buf_append(&b, "", 0);
			char *t = trimmed(b.data);
			if (found == NULL && plausible(t))
				found = xstrdup(t);
			b.len = 0;
			if (*p == '\0' || found != NULL)
				break;
			p++;
		} else if (*p == '(') {
			p = skip_comment(p);
			buf_append(&b, " ", 1);
		} else {
			const char *q = *p == '"' ? skip_quoted(p) : p + 1;
			buf_append(&b, p, (size_t)(q - p));
			p = q;
		}
	}
	buf_free(&b);
	return found;
}

char *address_from_header(const char *value, char **name_r)
{
	char *name = NULL;
	char *addr = value != NULL ? first_angle_addr(value, &name) : NULL;
	if (addr == NULL && value != NULL)
		addr = first_bare_addr(value);
	char *canon = addr != NULL ? address_canonical(addr) : NULL;
	free(addr);
	if (name_r != NULL)
		*name_r = name != NULL ? name : xstrdup("");
	else
		free(name);
	return canon;
}

int address_matches(const char *addr, const char *want)
{
	if (addr == NULL || want == NULL || *want == '\0')
		return 0;
	if (str_ieq(addr, want))
		return 1;
	const char *wat = strrchr(want, '@'), *aat = strrchr(addr, '@');
	if (wat == NULL || aat == NULL || !str_ieq(aat, wat))
		return 0;
	size_t wlocal = (size_t)(wat - want);
	/* A tagged want ("inputs+imrf@") asks for exactly that address. */
	if (memchr(want, '+', wlocal) != NULL)
		return 0;
	return (size_t)(aat - addr) > wlocal + 1 && addr[wlocal] == '+' &&
	       strncasecmp(addr, want, wlocal) == 0;
}
