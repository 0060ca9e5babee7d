/* extract_impl.h — shared by the extract*.c readers; no other module
 * includes it. Every reader appends UTF-8 to a capped struct buf and reports
 * failure as one of extract.h's static reasons. */
#ifndef INTAKED_EXTRACT_IMPL_H
#define INTAKED_EXTRACT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include "intaked/config.h"
#include "intaked/util.h"

/* Text a single document may yield (about five million words). */
#define EXTRACT_TEXT_MAX ((size_t)32 << 20)
/* Below this much decompressed data the ratio check does not apply: tiny
 * highly compressible parts are harmless. */
#define EXTRACT_RATIO_FLOOR ((size_t)1 << 20)

/* limits_config with every 0 replaced by a safe default. */
struct extract_limits {
	size_t max_attachment_size;
	size_t max_unpacked_size;
	unsigned max_unpack_ratio;
	unsigned max_zip_entries;
	unsigned max_xml_depth;
	long timeout;               /* seconds for one external converter */
};
void extract_limits_resolve(const struct limits_config *in, struct extract_limits *out);

/* The format readers. Each appends text to out (whose cap bounds output)
 * and returns 0, or -1 with *error_r set to a static reason. */
int extract_docx(const unsigned char *data, size_t len, const struct extract_limits *lim,
		 struct buf *out, const char **error_r);
int extract_odt(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r);
int extract_rtf(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r);
int extract_pdf(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r);
int extract_doc(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r);

/* --- extract_zip.c: a zip archive read from memory, within the limits. */
struct extract_zip;
/* -1 with "corrupt", "zip_bomb" (too many entries) or "unsupported". */
int extract_zip_open(const unsigned char *data, size_t len, const struct extract_limits *lim,
		     struct extract_zip **z_r, const char **error_r);
void extract_zip_free(struct extract_zip **z);
bool extract_zip_has(struct extract_zip *z, const char *name);
/* Read a whole (small) entry into out, capped by out->max. */
int extract_zip_read(struct extract_zip *z, const char *name, struct buf *out,
		     const char **error_r);

/* Streamed XML walk over one zip entry. The handler sees every node of the
 * reader; it returns EXTRACT_XML_NEXT, EXTRACT_XML_SKIP (skip the subtree
 * of the current start element) or EXTRACT_XML_STOP (with *error_r set by
 * the handler). A DOCTYPE is refused ("corrupt"), nesting past
 * max_xml_depth is "too_deep", decompressed bytes are counted against
 * max_unpacked_size and max_unpack_ratio ("zip_bomb"). */
enum extract_xml_step { EXTRACT_XML_NEXT, EXTRACT_XML_SKIP, EXTRACT_XML_STOP };
struct _xmlTextReader;
typedef enum extract_xml_step (*extract_xml_handler)(struct _xmlTextReader *r, void *ctx,
						     const char **error_r);
/* The text of a text-like node (text, CDATA, white space), else NULL. */
const char *extract_xml_text(struct _xmlTextReader *r);
int extract_zip_xml(struct extract_zip *z, const char *name, extract_xml_handler h,
		    void *ctx, const char **error_r);

/* --- extract_child.c: an external converter in a child with rlimits. */
enum extract_child_result {
	EXTRACT_CHILD_EXITED,       /* *status_r holds the exit code */
	EXTRACT_CHILD_SIGNALED,     /* *status_r holds the signal */
	EXTRACT_CHILD_TIMEOUT,      /* wall clock or CPU limit */
	EXTRACT_CHILD_TOO_LARGE,    /* stdout reached out->max */
	EXTRACT_CHILD_FAILED,       /* fork/pipe/exec failed */
};
/* Run argv[0] (searched in PATH) with data on its stdin; its stdout goes to
 * out (capped), its stderr to errout (capped, excess dropped). The child
 * gets RLIMIT_AS mem_limit, RLIMIT_CPU and a wall clock of timeout
 * seconds, no core files, no file writes. */
enum extract_child_result extract_child_run(const char *const argv[],
					    const unsigned char *data, size_t len,
					    size_t mem_limit, long timeout,
					    struct buf *out, struct buf *errout, int *status_r);
/* Whether a program is found executable in PATH. */
bool extract_child_found(const char *prog);

#endif
