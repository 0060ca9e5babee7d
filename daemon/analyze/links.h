/* links.h — documents shared as links to a file service (OneDrive,
 * SharePoint, Google Drive, Dropbox, WeTransfer, Box...) rather than
 * attached. Pure: the links are recognised, never fetched. */
#ifndef INTAKED_LINKS_H
#define INTAKED_LINKS_H

#include <stddef.h>

#define LINKS_MAX 20          /* per message; more are not recorded */
#define LINKS_URL_MAX 2048    /* longer URLs are not recorded */

/* The service of an http(s) URL ("onedrive", "sharepoint", "google_drive",
 * "google_docs", "dropbox", "wetransfer", "box", "icloud_drive", "mega",
 * "swisstransfer", "sharefile"), or NULL when it is none of them. Static. */
const char *links_service(const char *url);

typedef void links_cb(const char *url, const char *service, void *arg);

/* Every http(s) URL of a file service in text (plain text or HTML source:
 * "&amp;" in a URL is read as "&"), in order, each once, at most LINKS_MAX;
 * calls cb for each. Returns how many. */
size_t links_scan(const char *text, size_t len, links_cb *cb, void *arg);

#endif
