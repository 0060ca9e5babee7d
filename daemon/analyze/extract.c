/* extract.c — type detection, dispatch to the format readers, and HTML to
 * text. Charsets are extract_charset.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <unistr.h>

#include "intaked/extract.h"
#include "extract_charset.h"
#include "extract_impl.h"
#include "intaked/util.h"

/* ---- limits */

void extract_limits_resolve(const struct limits_config *in, struct extract_limits *out)
{
	static const struct limits_config none;
	if (in == NULL)
		in = &none;
	out->max_attachment_size = in->max_attachment_size ? in->max_attachment_size : (size_t)50 << 20;
	out->max_unpacked_size = in->max_unpacked_size ? in->max_unpacked_size : (size_t)200 << 20;
	out->max_unpack_ratio = in->max_unpack_ratio ? in->max_unpack_ratio : 100;
	out->max_zip_entries = in->max_zip_entries ? in->max_zip_entries : 10000;
	out->max_xml_depth = in->max_xml_depth ? in->max_xml_depth : 256;
	out->timeout = in->extract_timeout > 0 ? in->extract_timeout : 60;
}

/* ---- type detection */

static const unsigned char cfb_magic[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
static const unsigned char tnef_magic[4] = { 0x78, 0x9F, 0x3E, 0x22 };

static bool has_prefix(const unsigned char *d, size_t len, const void *magic, size_t n)
{
	return len >= n && memcmp(d, magic, n) == 0;
}

static bool contains(const unsigned char *d, size_t len, const char *needle)
{
	return memmem(d, len, needle, strlen(needle)) != NULL;
}

/* UTF-16LE spelling of an ASCII string, as CFB directory entries store it. */
static bool contains_utf16le(const unsigned char *d, size_t len, const char *ascii)
{
	unsigned char pat[64];
	size_t n = strlen(ascii);
	if (n * 2 > sizeof(pat))
		return false;
	for (size_t i = 0; i < n; i++) {
		pat[2 * i] = (unsigned char)ascii[i];
		pat[2 * i + 1] = 0;
	}
	return memmem(d, len, pat, n * 2) != NULL;
}

static const char *type_from_name(const char *filename)
{
	static const struct { const char *ext, *type; } exts[] = {
		{ ".docx", "docx" }, { ".docm", "docx" }, { ".dotx", "docx" },
		{ ".odt", "odt" }, { ".ott", "odt" }, { ".pdf", "pdf" },
		{ ".rtf", "rtf" }, { ".txt", "txt" }, { ".text", "txt" },
		{ ".md", "md" }, { ".markdown", "md" }, { ".html", "html" },
		{ ".htm", "html" }, { ".xhtml", "html" }, { ".doc", "doc" },
		{ ".dot", "doc" }, { "winmail.dat", "tnef" },
	};
	if (filename == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (str_has_suffix_ci(filename, exts[i].ext))
			return exts[i].type;
	return NULL;
}

static const char *type_from_content_type(const char *ct)
{
	static const struct { const char *prefix, *type; } cts[] = {
		{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx" },
		{ "application/vnd.oasis.opendocument.text", "odt" },
		{ "application/pdf", "pdf" }, { "application/rtf", "rtf" },
		{ "text/rtf", "rtf" }, { "text/plain", "txt" }, { "text/markdown", "md" },
		{ "text/html", "html" }, { "application/xhtml+xml", "html" },
		{ "application/msword", "doc" }, { "application/ms-tnef", "tnef" },
		{ "application/vnd.ms-tnef", "tnef" },
	};
	if (ct == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(cts) / sizeof(cts[0]); i++)
		if (str_has_prefix_ci(ct, cts[i].prefix))
			return cts[i].type;
	return NULL;
}

/* A zip is docx or odt by what it holds; anything else (xlsx, plain zip)
 * is not a document, whatever its name says. */
static const char *zip_subtype(const unsigned char *d, size_t len, const char *by_name)
{
	static const char odt_mime[] = "mimetypeapplication/vnd.oasis.opendocument.text";
	if (len >= 30 + sizeof(odt_mime) - 1 && memcmp(d + 30, odt_mime, sizeof(odt_mime) - 1) == 0)
		return "odt";
	if (contains(d, len, "word/document.xml"))
		return "docx";
	if (contains(d, len, "application/vnd.oasis.opendocument.text") && contains(d, len, "content.xml"))
		return "odt";
	/* Damaged archives of the right name are documents that fail later. */
	if (by_name != NULL && (strcmp(by_name, "docx") == 0 || strcmp(by_name, "odt") == 0))
		return by_name;
	return "other";
}

/* An OLE2 compound file is a Word 97 .doc, or an encrypted OOXML package
 * (EncryptionInfo stream), which the docx reader reports as encrypted. */
static const char *cfb_subtype(const unsigned char *d, size_t len, const char *by_name)
{
	if (contains_utf16le(d, len, "WordDocument"))
		return "doc";
	if (by_name != NULL && strcmp(by_name, "docx") == 0)
		return "docx";
	if (contains_utf16le(d, len, "EncryptionInfo") && by_name != NULL && strcmp(by_name, "doc") != 0)
		return "docx";
	return by_name != NULL && strcmp(by_name, "doc") == 0 ? "doc" : "other";
}

static const unsigned char *skip_bom_and_blanks(const unsigned char *d, size_t *len)
{
	if (*len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
		d += 3;
		*len -= 3;
	}
	while (*len > 0 && (*d == ' ' || *d == '\t' || *d == '\r' || *d == '\n')) {
		d++;
		(*len)--;
	}
	return d;
}

static bool looks_like_html(const unsigned char *d, size_t len)
{
	d = skip_bom_and_blanks(d, &len);
	size_t n = len < 512 ? len : 512;
	char head[513];
	memcpy(head, d, n);
	head[n] = '\0';
	/* NULs would end the string early: fine, they are not HTML either. */
	return str_has_prefix_ci(head, "<!doctype html") || str_has_prefix_ci(head, "<html");
}

const char *extract_detect_type(const unsigned char *data, size_t len,
				const char *filename, const char *content_type)
{
	const char *by_name = type_from_name(filename);
	if (data != NULL) {
		size_t head = len < 1024 ? len : 1024;
		if (memmem(data, head, "%PDF-", 5) != NULL)
			return "pdf";
		if (has_prefix(data, len, "{\\rtf", 5))
			return "rtf";
		if (has_prefix(data, len, "PK\x03\x04", 4))
			return zip_subtype(data, len, by_name);
		if (has_prefix(data, len, cfb_magic, sizeof(cfb_magic)))
			return cfb_subtype(data, len, by_name);
		if (has_prefix(data, len, tnef_magic, sizeof(tnef_magic)))
			return "tnef";
	}
	/* Word's "web page" saved as .doc is HTML. */
	if (by_name != NULL && strcmp(by_name, "doc") == 0 && data != NULL && looks_like_html(data, len))
		return "html";
	if (by_name != NULL)
		return by_name;
	const char *by_ct = type_from_content_type(content_type);
	if (by_ct != NULL)
		return by_ct;
	if (data != NULL && looks_like_html(data, len))
		return "html";
	return "other";
}
/* ---- HTML */

static bool name_in(const xmlChar *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (xmlStrcasecmp(name, (const xmlChar *)list[i]) == 0)
			return true;
	return false;
}

static bool html_skipped(const xmlChar *name)
{
	static const char *const skip[] = { "script", "style", "head", "title", "template" };
	return name_in(name, skip, sizeof(skip) / sizeof(skip[0]));
}

static bool html_block(const xmlChar *name)
{
	static const char *const block[] = {
		"address", "article", "aside", "blockquote", "body", "br", "caption", "dd",
		"details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
		"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "img",
		"li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
		"tbody", "td", "tfoot", "th", "thead", "tr", "ul", "option", "textarea",
	};
	return name_in(name, block, sizeof(block) / sizeof(block[0]));
}

/* Iterative walk: hostile nesting cannot exhaust the stack. */
static int html_walk(xmlNodePtr root, struct buf *out)
{
	xmlNodePtr n = root;
	while (n != NULL) {
		bool descend = false;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content != NULL && extract_append_text(out, (const char *)n->content,
							      strlen((const char *)n->content)) < 0)
				return -1;
		} else if (n->type == XML_ELEMENT_NODE && !html_skipped(n->name)) {
			if (html_block(n->name) && buf_append(out, "\n", 1) < 0)
				return -1;
			descend = n->children != NULL;
		}
		if (descend) {
			n = n->children;
			continue;
		}
		/* Climb until a sibling exists, closing blocks on the way. */
		while (n != NULL && n != root && n->next == NULL) {
			n = n->parent;
			if (n != NULL && n->type == XML_ELEMENT_NODE && html_block(n->name) &&
			    buf_append(out, "\n", 1) < 0)
				return -1;
		}
		n = (n == NULL || n == root) ? NULL : n->next;
	}
	return 0;
}

/* <meta charset=X> or <meta http-equiv ... content="...; charset=X"> in
 * the first 4 KiB. */
static const char *html_meta_charset(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	size_t n = len < 4096 ? len : 4096;
	char head[4097];
	memcpy(head, data, n);
	head[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (head[i] == '\0')
			head[i] = ' ';
	for (const char *m = str_icase_find(head, "<meta"); m != NULL; m = str_icase_find(m + 5, "<meta")) {
		const char *end = strchr(m, '>');
		const char *cs = str_icase_find(m, "charset");
		if (cs == NULL || (end != NULL && cs > end))
			continue;
		cs += 7;
		while (*cs == ' ' || *cs == '=' || *cs == '"' || *cs == '\'')
			cs++;
		size_t k = 0;
		while (k + 1 < outlen && (isalnum((unsigned char)cs[k]) || strchr("-_.:", cs[k]) != NULL) &&
		       cs[k] != '\0') {
			out[k] = cs[k];
			k++;
		}
		out[k] = '\0';
		return k > 0 ? out : NULL;
	}
	return NULL;
}

char *extract_html_text(const unsigned char *data, size_t len, const char *charset)
{
	char meta[64];
	if (data == NULL)
		return NULL;
	if (len > INT32_MAX)
		return NULL;
	/* Decode ourselves (BOM > declared > meta > sniffing) and hand libxml2
	 * UTF-8: one charset policy for text and HTML parts alike. */
	if (charset == NULL || extract_charset_name(charset, meta, sizeof(meta)) == NULL)
		charset = html_meta_charset(data, len, meta, sizeof(meta));
	char *utf8 = extract_to_utf8(data, len, charset);
	if (utf8[0] == '\0')
		return utf8; /* libxml2 refuses an empty document */
	htmlDocPtr doc = htmlReadMemory(utf8, (int)strlen(utf8), NULL, "UTF-8",
					HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
					HTML_PARSE_NOWARNING);
	size_t ulen = strlen(utf8);
	free(utf8);
	if (doc == NULL)
		return NULL;
	struct buf out;
	buf_init(&out, ulen + ulen / 2 + 1024);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int rc = root != NULL ? html_walk(root, &out) : 0;
	xmlFreeDoc(doc);
	if (rc < 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}

/* ---- dispatch */

/* A PDF without a text layer gives only blanks and form feeds. */
static bool has_visible_text(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c >= 0x80 || isalnum(c))
			return true;
	}
	return false;
}

static int dispatch(const char *type, const unsigned char *data, size_t len, const char *charset,
		    const struct extract_limits *lim, struct buf *out, const char **error_r)
{
	if (strcmp(type, "txt") == 0 || strcmp(type, "md") == 0) {
		if (extract_to_utf8_into(data, len, charset, out) < 0)
			goto too_large;
		return 0;
	}
	if (strcmp(type, "html") == 0) {
		char *text = extract_html_text(data, len, charset);
		if (text == NULL) {
			*error_r = "corrupt";
			return -1;
		}
		int rc = buf_puts(out, text);
		free(text);
		if (rc < 0)
			goto too_large;
		return 0;
	}
	if (strcmp(type, "docx") == 0)
		return extract_docx(data, len, lim, out, error_r);
	if (strcmp(type, "odt") == 0)
		return extract_odt(data, len, lim, out, error_r);
	if (strcmp(type, "rtf") == 0)
		return extract_rtf(data, len, lim, out, error_r);
	if (strcmp(type, "pdf") == 0) {
		if (extract_pdf(data, len, lim, out, error_r) < 0)
			return -1;
		if (!has_visible_text(out)) {
			*error_r = "no_text";
			return -1;
		}
		return 0;
	}
	if (strcmp(type, "doc") == 0)
		return extract_doc(data, len, lim, out, error_r);
	*error_r = "unsupported";
	return -1;
too_large:
	*error_r = "too_large";
	return -1;
}

int extract_text(const char *type, const unsigned char *data, size_t len,
		 const char *charset, const struct limits_config *limits,
		 char **text_r, const char **error_r)
{
	struct extract_limits lim;
	struct buf out;
	*text_r = NULL;
	*error_r = NULL;
	extract_limits_resolve(limits, &lim);
	if (len > lim.max_attachment_size) {
		*error_r = "too_large";
		return -1;
	}
	if (data == NULL)
		len = 0;
	buf_init(&out, EXTRACT_TEXT_MAX);
	const char *error = NULL;
	if (dispatch(type != NULL ? type : "other", data != NULL ? data : (const unsigned char *)"",
		     len, charset, &lim, &out, &error) < 0) {
		buf_free(&out);
		*error_r = error != NULL ? error : "corrupt";
		return -1;
	}
	*text_r = buf_steal(&out);
	return 0;
}
