/* workerbench — analyse every file of a directory (e.g. a Maildir's new/
 * from tests/bench/make_mailbox.py) through one worker, as intake does,
 * and print wall time, CPU of the parent and of its children, and the
 * largest child's peak RSS.
 *
 *   workerbench DIR [FILES_DIR]
 *
 * Attachments go to a temporary directory under FILES_DIR (default /tmp),
 * emptied between messages and removed afterwards. Exit status: 0, 1
 * usage, 2 system error, 3 some message failed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "intaked/fsio.h"
#include "intaked/util.h"
#include "intaked/worker.h"

static double seconds(const struct timeval *u, const struct timeval *s)
{
	return (double)(u->tv_sec + s->tv_sec) + (double)(u->tv_usec + s->tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	static const struct limits_config lim; /* the daemon's defaults */
	struct timespec t0, t1;
	struct rusage self, kids;
	struct worker *w;
	struct dirent *e;
	unsigned n = 0, failed = 0;
	long words = 0;
	char *files;
	DIR *d;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: workerbench DIR [FILES_DIR]\n");
		return 1;
	}
	files = xasprintf("%s/workerbench.XXXXXX", argc > 2 ? argv[2] : "/tmp");
	if ((d = opendir(argv[1])) == NULL || mkdtemp(files) == NULL) {
		perror("workerbench");
		return 2;
	}
	w = worker_new(&lim);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((e = readdir(d)) != NULL) {
		struct analysis *a = NULL;
		struct err err = { 0 };
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", argv[1], e->d_name);
		if (worker_analyze(w, path, files, &a, &err) < 0) {
			fprintf(stderr, "workerbench: %s: %s\n", e->d_name, err.msg);
			failed++;
		} else {
			words += a->word_count;
			analysis_free(&a);
		}
		free(path);
		n++;
	}
	worker_free(&w);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	closedir(d);
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("messages=%u failed=%u words=%ld wall=%.3fs parent_cpu=%.3fs children_cpu=%.3fs "
	       "child_max_rss=%ldKiB\n", n, failed, words,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       seconds(&self.ru_utime, &self.ru_stime), seconds(&kids.ru_utime, &kids.ru_stime),
	       kids.ru_maxrss);
	(void)fsio_rmtree(files);
	free(files);
	return failed > 0 ? 3 : 0;
}
