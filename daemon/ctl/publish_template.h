/* publish_template.h — the publication page through the site's own HTML
 * template (--template FILE). The template is any HTML with placeholders
 * that publish fills in:
 *   {{lang}}       the page's language code (for <html lang>)
 *   {{title}}      the call's title
 *   {{heading}}    "Written inputs received", in the page's language
 *   {{deadline}}   the deadline, a <time> in the call's zone
 *   {{generated}}  when the list was made, a <time>
 *   {{languages}}  links to the page in the other languages (--lang), or ""
 *   {{list}}       the introduction and the table (required)
 *   {{css}}        publish's own style sheet, to put in a <style> if wanted
 * Values are HTML already (escaped); anything else in the template is
 * copied as it is. Private to ctl/. */
#ifndef INTAKED_PUBLISH_TEMPLATE_H
#define INTAKED_PUBLISH_TEMPLATE_H

#include "intaked/err.h"

struct publish_template_values {
	char *lang, *title, *heading, *deadline, *generated, *languages, *list, *css;
};

/* -1 with "FILE:LINE: ..." in err (ERR_MESSAGE) on a placeholder not
 * listed above, or when {{list}} is missing. */
int publish_template_check(const char *templ, const char *file, struct err *err);
/* The template with the values put in. Caller frees. */
char *publish_template_apply(const char *templ, const struct publish_template_values *v);
void publish_template_values_clear(struct publish_template_values *v);

#endif
