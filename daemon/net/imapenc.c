/* imapenc.c — IMAP's own encodings, kept pure for tests: INTERNALDATE
 * fields to an instant, folder names to modified UTF-7. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapenc.h"
#include "intaked/util.h"

/* The instant of y-m-d 00:00 UTC, or -1 when that date does not exist
 * (timegm() would roll "February 30" over into March). */
static int midnight_utc(int year, int month, int day, long long *t_r)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day };
	time_t t = timegm(&tm);
	if (tm.tm_year != year - 1900 || tm.tm_mon != month - 1 || tm.tm_mday != day)
		return -1;
	*t_r = (long long)t;
	return 0;
}

int imapenc_date_to_time(int year, int month, int day, int hour, int min, int sec,
			 int zone, time_t *t_r)
{
	int az = zone < 0 ? -zone : zone;
	long long t;
	if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60 || az > 2359 ||
	    az % 100 > 59 || midnight_utc(year, month, day, &t) < 0)
		return -1;
	/* The time of day is added here, not given to timegm(): a leap
	 * second (:60) rolls over instead of failing the date check. */
	t += hour * 3600LL + min * 60LL + sec;
	long long offset = (az / 100) * 3600LL + (az % 100) * 60LL;
	/* 10:00 at -0400 is 14:00 UTC. */
	t += zone < 0 ? offset : -offset;
	*t_r = (time_t)t;
	return 0;
}

/* Next code point of UTF-8 s at *i, or -1 if malformed (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static long utf8_next(const unsigned char *s, size_t *i)
{
	unsigned c = s[*i];
	int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
	if (n < 0)
		return -1;
	long cp = n == 0 ? c : c & (0x3f >> n);
	for (int k = 1; k <= n; k++) {
		unsigned cc = s[*i + k];
		if ((cc & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (cc & 0x3f);
	}
	static const long min[] = { 0, 0x80, 0x800, 0x10000 };
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)n + 1;
	return cp;
}

static void b64_utf16(struct buf *out, const uint16_t *u, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	uint32_t acc = 0;
	int bits = 0;
	buf_append(out, "&", 1);
	for (size_t i = 0; i < n; i++) {
		for (int half = 1; half >= 0; half--) {
			acc = (acc << 8) | ((u[i] >> (8 * half)) & 0xff);
			bits += 8;
			while (bits >= 6) {
				bits -= 6;
				buf_append(out, &alphabet[(acc >> bits) & 0x3f], 1);
			}
		}
	}
	if (bits > 0)
		buf_append(out, &alphabet[(acc << (6 - bits)) & 0x3f], 1);
	buf_append(out, "-", 1);
}

char *imapenc_mutf7(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name);
	if (len > 1024)
		return NULL;
	struct buf out;
	buf_init(&out, len * 8 + 16);
	uint16_t *run = xcalloc(len * 2 + 1, sizeof(*run));
	size_t nrun = 0, i = 0;
	bool ok = true;
	while (ok && i <= len) {
		long cp = i < len ? utf8_next(s, &i) : -2;
		if (cp == -1 || (cp >= 0 && (cp < 0x20 || cp == 0x7f))) {
			ok = false;
			break;
		}
		bool direct = cp >= 0x20 && cp < 0x7f;
		if ((direct || cp == -2) && nrun > 0) {
			b64_utf16(&out, run, nrun);
			nrun = 0;
		}
		if (cp == -2)
			break;
		if (cp == '&')
			buf_append(&out, "&-", 2);
		else if (direct) {
			char ch = (char)cp;
			buf_append(&out, &ch, 1);
		} else if (cp >= 0x10000) {
			run[nrun++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			run[nrun++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			run[nrun++] = (uint16_t)cp;
		}
	}
	free(run);
	if (!ok) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}
