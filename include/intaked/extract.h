/* extract.h — document bytes -> UTF-8 text, one reader per format. Runs in
 * the worker. Hostile input must produce an error string, never unbounded
 * memory or time: every reader honours the limits. */
#ifndef INTAKED_EXTRACT_H
#define INTAKED_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/config.h"

/* Detected type from magic bytes first, then the file name's extension,
 * then the declared content type. Returns a static string: "docx" "odt"
 * "pdf" "rtf" "txt" "md" "html" "doc" "tnef" or "other". */
const char *extract_detect_type(const unsigned char *data, size_t len,
				const char *filename, const char *content_type);
/* Whether the .doc converter (catdoc) is installed: SPEC §4 counts .doc
 * only then (words.c). */
bool extract_doc_available(void);

/* Extract text. charset: declared charset for txt/html parts or NULL.
 * limits: NULL or 0 fields mean safe defaults; extract_timeout bounds each
 * external converter (pdftotext, catdoc), which run in a child process with
 * their own memory and CPU limits. Output is capped at 32 MiB of text.
 * Returns 0 and *text_r (NUL-terminated UTF-8, caller frees), or -1 and
 * *error_r a static reason: "too_large" "encrypted" "corrupt"
 * "unsupported" "timeout" "no_text" "too_deep" "zip_bomb".
 * "no_text" is a PDF that was read but has no text layer (a scan): its
 * count is 0. */
int extract_text(const char *type, const unsigned char *data, size_t len,
		 const char *charset, const struct limits_config *limits,
		 char **text_r, const char **error_r);

/* Charset -> UTF-8 for text parts (BOMs honoured; detection when charset is
 * NULL: UTF-8 if valid, else windows-1252). Invalid bytes -> U+FFFD.
 * Returns a new string (caller frees), never NULL. */
char *extract_to_utf8(const unsigned char *data, size_t len, const char *charset);
/* HTML -> text: tags out, entities decoded, script/style skipped, block
 * elements separate words. Caller frees; NULL on failure. */
char *extract_html_text(const unsigned char *data, size_t len, const char *charset);

#endif
