/* libFuzzer: a raw message through the worker's whole in-process path —
 * mime_analyze (attachments written to a scratch files/ directory and
 * extracted), the JSON wire form to the daemon and back, classify, and the
 * word counts. pdftotext/catdoc run as children as in production. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/analysis.h"
#include "intaked/classify.h"
#include "intaked/config.h"
#include "intaked/log.h"
#include "intaked/mime.h"
#include "intaked/wordcount.h"

static char scratch[64];
static struct strlist own;
static struct limits_config limits;

static void empty_dir(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* sanitize_write_unique must only ever create regular files here */
		if (unlinkat(dirfd, de->d_name, 0) < 0)
			abort();
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(scratch, sizeof(scratch), "/tmp/fuzz_mime.XXXXXX");
	if (mkdtemp(scratch) == NULL)
		abort();
	mime_init();
	strlist_push(&own, "intake@example.org");
	strlist_push(&own, "intake+imrf@example.org");
	/* Small limits so one input stays fast; the same code paths as the
	 * defaults. */
	limits.max_message_size = 4u << 20;
	limits.max_attachment_size = 1u << 20;
	limits.max_unpacked_size = 4u << 20;
	limits.max_unpack_ratio = 100;
	limits.max_zip_entries = 200;
	limits.max_xml_depth = 64;
	limits.max_mime_parts = 100;
	limits.max_mime_depth = 20;
	limits.extract_timeout = 5;
	return 0;
}

static void check_analysis(struct analysis *a)
{
	struct classify_result cr;
	struct err err = { 0 };
	struct analysis *back = NULL;

	classify_message(a, &own, &cr);
	if (classify_kind_name(cr.kind) == NULL)
		abort();
	if (a->body_text) {
		long w = wordcount_text(a->body_text, strlen(a->body_text));
		if (w < 0 || wordcount_body(a->body_text) < 0)
			abort();
	}
	for (size_t i = 0; i < a->ndocs; i++) {
		const char *f = a->docs[i].file;
		/* Never outside files/: one plain component after the prefix. */
		if (f && (strncmp(f, "files/", 6) != 0 || strchr(f + 6, '/') ||
			  strcmp(f + 6, "..") == 0 || strcmp(f + 6, ".") == 0 || f[6] == '\0'))
			abort();
	}
	char *json = analysis_to_json(a);
	if (analysis_from_json(json, strlen(json), &back, &err) < 0)
		abort(); /* the daemon must read whatever the worker wrote */
	analysis_free(&back);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct analysis *a = NULL;
	struct err err = { 0 };
	char files[96];

	snprintf(files, sizeof(files), "%s/files", scratch);
	if (mkdir(files, 0700) < 0)
		abort();
	int fd = open(files, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	if (mime_analyze(data, size, fd, &limits, &a, &err) == 0) {
		check_analysis(a);
		analysis_free(&a);
	}
	empty_dir(fd);
	close(fd);
	rmdir(files);
	return 0;
}
