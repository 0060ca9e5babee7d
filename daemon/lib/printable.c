/* printable.c — text from a sender made safe to show on a terminal. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unistr.h>

#include "intaked/printable.h"
#include "intaked/util.h"

/* Characters that would move the cursor, recolour the terminal, or reorder
 * what follows them. */
static bool invisible_control(ucs4_t u)
{
	return u < 0x20 || (u >= 0x7f && u < 0xa0) || u == 0x061c || u == 0x200e ||
	       u == 0x200f || (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
}

char *printable_copy(const char *s)
{
	struct buf b;
	buf_init(&b, 1u << 24);
	if (s == NULL)
		s = "";
	const uint8_t *p = (const uint8_t *)s;
	size_t left = strlen(s);
	while (left > 0) {
		ucs4_t u;
		int n = u8_mbtouc(&u, p, left);
		if (u == 0xfffd || invisible_control(u)) {
			if (buf_puts(&b, u == '\t' ? " " : "\xef\xbf\xbd") < 0)
				break;
		} else if (buf_append(&b, p, (size_t)n) < 0) {
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	return buf_steal(&b);
}
