/* publish_template.c — placeholders {{name}} in the site's own template
 * (see publish_template.h). A check before anything is written names the
 * line of an unknown placeholder, so a typo is not published as text. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "publish_template.h"
#include "intaked/util.h"

#define TEMPLATE_OUT_MAX (128u * 1024 * 1024)

static const char *const names[] = { "lang", "title", "heading", "deadline", "generated",
				     "languages", "list", "css" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static const char *value_of(const struct publish_template_values *v, size_t k)
{
	const char *vals[NNAMES] = { v->lang, v->title, v->heading, v->deadline, v->generated,
				     v->languages, v->list, v->css };
	return vals[k] ? vals[k] : "";
}

/* The placeholder at p ("{{name}}"): its index, its length in *len; -1
 * when p holds "{{" that is no known placeholder. */
static int placeholder_at(const char *p, size_t *len)
{
	const char *end = strstr(p + 2, "}}");
	for (size_t k = 0; end && k < NNAMES; k++) {
		size_t n = strlen(names[k]);
		if ((size_t)(end - p - 2) == n && strncmp(p + 2, names[k], n) == 0) {
			*len = n + 4;
			return (int)k;
		}
	}
	return -1;
}

int publish_template_check(const char *templ, const char *file, struct err *err)
{
	bool has_list = false;
	int line = 1;
	for (const char *p = templ; *p; p++) {
		size_t len;
		if (*p == '\n')
			line++;
		if (strncmp(p, "{{", 2) != 0)
			continue;
		int k = placeholder_at(p, &len);
		if (k < 0) {
			const char *end = strstr(p, "}}");
			int shown = end && end - p < 40 ? (int)(end - p + 2) : 12;
			err_set(err, ERR_MESSAGE, "%s:%d: unknown placeholder %.*s (known: {{lang}} "
				"{{title}} {{heading}} {{deadline}} {{generated}} {{languages}} "
				"{{list}} {{css}})", file, line, shown, p);
			return -1;
		}
		has_list |= strcmp(names[k], "list") == 0;
		p += len - 1;
	}
	if (!has_list) {
		err_set(err, ERR_MESSAGE, "%s: the template has no {{list}}: where does the list go?",
			file);
		return -1;
	}
	return 0;
}

char *publish_template_apply(const char *templ, const struct publish_template_values *v)
{
	struct buf b;
	buf_init(&b, TEMPLATE_OUT_MAX);
	for (const char *p = templ; *p;) {
		size_t len;
		int k = strncmp(p, "{{", 2) == 0 ? placeholder_at(p, &len) : -1;
		if (k >= 0) {
			buf_puts(&b, value_of(v, (size_t)k));
			p += len;
		} else {
			buf_append(&b, p, 1);
			p++;
		}
	}
	return buf_steal(&b);
}

void publish_template_values_clear(struct publish_template_values *v)
{
	free(v->lang);
	free(v->title);
	free(v->heading);
	free(v->deadline);
	free(v->generated);
	free(v->languages);
	free(v->list);
	free(v->css);
	*v = (struct publish_template_values){ 0 };
}
