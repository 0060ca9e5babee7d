/* extract_doc.c — Word 97-2003 .doc through catdoc in a child process (the
 * same limits as pdftotext). catdoc needs a seekable file, so the bytes go
 * to a private temporary directory first and are removed right after. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/extract.h"
#include "intaked/fsio.h"
#include "extract_impl.h"

#define DOC_MEM_LIMIT ((size_t)256 << 20)

bool extract_doc_available(void)
{
	static int found = -1;
	if (found < 0)
		found = extract_child_found("catdoc") ? 1 : 0;
	return found == 1;
}

/* Returns the new directory (caller removes it and frees), or NULL. */
static char *stage_input(const unsigned char *data, size_t len, char **file_r)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/intaked-doc.XXXXXX", tmp != NULL && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	char *file = xasprintf("%s/input.doc", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fsio_write_all(fd, data, len) < 0 || close(fd) < 0) {
		if (fd >= 0)
			close(fd);
		unlink(file);
		rmdir(dir);
		free(file);
		free(dir);
		return NULL;
	}
	*file_r = file;
	return dir;
}

int extract_doc(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r)
{
	if (!extract_doc_available()) {
		*error_r = "unsupported";
		return -1;
	}
	if (len == 0) { /* catdoc prints garbage for an empty file */
		*error_r = "corrupt";
		return -1;
	}
	char *file = NULL;
	char *dir = stage_input(data, len, &file);
	if (dir == NULL) {
		*error_r = "unsupported";
		return -1;
	}
	const char *argv[] = { "catdoc", "-w", "-d", "utf-8", file, NULL };
	struct buf err;
	buf_init(&err, 4096);
	int status;
	enum extract_child_result r = extract_child_run(argv, NULL, 0, DOC_MEM_LIMIT, lim->timeout,
							out, &err, &status);
	unlink(file);
	rmdir(dir);
	free(file);
	free(dir);
	buf_free(&err);
	*error_r = NULL;
	if (r == EXTRACT_CHILD_TIMEOUT)
		*error_r = "timeout";
	else if (r == EXTRACT_CHILD_TOO_LARGE)
		*error_r = "too_large";
	else if (r == EXTRACT_CHILD_FAILED)
		*error_r = "unsupported";
	else if (r != EXTRACT_CHILD_EXITED || status != 0)
		*error_r = "corrupt";
	if (*error_r != NULL)
		return -1;
	for (size_t i = 0; i < out->len; i++)
		if (out->data[i] == '\0')
			out->data[i] = ' ';
	return 0;
}
