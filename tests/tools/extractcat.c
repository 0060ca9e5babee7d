/* extractcat — extract and count documents as the worker does, and say
 * what it cost. One line per file:
 *
 *   file=NAME type=TYPE bytes=N words=N error=REASON|- ms=N maxrss_kb=N child_maxrss_kb=N
 *
 * maxrss_kb is this process's peak resident set so far (getrusage), and
 * child_maxrss_kb the largest converter child's (pdftotext, catdoc).
 *
 *   extractcat [-t] [-c CHARSET] FILE...
 *     -t          also print the extracted text after each line
 *     -c CHARSET  declared charset for txt/html files
 *
 * Limits are the daemon's defaults. Exit status: 0 when every file was
 * read (an unreadable document is a result), 1 usage, 2 a file could not
 * be opened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "intaked/extract.h"
#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/wordcount.h"

#define INPUT_MAX ((size_t)512 << 20)

static const struct limits_config daemon_limits = {
	.max_message_size = (size_t)64 << 20,
	.max_attachment_size = (size_t)32 << 20,
	.max_unpacked_size = (size_t)256 << 20,
	.max_unpack_ratio = 100,
	.max_zip_entries = 10000,
	.max_xml_depth = 256,
	.extract_timeout = 60,
};

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cat_one(const char *path, const char *charset, bool show_text)
{
	char *data = NULL;
	size_t len = 0;
	struct err e;
	if (fsio_read_file(path, INPUT_MAX, &data, &len, &e) < 0) {
		fprintf(stderr, "extractcat: %s\n", e.msg);
		return 2;
	}
	const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *type = extract_detect_type((unsigned char *)data, len, name, NULL);
	char *text = NULL;
	const char *error = NULL;
	long words = 0;
	if (extract_text(type, (unsigned char *)data, len, charset, &daemon_limits, &text, &error) == 0)
		words = wordcount_text(text, strlen(text));
	double ms = elapsed_ms(&t0);
	free(data);
	struct rusage self, children;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	printf("file=%s type=%s bytes=%zu words=%ld error=%s ms=%.1f maxrss_kb=%ld child_maxrss_kb=%ld\n",
	       name, type, len, words, error != NULL ? error : "-", ms, self.ru_maxrss,
	       children.ru_maxrss);
	if (show_text && text != NULL)
		printf("%s\n", text);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	const char *charset = NULL;
	bool show_text = false;
	int opt;
	while ((opt = getopt(argc, argv, "tc:")) != -1) {
		if (opt == 't')
			show_text = true;
		else if (opt == 'c')
			charset = optarg;
		else
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (cat_one(argv[i], charset, show_text) != 0)
			rc = 2;
	return rc;
usage:
	fprintf(stderr, "usage: extractcat [-t] [-c CHARSET] FILE...\n");
	return 1;
}
