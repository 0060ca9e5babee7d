/* schedtext.h — the texts of the scheduler's mails (reminders, digests):
 * a set of template variables that owns its values, the call's override
 * file or the built-in texts (template.h), and values made safe to put in
 * a text line. */
#ifndef INTAKED_SCHEDTEXT_H
#define INTAKED_SCHEDTEXT_H

#include <stddef.h>
#include <time.h>
#include "intaked/err.h"
#include "template.h"

#define SCHEDTEXT_VARS 24

struct schedtext {
	const char *lang;         /* borrowed */
	struct template_var vars[SCHEDTEXT_VARS];
	size_t nvars;
	char *owned[SCHEDTEXT_VARS];
	size_t nowned;
};

void schedtext_init(struct schedtext *t, const char *lang);
/* Set name (a static string) to value, which the text takes and frees;
 * a second set of the same name replaces the first. */
void schedtext_take(struct schedtext *t, const char *name, char *value);
void schedtext_printf(struct schedtext *t, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* name_local ("2022-03-29 18:00 EDT") and name_utc ("2022-03-29T22:00:00Z"). */
void schedtext_time(struct schedtext *t, const char *local_name, const char *utc_name,
		    time_t when, const char *zone);
void schedtext_free(struct schedtext *t);

/* The built-in text name in t's language, rendered with t's variables.
 * Caller frees. */
char *schedtext_builtin(const struct schedtext *t, const char *name);
/* The same in the plural form for the count n (template_builtin_n). */
char *schedtext_builtin_n(const struct schedtext *t, const char *name, long n);
/* text rendered with t's variables. Caller frees. */
char *schedtext_render(const struct schedtext *t, const char *text);

/* Subject and body templates: the override file (template_load, optional
 * "Subject:" line) if path is set, else the built-ins subject_name and
 * body_name. Both owned by the caller. ERR_CONFIG if the file is bad. */
int schedtext_load(const char *path, const char *lang, const char *subject_name,
		   const char *body_name, char **subject_r, char **body_r, struct err *err);

/* s (from a sender's mail, may be NULL or not UTF-8) as one line: control
 * bytes and line breaks become spaces, at most max bytes (cut on a UTF-8
 * boundary, "..." appended). Caller frees. */
char *schedtext_line(const char *s, size_t max);

#endif
