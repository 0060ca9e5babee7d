/* extract_docx.c — Word (OOXML) text: the main document, footnotes and
 * endnotes, as Word's own word count sees them. Headers, footers and
 * comments are left out (letterhead and page numbers repeat on every page
 * and are not the input's words); deleted and moved-from tracked changes and
 * field codes are skipped; a text box counts once (mc:Choice, not the
 * mc:Fallback copy). */
#include <string.h>

#include <libxml/xmlreader.h>

#include "extract_impl.h"

static const char w_ns[] = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
static const char w_strict_ns[] = "http://purl.oclc.org/ooxml/wordprocessingml/main";
static const char mc_ns[] = "http://schemas.openxmlformats.org/markup-compatibility/2006";

struct docx_ctx {
	struct buf *out;
	int in_t;                   /* open w:t elements */
};

static bool eq(const xmlChar *a, const char *b)
{
	return a != NULL && strcmp((const char *)a, b) == 0;
}

static bool is_w(const xmlChar *ns)
{
	return eq(ns, w_ns) || eq(ns, w_strict_ns);
}

static enum extract_xml_step emit(struct docx_ctx *c, const char *s, const char **error_r)
{
	if (buf_puts(c->out, s) < 0) {
		*error_r = "too_large";
		return EXTRACT_XML_STOP;
	}
	return EXTRACT_XML_NEXT;
}

static enum extract_xml_step docx_start(xmlTextReaderPtr r, struct docx_ctx *c, const char **error_r)
{
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
	const xmlChar *name = xmlTextReaderConstLocalName(r);
	bool empty = xmlTextReaderIsEmptyElement(r) == 1;
	if (eq(ns, mc_ns))
		return eq(name, "Fallback") ? EXTRACT_XML_SKIP : EXTRACT_XML_NEXT;
	if (!is_w(ns))
		return EXTRACT_XML_NEXT;
	static const char *const skipped[] = { "delText", "instrText", "del", "moveFrom",
					       "delInstrText" };
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (eq(name, skipped[i]))
			return EXTRACT_XML_SKIP;
	if (eq(name, "t")) {
		if (!empty)
			c->in_t++;
		return EXTRACT_XML_NEXT;
	}
	if (eq(name, "tab") || eq(name, "ptab"))
		return emit(c, "\t", error_r);
	if (eq(name, "br") || eq(name, "cr") || eq(name, "txbxContent") || (eq(name, "p") && empty))
		return emit(c, "\n", error_r);
	if (eq(name, "noBreakHyphen"))
		return emit(c, "-", error_r);
	return EXTRACT_XML_NEXT;
}

static enum extract_xml_step docx_node(xmlTextReaderPtr r, void *ctx, const char **error_r)
{
	struct docx_ctx *c = ctx;
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_ELEMENT:
		return docx_start(r, c, error_r);
	case XML_READER_TYPE_END_ELEMENT: {
		const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
		const xmlChar *name = xmlTextReaderConstLocalName(r);
		if (!is_w(ns))
			return EXTRACT_XML_NEXT;
		if (eq(name, "t") && c->in_t > 0)
			c->in_t--;
		else if (eq(name, "p"))
			return emit(c, "\n", error_r);
		else if (eq(name, "tc"))
			return emit(c, "\t", error_r);
		return EXTRACT_XML_NEXT;
	}
	default: {
		const char *v = extract_xml_text(r);
		return v != NULL && c->in_t > 0 ? emit(c, v, error_r) : EXTRACT_XML_NEXT;
	}
	}
}

/* An encrypted .docx is an OLE2 compound file holding the encrypted
 * package, not a zip. */
static bool ooxml_encrypted(const unsigned char *data, size_t len)
{
	static const unsigned char cfb[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	static const unsigned char info[] = { 'E', 0, 'n', 0, 'c', 0, 'r', 0, 'y', 0, 'p', 0, 't', 0,
					      'i', 0, 'o', 0, 'n', 0, 'I', 0, 'n', 0, 'f', 0, 'o', 0 };
	return len >= sizeof(cfb) && memcmp(data, cfb, sizeof(cfb)) == 0 &&
	       memmem(data, len, info, sizeof(info)) != NULL;
}

int extract_docx(const unsigned char *data, size_t len, const struct extract_limits *lim,
		 struct buf *out, const char **error_r)
{
	static const char *const optional[] = { "word/footnotes.xml", "word/endnotes.xml" };
	if (ooxml_encrypted(data, len)) {
		*error_r = "encrypted";
		return -1;
	}
	struct extract_zip *z;
	if (extract_zip_open(data, len, lim, &z, error_r) < 0)
		return -1;
	struct docx_ctx c = { out, 0 };
	int rc = extract_zip_xml(z, "word/document.xml", docx_node, &c, error_r);
	for (size_t i = 0; rc == 0 && i < sizeof(optional) / sizeof(optional[0]); i++) {
		if (!extract_zip_has(z, optional[i]))
			continue;
		c.in_t = 0;
		rc = emit(&c, "\n", error_r) == EXTRACT_XML_NEXT ? 0 : -1;
		if (rc == 0)
			rc = extract_zip_xml(z, optional[i], docx_node, &c, error_r);
	}
	extract_zip_free(&z);
	return rc;
}
