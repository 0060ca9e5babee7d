/* extract_odt.c — OpenDocument text: paragraphs and headings of
 * content.xml (tables, frames, footnote bodies included), without tracked
 * deletions, annotations, footnote citation marks or image titles. */
#include <string.h>

#include <libxml/xmlreader.h>

#include "extract_impl.h"

static const char text_ns[] = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
static const char office_ns[] = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
static const char svg_ns[] = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0";

/* The manifest is small; anything bigger is not a real ODF package. */
#define MANIFEST_MAX ((size_t)1 << 20)

struct odt_ctx {
	struct buf *out;
	int in_p;                   /* open text:p / text:h elements */
};

static bool eq(const xmlChar *a, const char *b)
{
	return a != NULL && strcmp((const char *)a, b) == 0;
}

static enum extract_xml_step emit(struct odt_ctx *c, const char *s, const char **error_r)
{
	if (buf_puts(c->out, s) < 0) {
		*error_r = "too_large";
		return EXTRACT_XML_STOP;
	}
	return EXTRACT_XML_NEXT;
}

static enum extract_xml_step odt_start(xmlTextReaderPtr r, struct odt_ctx *c, const char **error_r)
{
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
	const xmlChar *name = xmlTextReaderConstLocalName(r);
	if (eq(ns, office_ns))
		return eq(name, "annotation") ? EXTRACT_XML_SKIP : EXTRACT_XML_NEXT;
	if (eq(ns, svg_ns))
		return eq(name, "title") || eq(name, "desc") ? EXTRACT_XML_SKIP : EXTRACT_XML_NEXT;
	if (!eq(ns, text_ns))
		return EXTRACT_XML_NEXT;
	if (eq(name, "tracked-changes") || eq(name, "note-citation"))
		return EXTRACT_XML_SKIP;
	if (eq(name, "p") || eq(name, "h")) {
		if (xmlTextReaderIsEmptyElement(r) != 1)
			c->in_p++;
		return emit(c, "\n", error_r);
	}
	if (eq(name, "s"))
		return emit(c, " ", error_r);
	if (eq(name, "tab"))
		return emit(c, "\t", error_r);
	if (eq(name, "line-break"))
		return emit(c, "\n", error_r);
	return EXTRACT_XML_NEXT;
}

static enum extract_xml_step odt_node(xmlTextReaderPtr r, void *ctx, const char **error_r)
{
	struct odt_ctx *c = ctx;
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_ELEMENT:
		return odt_start(r, c, error_r);
	case XML_READER_TYPE_END_ELEMENT: {
		const xmlChar *name = xmlTextReaderConstLocalName(r);
		if (eq(xmlTextReaderConstNamespaceUri(r), text_ns) && (eq(name, "p") || eq(name, "h")) &&
		    c->in_p > 0) {
			c->in_p--;
			return emit(c, "\n", error_r);
		}
		return EXTRACT_XML_NEXT;
	}
	default: {
		const char *v = extract_xml_text(r);
		return v != NULL && c->in_p > 0 ? emit(c, v, error_r) : EXTRACT_XML_NEXT;
	}
	}
}

/* ODF encryption leaves the zip readable and says so in the manifest. */
static int odt_check_manifest(struct extract_zip *z, const char **error_r)
{
	static const char manifest[] = "META-INF/manifest.xml";
	if (!extract_zip_has(z, manifest))
		return 0;
	struct buf m;
	buf_init(&m, MANIFEST_MAX);
	int rc = extract_zip_read(z, manifest, &m, error_r);
	if (rc == 0 && m.len > 0 && strstr(m.data, "encryption-data") != NULL) {
		*error_r = "encrypted";
		rc = -1;
	}
	if (rc < 0 && strcmp(*error_r, "too_large") == 0)
		*error_r = "corrupt";
	buf_free(&m);
	return rc;
}

int extract_odt(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r)
{
	struct extract_zip *z;
	if (extract_zip_open(data, len, lim, &z, error_r) < 0)
		return -1;
	struct odt_ctx c = { out, 0 };
	int rc = odt_check_manifest(z, error_r);
	if (rc == 0)
		rc = extract_zip_xml(z, "content.xml", odt_node, &c, error_r);
	extract_zip_free(&z);
	return rc;
}
