/* libFuzzer: SPEC §4's word counter on arbitrary bytes. Filtering a body
 * only removes lines, so it can never count more than the whole text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/wordcount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);

	long all = wordcount_text((const char *)data, size);
	long text = wordcount_text(s, len);
	long body = wordcount_body(s);
	char *filtered = wordcount_body_filter(s);
	if (all < 0 || text < 0 || body < 0 || text > all)
		abort();
	if (body != wordcount_text(filtered, strlen(filtered)))
		abort();
	if (body > text)
		abort();
	free(filtered);
	free(s);
	return 0;
}
