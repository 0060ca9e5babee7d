/* digest_hidden.c — the digest's lines about what was not fully
 * examined: the parts left unread (the first HIDDEN_SHOWN named, then how
 * many more) and the documents shared as links, per current submission. */
#include <stdlib.h>

#include "digest_impl.h"
#include "schedtext.h"
#include "template.h"
#include "intaked/util.h"

#define VALUE_MAX 200
#define HIDDEN_SHOWN 20 /* unexamined parts named per submission */

static void line_unexamined(const struct digest *d, const char *who,
			    const struct digest_row *r, size_t i, struct buf *b)
{
	struct schedtext t;
	const char *name = r->unexamined_names.v[i];
	char *rname = xasprintf("skip_%s", r->unexamined_reasons.v[i]);
	const char *known = template_builtin(rname, d->lang);

	free(rname);
	schedtext_init(&t, d->lang);
	schedtext_take(&t, "submitter", schedtext_line(who, VALUE_MAX));
	schedtext_take(&t, "part", schedtext_line(r->unexamined_parts.v[i], VALUE_MAX));
	schedtext_take(&t, "name", schedtext_line(name, VALUE_MAX));
	schedtext_take(&t, "reason", schedtext_line(known ? known : r->unexamined_reasons.v[i],
						    VALUE_MAX));
	char *line = schedtext_builtin(&t, *name ? "digest_unexamined_line"
						 : "digest_unexamined_part");
	buf_printf(b, "\n%s", line);
	free(line);
	schedtext_free(&t);
}

void digest_line_hidden(const struct digest *d, const struct digest_row *r, struct buf *b)
{
	char *who = digest_row_submitter(r);
	size_t n = r->unexamined_parts.n;
	struct schedtext t;

	for (size_t i = 0; i < n && i < HIDDEN_SHOWN; i++)
		line_unexamined(d, who, r, i, b);
	if (n > HIDDEN_SHOWN) {
		schedtext_init(&t, d->lang);
		schedtext_take(&t, "submitter", schedtext_line(who, VALUE_MAX));
		schedtext_printf(&t, "count", "%zu", n - HIDDEN_SHOWN);
		char *line = schedtext_builtin_n(&t, "digest_unexamined_more",
						 (long)(n - HIDDEN_SHOWN));
		buf_printf(b, "\n%s", line);
		free(line);
		schedtext_free(&t);
	}
	for (size_t i = 0; i < r->links.n; i++) {
		schedtext_init(&t, d->lang);
		schedtext_take(&t, "submitter", schedtext_line(who, VALUE_MAX));
		schedtext_take(&t, "service", schedtext_line(r->link_services.v[i], VALUE_MAX));
		schedtext_take(&t, "url", schedtext_line(r->links.v[i], 2100));
		char *line = schedtext_builtin(&t, "digest_link_line");
		buf_printf(b, "\n%s", line);
		free(line);
		schedtext_free(&t);
	}
	free(who);
}
