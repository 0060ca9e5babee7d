/* sanitize.c — safe attachment file names and always-valid UTF-8. */
#include "intaked/sanitize.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "intaked/fsio.h"
#include "intaked/util.h"

#define NAME_DEFAULT_MAX 100
#define EXT_MAX 16          /* longer "extensions" are just part of the name */
#define UNIQUE_TRIES 1000

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

char *sanitize_utf8(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	const uint8_t *end;
	struct buf out;

	if (s == NULL)
		return xstrdup("");
	/* Most text is already clean: one pass to check, one copy. */
	if (u8_check(p, len) == NULL && memchr(s, '\0', len) == NULL)
		return xstrndup(s, len);
	end = p + len;
	buf_init(&out, len * 3 + 1);
	while (p < end) {
		ucs4_t uc;
		int n = u8_mbtoucr(&uc, p, (size_t)(end - p));

		/* Cannot fail: each input byte yields at most 3 output bytes. */
		if (n <= 0 || uc == 0) {
			(void)buf_append(&out, replacement, 3);
			p++;
		} else {
			(void)buf_append(&out, p, (size_t)n);
			p += n;
		}
	}
	return buf_steal(&out);
}

/* Invisible characters that reorder text: "cod.exe\u202Excod.docx" would
 * display as something it is not. */
static bool is_bidi_control(ucs4_t uc)
{
	return uc == 0x061C || uc == 0x200E || uc == 0x200F ||
	       (uc >= 0x202A && uc <= 0x202E) || (uc >= 0x2066 && uc <= 0x2069);
}

static bool is_dropped(ucs4_t uc)
{
	return uc < 0x20 || (uc >= 0x7F && uc <= 0x9F) || is_bidi_control(uc);
}

static bool is_replaced(ucs4_t uc)
{
	return uc_is_property_white_space(uc) || uc == 0x200B ||
	       (uc < 0x80 && strchr("<>:\"|?*", (int)uc) != NULL);
}

static const char *last_component(const char *name)
{
	const char *base = name;

	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return base;
}

/* Characters of name kept or replaced, invalid bytes dropped. */
static char *clean_chars(const char *name)
{
	const uint8_t *p = (const uint8_t *)name;
	const uint8_t *end = p + strlen(name);
	struct buf out;
	size_t keep = 0; /* length up to the last character that is not blank */

	buf_init(&out, (size_t)(end - p) + 1);
	while (p < end) {
		ucs4_t uc;
		int n = u8_mbtoucr(&uc, p, (size_t)(end - p));

		if (n <= 0) {
			p++;
			continue;
		}
		/* Never longer than the input: appends cannot fail. Blanks at
		 * either end go; inside they become '_'. */
		if (is_replaced(uc) && !is_dropped(uc)) {
			if (out.len > 0)
				(void)buf_append(&out, "_", 1);
		} else if (!is_dropped(uc)) {
			(void)buf_append(&out, p, (size_t)n);
			keep = out.len;
		}
		p += n;
	}
	if (out.data != NULL)
		out.data[keep] = '\0';
	return buf_steal(&out);
}

/* Length of s cut to at most max bytes without splitting a character. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Offset of the extension's dot, or len when there is none worth keeping. */
static size_t ext_offset(const char *s, size_t len)
{
	const char *dot = strrchr(s, '.');

	if (dot == NULL || dot == s || len - (size_t)(dot - s) > EXT_MAX)
		return len;
	return (size_t)(dot - s);
}

/* stem + suffix + extension, the stem shortened so the whole fits max. */
static char *fit_name(const char *s, const char *suffix, size_t max)
{
	size_t len = strlen(s);
	size_t dot = ext_offset(s, len);
	size_t ext_len = len - dot;
	size_t room, stem;

	if (ext_len + strlen(suffix) >= max) {
		/* No room for a stem next to such an extension: keep neither. */
		dot = len;
		ext_len = 0;
	}
	room = max - ext_len - strlen(suffix);
	stem = utf8_cut(s, dot, room);
	if (stem == 0) {
		/* A name must not become ".ext" (hidden) or "": drop the
		 * extension instead. */
		stem = utf8_cut(s, len, max - strlen(suffix));
		dot = len;
	}
	if (stem == 0)
		return xasprintf("_%s", suffix);
	return xasprintf("%.*s%s%s", (int)stem, s, suffix, s + dot);
}

char *sanitize_filename(const char *name, const char *fallback, size_t max_bytes)
{
	char *clean, *start, *result;
	size_t len;

	if (max_bytes == 0)
		max_bytes = NAME_DEFAULT_MAX;
	clean = clean_chars(last_component(name != NULL ? name : ""));
	start = clean;
	while (*start == '.' || *start == '-')
		start++;
	len = strlen(start);
	while (len > 0 && start[len - 1] == '.')
		start[--len] = '\0';
	if (len == 0) {
		free(clean);
		if (fallback == NULL || *fallback == '\0')
			return xstrdup("file");
		return sanitize_filename(fallback, NULL, max_bytes);
	}
	result = fit_name(start, "", max_bytes);
	free(clean);
	return result;
}

int sanitize_write_unique(int dirfd, const char *name, const char *fallback,
			  const void *data, size_t len, char **final_r,
			  struct err *err)
{
	char *base = sanitize_filename(name, fallback, NAME_DEFAULT_MAX);

	for (unsigned n = 1; n <= UNIQUE_TRIES; n++) {
		char suffix[16];
		char *candidate;

		if (n == 1) {
			candidate = xstrdup(base);
		} else {
			snprintf(suffix, sizeof(suffix), "-%u", n);
			candidate = fit_name(base, suffix, NAME_DEFAULT_MAX);
		}
		if (fsio_create(dirfd, candidate, data, len, 0640, err) == 0) {
			free(base);
			*final_r = candidate;
			return 0;
		}
		free(candidate);
		/* EEXIST also covers a symlink planted under that name. */
		if (errno != EEXIST) {
			free(base);
			return -1;
		}
	}
	err_set(err, ERR_TEMP, "no free file name for %s", base);
	free(base);
	return -1;
}
