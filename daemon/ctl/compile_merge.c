/* compile_merge.c — the compilation's pages put together with qpdf: each
 * part read once to count its pages (a damaged or encrypted one is found
 * here and replaced by a page that says so), one qpdf job that merges the
 * pages and lays each input's band over its first page, then the bookmarks
 * (/Outlines) added through qpdf's object handles and the file written
 * aside, fsynced and renamed over OUT.pdf. */
#include <errno.h>
#include <fcntl.h>
#include <qpdf/qpdf-c.h>
#include <qpdf/qpdfjob-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "ctl.h"
#include "intaked/fsio.h"
#include "intaked/util.h"

/* US Letter, for a page that names no size of its own. */
#define DEFAULT_W 612.0
#define DEFAULT_H 792.0
#define OUT_MODE 0644

static void first_page_size(qpdf_data q, struct compile_part *p)
{
	qpdf_oh page = qpdf_get_page_n(q, 0);
	qpdf_oh box = qpdf_oh_get_key(q, page, "/MediaBox");
	p->width = DEFAULT_W;
	p->height = DEFAULT_H;
	if (qpdf_oh_is_array(q, box) && qpdf_oh_get_array_n_items(q, box) == 4) {
		double v[4];
		for (int i = 0; i < 4; i++)
			v[i] = qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, box, i));
		if (v[2] - v[0] > 10 && v[3] - v[1] > 10) {
			p->width = v[2] - v[0];
			p->height = v[3] - v[1];
		}
	}
}

int compile_probe(struct compile_part *p)
{
	qpdf_data q = qpdf_init();
	int rc = -1;
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if (qpdf_read(q, p->pdf, NULL) & QPDF_ERRORS) {
		snprintf(p->reason, sizeof(p->reason), "not a readable PDF (%s)",
			 qpdf_get_error_message_detail(q, qpdf_get_error(q)));
	} else if ((p->npages = qpdf_get_num_pages(q)) <= 0 || qpdf_has_error(q)) {
		snprintf(p->reason, sizeof(p->reason), "the PDF has no pages that can be read");
	} else {
		first_page_size(q, p);
		rc = qpdf_has_error(q) ? -1 : 0;
		if (rc < 0)
			snprintf(p->reason, sizeof(p->reason), "the PDF's pages cannot be read");
	}
	qpdf_cleanup(&q);
	return rc;
}

/* ---- the merge ---- */

/* "--to=3,8,12": the first page of each input. Caller frees. */
static char *band_pages(const struct compile_doc *d)
{
	struct buf b;
	/* 12 bytes a page number and comma: ample for any count of inputs. */
	buf_init(&b, 16 + 12 * (d->n + 1));
	buf_puts(&b, "--to=");
	for (size_t i = 0; i < d->n; i++)
		buf_printf(&b, "%s%d", i ? "," : "", d->in[i].first_page);
	return buf_steal(&b);
}

static int run_merge_job(const struct compile_doc *d, const char *cover, const char *toc,
			 const char *bands, const char *merged, struct err *err)
{
	size_t nparts = 0;
	for (size_t i = 0; i < d->n; i++)
		nparts += d->in[i].nparts;
	const char **argv = xcalloc(nparts + 20, sizeof(*argv));
	char *to = band_pages(d), *from = xasprintf("--from=1-%zu", d->n);
	size_t k = 0;
	argv[k++] = "qpdf";
	argv[k++] = "--empty";
	argv[k++] = "--no-warn";
	argv[k++] = "--warning-exit-0";
	argv[k++] = "--pages";
	argv[k++] = cover;
	argv[k++] = toc;
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < d->in[i].nparts; j++)
			argv[k++] = d->in[i].parts[j].pdf;
	argv[k++] = "--";
	if (d->n > 0) {
		argv[k++] = "--overlay";
		argv[k++] = bands;
		argv[k++] = to;
		argv[k++] = from;
		argv[k++] = "--";
	}
	argv[k++] = merged;
	argv[k] = NULL;
	int rc = qpdfjob_run_from_argv(argv);
	free(to);
	free(from);
	free(argv);
	if (rc != 0 && rc != 3) {
		err_set(err, ERR_TEMP, "qpdf could not merge the pages (exit %d)", rc);
		return -1;
	}
	return 0;
}

/* ---- bookmarks ---- */

static qpdf_oh outline_item(qpdf_data q, qpdf_oh parent, const char *title, int page)
{
	qpdf_oh item = qpdf_make_indirect_object(q, qpdf_oh_new_dictionary(q));
	qpdf_oh dest = qpdf_oh_new_array(q);
	qpdf_oh_append_item(q, dest, qpdf_get_page_n(q, (size_t)page));
	qpdf_oh_append_item(q, dest, qpdf_oh_new_name(q, "/Fit"));
	qpdf_oh_replace_key(q, item, "/Title", qpdf_oh_new_unicode_string(q, title));
	qpdf_oh_replace_key(q, item, "/Parent", parent);
	qpdf_oh_replace_key(q, item, "/Dest", dest);
	return item;
}

/* Cover, Contents, then one per member: a flat list, in document order. */
static void add_outlines(qpdf_data q, const struct compile_doc *d)
{
	qpdf_oh root = qpdf_get_root(q);
	qpdf_oh outlines = qpdf_make_indirect_object(q, qpdf_oh_new_dictionary(q));
	qpdf_oh_replace_key(q, outlines, "/Type", qpdf_oh_new_name(q, "/Outlines"));
	size_t n = d->n + 2;
	qpdf_oh *items = xcalloc(n, sizeof(*items));
	items[0] = outline_item(q, outlines, "Cover", 0);
	items[1] = outline_item(q, outlines, "Contents", 1);
	for (size_t i = 0; i < d->n; i++)
		items[i + 2] = outline_item(q, outlines, d->in[i].member, d->in[i].first_page - 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			qpdf_oh_replace_key(q, items[i], "/Prev", items[i - 1]);
		if (i + 1 < n)
			qpdf_oh_replace_key(q, items[i], "/Next", items[i + 1]);
	}
	qpdf_oh_replace_key(q, outlines, "/First", items[0]);
	qpdf_oh_replace_key(q, outlines, "/Last", items[n - 1]);
	qpdf_oh_replace_key(q, outlines, "/Count", qpdf_oh_new_integer(q, (long long)n));
	qpdf_oh_replace_key(q, root, "/Outlines", outlines);
	qpdf_oh_replace_key(q, root, "/PageMode", qpdf_oh_new_name(q, "/UseOutlines"));
	free(items);
}

static int fsync_path(const char *path, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fsync(fd) < 0) {
		err_setsys(err, ERR_TEMP, "fsync %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* merged + bookmarks into aside (a file of OUT.pdf's directory). */
static int write_with_outlines(const struct compile_doc *d, const char *merged, const char *aside,
			       int *pages_r, struct err *err)
{
	qpdf_data q = qpdf_init();
	int rc = -1;
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if (qpdf_read(q, merged, NULL) & QPDF_ERRORS) {
		err_set(err, ERR_TEMP, "qpdf: the merged file: %s",
			qpdf_get_error_message_detail(q, qpdf_get_error(q)));
		goto out;
	}
	*pages_r = qpdf_get_num_pages(q);
	add_outlines(q, d);
	if ((qpdf_init_write(q, aside) & QPDF_ERRORS) || (qpdf_write(q) & QPDF_ERRORS)) {
		err_set(err, ERR_TEMP, "%s: %s", aside,
			qpdf_get_error_message_detail(q, qpdf_get_error(q)));
		goto out;
	}
	rc = 0;
out:
	qpdf_cleanup(&q);
	return rc;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

int compile_merge(const struct compile_doc *d, const char *cover, const char *toc,
		  const char *bands, const char *out, int *pages_r, struct err *err)
{
	char *merged = xasprintf("%s/merged.pdf", d->workdir);
	char *aside = xasprintf("%s.tmp-XXXXXX", out), *dir = dir_of(out);
	int fd = -1, rc = -1;
	if (run_merge_job(d, cover, toc, bands, merged, err) < 0)
		goto out;
	if ((fd = mkstemp(aside)) < 0) {
		err_setsys(err, ERR_TEMP, "create %s", aside);
		goto out;
	}
	close(fd);
	if (write_with_outlines(d, merged, aside, pages_r, err) < 0)
		goto out;
	/* A file to circulate: readable like any other the user writes. */
	if (chmod(aside, OUT_MODE) < 0) {
		err_setsys(err, ERR_TEMP, "chmod %s", aside);
		goto out;
	}
	if (fsync_path(aside, err) < 0)
		goto out;
	if (rename(aside, out) < 0) {
		err_setsys(err, ERR_TEMP, "rename to %s", out);
		goto out;
	}
	fd = -1;
	rc = fsio_fsync_dir(dir, err);
out:
	if (rc < 0 && fd >= 0)
		unlink(aside);
	free(merged);
	free(aside);
	free(dir);
	return rc;
}
