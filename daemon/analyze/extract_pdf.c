/* extract_pdf.c — PDF text through poppler's pdftotext in a child process.
 * Poppler has a long history of memory-safety bugs on crafted files; in a
 * child with its own address-space, CPU and wall-clock limits a crash or a
 * hang costs one document ("corrupt"/"timeout"), never the worker. */
#include <string.h>

#include "extract_impl.h"

/* pdftotext needs a few times the file size for big documents. */
#define PDF_MEM_LIMIT ((size_t)512 << 20)

/* A file cut short has no %%EOF near its end; poppler then rebuilds the
 * xref and may print part of the text, which would count too few words. */
static bool pdf_truncated(const unsigned char *data, size_t len, const struct buf *err)
{
	size_t tail = len < 1024 ? len : 1024;
	if (memmem(data + len - tail, tail, "%%EOF", 5) != NULL)
		return false;
	return err->len > 0 && strstr(err->data, "Error") != NULL;
}

/* pdftotext wraps right-to-left runs in U+202B..U+202C and puts the
 * space between two runs inside the marks ("\u202B word\u202Cnext"):
 * as spaces they keep the words apart. NUL would end the text early. */
static void clean_output(struct buf *b, size_t from)
{
	unsigned char *p = (unsigned char *)b->data;
	for (size_t i = from; i < b->len; i++) {
		if (p[i] == '\0')
			p[i] = ' ';
		else if (p[i] == 0xE2 && i + 2 < b->len && p[i + 1] == 0x80 && p[i + 2] >= 0xAA &&
			 p[i + 2] <= 0xAE)
			p[i] = p[i + 1] = p[i + 2] = ' ';
	}
}

int extract_pdf(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r)
{
	static const char *const argv[] = { "pdftotext", "-enc", "UTF-8", "-nopgbrk", "-", "-", NULL };
	if (!extract_child_found(argv[0])) {
		*error_r = "unsupported";
		return -1;
	}
	struct buf err;
	buf_init(&err, 4096);
	size_t start = out->len;
	int status;
	enum extract_child_result r = extract_child_run(argv, data, len, PDF_MEM_LIMIT, lim->timeout,
							out, &err, &status);
	*error_r = NULL;
	switch (r) {
	case EXTRACT_CHILD_EXITED:
		if (status == 1 && err.len > 0 && strstr(err.data, "Incorrect password") != NULL)
			*error_r = "encrypted";
		else if (status == 3) /* copying text not permitted */
			*error_r = "encrypted";
		else if (status != 0 || pdf_truncated(data, len, &err))
			*error_r = "corrupt";
		break;
	case EXTRACT_CHILD_TIMEOUT:
		*error_r = "timeout";
		break;
	case EXTRACT_CHILD_TOO_LARGE:
		*error_r = "too_large";
		break;
	case EXTRACT_CHILD_SIGNALED:
		*error_r = "corrupt";
		break;
	case EXTRACT_CHILD_FAILED:
		*error_r = "unsupported";
		break;
	}
	buf_free(&err);
	if (*error_r != NULL)
		return -1;
	clean_output(out, start);
	return 0;
}
