/* extract_charset.h — charsets for the extract readers (extract_charset.c);
 * beside extract_impl.h so that a reader needing conversion (RTF) does not
 * depend on the dispatch in extract.c. No module outside extract*.c uses it. */
#ifndef INTAKED_EXTRACT_CHARSET_H
#define INTAKED_EXTRACT_CHARSET_H

#include <iconv.h>
#include <stddef.h>
#include "intaked/util.h"

/* A charset converter to UTF-8 (iconv, or a validating copy for UTF-8). */
struct extract_conv {
	iconv_t cd;                 /* (iconv_t)-1 for UTF-8 input */
	size_t unit;                /* bytes skipped after an invalid sequence */
};
/* Canonical iconv name for a MIME/RTF charset label, or NULL if the label
 * means "undeclared" (us-ascii) or is unknown to iconv. Static string or
 * the normalized copy written into name_r (size namelen). */
const char *extract_charset_name(const char *label, char *name_r, size_t namelen);
/* 0, or -1 if iconv does not know the charset. */
int extract_conv_open(struct extract_conv *c, const char *iconv_name);
/* Convert in to UTF-8 appended to out: invalid or truncated sequences
 * become U+FFFD and NUL becomes a space. -1 when out's cap is reached. */
int extract_conv_run(struct extract_conv *c, const unsigned char *in, size_t len,
		     struct buf *out);
void extract_conv_close(struct extract_conv *c);

/* Append n bytes of converted text to out, NUL made a space so that the
 * text stays a C string. -1 when out's cap is reached. */
int extract_append_text(struct buf *out, const char *s, size_t n);
/* Text in charset (BOM first, then the declared label, then UTF-8 if
 * valid, else windows-1252) appended to out as UTF-8. -1 at out's cap. */
int extract_to_utf8_into(const unsigned char *data, size_t len, const char *charset,
			 struct buf *out);

#endif
