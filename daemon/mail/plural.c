/* plural.c — see plural.h. */
#include <stdbool.h>
#include <string.h>

#include "plural.h"

const char *plural_suffix(const char *lang, long n)
{
	bool french = lang != NULL && strncmp(lang, "fr", 2) == 0;
	if (n < 0)
		n = -n;
	return (french ? n <= 1 : n == 1) ? "_one" : "_other";
}
