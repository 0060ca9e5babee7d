/* libFuzzer: roster CSV through roster_parse, then lookups and slugs. A
 * slug names a spool directory: it must be one safe path component. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/roster.h"

static void check_slug(const char *slug)
{
	if (slug == NULL || slug[0] == '\0' || strcmp(slug, ".") == 0 ||
	    strcmp(slug, "..") == 0 || slug[0] == '.')
		abort();
	for (const char *p = slug; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roster *r = NULL;
	struct err err = { 0 };
	static const char *probe[] = {
		"bangladesh@un.int", "someone@mofa.gov.bd", "x@y", "", "@", "a@b@c",
	};

	if (roster_parse("fuzz.csv", (const char *)data, size, &r, &err) < 0) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < r->n; i++) {
		check_slug(r->members[i].slug);
		(void)roster_find(r, r->members[i].name);
		for (size_t k = 0; k < r->members[i].addresses.n; k++) {
			enum roster_match how;
			const struct roster_member *m =
			    roster_match(r, r->members[i].addresses.v[k], &how);
			if (m == NULL || how != ROSTER_ADDRESS)
				abort(); /* a listed address always matches as an address */
		}
	}
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		enum roster_match how;
		(void)roster_match(r, probe[i], &how);
		(void)roster_match_name(how);
	}
	roster_free(&r);
	if (r != NULL)
		abort();
	/* slugify on the raw input as a name */
	char *name = malloc(size + 1);
	memcpy(name, data, size);
	name[size] = '\0';
	char *slug = roster_slugify(name);
	if (slug[0] != '\0')
		check_slug(slug);
	free(slug);
	char *unk = roster_unknown_slug(name);
	check_slug(unk);
	free(unk);
	free(name);
	return 0;
}
