/* convert_clean.h — accept tracked changes and drop comments in a copy of
 * a .docx or .odt (libzip + libxml2), so that LibreOffice's PDF holds the
 * accepted text only.
 *   docx: w:del, w:moveFrom (and their range marks) dropped; w:ins,
 *         w:moveTo unwrapped; comment ranges and the runs holding a
 *         w:commentReference dropped; word/comments*.xml and their
 *         relationships removed; formatting changes (w:rPrChange ...) dropped.
 *   odt:  text:tracked-changes (where deleted text lives) and the change
 *         marks dropped; office:annotation(-end) dropped.
 * Private to ctl/ (convert.c and its test). */
#ifndef INTAKED_CONVERT_CLEAN_H
#define INTAKED_CONVERT_CLEAN_H

#include <stddef.h>

/* Rewrite the file at path in place (the caller's private copy). 0, or
 * -1 with why in reason (the file is no readable package). */
int convert_clean_docx(const char *path, char *reason, size_t reason_len);
int convert_clean_odt(const char *path, char *reason, size_t reason_len);

/* The same on one XML part in memory; the result is malloc'd (NULL when
 * the XML does not parse). Exposed for the unit test. */
char *convert_clean_docx_xml(const char *xml, size_t len, size_t *out_len);
char *convert_clean_odt_xml(const char *xml, size_t len, size_t *out_len);

#endif
