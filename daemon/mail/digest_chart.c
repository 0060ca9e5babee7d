/* digest_chart.c — the digest's chart (issue 16): first versions received
 * per local day of the call's zone, as bars, from the first arrival (or
 * the opening) to the last deadline, with the deadline as a red line and
 * each extension as an orange one. A PNG drawn with cairo, sent inline
 * (multipart/related) and shown by the HTML as cid:. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include "digest_impl.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define CHART_W    600
#define CHART_H    160
#define MAX_DAYS   120      /* a longer call shows its last 120 days */
#define MARGIN     20

/* Whole local days from `from` to t (both at the zone's local noon, so
 * DST never shifts a day). */
static long day_index(time_t from, time_t t, const char *zone)
{
	struct tm a, b;
	tztime_local(from, zone, &a);
	tztime_local(t, zone, &b);
	a.tm_hour = b.tm_hour = 12;
	a.tm_min = b.tm_min = a.tm_sec = b.tm_sec = 0;
	a.tm_isdst = b.tm_isdst = 0;
	return (long)((timegm(&b) - timegm(&a)) / 86400);
}

struct chart_span {
	time_t first;
	long days;
};

static struct chart_span chart_span(const struct digest *d)
{
	const struct call_config *c = d->call;
	time_t first = c->has_opens ? c->opens : c->deadline, last = c->deadline;
	for (size_t i = 0; i < c->n_extensions; i++)
		if (c->extensions[i].deadline > last)
			last = c->extensions[i].deadline;
	for (size_t i = 0; i < d->rows.n; i++) {
		time_t t = d->rows.v[i].received_at;
		if (t != 0 && t < first)
			first = t;
		if (t > last)
			last = t;
	}
	long days = day_index(first, last, c->zone) + 1;
	if (days > MAX_DAYS) {
		first = last - (time_t)(MAX_DAYS - 1) * 86400;
		days = MAX_DAYS;
	}
	return (struct chart_span){ first, days < 1 ? 1 : days };
}

static void vline(cairo_t *cr, const struct chart_span *s, const char *zone, time_t t,
		  double bar_w, double r, double g, double b)
{
	long i = day_index(s->first, t, zone);
	if (i < 0 || i >= s->days)
		return;
	double x = MARGIN + (i + 0.5) * bar_w;
	cairo_set_source_rgb(cr, r, g, b);
	cairo_set_line_width(cr, 2);
	cairo_move_to(cr, x, 4);
	cairo_line_to(cr, x, CHART_H - MARGIN);
	cairo_stroke(cr);
}

static void draw(cairo_t *cr, const struct digest *d, const struct chart_span *s,
		 const long *count, long max)
{
	double bar_w = (double)(CHART_W - 2 * MARGIN) / (double)s->days;
	double plot_h = CHART_H - MARGIN - 8;
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.1, 0.46, 0.82);
	for (long i = 0; i < s->days; i++) {
		double h = max > 0 ? plot_h * (double)count[i] / (double)max : 0;
		cairo_rectangle(cr, MARGIN + i * bar_w + bar_w * 0.1, CHART_H - MARGIN - h,
				bar_w * 0.8, h);
	}
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(cr, 1);
	cairo_move_to(cr, MARGIN, CHART_H - MARGIN + 0.5);
	cairo_line_to(cr, CHART_W - MARGIN, CHART_H - MARGIN + 0.5);
	cairo_stroke(cr);
	for (size_t i = 0; i < d->call->n_extensions; i++)
		vline(cr, s, d->call->zone, d->call->extensions[i].deadline, bar_w, 0.94, 0.42, 0);
	vline(cr, s, d->call->zone, d->call->deadline, bar_w, 0.78, 0.16, 0.16);
}

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int len)
{
	return buf_append(closure, data, len) < 0 ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

unsigned char *digest_chart_png(const struct digest *d, size_t *len_r)
{
	struct chart_span s = chart_span(d);
	long *count = xcalloc((size_t)s.days, sizeof(*count)), max = 0;
	for (size_t i = 0; i < d->rows.n; i++) {
		const struct digest_row *r = &d->rows.v[i];
		long k = day_index(s.first, r->received_at, d->call->zone);
		if (r->version == 1 && k >= 0 && k < s.days && ++count[k] > max)
			max = count[k];
	}
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, CHART_W, CHART_H);
	cairo_t *cr = cairo_create(sf);
	draw(cr, d, &s, count, max);
	cairo_destroy(cr);
	struct buf png;
	buf_init(&png, 4u * 1024 * 1024);
	cairo_status_t st = cairo_surface_write_to_png_stream(sf, png_write, &png);
	cairo_surface_destroy(sf);
	free(count);
	if (st != CAIRO_STATUS_SUCCESS || png.len == 0) {
		buf_free(&png);
		*len_r = 0;
		return NULL;
	}
	*len_r = png.len;
	return (unsigned char *)buf_steal(&png);
}
