/* convert_clean.c — accept tracked changes and drop comments in a .docx or
 * .odt copy before LibreOffice prints it (see convert_clean.h). The XML is
 * read with libxml2 without network access nor entity expansion, and the
 * package rewritten with libzip (untouched parts are copied as they are,
 * so an .odt keeps its stored "mimetype" first). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#include "convert_clean.h"

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define PART_MAX (256u * 1024 * 1024)
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

enum action { KEEP, DROP, UNWRAP };

static bool is(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static bool is_any(const xmlNode *n, const char *ns, const char *const *names)
{
	for (; *names; names++)
		if (is(n, ns, *names))
			return true;
	return false;
}

/* A run (w:r) that only carries a comment's reference mark. */
static bool comment_run(const xmlNode *n)
{
	if (!is(n, NS_W, "r"))
		return false;
	for (const xmlNode *c = n->children; c; c = c->next)
		if (is(c, NS_W, "commentReference"))
			return true;
	return false;
}

static enum action docx_action(const xmlNode *n)
{
	static const char *const drop[] = {
		"del", "moveFrom", "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart",
		"moveToRangeEnd", "commentRangeStart", "commentRangeEnd", "commentReference",
		"rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange",
		"tcPrChange", "tblGridChange", "numberingChange", "cellDel", "cellIns", NULL
	};
	static const char *const unwrap[] = { "ins", "moveTo", NULL };
	if (comment_run(n) || is_any(n, NS_W, drop))
		return DROP;
	return is_any(n, NS_W, unwrap) ? UNWRAP : KEEP;
}

static enum action odt_action(const xmlNode *n)
{
	static const char *const text_drop[] = { "tracked-changes", "change", "change-start",
						 "change-end", NULL };
	static const char *const office_drop[] = { "annotation", "annotation-end", NULL };
	if (is_any(n, NS_TEXT, text_drop) || is_any(n, NS_OFFICE, office_drop))
		return DROP;
	return KEEP;
}

/* Depth first; an unwrapped element's children take its place and are
 * visited in turn. */
static void walk(xmlNode *n, enum action (*act)(const xmlNode *))
{
	while (n) {
		xmlNode *next = n->next;
		switch (act(n)) {
		case DROP:
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			break;
		case UNWRAP: {
			xmlNode *first = n->children;
			for (xmlNode *c = n->children, *cn; c; c = cn) {
				cn = c->next;
				xmlUnlinkNode(c);
				xmlAddPrevSibling(n, c);
			}
			xmlUnlinkNode(n);
			xmlFreeNode(n);
			if (first)
				next = first;
			break;
		}
		case KEEP:
			walk(n->children, act);
			break;
		}
		n = next;
	}
}

static char *clean_xml(const char *xml, size_t len, enum action (*act)(const xmlNode *),
		       size_t *out_len)
{
	if (len > (size_t)__INT_MAX__)
		return NULL;
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "part.xml", NULL, XML_OPTS);
	if (doc == NULL)
		return NULL;
	walk(xmlDocGetRootElement(doc), act);
	xmlChar *mem = NULL;
	int n = 0;
	xmlDocDumpMemoryEnc(doc, &mem, &n, "UTF-8");
	xmlFreeDoc(doc);
	char *out = NULL;
	if (mem && n >= 0) {
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, mem, (size_t)n);
			out[n] = '\0';
			*out_len = (size_t)n;
		}
	}
	xmlFree(mem);
	return out;
}

char *convert_clean_docx_xml(const char *xml, size_t len, size_t *out_len)
{
	return clean_xml(xml, len, docx_action, out_len);
}

char *convert_clean_odt_xml(const char *xml, size_t len, size_t *out_len)
{
	return clean_xml(xml, len, odt_action, out_len);
}

/* A relationship to a comments part: dropped with the part. */
static enum action rels_action(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Relationship") != 0)
		return KEEP;
	xmlChar *type = xmlGetProp(n, (const xmlChar *)"Type");
	bool comments = type && strstr((const char *)type, "/comments");
	bool people = type && strstr((const char *)type, "/people");
	xmlFree(type);
	return comments || people ? DROP : KEEP;
}

/* ---- the package ---- */

static char *read_entry(zip_t *z, zip_uint64_t i, size_t *len_r)
{
	zip_stat_t st;
	if (zip_stat_index(z, i, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > PART_MAX)
		return NULL;
	zip_file_t *f = zip_fopen_index(z, i, 0);
	char *data = f ? malloc(st.size + 1) : NULL;
	zip_int64_t got = data ? zip_fread(f, data, st.size) : -1;
	if (f)
		zip_fclose(f);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(data);
		return NULL;
	}
	data[st.size] = '\0';
	*len_r = st.size;
	return data;
}

static int replace_entry(zip_t *z, zip_uint64_t i, enum action (*act)(const xmlNode *))
{
	size_t len = 0, out_len = 0;
	char *xml = read_entry(z, i, &len);
	char *out = xml ? clean_xml(xml, len, act, &out_len) : NULL;
	free(xml);
	if (out == NULL)
		return -1;
	zip_source_t *src = zip_source_buffer(z, out, out_len, 1);
	if (src == NULL || zip_file_replace(z, i, src, 0) < 0) {
		if (src)
			zip_source_free(src);
		else
			free(out);
		return -1;
	}
	return 0;
}

static bool docx_story(const char *name)
{
	static const char *const prefixes[] = { "word/document", "word/header", "word/footer",
						"word/footnotes", "word/endnotes", NULL };
	for (const char *const *p = prefixes; *p; p++)
		if (strncmp(name, *p, strlen(*p)) == 0 && strstr(name, ".xml") &&
		    !strchr(name + 5, '/'))
			return true;
	return false;
}

static bool docx_comments(const char *name)
{
	return strncmp(name, "word/comments", 13) == 0 || strcmp(name, "word/people.xml") == 0;
}

/* What to do with one part of the package; -1: it could not be cleaned. */
static int clean_entry(zip_t *z, zip_uint64_t i, bool docx)
{
	const char *name = zip_get_name(z, i, 0);
	if (name == NULL)
		return -1;
	if (docx && docx_comments(name))
		return zip_delete(z, i) < 0 ? -1 : 0;
	if (docx && docx_story(name))
		return replace_entry(z, i, docx_action);
	if (docx && strcmp(name, "word/_rels/document.xml.rels") == 0)
		return replace_entry(z, i, rels_action);
	if (!docx && (strcmp(name, "content.xml") == 0 || strcmp(name, "styles.xml") == 0))
		return replace_entry(z, i, odt_action);
	return 0;
}

static int clean_package(const char *path, bool docx, char *reason, size_t reason_len)
{
	int zerr = 0;
	zip_t *z = zip_open(path, 0, &zerr);
	if (z == NULL) {
		snprintf(reason, reason_len, "not a %s package (zip error %d)",
			 docx ? "Word" : "OpenDocument", zerr);
		return -1;
	}
	zip_int64_t n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < n; i++)
		if (clean_entry(z, (zip_uint64_t)i, docx) < 0) {
			const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
			snprintf(reason, reason_len, "part %s could not be read", name ? name : "?");
			zip_discard(z);
			return -1;
		}
	if (zip_close(z) < 0) {
		snprintf(reason, reason_len, "could not rewrite the package: %s",
			 zip_strerror(z));
		zip_discard(z);
		return -1;
	}
	return 0;
}

int convert_clean_docx(const char *path, char *reason, size_t reason_len)
{
	return clean_package(path, true, reason, reason_len);
}

int convert_clean_odt(const char *path, char *reason, size_t reason_len)
{
	return clean_package(path, false, reason, reason_len);
}
