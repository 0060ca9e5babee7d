/* mime.h — parse a raw RFC 5322 message (GMime) into an analysis: headers,
 * decoded subject and addresses, the body as UTF-8 text, and every
 * attachment saved under files/ and passed to extract. Runs inside the
 * worker: it may crash or hang on hostile input without harm. */
#ifndef INTAKED_MIME_H
#define INTAKED_MIME_H

#include <stddef.h>
#include "intaked/analysis.h"
#include "intaked/config.h"
#include "intaked/err.h"

/* Process-wide init/deinit of the MIME library; GMime counts them, so the
 * worker child may call them again. */
void mime_init(void);
void mime_deinit(void);

/* files_dirfd: the entry's files/ directory; attachments are written there
 * with sanitized, unique names (never outside it); one over
 * max_attachment_size is not written (error "too_large"). Nothing is
 * skipped silently: parts beyond max_mime_parts, deeper than
 * max_mime_depth, too large, or left when nine tenths of extract_timeout
 * (counted from the call) are spent go to a->unexamined with their section
 * number, file name and reason (parts depth size time); a document that
 * finds the converters' budget spent gets the error "timeout" too. Links
 * to file services in the text parts go to a->links (never fetched). A
 * limit left at 0 takes config.c's default (10000 parts, depth 100,
 * 32 MiB, 60 s).
 * Input that does not start with a header is read as a body (noted in
 * a->warning). Returns 0 with a new analysis (caller frees), or -1 with
 * err (ERR_MESSAGE: unparseable; ERR_TEMP: an attachment could not be
 * written, e.g. disk full). */
int mime_analyze(const unsigned char *raw, size_t len, int files_dirfd,
		 const struct limits_config *limits, struct analysis **a_r,
		 struct err *err);

#endif
