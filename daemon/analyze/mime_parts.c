/* mime_parts.c — see mime_parts.h. Listing what was not examined walks
 * GMime's tree without decoding anything, so that even a message far past
 * the limits costs little more than its parse. */
#include "mime_parts.h"

#include <stdlib.h>
#include <string.h>

#include "intaked/sanitize.h"
#include "intaked/util.h"

char *mime_parts_child_id(const char *parent, int i)
{
	return *parent != '\0' ? xasprintf("%s.%d", parent, i + 1) : xasprintf("%d", i + 1);
}

char *mime_parts_body_id(const char *id, GMimeObject *body)
{
	if (GMIME_IS_MULTIPART(body))
		return xstrdup(id);
	return *id != '\0' ? xasprintf("%s.1", id) : xstrdup("1");
}

GMimeObject *mime_parts_message_body(GMimeObject *obj)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

	return inner != NULL ? g_mime_message_get_mime_part(inner) : NULL;
}

/* Valid UTF-8, control characters as blanks, blanks trimmed; NULL for
 * nothing. */
static char *clean_name(const char *name)
{
	char *s, *t, *out;

	if (name == NULL)
		return NULL;
	s = sanitize_utf8(name, strlen(name));
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	t = str_trim(s);
	out = *t != '\0' ? xstrdup(t) : NULL;
	free(s);
	return out;
}

void mime_parts_add(struct mime_unexamined *u, const char *part, const char *name,
		    const char *reason)
{
	char *clean, *open;

	if (u->full)
		return;
	if (u->a->nunexamined + 1 >= MIME_PARTS_UNEXAMINED_MAX) {
		open = part != NULL ? xasprintf("%s-", part) : NULL;
		analysis_add_unexamined(u->a, open, NULL, reason);
		free(open);
		u->full = true;
		return;
	}
	clean = clean_name(name);
	analysis_add_unexamined(u->a, part, clean, reason);
	free(clean);
}

void mime_parts_skip(struct mime_unexamined *u, GMimeObject *obj, const char *id,
		     const char *reason)
{
	if (obj == NULL || u->full)
		return;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeObject *body = mime_parts_message_body(obj);
		char *bid;

		if (body == NULL)
			return;
		bid = mime_parts_body_id(id, body);
		mime_parts_skip(u, body, bid, reason);
		free(bid);
	} else if (GMIME_IS_MULTIPART(obj)) {
		mime_parts_skip_children(u, GMIME_MULTIPART(obj), 0, id, reason);
	} else {
		mime_parts_add(u, *id ? id : "1",
			       GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL,
			       reason);
	}
}

static void flush_run(struct mime_unexamined *u, char **first, char **last,
		      const char *reason)
{
	char *range;

	if (*first == NULL)
		return;
	range = *last != NULL ? xasprintf("%s-%s", *first, *last) : xstrdup(*first);
	mime_parts_add(u, range, NULL, reason);
	free(range);
	xfree(first);
	xfree(last);
}

void mime_parts_skip_children(struct mime_unexamined *u, GMimeMultipart *mp, int from,
			      const char *id, const char *reason)
{
	int n = g_mime_multipart_get_count(mp);
	char *first = NULL, *last = NULL;

	for (int i = from; i < n && !u->full; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		char *cid = mime_parts_child_id(id, i);

		if (GMIME_IS_PART(c) && g_mime_part_get_filename(GMIME_PART(c)) == NULL) {
			if (first == NULL) {
				first = cid;
			} else {
				free(last);
				last = cid;
			}
			continue;
		}
		flush_run(u, &first, &last, reason);
		mime_parts_skip(u, c, cid, reason);
		free(cid);
	}
	flush_run(u, &first, &last, reason);
}
