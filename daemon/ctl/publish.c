/* publish.c — intakectl publish: choose what to publish from the spool,
 * copy the documents, and put the site in place atomically (the page
 * itself is made in publish_render.c).
 *
 * Everything read from the spool is opened level by level with
 * O_NOFOLLOW from the spool root, and everything written goes below the
 * fresh staging directory through *at() calls with O_EXCL|O_NOFOLLOW on
 * names checked to be one plain component: a planted symlink or a hostile
 * file name can neither read outside the spool nor write outside OUTDIR. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/metadata.h"
#include "publish.h"
#include "intaked/spool.h"
#include "intaked/util.h"
#include "intaked/wordcount.h"
#include "publish_convert.h"
#include "publish_site.h"

#define SITE_DIR_MODE 0755
#define SITE_FILE_MODE 0644
#define COPY_CHUNK 65536
#define BODY_MAX (64u * 1024 * 1024)

bool publish_selects(const struct metadata *md, const struct publish_options *opt)
{
	if (md->kind == NULL || strcmp(md->kind, "submission") != 0)
		return false;
	if (opt->no_late && md->timeliness && strcmp(md->timeliness, "late") == 0)
		return false;
	/* The current accepted version (SPEC §6 status): one flagged "late"
	 * only with --include-late, a rejected one never. */
	if (md->status && strcmp(md->status, "accepted") != 0 &&
	    !(opt->include_late && strcmp(md->status, "late") == 0))
		return false;
	if (opt->no_rejected && md->status && strcmp(md->status, "rejected") == 0)
		return false;
	if (!opt->include_unverified && !md->submitter.verified)
		return false;
	/* Unverified while the submitter has a verified version: never
	 * published in its place until a coordinator accepts it. */
	if (md->held)
		return false;
	return true;
}

/* One plain path component: what we accept as a slug or a file name to
 * read from the spool and to create in OUTDIR. */
static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX || s[0] == '.')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The documents of SPEC §4 (what the word count is made of). */
static bool document_type(const char *type)
{
	static const char *const types[] = { "docx", "odt", "pdf", "rtf", "txt", "md",
					     "html", "doc" };
	for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

/* ---- reading the spool without following symlinks ---- */

static int open_entry(const struct spool *sp, const char *relpath)
{
	return spool_open_dir(sp, relpath, NULL);
}

/* Copy dir/sub/name (sub may be NULL) of the spool entry to dst/name2 in
 * the site: a regular file only, never through a symlink. */
static int copy_file(int entryfd, const char *sub, const char *name, int dstfd,
		     const char *dstname, struct err *err)
{
	int dfd = sub ? openat(entryfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		      : dup(entryfd);
	int in = dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = -1, rc = -1;
	struct stat st;
	char *buf = NULL;

	if (dfd >= 0)
		close(dfd);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, ERR_TEMP, "%s%s%s: not a regular file in the spool", sub ? sub : "",
			sub ? "/" : "", name);
		goto out;
	}
	out = openat(dstfd, dstname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     SITE_FILE_MODE);
	if (out < 0 || fchmod(out, SITE_FILE_MODE) < 0) {
		err_setsys(err, ERR_TEMP, "create %s", dstname);
		goto out;
	}
	buf = xmalloc(COPY_CHUNK);
	for (;;) {
		ssize_t n = fsio_read(in, buf, COPY_CHUNK);
		if (n < 0) {
			err_setsys(err, ERR_TEMP, "read %s", name);
			goto out;
		}
		if (n == 0)
			break;
		if (fsio_write_all(out, buf, (size_t)n) < 0) {
			err_setsys(err, ERR_TEMP, "write %s", dstname);
			goto out;
		}
	}
	if (fsync(out) < 0) {
		err_setsys(err, ERR_TEMP, "fsync %s", dstname);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int mkdir_site(int dirfd, const char *name, struct err *err)
{
	if (mkdirat(dirfd, name, SITE_DIR_MODE) < 0 && errno != EEXIST) {
		err_setsys(err, ERR_TEMP, "mkdir %s", name);
		return -1;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, SITE_DIR_MODE) < 0) {
		err_setsys(err, ERR_TEMP, "open %s", name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- choosing the rows ---- */

struct collect {
	const struct publish_options *opt;
	struct strlist chosen;    /* relpaths: the highest selected version per slug */
};

/* Keeps, per submitter, the highest version that passes the options: with
 * --no-late, an on-time v1 is published when v2 came late. Versions are
 * visited in slug, then version order. */
static int collect_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct collect *col = arg;
	if (!publish_selects(md, col->opt))
		return 0;
	const char *slash = strrchr(relpath, '/');
	size_t slug_len = slash ? (size_t)(slash - relpath) + 1 : strlen(relpath);
	if (col->chosen.n > 0) {
		char **last = &col->chosen.v[col->chosen.n - 1];
		if (strncmp(*last, relpath, slug_len) == 0) {
			free(*last);
			*last = xstrdup(relpath);
			return 0;
		}
	}
	strlist_push(&col->chosen, relpath);
	return 0;
}

/* The body as the public reads it: without quoted lines and without the
 * signature (the same filter as the word count, SPEC §4). */
static int write_body(int entryfd, int slugfd, struct err *err)
{
	char *body = NULL;
	size_t len = 0;
	if (fsio_read_at(entryfd, "body.txt", BODY_MAX, &body, &len, err) < 0)
		return -1;
	char *text = wordcount_body_filter(body);
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	char *out = xasprintf("%s\n", text);
	int rc = fsio_write_new(slugfd, "message.txt", out, strlen(out), SITE_FILE_MODE, err);
	if (rc == 0 && fchmodat(slugfd, "message.txt", SITE_FILE_MODE, 0) < 0) {
		err_setsys(err, ERR_TEMP, "chmod message.txt");
		rc = -1;
	}
	free(out);
	free(text);
	free(body);
	return rc;
}

static void doc_from(struct publish_doc *d, const struct md_document *m)
{
	d->name = xstrdup(m->name && *m->name ? m->name : m->file);
	d->words = m->words;
	d->error = xstrdup(m->error);
	d->size = m->size;
	d->sha256 = xstrdup(m->sha256);
}

/* Copy what a row shows into site/files/SLUG/ and fill row->docs. */
static int copy_documents(const struct spool *sp, const char *relpath, const struct metadata *md,
			  const char *slug, int filesfd, struct publish_row *row, struct err *err)
{
	int entryfd = open_entry(sp, relpath);
	int slugfd = -1, rc = -1;
	if (entryfd < 0) {
		err_setsys(err, ERR_TEMP, "spool: open %s", relpath);
		return -1;
	}
	if ((slugfd = mkdir_site(filesfd, slug, err)) < 0)
		goto out;
	bool by_body = md->counted && strcmp(md->counted, "body") == 0;
	row->docs = xcalloc(md->ndocuments + 1, sizeof(*row->docs));
	for (size_t i = 0; !by_body && i < md->ndocuments; i++) {
		const struct md_document *m = &md->documents[i];
		if (!document_type(m->type))
			continue;
		struct publish_doc *d = &row->docs[row->ndocs++];
		doc_from(d, m);
		const char *fname = m->file && strncmp(m->file, "files/", 6) == 0 ? m->file + 6 : NULL;
		if (fname == NULL || !plain_name(fname)) {
			log_warnx("event=publish-skip path=%s file=%s reason=unsafe-name",
				  log_q(relpath), log_q(m->file));
			continue;
		}
		char *safe = publish_safe_name(fname);
		if (!plain_name(safe)) {
			log_warnx("event=publish-skip path=%s file=%s reason=name-too-long",
				  log_q(relpath), log_q(m->file));
		} else if (copy_file(entryfd, "files", fname, slugfd, safe, err) < 0) {
			free(safe);
			goto out;
		} else {
			d->path = xasprintf("files/%s/%s", slug, safe);
		}
		free(safe);
	}
	if (by_body) {
		struct publish_doc *d = &row->docs[row->ndocs++];
		d->name = xstrdup("message.txt");
		d->body = true;
		d->words = md->word_count;
		if (write_body(entryfd, slugfd, err) < 0)
			goto out;
		d->path = xasprintf("files/%s/message.txt", slug);
	}
	rc = 0;
out:
	if (rc < 0) {
		struct err inner = *err;
		err_set(err, inner.cls ? inner.cls : ERR_TEMP, "%s: %s", relpath, inner.msg);
	}
	if (slugfd >= 0) {
		fsync(slugfd);
		close(slugfd);
	}
	close(entryfd);
	return rc;
}

static void row_from(struct publish_row *r, const struct metadata *md)
{
	r->id = xstrdup(md->id);
	r->in_roster = md->submitter.name && *md->submitter.name;
	/* Never the display name: anyone can call themselves "France". */
	r->name = md->submitter.verified ? xstrdup(md->submitter.name) : NULL;
	r->address = xstrdup(md->from);
	r->verified = md->submitter.verified;
	r->subject = xstrdup(md->subject);
	r->received_at = md->received_at;
	r->version = md->version;
	r->status = xstrdup(md->status);
	r->timeliness = xstrdup(md->timeliness);
	r->word_count = md->word_count;
	r->word_limit = md->word_limit;
	r->over_limit = md->over_limit;
	r->over_limit_unknown = md->over_limit_unknown;
	r->language = xstrdup(md->language);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct publish_row *x = a, *y = b;
	/* Verified missions by name, then unverified senders by address. */
	int c = (x->name == NULL) - (y->name == NULL);
	if (c == 0)
		c = strcasecmp(x->name ? x->name : x->address ? x->address : "",
			       y->name ? y->name : y->address ? y->address : "");
	if (c == 0)
		c = (x->received_at > y->received_at) - (x->received_at < y->received_at);
	return c != 0 ? c : strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static int build_rows(const struct spool *sp, const struct call_config *call,
		      const struct publish_options *opt, int sitefd, struct publish_page *page,
		      struct err *err)
{
	struct collect col = { .opt = opt };
	int filesfd = -1, rc = -1;
	if (spool_each_submission(sp, call->name, collect_visit, &col, err) < 0)
		goto out;
	if ((filesfd = mkdir_site(sitefd, "files", err)) < 0)
		goto out;
	page->rows = xcalloc(col.chosen.n + 1, sizeof(*page->rows));
	for (size_t i = 0; i < col.chosen.n; i++) {
		const char *rel = col.chosen.v[i];
		struct metadata *md = NULL;
		char *slug = xstrdup(rel + strlen("calls/") + strlen(call->name) + 1);
		*strchrnul(slug, '/') = '\0';
		int ok = plain_name(slug) && spool_load_metadata(sp, rel, &md, err) == 0;
		if (ok) {
			struct publish_row *r = &page->rows[page->nrows++];
			row_from(r, md);
			ok = copy_documents(sp, rel, md, slug, filesfd, r, err) == 0;
		}
		metadata_free(&md);
		free(slug);
		if (!ok)
			goto out;
	}
	qsort(page->rows, page->nrows, sizeof(*page->rows), cmp_rows);
	if (fsync(filesfd) < 0) {
		err_setsys(err, ERR_TEMP, "fsync files/");
		goto out;
	}
	rc = 0;
out:
	if (filesfd >= 0)
		close(filesfd);
	strlist_free(&col.chosen);
	return rc;
}

/* ---- putting the site in place ---- */

static int write_site_file(int sitefd, const char *name, const char *text, struct err *err)
{
	if (fsio_write_new(sitefd, name, text, strlen(text), SITE_FILE_MODE, err) < 0)
		return -1;
	/* Readable by the web server whatever the umask (the unit sets 0077). */
	if (fchmodat(sitefd, name, SITE_FILE_MODE, 0) < 0) {
		err_setsys(err, ERR_TEMP, "chmod %s", name);
		return -1;
	}
	return 0;
}

/* index.html (index.LL.html per --lang), or fragment.html, and the data. */
static int write_pages(int sitefd, const struct publish_page *page, struct err *err)
{
	size_t nlangs = page->opt.nlangs ? page->opt.nlangs : 1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nlangs; i++) {
		const char *lang = page->opt.nlangs ? page->opt.langs[i] : page->lang;
		bool frag = page->opt.fragment;
		char *html = frag ? publish_render_fragment(page, lang)
				  : publish_render_html(page, lang);
		const char *base = frag ? "fragment" : "index";
		char *name = page->opt.nlangs > 1 ? xasprintf("%s.%s.html", base, lang)
						  : xasprintf("%s.html", base);
		rc = write_site_file(sitefd, name, html, err);
		if (rc == 0 && i == 0 && page->opt.nlangs > 1) /* the first is the default */
			rc = write_site_file(sitefd, frag ? "fragment.html" : "index.html", html, err);
		free(name);
		free(html);
	}
	char *json = publish_render_json(page);
	if (rc == 0)
		rc = write_site_file(sitefd, "submissions.json", json, err);
	free(json);
	return rc;
}

static int write_site(const struct spool *sp, const struct call_config *call, const char *tmp,
		      int sitefd, const struct publish_options *opt, time_t now, size_t *nrows_r,
		      struct err *err)
{
	struct publish_page page = {
		.call = call->name, .title = call->title ? call->title : call->name,
		.lang = call->language, .zone = call->zone, .deadline = call->deadline,
		.word_limit = call->word_limit, .generated = now, .opt = *opt,
	};
	int rc = -1;
	if (build_rows(sp, call, opt, sitefd, &page, err) == 0 &&
	    publish_convert(tmp, &page, err) == 0 && write_pages(sitefd, &page, err) == 0)
		rc = publish_site_mark(sitefd, call->name, err);
	*nrows_r = page.nrows;
	publish_page_clear(&page);
	if (rc == 0 && (syncfs(sitefd) < 0 || fsync(sitefd) < 0)) {
		err_setsys(err, ERR_TEMP, "fsync the site");
		rc = -1;
	}
	return rc;
}

/* OUTDIR/CALL: OUTDIR made if need be, CALL one plain component. */
static char *site_path(const char *outdir, const char *call, struct err *err)
{
	char *out = publish_site_normalize(outdir);
	if (out == NULL || !plain_name(call)) {
		err_set(err, ERR_MESSAGE, "%s: not a usable directory name", outdir);
		free(out);
		return NULL;
	}
	if (fsio_mkdirs(out, SITE_DIR_MODE, err) < 0) {
		free(out);
		return NULL;
	}
	char *site = xasprintf("%s/%s", out, call);
	free(out);
	return site;
}

int publish_call(const struct spool *sp, const struct call_config *call, const char *outdir,
		 const struct publish_options *opt, time_t now, size_t *nrows_r,
		 struct err *err)
{
	bool exists;
	char *out = site_path(outdir, call->name, err);
	*nrows_r = 0;
	if (out == NULL)
		return -1;
	if (publish_site_check(out, &exists, err) < 0) {
		free(out);
		return -1;
	}
	char *tmp = xasprintf("%s.tmp-XXXXXX", out);
	if (mkdtemp(tmp) == NULL) {
		err_setsys(err, ERR_TEMP, "create %s", tmp);
		free(tmp);
		free(out);
		return -1;
	}
	int sitefd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = -1;
	if (sitefd < 0 || fchmod(sitefd, SITE_DIR_MODE) < 0)
		err_setsys(err, ERR_TEMP, "open %s", tmp);
	else if (write_site(sp, call, tmp, sitefd, opt, now, nrows_r, err) == 0 &&
		 publish_site_swap(tmp, out, exists, err) == 0)
		rc = 0;
	if (sitefd >= 0)
		close(sitefd);
	if (rc < 0) {
		fsio_rmtree(tmp);
	} else {
		char *parent = xstrdup(out);
		*strrchr(parent, '/') = '\0';
		fsio_fsync_dir(*parent ? parent : "/", NULL);
		free(parent);
		log_info("event=published call=%s outdir=%s submissions=%zu", call->name,
			 log_q(out), *nrows_r);
	}
	free(tmp);
	free(out);
	return rc;
}
