/* convert.h — documents to PDF with LibreOffice headless, in parallel
 * children with a time limit; tracked changes accepted, comments left out.
 *
 * Before LibreOffice sees a .docx or .odt, a copy of it is rewritten
 * (convert_clean.c) so that the PDF shows only the accepted text: what
 * LibreOffice prints is what the document shows, and a document may show
 * its deletions struck through and its comments in the margin. A .rtf or
 * .doc is first converted to .odt, then cleaned the same way. */
#ifndef INTAKED_CONVERT_H
#define INTAKED_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

struct convert_job {
	const char *src;      /* .docx/.odt/.rtf/.doc, or .pdf (copied as is) */
	const char *dst_pdf;  /* written atomically (aside, fsync, rename) */
	int status;           /* out: 0 done, else a CONVERT_* code */
	char reason[160];     /* out: why not, for a page that says so */
};

enum { CONVERT_OK = 0, CONVERT_UNAVAILABLE, CONVERT_TIMEOUT, CONVERT_FAILED, CONVERT_UNREADABLE };

/* soffice found (PATH, or $INTAKED_SOFFICE). */
bool convert_available(void);

/* All jobs, up to `parallel` at once (0: the number of cores), each in a
 * child with its own LibreOffice profile and a limit of timeout_s seconds;
 * progress(done, n, job, arg) after each (may be NULL). Returns how many failed. */
size_t convert_all(struct convert_job *jobs, size_t n, unsigned parallel, int timeout_s,
		   void (*progress)(size_t done, size_t n, const struct convert_job *j, void *arg),
		   void *arg);

#endif
