/* extract_zip.c — zip archives (docx, odt) read from memory, and a streamed
 * XML walk over one entry, with every limit enforced on bytes actually
 * decompressed rather than on the sizes the archive declares. */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <zip.h>

#include "extract_impl.h"

struct extract_zip {
	zip_t *za;
	const struct extract_limits *lim;
	size_t in_len;
	size_t unpacked;            /* bytes decompressed so far, all entries */
};

/* An upper bound of the entries before libzip allocates one record per
 * central-directory header. */
static size_t count_central_headers(const unsigned char *data, size_t len, size_t stop)
{
	size_t n = 0;
	const unsigned char *p = data, *end = data + len;
	while (n <= stop && (p = memmem(p, (size_t)(end - p), "PK\x01\x02", 4)) != NULL) {
		n++;
		p += 4;
	}
	return n;
}

int extract_zip_open(const unsigned char *data, size_t len, const struct extract_limits *lim,
		     struct extract_zip **z_r, const char **error_r)
{
	*z_r = NULL;
	if (count_central_headers(data, len, lim->max_zip_entries) > lim->max_zip_entries) {
		*error_r = "zip_bomb";
		return -1;
	}
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	zip_t *za = src != NULL ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
	zip_error_fini(&ze);
	if (za == NULL) {
		if (src != NULL)
			zip_source_free(src);
		*error_r = "corrupt";
		return -1;
	}
	zip_int64_t n = zip_get_num_entries(za, 0);
	if (n < 0 || (zip_uint64_t)n > lim->max_zip_entries) {
		zip_discard(za);
		*error_r = n < 0 ? "corrupt" : "zip_bomb";
		return -1;
	}
	struct extract_zip *z = xcalloc(1, sizeof(*z));
	z->za = za;
	z->lim = lim;
	z->in_len = len;
	*z_r = z;
	return 0;
}

void extract_zip_free(struct extract_zip **zp)
{
	if (*zp == NULL)
		return;
	zip_discard((*zp)->za);
	xfree(zp);
}

bool extract_zip_has(struct extract_zip *z, const char *name)
{
	return zip_name_locate(z->za, name, 0) >= 0;
}

/* Total decompressed bytes against the size and ratio limits. */
static bool over_limits(const struct extract_zip *z, size_t total)
{
	if (total > z->lim->max_unpacked_size)
		return true;
	return total > EXTRACT_RATIO_FLOOR && total / z->lim->max_unpack_ratio > z->in_len;
}

struct zip_stream {
	struct extract_zip *z;
	zip_file_t *f;
	const char *error;          /* set when a read failed */
};

static int stream_open(struct extract_zip *z, const char *name, struct zip_stream *s,
		       const char **error_r)
{
	s->z = z;
	s->f = NULL;
	s->error = NULL;
	zip_int64_t idx = zip_name_locate(z->za, name, 0);
	zip_stat_t st;
	if (idx < 0 || zip_stat_index(z->za, (zip_uint64_t)idx, 0, &st) < 0) {
		*error_r = "corrupt";
		return -1;
	}
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
		*error_r = "encrypted";
		return -1;
	}
	if ((st.valid & ZIP_STAT_COMP_METHOD) && !zip_compression_method_supported(st.comp_method, 0)) {
		*error_r = "unsupported";
		return -1;
	}
	/* Declared sizes can only make us refuse early; the bytes actually
	 * read are checked as they come. */
	if ((st.valid & ZIP_STAT_SIZE) && (st.size > SIZE_MAX - z->unpacked ||
					   over_limits(z, z->unpacked + (size_t)st.size))) {
		*error_r = "zip_bomb";
		return -1;
	}
	s->f = zip_fopen_index(z->za, (zip_uint64_t)idx, 0);
	if (s->f == NULL) {
		int code = zip_error_code_zip(zip_get_error(z->za));
		*error_r = code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD ? "encrypted" : "corrupt";
		return -1;
	}
	return 0;
}

static int stream_read(void *ctx, char *buffer, int len)
{
	struct zip_stream *s = ctx;
	if (s->error != NULL || len <= 0)
		return s->error != NULL ? -1 : 0;
	zip_int64_t n = zip_fread(s->f, buffer, (zip_uint64_t)len);
	if (n < 0) {
		s->error = "corrupt";
		return -1;
	}
	s->z->unpacked += (size_t)n;
	if (over_limits(s->z, s->z->unpacked)) {
		s->error = "zip_bomb";
		return -1;
	}
	return (int)n;
}

static int stream_close_noop(void *ctx)
{
	(void)ctx;
	return 0;
}

static void stream_close(struct zip_stream *s)
{
	if (s->f != NULL)
		zip_fclose(s->f);
	s->f = NULL;
}

int extract_zip_read(struct extract_zip *z, const char *name, struct buf *out,
		     const char **error_r)
{
	struct zip_stream s;
	if (stream_open(z, name, &s, error_r) < 0)
		return -1;
	char chunk[16384];
	int n;
	while ((n = stream_read(&s, chunk, sizeof(chunk))) > 0) {
		if (buf_append(out, chunk, (size_t)n) < 0) {
			s.error = "too_large";
			break;
		}
	}
	stream_close(&s);
	if (s.error != NULL) {
		*error_r = s.error;
		return -1;
	}
	return 0;
}

/* OOXML and ODF have no DTD, so nothing legitimate is lost by refusing to
 * load any external resource, whatever a future option would allow. */
static xmlParserInputPtr deny_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

struct xml_errors {
	bool too_deep;
};

static void on_xml_error(void *ctx, xmlErrorPtr e)
{
	struct xml_errors *xe = ctx;
	/* libxml2 stops at its own nesting limit (256) with this message. */
	if (e != NULL && e->message != NULL && strstr(e->message, "depth") != NULL)
		xe->too_deep = true;
}

static int walk(xmlTextReaderPtr r, const struct extract_limits *lim, extract_xml_handler h,
		void *ctx, const char **error_r)
{
	int rc = xmlTextReaderRead(r);
	while (rc == 1) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE) {
			*error_r = "corrupt";
			return -1;
		}
		int depth = xmlTextReaderDepth(r);
		if (depth < 0 || (unsigned)depth > lim->max_xml_depth) {
			*error_r = "too_deep";
			return -1;
		}
		enum extract_xml_step step = h(r, ctx, error_r);
		if (step == EXTRACT_XML_STOP)
			return -1;
		rc = step == EXTRACT_XML_SKIP ? xmlTextReaderNext(r) : xmlTextReaderRead(r);
	}
	if (rc < 0) {
		*error_r = "corrupt";
		return -1;
	}
	return 0;
}

int extract_zip_xml(struct extract_zip *z, const char *name, extract_xml_handler h,
		    void *ctx, const char **error_r)
{
	static bool loader_set;
	if (!loader_set) {
		xmlSetExternalEntityLoader(deny_external);
		loader_set = true;
	}
	struct zip_stream s;
	if (stream_open(z, name, &s, error_r) < 0)
		return -1;
	/* Never NOENT, DTDLOAD, XINCLUDE or HUGE: entities stay unexpanded and
	 * libxml2 keeps its own size and depth limits. */
	xmlTextReaderPtr r = xmlReaderForIO(stream_read, stream_close_noop, &s, NULL, NULL,
					    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (r == NULL) {
		stream_close(&s);
		*error_r = s.error != NULL ? s.error : "corrupt";
		return -1;
	}
	struct xml_errors xe = { false };
	xmlTextReaderSetStructuredErrorHandler(r, on_xml_error, &xe);
	const char *error = NULL;
	int rc = walk(r, z->lim, h, ctx, &error);
	xmlFreeTextReader(r);
	stream_close(&s);
	if (rc < 0) {
		/* The stream's own verdict (zip_bomb) beats the parser's. */
		if (s.error != NULL)
			error = s.error;
		else if (xe.too_deep && (error == NULL || strcmp(error, "corrupt") == 0))
			error = "too_deep";
		*error_r = error != NULL ? error : "corrupt";
		return -1;
	}
	return 0;
}

const char *extract_xml_text(xmlTextReaderPtr r)
{
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		return (const char *)xmlTextReaderConstValue(r);
	default:
		return NULL;
	}
}
