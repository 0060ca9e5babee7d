/* roster.h — the missions of a call: "name,addresses" CSV with a header;
 * addresses are ';'-separated full addresses or "@domain"s. */
#ifndef INTAKED_ROSTER_H
#define INTAKED_ROSTER_H

#include <stddef.h>
#include "intaked/err.h"
#include "intaked/util.h"

struct roster_member {
	char *name;               /* "Bangladesh" */
	char *slug;               /* "bangladesh": safe as a directory name */
	struct strlist addresses; /* full addresses, lower-case */
	struct strlist domains;   /* without '@', lower-case */
};

struct roster {
	struct roster_member *members;
	size_t n;
};

enum roster_match { ROSTER_NONE, ROSTER_ADDRESS, ROSTER_DOMAIN };

/* Errors name "PATH:LINE: ...". Caller frees with roster_free(). */
int roster_load(const char *path, struct roster **roster_r, struct err *err);
/* Same from memory (for tests); name is used in messages. */
int roster_parse(const char *name, const char *csv, size_t len,
		 struct roster **roster_r, struct err *err);
struct roster *roster_new_empty(void);
void roster_free(struct roster **roster);

/* A full address beats a domain; case-insensitive on the address only.
 * Returns a borrowed member or NULL; *how_r says which rule matched. */
const struct roster_member *roster_match(const struct roster *roster,
					 const char *addr, enum roster_match *how_r);
/* By name, case-insensitive (for extend = NAME ...). */
const struct roster_member *roster_find(const struct roster *roster, const char *name);
const char *roster_match_name(enum roster_match how); /* "address"|"domain"|"none" */

/* Directory-safe slug of a name: ASCII letters and digits lower-cased,
 * accents folded, anything else collapsed to '-'. Caller frees. */
char *roster_slugify(const char *name);
/* "unknown-" + 10 hex of sha256(lower-case addr). Caller frees. */
char *roster_unknown_slug(const char *addr);

#endif
