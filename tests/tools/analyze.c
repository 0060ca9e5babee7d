/* analyze — run the parsing worker on raw message files, as the daemon
 * would, and print what it found: one analysis JSON line per file, or
 * "error: CLASS: MESSAGE". With several files each result follows a
 * "==> FILE <==" line. Attachments go to a temporary directory that is
 * removed afterwards. One worker child serves all files, as in the daemon
 * (a fresh one after any failure).
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/worker.h"

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

static int analyze_file(struct worker *w, const char *path)
{
	char tmpl[] = "/tmp/analyze.XXXXXX";
	char real[PATH_MAX];
	struct analysis *a = NULL;
	struct err err = { 0 };
	int status = 0;

	/* The worker refuses a symlink as message file. */
	if (realpath(path, real) == NULL) {
		fprintf(stderr, "analyze: %s: cannot resolve\n", path);
		return EXIT_SYSTEM;
	}
	if (mkdtemp(tmpl) == NULL) {
		perror("analyze: mkdtemp");
		return EXIT_SYSTEM;
	}
	if (worker_analyze(w, real, tmpl, &a, &err) < 0) {
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
	return status;
}

int main(int argc, char **argv)
{
	static const struct limits_config defaults; /* 0 = the default of each */
	const struct limits_config *lim = &tight_limits;
	struct err err = { 0 };
	struct worker *w;
	int first = 1, worst = 0;

	if (argc > 1 && strcmp(argv[1], "--limits-default") == 0) {
		lim = &defaults;
		first = 2;
	}
	if (first >= argc || argv[first][0] == '-') {
		fprintf(stderr, "usage: analyze [--limits-default] FILE...\n");
		return EXIT_USAGE;
	}
	w = worker_new(lim);
	for (int i = first; i < argc; i++) {
		int rc;

		if (argc - first > 1)
			printf("==> %s <==\n", argv[i]);
		rc = analyze_file(w, argv[i]);
		if (rc > worst)
			worst = rc;
	}
	/* A worker that does not end cleanly is a bug too. */
	if (worker_stop(w, &err) < 0) {
		fprintf(stderr, "analyze: %s\n", err.msg);
		worst = EXIT_WORKER;
	}
	worker_free(&w);
	return worst;
}
