/* schedtext.c — variables and templates for reminders and digests. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "intaked/log.h"
#include "schedtext.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

void schedtext_init(struct schedtext *t, const char *lang)
{
	memset(t, 0, sizeof(*t));
	t->lang = lang ? lang : "en";
}

void schedtext_take(struct schedtext *t, const char *name, char *value)
{
	for (size_t i = 0; i < t->nvars; i++)
		if (strcmp(t->vars[i].name, name) == 0) {
			for (size_t k = 0; k < t->nowned; k++)
				if (t->owned[k] == t->vars[i].value) {
					free(t->owned[k]);
					t->owned[k] = value;
				}
			t->vars[i].value = value;
			return;
		}
	if (t->nvars == SCHEDTEXT_VARS)
		fatalx("event=bug in=schedtext_take name=%s", name);
	t->vars[t->nvars++] = (struct template_var){ name, value };
	t->owned[t->nowned++] = value;
}

void schedtext_printf(struct schedtext *t, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("event=oom in=schedtext_printf");
	schedtext_take(t, name, s);
}

void schedtext_time(struct schedtext *t, const char *local_name, const char *utc_name,
		    time_t when, const char *zone)
{
	char local[96], utc[32];
	tztime_format_local(when, zone ? zone : "UTC", local, sizeof(local));
	tztime_format_utc(when, utc, sizeof(utc));
	if (local_name != NULL)
		schedtext_take(t, local_name, xstrdup(local));
	if (utc_name != NULL)
		schedtext_take(t, utc_name, xstrdup(utc));
}

void schedtext_free(struct schedtext *t)
{
	for (size_t i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	t->nowned = t->nvars = 0;
}

char *schedtext_builtin(const struct schedtext *t, const char *name)
{
	const char *text = template_builtin(name, t->lang);
	return template_render(text ? text : "", t->vars, t->nvars);
}

char *schedtext_builtin_n(const struct schedtext *t, const char *name, long n)
{
	const char *text = template_builtin_n(name, t->lang, n);
	return template_render(text ? text : "", t->vars, t->nvars);
}

char *schedtext_render(const struct schedtext *t, const char *text)
{
	return template_render(text, t->vars, t->nvars);
}

int schedtext_load(const char *path, const char *lang, const char *subject_name,
		   const char *body_name, char **subject_r, char **body_r, struct err *err)
{
	*subject_r = *body_r = NULL;
	if (path != NULL) {
		char *text;
		if (template_load(path, &text, err) < 0)
			return -1;
		template_split(text, subject_r, body_r);
		free(text);
	}
	if (*subject_r == NULL)
		*subject_r = xstrdup(template_builtin(subject_name, lang));
	if (*body_r == NULL)
		*body_r = xstrdup(template_builtin(body_name, lang));
	return 0;
}

char *schedtext_line(const char *s, size_t max)
{
	struct buf b;
	buf_init(&b, max + 4);
	const uint8_t *p = (const uint8_t *)(s ? s : "");
	size_t left = strlen((const char *)p);
	bool blank = true; /* drops leading blanks, collapses runs */
	while (left > 0) {
		ucs4_t uc;
		int n = u8_mbtoucr(&uc, p, left);
		const char *piece = (const char *)p;
		size_t plen = n > 0 ? (size_t)n : 1;
		bool is_blank = n <= 1 && (*p <= 0x20 || *p == 0x7F);
		if (n < 0) {
			piece = "\xEF\xBF\xBD";
			is_blank = false;
		} else if (uc == 0x2028 || uc == 0x2029 || (uc >= 0x80 && uc < 0xA0)) {
			is_blank = true;
		}
		p += plen;
		left -= plen;
		if (is_blank) {
			if (!blank)
				buf_puts(&b, " ");
			blank = true;
			continue;
		}
		blank = false;
		size_t add = n < 0 ? 3 : plen;
		if (b.len + add > max) {
			buf_puts(&b, "...");
			break;
		}
		buf_append(&b, piece, add);
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}
