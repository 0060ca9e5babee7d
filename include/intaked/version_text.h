/* version_text.h — the text a version of a submission is compared by
 * (intakectl diff, the digest's "+N / −M words"), read from the spool. */
#ifndef INTAKED_VERSION_TEXT_H
#define INTAKED_VERSION_TEXT_H

#include <stddef.h>
#include "intaked/err.h"

struct spool;

/* Text bigger than this is no text we filed (extraction caps at 32 MiB). */
#define VERSION_TEXT_MAX (48u << 20)

/* The entry's counted text: text.txt when the entry has one, else
 * body.txt, else "" (a submission without a text body). Nothing followed
 * through a symlink. 0 with *text_r (caller frees) and *src_r the file's
 * name (static, or "none"), or -1 (err). */
int version_text_read(const struct spool *sp, const char *relpath, char **text_r,
		      size_t *len_r, const char **src_r, struct err *err);

/* The path of the version relpath ("calls/CALL/SLUG/vN") supersedes:
 * same directory, supersedes ("vM", from its metadata) as the last
 * component. NULL when supersedes is NULL or no plain "vM". Caller frees. */
char *version_previous_path(const char *relpath, const char *supersedes);

#endif
