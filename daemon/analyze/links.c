/* links.c — recognising documents shared as links. Missions on Microsoft
 * 365 often "attach" a file as a OneDrive/SharePoint link: the message then
 * holds a few words and a URL, and counting its body alone would report an
 * input of 5 000 words as 12 words within the limit. */
#include "links.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intaked/util.h"

struct service {
	const char *domain;       /* the host or any subdomain of it */
	const char *path_prefix;  /* NULL: any path */
	const char *name;
};

/* First match wins: OneDrive for Business lives on TENANT-my.sharepoint.com. */
static const struct service services[] = {
	{ "1drv.ms", NULL, "onedrive" },
	{ "onedrive.live.com", NULL, "onedrive" },
	{ "onedrive.com", NULL, "onedrive" },
	{ "-my.sharepoint.com", NULL, "onedrive" },
	{ "sharepoint.com", NULL, "sharepoint" },
	{ "sharepoint.us", NULL, "sharepoint" },
	{ "sharepoint.de", NULL, "sharepoint" },
	{ "sharepoint.cn", NULL, "sharepoint" },
	{ "drive.google.com", NULL, "google_drive" },
	{ "docs.google.com", NULL, "google_docs" },
	{ "dropbox.com", NULL, "dropbox" },
	{ "db.tt", NULL, "dropbox" },
	{ "dropbox.link", NULL, "dropbox" },
	{ "we.tl", NULL, "wetransfer" },
	{ "wetransfer.com", NULL, "wetransfer" },
	{ "box.com", NULL, "box" },
	{ "box.net", NULL, "box" },
	{ "icloud.com", "/iclouddrive", "icloud_drive" },
	{ "mega.nz", NULL, "mega" },
	{ "mega.io", NULL, "mega" },
	{ "swisstransfer.com", NULL, "swisstransfer" },
	{ "sharefile.com", NULL, "sharefile" },
	{ "sharefile.eu", NULL, "sharefile" },
};

/* host is domain, or ends with ".domain"; a domain written "-my.x" is
 * matched as a suffix of the first label ("tenant-my.x"). */
static bool host_in(const char *host, size_t hlen, const char *domain)
{
	size_t dlen = strlen(domain);

	if (hlen < dlen || strncasecmp(host + hlen - dlen, domain, dlen) != 0)
		return false;
	if (domain[0] == '-')
		return hlen > dlen && memchr(host, '.', hlen - dlen) == NULL;
	return hlen == dlen || host[hlen - dlen - 1] == '.';
}

const char *links_service(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host, *end, *at;

	if (p == NULL || !(strncasecmp(url, "http://", 7) == 0 ||
			   strncasecmp(url, "https://", 8) == 0))
		return NULL;
	host = p + 3;
	end = host + strcspn(host, "/?#");
	/* user:password@host */
	at = memchr(host, '@', (size_t)(end - host));
	if (at != NULL)
		host = at + 1;
	const char *colon = memchr(host, ':', (size_t)(end - host));
	size_t hlen = (size_t)((colon ? colon : end) - host);
	while (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		const struct service *s = &services[i];

		if (!host_in(host, hlen, s->domain))
			continue;
		if (s->path_prefix == NULL ||
		    strncasecmp(end, s->path_prefix, strlen(s->path_prefix)) == 0)
			return s->name;
	}
	return NULL;
}

static bool url_char(unsigned char c)
{
	return c > 0x20 && c != 0x7F && !strchr("\"'<>`{}|\\^", c);
}

/* The URL starting at p (at most len bytes), "&amp;" decoded and trailing
 * sentence punctuation dropped; NULL when too long. Caller frees. */
static char *url_at(const char *p, size_t len, size_t *used_r)
{
	struct buf b;
	size_t i = 0;

	buf_init(&b, LINKS_URL_MAX + 1);
	while (i < len && url_char((unsigned char)p[i])) {
		if (p[i] == '&' && len - i >= 5 && strncasecmp(p + i, "&amp;", 5) == 0) {
			(void)buf_append(&b, "&", 1);
			i += 5;
		} else {
			(void)buf_append(&b, p + i, 1);
			i++;
		}
	}
	*used_r = i > 0 ? i : 1;
	char *url = buf_steal(&b);
	size_t n = strlen(url);
	while (n > 0 && strchr(".,;:!?)]", url[n - 1]))
		url[--n] = '\0';
	if (i > LINKS_URL_MAX || n <= 8) {
		free(url);
		return NULL;
	}
	return url;
}

static bool seen(const struct strlist *l, const char *url)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], url) == 0)
			return true;
	return false;
}

size_t links_scan(const char *text, size_t len, links_cb *cb, void *arg)
{
	struct strlist found = { 0 };
	size_t i = 0, n;

	while (i + 7 < len && found.n < LINKS_MAX) {
		const char *p = text + i;
		size_t used = 1;

		/* Only an "h" can start one: the other bytes cost no call (two
		 * strncasecmp a byte were a twelfth of the worker's CPU). */
		if ((*p | 0x20) == 'h' &&
		    (strncasecmp(p, "http://", 7) == 0 ||
		     (len - i > 8 && strncasecmp(p, "https://", 8) == 0))) {
			char *url = url_at(p, len - i, &used);
			const char *service = url ? links_service(url) : NULL;

			if (service != NULL && !seen(&found, url)) {
				strlist_push(&found, url);
				cb(url, service, arg);
			}
			free(url);
		}
		i += used;
	}
	n = found.n;
	strlist_free(&found);
	return n;
}
