/* compile.c — intakectl compile: which inputs, in what order, made of
 * which parts; the documents copied out of the spool (never through a
 * symlink) into a private work directory, converted in parallel, typeset
 * or checked, numbered, and handed to compile_merge. */
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "convert.h"
#include "ctl.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "intaked/printable.h"
#include "intaked/spool.h"
#include "intaked/util.h"

/* The largest document copied out of the spool for the compilation. */
#define DOC_MAX ((size_t)512 << 20)
#define WORK_FILE_MODE 0600
/* Seconds one document may take LibreOffice. */
#define COMPILE_CONVERT_TIMEOUT 120

/* ---- choosing the inputs ---- */

static bool is_late(const struct metadata *md)
{
	return md->timeliness && strcmp(md->timeliness, "late") == 0;
}

/* A version that may stand for its member in the compilation: verified by
 * the roster, not held, on time (or late with --include-late), and not
 * rejected for any other reason than lateness. */
static bool compilable(const struct metadata *md, const struct compile_options *opt)
{
	if (!md->submitter.verified || md->held)
		return false;
	if (is_late(md))
		return opt->include_late;
	return !(md->status && strcmp(md->status, "rejected") == 0);
}

static size_t slug_end(const char *relpath)
{
	const char *slash = strrchr(relpath, '/');
	return slash ? (size_t)(slash - relpath) : strlen(relpath);
}

/* Per member (a run of one slug in subs): count the current version for
 * the cover, and pick the highest version that may be compiled. */
static void choose(const struct ctl_subs *subs, const struct compile_options *opt,
		   struct compile_doc *d, const struct ctl_sub **chosen)
{
	for (size_t i = 0; i < subs->n;) {
		size_t end = i + 1, len = slug_end(subs->v[i].relpath);
		while (end < subs->n && slug_end(subs->v[end].relpath) == len &&
		       strncmp(subs->v[i].relpath, subs->v[end].relpath, len) == 0)
			end++;
		const struct ctl_sub *pick = NULL;
		for (size_t k = i; k < end; k++) {
			const struct metadata *md = subs->v[k].md;
			if (subs->v[k].current && md->submitter.verified) {
				d->received++;
				*(is_late(md) ? &d->late : &d->on_time) += 1;
			}
			if (compilable(md, opt))
				pick = &subs->v[k];
		}
		if (pick)
			chosen[d->n++] = pick;
		i = end;
	}
}

/* ---- order ---- */

/* English alphabetical order: case and accents do not count ("Côte
 * d'Ivoire" between "Costa Rica" and "Croatia"). Caller g_free()s. */
static char *sort_key(const char *name)
{
	char *valid = g_utf8_make_valid(name ? name : "", -1);
	char *nfd = g_utf8_normalize(valid, -1, G_NORMALIZE_NFD);
	GString *base = g_string_new(NULL);
	for (const char *p = nfd; p && *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_combining_class(c) == 0)
			g_string_append_unichar(base, c);
	}
	char *key = g_utf8_casefold(base->str, -1);
	g_string_free(base, TRUE);
	g_free(nfd);
	g_free(valid);
	return key;
}

static int cmp_time(time_t a, time_t b)
{
	return (a > b) - (a < b);
}

static int cmp_by_name(const void *a, const void *b)
{
	const struct compile_input *x = a, *y = b;
	char *kx = sort_key(x->member), *ky = sort_key(y->member);
	int c = strcmp(kx, ky);
	g_free(kx);
	g_free(ky);
	return c ? c : cmp_time(x->received_at, y->received_at);
}

static int cmp_by_received(const void *a, const void *b)
{
	const struct compile_input *x = a, *y = b;
	int c = cmp_time(x->received_at, y->received_at);
	return c ? c : cmp_by_name(a, b);
}

/* ---- parts ---- */

static int open_entry(const struct spool *sp, const char *relpath)
{
	return spool_open_dir(sp, relpath, NULL);
}

/* sub/name of the entry (sub may be NULL) to the work file dst. */
static int copy_out(int entryfd, const char *sub, const char *name, const char *dst,
		    char *reason, size_t rlen)
{
	int dfd = sub ? openat(entryfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		      : dup(entryfd);
	char *data = NULL;
	size_t len = 0;
	struct err err = { 0 };
	int rc = -1;
	if (dfd < 0)
		snprintf(reason, rlen, "missing from the spool");
	else if (strchr(name, '/') || fsio_read_at(dfd, name, DOC_MAX, &data, &len, &err) < 0)
		snprintf(reason, rlen, "cannot be read from the spool%s%.120s",
			 err.msg[0] ? ": " : "", err.msg);
	else if ((rc = fsio_write_new(AT_FDCWD, dst, data, len, WORK_FILE_MODE, &err)) < 0)
		snprintf(reason, rlen, "%.150s", err.msg);
	if (dfd >= 0)
		close(dfd);
	free(data);
	return rc;
}

static enum compile_part_kind kind_of(const char *type)
{
	static const char *const convert[] = { "docx", "odt", "rtf", "doc", "html" };
	if (type == NULL)
		return PART_ERROR;
	if (strcmp(type, "pdf") == 0)
		return PART_PDF;
	if (strcmp(type, "txt") == 0 || strcmp(type, "md") == 0)
		return PART_TEXT;
	for (size_t i = 0; i < sizeof(convert) / sizeof(convert[0]); i++)
		if (strcmp(type, convert[i]) == 0)
			return PART_CONVERT;
	return PART_ERROR;
}

static struct compile_part *add_part(struct compile_input *in, const struct compile_doc *d,
				     size_t idx, const char *name, const char *ext)
{
	struct compile_part *p = &in->parts[in->nparts];
	p->name = xstrdup(name);
	p->src = xasprintf("%s/i%zu-%zu.%s", d->workdir, idx, in->nparts, ext);
	p->pdf = xasprintf("%s/i%zu-%zu-out.pdf", d->workdir, idx, in->nparts);
	in->nparts++;
	return p;
}

/* The documents of the input (or its message text), copied out. */
static void collect_parts(const struct spool *sp, const struct metadata *md,
			  const struct compile_doc *d, size_t idx, struct compile_input *in)
{
	int entryfd = open_entry(sp, in->relpath);
	bool body = md->counted == NULL || strcmp(md->counted, "body") == 0;
	in->parts = xcalloc(md->ndocuments + 1, sizeof(*in->parts));
	for (size_t i = 0; !body && i < md->ndocuments; i++) {
		const struct md_document *m = &md->documents[i];
		enum compile_part_kind kind = kind_of(m->type);
		const char *file = m->file && strncmp(m->file, "files/", 6) == 0 ? m->file + 6 : NULL;
		if (kind == PART_ERROR || file == NULL)
			continue;     /* an image, a spreadsheet: not a document of the input */
		struct compile_part *p = add_part(in, d, idx, m->name && *m->name ? m->name : file,
						  m->type);
		p->kind = kind;
		if (entryfd < 0)
			snprintf(p->reason, sizeof(p->reason), "the entry cannot be opened");
		if (entryfd < 0 || copy_out(entryfd, "files", file, p->src, p->reason,
					    sizeof(p->reason)) < 0)
			p->kind = PART_ERROR;
	}
	if (in->nparts == 0) {
		struct compile_part *p = add_part(in, d, idx, "Message text", "txt");
		p->kind = PART_TEXT;
		/* The counted text: no quoted lines, no signature (entries filed
		 * before text.txt was kept have the body only). */
		if (entryfd < 0 || (copy_out(entryfd, NULL, "text.txt", p->src, p->reason,
					     sizeof(p->reason)) < 0 &&
				    copy_out(entryfd, NULL, "body.txt", p->src, p->reason,
					     sizeof(p->reason)) < 0))
			p->kind = PART_ERROR;
	}
	if (entryfd >= 0)
		close(entryfd);
}

static void input_from(struct compile_input *in, const struct ctl_sub *s)
{
	in->relpath = xstrdup(s->relpath);
	in->member = xstrdup(ctl_submitter_name(s->md));
	in->language = xstrdup(s->md->language);
	in->received_at = s->md->received_at;
	in->words = s->md->word_count;
}

/* ---- progress on a terminal ---- */

static void show_progress(const struct compile_options *opt, const char *what, size_t i,
			  size_t n, const char *member)
{
	if (!opt->progress)
		return;
	char *shown = printable_copy(member);
	fprintf(stderr, "\r%s %zu of %zu, %s\033[K", what, i, n, shown);
	free(shown);
	fflush(stderr);
}

struct convert_watch {
	const struct compile_options *opt;
	const struct convert_job *jobs;
	const char *const *members;
};

static void convert_progress(size_t done, size_t n, const struct convert_job *j, void *arg)
{
	const struct convert_watch *w = arg;
	show_progress(w->opt, "converting", done, n, w->members[j - w->jobs]);
}

/* ---- converting, typesetting, checking ---- */

/* Every part LibreOffice must convert, in parallel; a part that fails
 * keeps the reason for its page. */
static void convert_parts(struct compile_doc *d, const struct compile_options *opt)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < d->in[i].nparts; j++)
			n += d->in[i].parts[j].kind == PART_CONVERT;
	if (n == 0)
		return;
	struct convert_job *jobs = xcalloc(n, sizeof(*jobs));
	const char **members = xcalloc(n, sizeof(*members));
	struct compile_part **parts = xcalloc(n, sizeof(*parts));
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < d->in[i].nparts; j++) {
			struct compile_part *p = &d->in[i].parts[j];
			if (p->kind != PART_CONVERT)
				continue;
			jobs[k] = (struct convert_job){ .src = p->src, .dst_pdf = p->pdf };
			members[k] = d->in[i].member;
			parts[k++] = p;
		}
	struct convert_watch w = { .opt = opt, .jobs = jobs, .members = members };
	convert_all(jobs, n, opt->parallel, opt->timeout_s, convert_progress, &w);
	if (opt->progress)
		fputc('\n', stderr);
	for (k = 0; k < n; k++)
		if (jobs[k].status != CONVERT_OK) {
			parts[k]->kind = PART_ERROR;
			snprintf(parts[k]->reason, sizeof(parts[k]->reason), "%s",
				 jobs[k].reason[0] ? jobs[k].reason : "the conversion failed");
		}
	free(jobs);
	free(members);
	free(parts);
}

/* The part's PDF: typeset, or checked with qpdf; whatever cannot be read
 * becomes a page that says so. -1 only when a page cannot be written. */
static int render_part(struct compile_part *p, const char *lang, struct err *err)
{
	if (p->kind == PART_TEXT)
		return compile_typeset_text(p, lang, err);
	if (p->kind == PART_PDF) {
		free(p->pdf);
		p->pdf = xstrdup(p->src);
	}
	if (p->kind != PART_ERROR && compile_probe(p) == 0)
		return 0;
	if (p->kind == PART_PDF) {   /* the error page must not replace the copy */
		free(p->pdf);
		p->pdf = xasprintf("%s-error.pdf", p->src);
	}
	return compile_typeset_error(p, err);
}

static int render_inputs(struct compile_doc *d, const struct compile_options *opt,
			 size_t *unreadable, struct err *err)
{
	for (size_t i = 0; i < d->n; i++) {
		struct compile_input *in = &d->in[i];
		show_progress(opt, "compiling", i + 1, d->n, in->member);
		for (size_t j = 0; j < in->nparts; j++) {
			if (render_part(&in->parts[j], in->language, err) < 0)
				return -1;
			if (in->parts[j].kind == PART_ERROR) {
				(*unreadable)++;
				log_warnx("event=compile-unreadable path=%s file=%s reason=%s",
					  log_q(in->relpath), log_q(in->parts[j].name),
					  log_q(in->parts[j].reason));
			}
		}
	}
	if (opt->progress && d->n > 0)
		fputc('\n', stderr);
	return 0;
}

/* Cover is page 1, the contents follow, then the inputs. */
static void number_pages(struct compile_doc *d)
{
	d->toc_pages = compile_toc_pages(d->n);
	int page = 2 + d->toc_pages;
	for (size_t i = 0; i < d->n; i++) {
		d->in[i].first_page = page;
		for (size_t j = 0; j < d->in[i].nparts; j++)
			page += d->in[i].parts[j].npages;
	}
}

static int typeset_and_merge(struct compile_doc *d, const char *out, int *pages_r,
			     struct err *err)
{
	char *cover = xasprintf("%s/cover.pdf", d->workdir);
	char *toc = xasprintf("%s/toc.pdf", d->workdir);
	char *bands = xasprintf("%s/bands.pdf", d->workdir);
	int rc = -1;
	number_pages(d);
	if (compile_typeset_cover(d, cover, err) == 0 && compile_typeset_toc(d, toc, err) == 0 &&
	    compile_typeset_bands(d, bands, err) == 0)
		rc = compile_merge(d, cover, toc, bands, out, pages_r, err);
	free(cover);
	free(toc);
	free(bands);
	return rc;
}

/* ---- the command ---- */

static void doc_free(struct compile_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct compile_input *in = &d->in[i];
		for (size_t j = 0; j < in->nparts; j++) {
			free(in->parts[j].name);
			free(in->parts[j].src);
			free(in->parts[j].pdf);
		}
		free(in->parts);
		free(in->relpath);
		free(in->member);
		free(in->language);
	}
	free(d->in);
	if (d->workdir)
		fsio_rmtree(d->workdir);
	free(d->workdir);
}

static char *make_workdir(struct err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/intakectl-compile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		err_setsys(err, ERR_TEMP, "create %s", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* The inputs chosen, copied out and sorted. */
static int gather(struct ctl *c, const struct call_config *call, const struct compile_options *opt,
		  struct compile_doc *d, struct err *err)
{
	struct ctl_subs subs = { 0 };
	if (ctl_subs_load(c, call->name, &subs, err) < 0)
		return -1;
	const struct ctl_sub **chosen = xcalloc(subs.n + 1, sizeof(*chosen));
	choose(&subs, opt, d, chosen);
	d->in = xcalloc(d->n + 1, sizeof(*d->in));
	int rc = -1;
	if (d->n == 0) {
		err_set(err, ERR_MESSAGE, "no input of %s to compile%s", call->name,
			opt->include_late ? "" : " (--include-late adds late ones)");
	} else if ((d->workdir = make_workdir(err)) != NULL) {
		for (size_t i = 0; i < d->n; i++) {
			input_from(&d->in[i], chosen[i]);
			collect_parts(c->sp, chosen[i]->md, d, i, &d->in[i]);
		}
		qsort(d->in, d->n, sizeof(*d->in), opt->order_received ? cmp_by_received : cmp_by_name);
		rc = 0;
	}
	free(chosen);
	ctl_subs_free(&subs);
	return rc;
}

int compile_call(struct ctl *c, const struct call_config *call, const char *out_pdf,
		 const struct compile_options *opt, struct compile_result *res, struct err *err)
{
	struct compile_doc d = { .call = call, .now = c->now };
	int pages = 0, rc = -1;
	*res = (struct compile_result){ 0 };
	if (gather(c, call, opt, &d, err) < 0)
		goto out;
	convert_parts(&d, opt);
	if (render_inputs(&d, opt, &res->unreadable, err) < 0 ||
	    typeset_and_merge(&d, out_pdf, &pages, err) < 0)
		goto out;
	res->inputs = d.n;
	res->pages = (size_t)pages;
	log_info("event=compile call=%s out=%s inputs=%zu pages=%d unreadable=%zu",
		 log_q(call->name), log_q(out_pdf), d.n, pages, res->unreadable);
	rc = 0;
out:
	doc_free(&d);
	compile_typeset_done();
	return rc;
}

int ctl_cmd_compile(struct ctl *c, const struct ctl_args *a)
{
	const struct call_config *call = ctl_find_call(c, a->pos[0]);
	if (call == NULL)
		return CTL_FAIL;
	int rc = ctl_open_spool(c);
	if (rc != CTL_OK)
		return rc;
	struct compile_options opt = {
		.order_received = a->order && strcmp(a->order, "received") == 0,
		.include_late = a->include_late,
		.progress = isatty(STDERR_FILENO),
		.timeout_s = COMPILE_CONVERT_TIMEOUT,
	};
	struct compile_result res;
	struct err err = { 0 };
	if (compile_call(c, call, a->pos[1], &opt, &res, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return err.cls == ERR_MESSAGE ? CTL_FAIL : CTL_IOERR;
	}
	fprintf(c->out, "compiled %zu input%s of %s into %s: %zu pages", res.inputs,
		res.inputs == 1 ? "" : "s", call->name, a->pos[1], res.pages);
	if (res.unreadable)
		fprintf(c->out, ", %zu document%s could not be included", res.unreadable,
			res.unreadable == 1 ? "" : "s");
	fputc('\n', c->out);
	return CTL_OK;
}
