/* extract_rtf.c — RTF text with a small tokenizer: \'hh bytes in the
 * document's (\ansicpgN) or the font's (\fcharsetN) code page, \uN with its
 * \ucN fallback skipped, and the destinations that hold no body text
 * (font, colour and style tables, \info, pictures, headers and footers,
 * field instructions, comments, every {\*...}) skipped. Deleted tracked
 * changes (\deleted) do not count. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract_charset.h"
#include "extract_impl.h"

#define RTF_MAX_FONTS 512
#define RTF_MAX_GROUPS 10000

struct rtf_group {
	bool skip;                  /* inside a destination without body text */
	bool deleted;               /* \deleted character formatting */
	int uc;                     /* fallback characters after \uN */
	int font;
};

struct rtf_font {
	long num;
	int cp;                     /* 0: the document's code page */
};

struct rtf {
	const unsigned char *p, *end;
	struct buf *out;
	struct rtf_group *stack;    /* enclosing groups */
	size_t depth, max_depth;
	struct rtf_group g;         /* the current group */
	int ansicpg;
	struct rtf_font fonts[RTF_MAX_FONTS];
	size_t nfonts;
	size_t fonttbl_depth;       /* 0: not inside \fonttbl */
	long font_defined;          /* \fN being defined in \fonttbl */
	long skip_chars;            /* fallback still to skip after \uN */
	unsigned high_surrogate;
	unsigned char pend[256];    /* code-page bytes not yet converted */
	size_t npend;
	int pend_cp;
	struct extract_conv conv;
	int conv_cp;                /* code page conv is open for, -1 none */
	const char *error;
};

/* ---- output */

static void put(struct rtf *r, const char *s, size_t n)
{
	if (r->error == NULL && buf_append(r->out, s, n) < 0)
		r->error = "too_large";
}

static void iconv_name(int cp, char *name, size_t n)
{
	if (cp == 10000)
		snprintf(name, n, "MACINTOSH");
	else if (cp == 936)
		snprintf(name, n, "GB18030");
	else if (cp == 1361)
		snprintf(name, n, "JOHAB");
	else if (cp >= 1250 && cp <= 1258)
		snprintf(name, n, "WINDOWS-%d", cp);
	else
		snprintf(name, n, "CP%d", cp);
}

static void flush(struct rtf *r)
{
	if (r->npend == 0)
		return;
	if (r->conv_cp != r->pend_cp) {
		char name[32];
		if (r->conv_cp >= 0)
			extract_conv_close(&r->conv);
		iconv_name(r->pend_cp, name, sizeof(name));
		if (extract_conv_open(&r->conv, name) < 0)
			extract_conv_open(&r->conv, "WINDOWS-1252");
		r->conv_cp = r->pend_cp;
	}
	if (r->error == NULL && extract_conv_run(&r->conv, r->pend, r->npend, r->out) < 0)
		r->error = "too_large";
	r->npend = 0;
}

static bool visible(const struct rtf *r)
{
	return !r->g.skip && !r->g.deleted;
}

static int current_cp(const struct rtf *r)
{
	for (size_t i = 0; i < r->nfonts; i++)
		if (r->fonts[i].num == r->g.font)
			return r->fonts[i].cp != 0 ? r->fonts[i].cp : r->ansicpg;
	return r->ansicpg;
}

static void put_byte(struct rtf *r, unsigned char c)
{
	if (r->skip_chars > 0) {
		r->skip_chars--;
		return;
	}
	if (!visible(r))
		return;
	if (c < 0x80) {
		flush(r);
		if (c >= 0x20 || c == '\t')
			put(r, (const char *)&c, 1);
		return;
	}
	int cp = current_cp(r);
	if (r->npend > 0 && (cp != r->pend_cp || r->npend == sizeof(r->pend)))
		flush(r);
	r->pend_cp = cp;
	r->pend[r->npend++] = c;
}

static void put_text(struct rtf *r, const char *utf8)
{
	flush(r);
	if (visible(r))
		put(r, utf8, strlen(utf8));
}

static void put_unicode(struct rtf *r, long v)
{
	flush(r);
	unsigned u = v < 0 ? (unsigned)(v + 65536) : (unsigned)v;
	r->skip_chars = r->g.uc;
	if (u >= 0xD800 && u <= 0xDBFF) {
		r->high_surrogate = u;
		return;
	}
	if (u >= 0xDC00 && u <= 0xDFFF) {
		u = r->high_surrogate != 0 ? 0x10000 + ((r->high_surrogate - 0xD800) << 10) + (u - 0xDC00)
					   : 0xFFFD;
	}
	r->high_surrogate = 0;
	if (u == 0 || u > 0x10FFFF)
		u = u == 0 ? ' ' : 0xFFFD;
	char s[4];
	size_t n;
	if (u < 0x80) {
		s[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		s[0] = (char)(0xC0 | (u >> 6));
		s[1] = (char)(0x80 | (u & 0x3F));
		n = 2;
	} else if (u < 0x10000) {
		s[0] = (char)(0xE0 | (u >> 12));
		s[1] = (char)(0x80 | ((u >> 6) & 0x3F));
		s[2] = (char)(0x80 | (u & 0x3F));
		n = 3;
	} else {
		s[0] = (char)(0xF0 | (u >> 18));
		s[1] = (char)(0x80 | ((u >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((u >> 6) & 0x3F));
		s[3] = (char)(0x80 | (u & 0x3F));
		n = 4;
	}
	if (visible(r))
		put(r, s, n);
}

/* ---- control words */

static int fcharset_cp(long charset)
{
	static const struct { int charset, cp; } map[] = {
		{ 77, 10000 }, { 128, 932 }, { 129, 949 }, { 130, 1361 }, { 134, 936 },
		{ 136, 950 }, { 161, 1253 }, { 162, 1254 }, { 163, 1258 }, { 177, 1255 },
		{ 178, 1256 }, { 186, 1257 }, { 204, 1251 }, { 222, 874 }, { 238, 1250 },
		{ 255, 437 },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].charset == charset)
			return map[i].cp;
	return 0;
}

static struct rtf_font *font_slot(struct rtf *r, long num)
{
	for (size_t i = 0; i < r->nfonts; i++)
		if (r->fonts[i].num == num)
			return &r->fonts[i];
	if (r->nfonts == RTF_MAX_FONTS)
		return NULL;
	r->fonts[r->nfonts] = (struct rtf_font){ num, 0 };
	return &r->fonts[r->nfonts++];
}

static bool word_in(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return true;
	return false;
}

static bool skipped_destination(const char *w)
{
	static const char *const dests[] = {
		"colortbl", "stylesheet", "info", "pict", "header", "headerl", "headerr",
		"headerf", "footer", "footerl", "footerr", "footerf", "listtable",
		"listoverridetable", "revtbl", "rsidtbl", "xmlnstbl", "objdata", "pntext",
		"pntxta", "pntxtb", "listtext", "datafield", "themedata", "colorschememapping",
		"latentstyles", "datastore", "generator", "annotation", "atnid", "atnauthor",
		"fldinst", "template", "filetbl", "nonshppict", "shprslt", "upr", "bkmkstart",
		"bkmkend", "field_inst", "txe", "xe", "tc",
	};
	return word_in(w, dests, sizeof(dests) / sizeof(dests[0]));
}

static bool control_text(struct rtf *r, const char *w)
{
	static const struct { const char *word, *text; } texts[] = {
		{ "par", "\n" }, { "line", "\n" }, { "sect", "\n" }, { "page", "\n" },
		{ "row", "\n" }, { "cell", "\t" }, { "nestcell", "\t" }, { "tab", "\t" },
		{ "emdash", "\u2014" }, { "endash", "\u2013" }, { "bullet", "\u2022" },
		{ "lquote", "\u2018" }, { "rquote", "\u2019" }, { "ldblquote", "\u201C" },
		{ "rdblquote", "\u201D" }, { "emspace", " " }, { "enspace", " " },
		{ "qmspace", " " },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (strcmp(w, texts[i].word) == 0) {
			put_text(r, texts[i].text);
			return true;
		}
	}
	return false;
}

static void control_word(struct rtf *r, const char *w, bool has_num, long num)
{
	if (control_text(r, w))
		return;
	if (strcmp(w, "u") == 0 && has_num) {
		put_unicode(r, num);
		return;
	}
	flush(r);
	if (strcmp(w, "uc") == 0 && has_num && num >= 0 && num <= 10)
		r->g.uc = (int)num;
	else if (strcmp(w, "ansicpg") == 0 && has_num && num > 0 && num < 100000)
		r->ansicpg = (int)num;
	else if (strcmp(w, "deff") == 0 && has_num)
		r->g.font = (int)num;
	else if (strcmp(w, "mac") == 0)
		r->ansicpg = 10000;
	else if (strcmp(w, "pc") == 0)
		r->ansicpg = 437;
	else if (strcmp(w, "pca") == 0)
		r->ansicpg = 850;
	else if (strcmp(w, "fonttbl") == 0) {
		r->g.skip = true;
		r->fonttbl_depth = r->depth;
	} else if (strcmp(w, "f") == 0 && has_num) {
		if (r->fonttbl_depth > 0)
			r->font_defined = num;
		else
			r->g.font = (int)num;
	} else if ((strcmp(w, "fcharset") == 0 || strcmp(w, "cpg") == 0) && has_num &&
		   r->fonttbl_depth > 0) {
		struct rtf_font *f = font_slot(r, r->font_defined);
		if (f != NULL && (f->cp == 0 || w[0] == 'c'))
			f->cp = w[0] == 'c' ? (int)num : fcharset_cp(num);
	} else if (strcmp(w, "deleted") == 0)
		r->g.deleted = !has_num || num != 0;
	else if (strcmp(w, "plain") == 0)
		r->g.deleted = false;
	else if (strcmp(w, "shptxt") == 0 || strcmp(w, "ud") == 0)
		r->g.skip = false; /* text box text / Unicode twin inside a skipped shape */
	else if (skipped_destination(w))
		r->g.skip = true;
	else if (strcmp(w, "bin") == 0 && has_num && num > 0)
		r->p += (size_t)num < (size_t)(r->end - r->p) ? (size_t)num : (size_t)(r->end - r->p);
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* After a backslash. */
static void control(struct rtf *r)
{
	if (r->p >= r->end)
		return;
	unsigned char c = *r->p;
	if (!is_alpha(c)) {
		r->p++;
		if (c == '\'') {
			int hi = r->end - r->p >= 2 ? hex_value(r->p[0]) : -1;
			int lo = hi >= 0 ? hex_value(r->p[1]) : -1;
			if (lo >= 0) {
				r->p += 2;
				put_byte(r, (unsigned char)(hi * 16 + lo));
			}
		} else if (c == '\\' || c == '{' || c == '}') {
			put_byte(r, c);
		} else if (c == '~') {
			put_text(r, "\u00A0");
		} else if (c == '_') {
			put_text(r, "-");
		} else if (c == '*') {
			r->g.skip = true;
		} else if (c == '\n' || c == '\r') {
			put_text(r, "\n"); /* \<newline> is \par */
		}
		return;
	}
	char w[33];
	size_t n = 0;
	while (r->p < r->end && is_alpha(*r->p)) {
		if (n < sizeof(w) - 1)
			w[n++] = (char)*r->p;
		r->p++;
	}
	w[n] = '\0';
	bool neg = false, has_num = false;
	long num = 0;
	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (num < 100000000)
			num = num * 10 + (*r->p - '0');
		has_num = true;
		r->p++;
	}
	if (neg)
		num = -num;
	if (r->p < r->end && *r->p == ' ')
		r->p++;
	control_word(r, w, has_num, num);
}

static void group_open(struct rtf *r)
{
	flush(r);
	if (r->depth >= r->max_depth) {
		r->error = "too_deep";
		return;
	}
	r->stack[r->depth++] = r->g;
}

/* Returns false at the document's closing brace. */
static bool group_close(struct rtf *r)
{
	flush(r);
	r->skip_chars = 0;
	if (r->depth == 0)
		return false;
	if (r->fonttbl_depth == r->depth)
		r->fonttbl_depth = 0;
	r->g = r->stack[--r->depth];
	return r->depth > 0;
}

static void rtf_run(struct rtf *r)
{
	while (r->p < r->end && r->error == NULL) {
		unsigned char c = *r->p;
		if (c == '{') {
			r->p++;
			group_open(r);
		} else if (c == '}') {
			r->p++;
			if (!group_close(r))
				break;
		} else if (c == '\\') {
			r->p++;
			control(r);
		} else {
			r->p++;
			if (c != '\r' && c != '\n')
				put_byte(r, c);
		}
	}
	flush(r);
}

int extract_rtf(const unsigned char *data, size_t len, const struct extract_limits *lim,
		struct buf *out, const char **error_r)
{
	if (len < 5 || memcmp(data, "{\\rtf", 5) != 0) {
		*error_r = "corrupt";
		return -1;
	}
	struct rtf *r = xcalloc(1, sizeof(*r));
	r->p = data;
	r->end = data + len;
	r->out = out;
	r->max_depth = lim->max_xml_depth < RTF_MAX_GROUPS ? lim->max_xml_depth : RTF_MAX_GROUPS;
	r->stack = xcalloc(r->max_depth + 1, sizeof(*r->stack));
	r->g.uc = 1;
	r->ansicpg = 1252;
	r->conv_cp = -1;
	rtf_run(r);
	if (r->conv_cp >= 0)
		extract_conv_close(&r->conv);
	const char *error = r->error;
	free(r->stack);
	free(r);
	if (error != NULL) {
		*error_r = error;
		return -1;
	}
	return 0;
}
