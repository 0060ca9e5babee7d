/* compile_typeset.c — the pages the compilation draws itself, with cairo's
 * PDF surface and pango: the cover, the table of contents, the band on the
 * first page of each input, text inputs and the page that says a document
 * could not be included. Pango shapes and orders the text (Arabic right to
 * left, Chinese in a CJK font) with fonts found by fontconfig, and cairo
 * embeds the subsets it used. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "ctl.h"
#include "intaked/fsio.h"
#include "intaked/util.h"

#define A4_W 595.276
#define A4_H 841.89
#define MARGIN 72.0
#define BAND_H 20.0
/* The families pango tries in turn: Latin and Cyrillic, Arabic, CJK (the
 * Debian packages fonts-noto-core and fonts-noto-cjk). */
#define FAMILIES "Noto Sans, Noto Naskh Arabic, Noto Sans CJK SC"
#define TOC_LINE_H 20.0
#define TOC_FIRST_TOP 150.0
/* A text input longer than this is cut (with a line saying so): a page
 * count in the thousands helps nobody, and pango lays the text out whole. */
#define TEXT_MAX (2u << 20)

static int surface_done(cairo_surface_t *s, const char *pdf, struct err *err)
{
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		err_set(err, ERR_TEMP, "%s: %s", pdf, cairo_status_to_string(st));
		return -1;
	}
	return 0;
}

static PangoLayout *new_layout(cairo_t *cr, const char *font, double width, const char *lang)
{
	PangoLayout *lay = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_from_string(font);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(lay, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	if (lang != NULL) {
		/* Chinese text in the simplified-Chinese forms of the CJK font. */
		PangoContext *ctx = pango_layout_get_context(lay);
		pango_context_set_language(ctx, pango_language_from_string(
							strcmp(lang, "zh") == 0 ? "zh-cn" : lang));
		pango_layout_context_changed(lay);
	}
	return lay;
}

/* Draw text (UTF-8) at x, y, width wide; the height it took. */
static double draw_text(cairo_t *cr, double x, double y, double width, const char *font,
			const char *text, PangoAlignment align)
{
	PangoLayout *lay = new_layout(cr, font, width, NULL);
	char *valid = g_utf8_make_valid(text ? text : "", -1);
	pango_layout_set_text(lay, valid, -1);
	pango_layout_set_alignment(lay, align);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, lay);
	int h;
	pango_layout_get_size(lay, NULL, &h);
	g_free(valid);
	g_object_unref(lay);
	return (double)h / PANGO_SCALE;
}

/* ---- cover ---- */

static void cover_line(cairo_t *cr, double *y, const char *label, const char *value)
{
	draw_text(cr, MARGIN, *y, 170, "Noto Sans 12", label, PANGO_ALIGN_LEFT);
	*y += draw_text(cr, MARGIN + 180, *y, A4_W - 2 * MARGIN - 180, "Noto Sans Bold 12", value,
			PANGO_ALIGN_LEFT) + 8;
}

int compile_typeset_cover(const struct compile_doc *d, const char *pdf, struct err *err)
{
	cairo_surface_t *s = cairo_pdf_surface_create(pdf, A4_W, A4_H);
	cairo_t *cr = cairo_create(s);
	char when[64], num[32];
	double y = 160, w = A4_W - 2 * MARGIN;

	y += draw_text(cr, MARGIN, y, w, "Noto Sans 14", "Compilation of inputs", PANGO_ALIGN_LEFT) + 12;
	y += draw_text(cr, MARGIN, y, w, "Noto Sans Bold 24",
		       d->call->title ? d->call->title : d->call->name, PANGO_ALIGN_LEFT) + 6;
	y += draw_text(cr, MARGIN, y, w, "Noto Sans 11", d->call->name, PANGO_ALIGN_LEFT) + 40;
	cairo_set_line_width(cr, 0.8);
	cairo_move_to(cr, MARGIN, y - 20);
	cairo_line_to(cr, A4_W - MARGIN, y - 20);
	cairo_stroke(cr);
	ctl_format_time(d->call->deadline, d->call->zone, when, sizeof(when));
	cover_line(cr, &y, "Deadline", when);
	snprintf(num, sizeof(num), "%zu", d->received);
	cover_line(cr, &y, "Inputs received", num);
	snprintf(num, sizeof(num), "%zu", d->on_time);
	cover_line(cr, &y, "On time", num);
	snprintf(num, sizeof(num), "%zu", d->late);
	cover_line(cr, &y, "Late", num);
	snprintf(num, sizeof(num), "%zu", d->n);
	cover_line(cr, &y, "In this compilation", num);
	ctl_format_time(d->now, d->call->zone, when, sizeof(when));
	cover_line(cr, &y, "Compiled", when);
	cairo_show_page(cr);
	cairo_destroy(cr);
	return surface_done(s, pdf, err);
}

/* ---- table of contents ---- */

static int toc_lines_on(int page)
{
	double top = page == 0 ? TOC_FIRST_TOP : MARGIN;
	return (int)((A4_H - MARGIN - top) / TOC_LINE_H);
}

int compile_toc_pages(size_t n)
{
	int pages = 1;
	for (size_t left = n; left > (size_t)toc_lines_on(pages - 1); pages++)
		left -= (size_t)toc_lines_on(pages - 1);
	return pages;
}

static void toc_entry(cairo_t *cr, double y, const struct compile_input *in)
{
	char page[16];
	double w = A4_W - 2 * MARGIN;
	PangoLayout *lay = new_layout(cr, "Noto Sans 11", w - 60, NULL);
	char *valid = g_utf8_make_valid(in->member, -1);
	pango_layout_set_text(lay, valid, -1);
	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
	cairo_move_to(cr, MARGIN, y);
	pango_cairo_show_layout(cr, lay);
	g_free(valid);
	g_object_unref(lay);
	snprintf(page, sizeof(page), "%d", in->first_page);
	draw_text(cr, A4_W - MARGIN - 50, y, 50, "Noto Sans 11", page, PANGO_ALIGN_RIGHT);
}

int compile_typeset_toc(const struct compile_doc *d, const char *pdf, struct err *err)
{
	cairo_surface_t *s = cairo_pdf_surface_create(pdf, A4_W, A4_H);
	cairo_t *cr = cairo_create(s);
	size_t i = 0;
	for (int page = 0; page < d->toc_pages; page++) {
		double y = MARGIN;
		if (page == 0) {
			draw_text(cr, MARGIN, MARGIN, A4_W - 2 * MARGIN, "Noto Sans Bold 20", "Contents",
				  PANGO_ALIGN_LEFT);
			draw_text(cr, A4_W - MARGIN - 60, TOC_FIRST_TOP - 26, 60, "Noto Sans 9", "Page",
				  PANGO_ALIGN_RIGHT);
			y = TOC_FIRST_TOP;
		}
		for (int k = 0; k < toc_lines_on(page) && i < d->n; k++, i++, y += TOC_LINE_H)
			toc_entry(cr, y, &d->in[i]);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	return surface_done(s, pdf, err);
}

/* ---- bands ---- */

static const char *language_name(const char *code)
{
	static const char *const names[][2] = { { "ar", "Arabic" }, { "zh", "Chinese" },
						{ "en", "English" }, { "fr", "French" },
						{ "ru", "Russian" }, { "es", "Spanish" },
						{ "other", "other language" } };
	for (size_t i = 0; code && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(code, names[i][0]) == 0)
			return names[i][1];
	return "language unknown";
}

static char *band_text(const struct compile_doc *d, const struct compile_input *in)
{
	char when[64], words[32];
	ctl_format_time(in->received_at, d->call->zone, when, sizeof(when));
	if (in->words < 0)
		snprintf(words, sizeof(words), "words unknown");
	else
		snprintf(words, sizeof(words), "%ld word%s", in->words, in->words == 1 ? "" : "s");
	return xasprintf("%s  ·  received %s  ·  %s  ·  %s", in->member, when, words,
			 language_name(in->language));
}

int compile_typeset_bands(const struct compile_doc *d, const char *pdf, struct err *err)
{
	cairo_surface_t *s = cairo_pdf_surface_create(pdf, A4_W, A4_H);
	cairo_t *cr = cairo_create(s);
	for (size_t i = 0; i < d->n; i++) {
		const struct compile_part *p = &d->in[i].parts[0];
		double w = p->width > 0 ? p->width : A4_W;
		cairo_pdf_surface_set_size(s, w, p->height > 0 ? p->height : A4_H);
		cairo_set_source_rgb(cr, 0.90, 0.92, 0.95);
		cairo_rectangle(cr, 0, 0, w, BAND_H);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		char *text = band_text(d, &d->in[i]);
		PangoLayout *lay = new_layout(cr, "Noto Sans 9", w - 24, NULL);
		char *valid = g_utf8_make_valid(text, -1);
		pango_layout_set_text(lay, valid, -1);
		pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
		cairo_move_to(cr, 12, 4.5);
		pango_cairo_show_layout(cr, lay);
		g_free(valid);
		g_object_unref(lay);
		free(text);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	return surface_done(s, pdf, err);
}

/* ---- text inputs ---- */

/* Lay lay out over as many pages as it takes, from y on the first page;
 * the number of pages. Lines are placed one by one so that a page break
 * never cuts a line, whatever its direction. */
static int flow_lines(cairo_t *cr, PangoLayout *lay, double y)
{
	PangoLayoutIter *it = pango_layout_get_iter(lay);
	int page_top = 0, pages = 1;
	double y0 = y;
	do {
		PangoRectangle logical;
		pango_layout_iter_get_line_extents(it, NULL, &logical);
		int baseline = pango_layout_iter_get_baseline(it);
		double bottom = y0 + (double)(logical.y + logical.height - page_top) / PANGO_SCALE;
		if (bottom > A4_H - MARGIN && logical.y > page_top) {
			cairo_show_page(cr);
			pages++;
			page_top = logical.y;
			y0 = MARGIN;
		}
		cairo_move_to(cr, MARGIN + (double)logical.x / PANGO_SCALE,
			      y0 + (double)(baseline - page_top) / PANGO_SCALE);
		pango_cairo_show_layout_line(cr, pango_layout_iter_get_line_readonly(it));
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	cairo_show_page(cr);
	return pages;
}

int compile_typeset_text(struct compile_part *part, const char *lang, struct err *err)
{
	char *data = NULL;
	size_t len = 0;
	struct err rerr = { 0 };
	if (fsio_read_file(part->src, (size_t)-1 / 2, &data, &len, &rerr) < 0) {
		snprintf(part->reason, sizeof(part->reason), "the text cannot be read");
		return compile_typeset_error(part, err);
	}
	bool cut = len > TEXT_MAX;
	char *valid = g_utf8_make_valid(data, cut ? (gssize)TEXT_MAX : (gssize)len);
	free(data);
	cairo_surface_t *s = cairo_pdf_surface_create(part->pdf, A4_W, A4_H);
	cairo_t *cr = cairo_create(s);
	double y = MARGIN + draw_text(cr, MARGIN, MARGIN, A4_W - 2 * MARGIN, "Noto Sans Bold 12",
				      part->name, PANGO_ALIGN_LEFT) + 14;
	PangoLayout *lay = new_layout(cr, FAMILIES " 11", A4_W - 2 * MARGIN, lang);
	char *text = cut ? g_strconcat(valid, "\n\n[… the rest of the text is not shown]", NULL)
			 : g_strdup(valid);
	pango_layout_set_text(lay, text, -1);
	pango_layout_set_spacing(lay, 2 * PANGO_SCALE);
	part->npages = flow_lines(cr, lay, y);
	part->width = A4_W;
	part->height = A4_H;
	g_object_unref(lay);
	g_free(text);
	g_free(valid);
	cairo_destroy(cr);
	return surface_done(s, part->pdf, err);
}

int compile_typeset_error(struct compile_part *part, struct err *err)
{
	cairo_surface_t *s = cairo_pdf_surface_create(part->pdf, A4_W, A4_H);
	cairo_t *cr = cairo_create(s);
	double w = A4_W - 2 * MARGIN, y = 200;
	y += draw_text(cr, MARGIN, y, w, "Noto Sans Bold 16", "This document could not be included",
		       PANGO_ALIGN_LEFT) + 16;
	char *line = xasprintf("The file \"%s\" could not be read or converted to PDF.", part->name);
	y += draw_text(cr, MARGIN, y, w, FAMILIES " 12", line, PANGO_ALIGN_LEFT) + 10;
	free(line);
	line = xasprintf("Reason: %s", part->reason[0] ? part->reason : "unknown");
	y += draw_text(cr, MARGIN, y, w, "Noto Sans 10", line, PANGO_ALIGN_LEFT) + 10;
	free(line);
	draw_text(cr, MARGIN, y, w, "Noto Sans 10",
		  "The original is kept in the intake spool; ask the secretariat for it.",
		  PANGO_ALIGN_LEFT);
	cairo_show_page(cr);
	cairo_destroy(cr);
	part->kind = PART_ERROR;
	part->npages = 1;
	part->width = A4_W;
	part->height = A4_H;
	return surface_done(s, part->pdf, err);
}

void compile_typeset_done(void)
{
	/* The font map, cairo's caches and fontconfig's configuration live
	 * until exit: let go of them so that a leak checker sees only ours. */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
}

/* Under LeakSanitizer (make check-asan): cairo 1.16 keeps one array of
 * its PDF backend (768 bytes) that cairo_debug_reset_static_data() does
 * not free; the pointer never reaches intakectl. Unused otherwise. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcairo.so\n";
}
