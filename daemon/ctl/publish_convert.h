/* publish_convert.h — the documents of a staged publication as PDF
 * (convert.h): each copied original gets a PDF beside it, and the
 * original is removed again unless --originals. Private to ctl/. */
#ifndef INTAKED_PUBLISH_CONVERT_H
#define INTAKED_PUBLISH_CONVERT_H

#include "intaked/err.h"
#include "publish.h"

/* site: the staging directory's path; page's docs have "path" set to
 * their copies in it. Fills each doc's pdf or pdf_error. Without soffice
 * and without --originals: -1, ERR_MESSAGE saying so and offering
 * --originals. */
int publish_convert(const char *site, struct publish_page *page, struct err *err);

#endif
