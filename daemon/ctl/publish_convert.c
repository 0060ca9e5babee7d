/* publish_convert.c — a staged publication's documents as PDF, all
 * conversions at once in parallel (convert_all), so that 200 inputs take
 * minutes. A document that cannot be converted keeps its row, with the
 * reason on the page; the publication never stops on one bad input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "intaked/log.h"
#include "intaked/util.h"
#include "publish_convert.h"

#define CONVERT_TIMEOUT_DEFAULT 300

struct plan {
	struct convert_job *jobs;
	struct publish_doc **docs;  /* jobs[i] is for docs[i] */
	char **paths;               /* the src/dst strings the jobs point to */
	size_t n, npaths;
};

/* "files/SLUG/Our input.docx" -> "files/SLUG/Our input.pdf", or
 * ".docx.pdf" when a document of that name is already in the row. */
static char *pdf_name(const struct publish_row *r, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	char *name = xasprintf("%.*s.pdf", (int)(dot ? dot - path : (int)strlen(path)), path);
	for (size_t i = 0; i < r->ndocs; i++)
		if (r->docs[i].path && strcmp(r->docs[i].path, name) == 0) {
			free(name);
			return xasprintf("%s.pdf", path);
		}
	return name;
}

static void plan_doc(struct plan *pl, const char *site, const struct publish_row *r,
		     struct publish_doc *d)
{
	if (d->body || d->path == NULL)
		return;
	if (str_has_suffix_ci(d->path, ".pdf")) {
		d->pdf = xstrdup(d->path); /* as it came */
		return;
	}
	d->pdf = pdf_name(r, d->path);
	char *src = xasprintf("%s/%s", site, d->path), *dst = xasprintf("%s/%s", site, d->pdf);
	pl->paths[pl->npaths++] = src;
	pl->paths[pl->npaths++] = dst;
	pl->docs[pl->n] = d;
	pl->jobs[pl->n++] = (struct convert_job){ .src = src, .dst_pdf = dst };
}

static void plan_all(struct plan *pl, const char *site, struct publish_page *page)
{
	size_t max = 0;
	for (size_t i = 0; i < page->nrows; i++)
		max += page->rows[i].ndocs;
	pl->jobs = xcalloc(max + 1, sizeof(*pl->jobs));
	pl->docs = xcalloc(max + 1, sizeof(*pl->docs));
	pl->paths = xcalloc(2 * max + 1, sizeof(*pl->paths));
	for (size_t i = 0; i < page->nrows; i++)
		for (size_t k = 0; k < page->rows[i].ndocs; k++)
			plan_doc(pl, site, &page->rows[i], &page->rows[i].docs[k]);
}

static void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->npaths; i++)
		free(pl->paths[i]);
	free(pl->paths);
	free(pl->jobs);
	free(pl->docs);
}

/* Terminal progress: "converting 3 of 40". */
static void show_progress(size_t done, size_t n, const struct convert_job *j, void *arg)
{
	(void)arg;
	if (j->status != CONVERT_OK)
		log_warnx("event=publish-convert-failed file=%s reason=%s", log_q(j->src),
			  log_q(j->reason));
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rconverting to PDF: %zu of %zu%s", done, n, done == n ? "\n" : "");
}

/* After the conversions: the outcome on each doc; the originals go
 * unless asked for. */
static void apply(struct plan *pl, const char *site, bool originals)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct publish_doc *d = pl->docs[i];
		if (pl->jobs[i].status != CONVERT_OK) {
			free(d->pdf);
			d->pdf = NULL;
			d->pdf_error = xstrdup(pl->jobs[i].reason);
		}
		if (!originals) {
			char *orig = xasprintf("%s/%s", site, d->path);
			if (unlink(orig) < 0 && errno != ENOENT)
				log_warn("event=publish-unlink-failed file=%s", log_q(orig));
			free(orig);
			free(d->path);
			d->path = NULL;
		}
	}
}

int publish_convert(const char *site, struct publish_page *page, struct err *err)
{
	struct plan pl = { 0 };
	bool originals = page->opt.originals;
	plan_all(&pl, site, page);
	if (pl.n > 0 && !originals && !convert_available()) {
		err_set(err, ERR_MESSAGE, "LibreOffice (soffice) is not installed, so the documents "
			"cannot be published as PDF: install libreoffice-writer-nogui, or publish the "
			"original files with --originals");
		plan_free(&pl);
		return -1;
	}
	if (pl.n > 0) {
		int timeout = page->opt.convert_timeout > 0 ? page->opt.convert_timeout
							    : CONVERT_TIMEOUT_DEFAULT;
		size_t failed = convert_all(pl.jobs, pl.n, 0, timeout, show_progress, NULL);
		log_info("event=publish-converted documents=%zu failed=%zu", pl.n, failed);
	}
	apply(&pl, site, originals);
	plan_free(&pl);
	return 0;
}
