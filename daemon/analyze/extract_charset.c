/* extract_charset.c — charset labels, conversion to UTF-8, and the
 * detection of text parts' charsets. Used by extract.c (text and HTML) and
 * extract_rtf.c (\ansicpg, \fcharset); it calls neither, so the readers
 * and the dispatch no longer depend on each other in a circle. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "intaked/extract.h"
#include "extract_charset.h"

static void label_normalize(const char *label, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *p = label; *p != '\0' && n + 1 < outlen; p++) {
		if (*p == '"' || *p == '\'' || *p == ' ' || *p == '\t')
			continue;
		char c = *p;
		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
}

const char *extract_charset_name(const char *label, char *name_r, size_t namelen)
{
	/* Supersets replace what senders mislabel (HTML5 does the same). */
	static const struct { const char *label, *name; } aliases[] = {
		{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
		{ "latin1", "WINDOWS-1252" }, { "latin-1", "WINDOWS-1252" }, { "l1", "WINDOWS-1252" },
		{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
		{ "iso_8859-1", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" },
		{ "utf-16", "UTF-16" }, { "utf16", "UTF-16" }, { "utf-16le", "UTF-16LE" },
		{ "utf-16be", "UTF-16BE" }, { "koi8r", "KOI8-R" }, { "koi8u", "KOI8-U" },
		{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" },
		{ "shift_jis", "CP932" }, { "sjis", "CP932" }, { "x-sjis", "CP932" },
		{ "euc-kr", "CP949" }, { "ks_c_5601-1987", "CP949" }, { "big5", "BIG5-HKSCS" },
	};
	char norm[64];
	if (label == NULL)
		return NULL;
	label_normalize(label, norm, sizeof(norm));
	if (norm[0] == '\0' || strcmp(norm, "us-ascii") == 0 || strcmp(norm, "ascii") == 0 ||
	    strcmp(norm, "ansi_x3.4-1968") == 0)
		return NULL;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(norm, aliases[i].label) == 0)
			return aliases[i].name;
	/* windows-125x under its other spellings. */
	static const char *const win_prefixes[] = { "windows-", "win-", "cp", "x-cp", "ms-" };
	for (size_t i = 0; i < sizeof(win_prefixes) / sizeof(win_prefixes[0]); i++) {
		size_t pl = strlen(win_prefixes[i]);
		if (strncmp(norm, win_prefixes[i], pl) == 0 && strlen(norm + pl) == 4 &&
		    strncmp(norm + pl, "125", 3) == 0 && norm[pl + 3] >= '0' && norm[pl + 3] <= '8') {
			snprintf(name_r, namelen, "WINDOWS-%s", norm + pl);
			return name_r;
		}
	}
	/* Only what charset names are made of: no "//" iconv suffixes. */
	for (const char *c = norm; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && strchr("-_.:", *c) == NULL)
			return NULL;
	iconv_t cd = iconv_open("UTF-8", norm);
	if (cd == (iconv_t)-1)
		return NULL;
	iconv_close(cd);
	snprintf(name_r, namelen, "%s", norm);
	return name_r;
}

int extract_conv_open(struct extract_conv *c, const char *iconv_name)
{
	c->cd = (iconv_t)-1;
	c->unit = 1;
	if (strcmp(iconv_name, "UTF-8") == 0)
		return 0;
	c->cd = iconv_open("UTF-8", iconv_name);
	if (c->cd == (iconv_t)-1)
		return -1;
	if (strncmp(iconv_name, "UTF-16", 6) == 0)
		c->unit = 2;
	return 0;
}

void extract_conv_close(struct extract_conv *c)
{
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	c->cd = (iconv_t)-1;
}

static const char replacement[3] = { (char)0xEF, (char)0xBF, (char)0xBD };

/* Append converted bytes, NUL made a space so the text stays a C string. */
int extract_append_text(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len;
	if (buf_append(out, s, n) < 0)
		return -1;
	for (char *p = memchr(out->data + start, '\0', n); p != NULL;
	     p = memchr(p, '\0', (size_t)(out->data + out->len - p)))
		*p = ' ';
	return 0;
}

static int utf8_copy(const unsigned char *in, size_t len, struct buf *out)
{
	while (len > 0) {
		const uint8_t *bad = u8_check(in, len);
		size_t good = bad == NULL ? len : (size_t)(bad - in);
		if (extract_append_text(out, (const char *)in, good) < 0)
			return -1;
		in += good;
		len -= good;
		if (len == 0)
			break;
		ucs4_t uc;
		int n = u8_mbtoucr(&uc, in, len);
		if (buf_append(out, replacement, sizeof(replacement)) < 0)
			return -1;
		/* Skip the whole truncated sequence (-2) or one bad byte (-1). */
		size_t skip = n == -2 ? len : 1;
		in += skip;
		len -= skip;
	}
	return 0;
}

int extract_conv_run(struct extract_conv *c, const unsigned char *in, size_t len, struct buf *out)
{
	if (c->cd == (iconv_t)-1)
		return utf8_copy(in, len, out);
	char chunk[8192];
	char *ip = (char *)in;
	size_t il = len;
	iconv(c->cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		char *op = chunk;
		size_t ol = sizeof(chunk);
		size_t r = iconv(c->cd, &ip, &il, &op, &ol);
		int e = errno;
		if (extract_append_text(out, chunk, (size_t)(op - chunk)) < 0)
			return -1;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (buf_append(out, replacement, sizeof(replacement)) < 0)
			return -1;
		if (e != EILSEQ) /* EINVAL: truncated at the end */
			break;
		size_t skip = il < c->unit ? il : c->unit;
		ip += skip;
		il -= skip;
	}
	char *op = chunk;
	size_t ol = sizeof(chunk);
	iconv(c->cd, NULL, NULL, &op, &ol);
	return extract_append_text(out, chunk, (size_t)(op - chunk));
}

/* BOM, else the declared charset, else UTF-8 if valid, else windows-1252. */
static const char *choose_charset(const unsigned char **data, size_t *len, const char *charset,
				  char *name, size_t namelen)
{
	const unsigned char *d = *data;
	if (*len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
		*data += 3;
		*len -= 3;
		return "UTF-8";
	}
	if (*len >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
		*data += 2;
		*len -= 2;
		return "UTF-16LE";
	}
	if (*len >= 2 && d[0] == 0xFE && d[1] == 0xFF) {
		*data += 2;
		*len -= 2;
		return "UTF-16BE";
	}
	const char *declared = extract_charset_name(charset, name, namelen);
	if (declared != NULL)
		return declared;
	return u8_check(*data, *len) == NULL ? "UTF-8" : "WINDOWS-1252";
}

int extract_to_utf8_into(const unsigned char *data, size_t len, const char *charset, struct buf *out)
{
	char name[64];
	struct extract_conv conv;
	const char *cs = choose_charset(&data, &len, charset, name, sizeof(name));
	if (extract_conv_open(&conv, cs) < 0)
		extract_conv_open(&conv, "WINDOWS-1252");
	int rc = len > 0 ? extract_conv_run(&conv, data, len, out) : 0;
	extract_conv_close(&conv);
	return rc;
}

char *extract_to_utf8(const unsigned char *data, size_t len, const char *charset)
{
	struct buf out;
	if (data == NULL)
		len = 0;
	/* Three UTF-8 bytes per input byte at most (U+FFFD included). */
	buf_init(&out, len < SIZE_MAX / 4 ? 3 * len + 64 : SIZE_MAX / 4);
	extract_to_utf8_into(data, len, charset, &out);
	return buf_steal(&out);
}

