/* libFuzzer: attachment names. Whatever a sender writes, the result is one
 * plain, non-hidden path component without control bytes, valid UTF-8,
 * within the byte cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/sanitize.h"

static void check_name(const char *n, size_t cap)
{
	size_t len = strlen(n);
	if (len == 0 || len > cap || n[0] == '.' || n[0] == '-' || strchr(n, '/') ||
	    strchr(n, '\\') || strcmp(n, "..") == 0)
		abort();
	/* no bidi overrides or isolates (U+202A..U+202E, U+2066..U+2069) */
	for (const char *p = n; (p = strstr(p, "\xe2\x80")) != NULL; p++)
		if ((unsigned char)p[2] >= 0xaa && (unsigned char)p[2] <= 0xae)
			abort();
	for (const char *p = n; (p = strstr(p, "\xe2\x81")) != NULL; p++)
		if ((unsigned char)p[2] >= 0xa6 && (unsigned char)p[2] <= 0xa9)
			abort();
	for (const unsigned char *p = (const unsigned char *)n; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	char *again = sanitize_utf8(n, len);
	if (strcmp(again, n) != 0)
		abort(); /* already valid UTF-8 */
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	char *name = sanitize_filename(s, "attachment", 0);
	check_name(name, 100); /* 0: the default cap */
	free(name);
	name = sanitize_filename(s, "attachment", 40);
	check_name(name, 40);
	free(name);
	char *u = sanitize_utf8((const char *)data, size);
	free(u);
	free(s);
	return 0;
}
