/* ctl_diff.c — intakectl diff ID [--html] [-o FILE]: what changed between
 * a version and the one it supersedes, word by word (wdiff.h), from their
 * counted texts (version_text.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "intaked/fsio.h"
#include "intaked/metadata.h"
#include "intaked/printable.h"
#include "intaked/spool.h"
#include "intaked/util.h"
#include "intaked/version_text.h"
#include "intaked/wdiff.h"

struct side {
	char *relpath;
	char *text;
	size_t len;
	const char *src;
};

static int read_side(struct ctl *c, struct side *s)
{
	struct err err = { 0 };
	if (version_text_read(c->sp, s->relpath, &s->text, &s->len, &s->src, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	return CTL_OK;
}

static void html_escaped(FILE *out, const char *s)
{
	char *clean = printable_copy(s);
	for (const char *p = clean; *p; p++) {
		if (*p == '&')
			fputs("&amp;", out);
		else if (*p == '<')
			fputs("&lt;", out);
		else if (*p == '>')
			fputs("&gt;", out);
		else if (*p == '"')
			fputs("&quot;", out);
		else
			fputc(*p, out);
	}
	free(clean);
}

static void put_html(FILE *out, const struct side *old, const struct side *new,
		     const struct wdiff *d)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>", out);
	html_escaped(out, new->relpath);
	fputs("</title>\n<style>del{background:#fdd;color:#900}ins{background:#dfd;"
	      "color:#060;text-decoration:none}.skip{color:#888}</style>\n</head><body>\n<h1>",
	      out);
	html_escaped(out, old->relpath);
	fputs(" → ", out);
	html_escaped(out, new->relpath);
	fprintf(out, "</h1>\n<p class=\"counts\">+%ld / −%ld words%s</p>\n", wdiff_added(d),
		wdiff_removed(d), wdiff_coarse(d) ? " (compared by paragraph)" : "");
	wdiff_render_html(d, out);
	fputs("</body></html>\n", out);
}

static void put_text(FILE *out, const struct side *old, const struct side *new,
		     const struct wdiff *d, bool colour)
{
	char *o = printable_copy(old->relpath), *n = printable_copy(new->relpath);
	fprintf(out, "--- %s (%s)\n+++ %s (%s)\n+%ld / −%ld words%s\n\n", o, old->src, n,
		new->src, wdiff_added(d), wdiff_removed(d),
		wdiff_coarse(d) ? " (too many changes: compared by paragraph)" : "");
	free(o);
	free(n);
	wdiff_render_text(d, out, colour);
}

/* -o FILE: written aside and renamed into place. */
static int write_output(struct ctl *c, const char *path, const char *data, size_t len)
{
	struct err err = { 0 };
	if (fsio_replace(path, data, len, 0644, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	return CTL_OK;
}

static int render(struct ctl *c, const struct ctl_args *a, const struct side *old,
		  const struct side *new)
{
	struct wdiff *d = wdiff_compute(old->text, old->len, new->text, new->len);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (mem == NULL)
		abort();
	if (a->html)
		put_html(mem, old, new, d);
	else
		put_text(mem, old, new, d, a->output == NULL && c->out == stdout &&
			 isatty(STDOUT_FILENO));
	fclose(mem);
	wdiff_free(&d);
	int rc = CTL_OK;
	if (a->output)
		rc = write_output(c, a->output, buf, len);
	else
		fwrite(buf, 1, len, c->out);
	free(buf);
	return rc;
}

int ctl_cmd_diff(struct ctl *c, const struct ctl_args *a)
{
	struct side old = { 0 }, new = { 0 };
	struct metadata *md = NULL;
	int rc = ctl_open_entry(c, a->pos[0], &new.relpath, &md);
	if (rc != CTL_OK)
		return rc;
	old.relpath = version_previous_path(new.relpath, md->supersedes);
	if (old.relpath == NULL || !spool_entry_exists(c->sp, old.relpath)) {
		char *shown = printable_copy(new.relpath);
		fprintf(c->err, "intakectl: %s supersedes no version (it is the first)\n", shown);
		free(shown);
		rc = CTL_FAIL;
	}
	if (rc == CTL_OK)
		rc = read_side(c, &old);
	if (rc == CTL_OK)
		rc = read_side(c, &new);
	if (rc == CTL_OK)
		rc = render(c, a, &old, &new);
	free(old.relpath);
	free(old.text);
	free(new.relpath);
	free(new.text);
	metadata_free(&md);
	return rc;
}
