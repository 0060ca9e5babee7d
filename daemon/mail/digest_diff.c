/* digest_diff.c — the digest's "v2 replaces v1: +N / −M words" under each
 * new version. Counted when the digest is made, from the texts the spool
 * keeps (version_text.h): nothing to store at filing, and entries filed
 * before this existed get their line too. The diff is bounded (wdiff.h),
 * so a digest of many large versions stays quick. */
#include <stdlib.h>

#include "digest_impl.h"
#include "intaked/log.h"
#include "schedtext.h"
#include "intaked/util.h"
#include "intaked/version_text.h"
#include "intaked/wdiff.h"

char *digest_replaces_line(const struct digest *d, const struct digest_row *r)
{
	char *prev = version_previous_path(r->path, r->supersedes);
	char *old = NULL, *new = NULL, *line = NULL;
	size_t oldlen = 0, newlen = 0;
	const char *src;
	struct err err = { 0 };

	if (prev == NULL)
		return NULL;
	if (version_text_read(d->sp, prev, &old, &oldlen, &src, &err) < 0 ||
	    version_text_read(d->sp, r->path, &new, &newlen, &src, &err) < 0) {
		log_warnx("event=digest-diff-failed path=%s error=%s", r->path, log_q(err.msg));
	} else {
		struct wdiff *w = wdiff_compute(old, oldlen, new, newlen);
		struct schedtext t;
		schedtext_init(&t, d->lang);
		schedtext_printf(&t, "version", "v%d", r->version);
		schedtext_take(&t, "supersedes", xstrdup(r->supersedes));
		schedtext_printf(&t, "added", "%ld", wdiff_added(w));
		schedtext_printf(&t, "removed", "%ld", wdiff_removed(w));
		line = schedtext_builtin(&t, "digest_replaces");
		schedtext_free(&t);
		wdiff_free(&w);
	}
	free(old);
	free(new);
	free(prev);
	return line;
}
