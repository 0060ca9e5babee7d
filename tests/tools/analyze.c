/* analyze — run the parsing worker on raw message files, as the daemon
 * would, and print what it found: one analysis JSON line per file, or
 * "error: CLASS: MESSAGE". With several files each result follows a
 * "==> FILE <==" line. Attachments go to a temporary directory that is
 * removed afterwards.
 *
 *   analyze [--limits-default] FILE...
 *
 * Without --limits-default the limits are deliberately tight (100 parts,
 * depth 10, 1 MiB per attachment, 30 s) so that a corpus run exercises the
 * limit paths; with it, the daemon's defaults apply.
 *
 * Exit status: 0 when every file went through (a message the parser
 * refuses is a result, not a failure); 1 usage; 2 a file could not be read
 * or a system call failed; 3 some worker crashed, hung, leaked (under
 * ASan) or wrote garbage — the bugs this tool exists to find. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/worker.h"

#define INPUT_MAX ((size_t)256 << 20)

enum { EXIT_USAGE = 1, EXIT_SYSTEM = 2, EXIT_WORKER = 3 };

static const struct limits_config tight_limits = {
	.max_attachment_size = (size_t)1 << 20,
	.max_mime_parts = 100,
	.max_mime_depth = 10,
	.extract_timeout = 30,
};

/* Worker failures as opposed to verdicts on the message. */
static bool is_worker_failure(const struct err *err)
{
	return err->cls == ERR_MESSAGE && strncmp(err->msg, "worker ", 7) == 0;
}

static int analyze_file(const char *path, const struct limits_config *lim)
{
	char tmpl[] = "/tmp/analyze.XXXXXX";
	struct analysis *a = NULL;
	struct err err = { 0 };
	char *raw = NULL;
	size_t len = 0;
	int status = 0;

	if (fsio_read_file(path, INPUT_MAX, &raw, &len, &err) < 0) {
		fprintf(stderr, "analyze: %s\n", err.msg);
		return EXIT_SYSTEM;
	}
	if (mkdtemp(tmpl) == NULL) {
		perror("analyze: mkdtemp");
		free(raw);
		return EXIT_SYSTEM;
	}
	if (worker_analyze((const unsigned char *)raw, len, tmpl, lim, &a, &err) < 0) {
		printf("error: %s: %s\n", err_class_name(err.cls), err.msg);
		if (is_worker_failure(&err))
			status = EXIT_WORKER;
		else if (err.cls != ERR_MESSAGE)
			status = EXIT_SYSTEM;
	} else {
		char *json = analysis_to_json(a);

		printf("%s\n", json);
		free(json);
		analysis_free(&a);
	}
	fflush(stdout);
	if (fsio_rmtree(tmpl) < 0)
		fprintf(stderr, "analyze: could not remove %s\n", tmpl);
	free(raw);
	return status;
}

int main(int argc, char **argv)
{
	static const struct limits_config defaults; /* 0 = the default of each */
	const struct limits_config *lim = &tight_limits;
	int first = 1, worst = 0;

	if (argc > 1 && strcmp(argv[1], "--limits-default") == 0) {
		lim = &defaults;
		first = 2;
	}
	if (first >= argc || argv[first][0] == '-') {
		fprintf(stderr, "usage: analyze [--limits-default] FILE...\n");
		return EXIT_USAGE;
	}
	for (int i = first; i < argc; i++) {
		int rc;

		if (argc - first > 1)
			printf("==> %s <==\n", argv[i]);
		rc = analyze_file(argv[i], lim);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
