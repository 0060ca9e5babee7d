/* mime_attach.c — one attachment of the MIME walk: decoded, described
 * (name, type, size, digest), stored under files/ with a sanitized unique
 * name, and handed to words.c, which decides whether and how it counts. */
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/extract.h"
#include "intaked/sanitize.h"
#include "intaked/util.h"
#include "mime_impl.h"
#include "mime_parts.h"
#include "words.h"

/* The part's content with its transfer encoding undone, in a memory stream
 * the caller unrefs. Decoding never makes data larger (base64, QP, uu), so
 * the size is bounded by the message size the daemon already capped. */
GMimeStream *mime_part_decode(GMimePart *part, const unsigned char **data_r,
			      size_t *len_r)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	if (content != NULL)
		(void)g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	*data_r = bytes->len > 0 ? bytes->data : (const unsigned char *)"";
	*len_r = bytes->len;
	return mem;
}

static struct document *doc_push(struct mime_walk *w)
{
	struct analysis *a = w->a;

	if (a->ndocs == w->docs_cap) {
		w->docs_cap = w->docs_cap ? w->docs_cap * 2 : 4;
		a->docs = xreallocarray(a->docs, w->docs_cap, sizeof(*a->docs));
	}
	memset(&a->docs[a->ndocs], 0, sizeof(a->docs[0]));
	return &a->docs[a->ndocs++];
}

static void doc_save(struct mime_walk *w, struct document *d, const unsigned char *data,
		     size_t len)
{
	char *fallback, *final = NULL;

	/* An unnamed document still gets a name that opens in the right
	 * program. */
	if (d->is_document)
		fallback = xasprintf("attachment.%s", d->type);
	else
		fallback = xstrdup("attachment");
	if (sanitize_write_unique(w->files_dirfd, d->name, fallback, data, len,
				  &final, w->err) < 0)
		w->failed = true;
	else
		d->file = xasprintf("files/%s", final);
	free(final);
	free(fallback);
}

void mime_attachment(struct mime_walk *w, GMimePart *part, const char *ctype,
		     const char *id)
{
	struct document *d = doc_push(w);
	const char *filename = g_mime_part_get_filename(part);
	const unsigned char *data;
	size_t len;
	GMimeStream *mem = mime_part_decode(part, &data, &len);

	d->name = mime_display_text(filename != NULL ? filename : "");
	d->content_type = xstrdup(ctype);
	d->words = -1;
	d->size = len;
	sha256_hex(data, len, d->sha256);
	d->type = xstrdup(extract_detect_type(data, len, d->name, ctype));
	d->is_document = words_is_document(d->type);
	if (len > w->lim->max_attachment_size) {
		/* Not saved: message.eml holds it anyway. */
		d->error = xstrdup("too_large");
		mime_parts_add(&w->un, id, d->name, "size");
	} else {
		doc_save(w, d, data, len);
		if (!w->failed)
			words_document(w->a, &w->tally, d, data, len,
				       g_mime_object_get_content_type_parameter(
					       GMIME_OBJECT(part), "charset"),
				       w->lim, mime_seconds_left(w));
		if (!w->failed && d->error != NULL && strcmp(d->error, "timeout") == 0)
			mime_parts_add(&w->un, id, d->name, "time");
	}
	g_object_unref(mem);
}
