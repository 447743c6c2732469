// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: export as SVG. Page frames in view (rows) against
 * sequence numbers (columns), coloured by cache, the boot phases shaded
 * and named above, the check's anomalies marked on top, a legend.
 *
 * Two ways to draw, chosen by how much the view holds:
 *  - detail: few runs on few frames; one rectangle per run, with a
 *    tooltip (cache, pfn, order, node, who allocated and freed it).
 *  - binned: a raster of at most SVG_PLOT_W x SVG_PLOT_H cells; a cell
 *    bins consecutive rows and a range of sequence numbers, takes the
 *    colour of the cache that owned most of it and an opacity for how
 *    much of it was owned at all. Equal neighbours in a row become one
 *    stroke of a path per colour, so the file is bounded by the cells
 *    (a few MB at worst), whatever the number of events.
 * Anomalies go on a grid of SVG_MARK_CELL pixels (one mark per cell and
 * severity); the first SVG_DETAIL_MARKS also get a tooltip.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

#define SVG_LEFT 104
#define SVG_PLOT_W 900
#define SVG_PLOT_H 560
#define SVG_TOP 100 /* title, subtitle, three lanes of phase names */
#define SVG_BOTTOM 70
#define SVG_LEGEND_W 300
#define SVG_LANES 3
#define SVG_LANE_Y 60 /* baseline of the first lane */
#define SVG_LANE_H 13
#define SVG_LINE 16 /* legend line height */
#define SVG_MARK_CELL 4
#define SVG_DETAIL_MARKS 200
#define SVG_LEVELS 4
#define DETAIL_MAX_RUNS 1500
#define DETAIL_MIN_ROW 4
#define DETAIL_MAX_ROW 16

static const char *const phase_fill[EST_PHASE_MAX] = {
	"#eeeeee", "#dcebf8", "#fbe9c6", "#f8d6d2", "#dff0d8", "#f7f7f7",
};

static const double level_opacity[SVG_LEVELS] = { 0.3, 0.55, 0.8, 1.0 };

struct mark {
	struct es_anomaly a;
	double x, y;
};

struct svg {
	bool binned;
	double plot_w, plot_h;
	double row_h; /* detail: pixels per row */
	/* binned */
	uint64_t fpr; /* rows per bin row */
	uint64_t nbr; /* bin rows */
	uint64_t spc; /* sequence numbers per column */
	uint64_t ncols;
	double rowh, colw; /* a cell's height and width in pixels */
	float *cov; /* [class][bin row][col] partial columns */
	int32_t *diff; /* [class][bin row][col + 1] whole columns */
	/* anomalies */
	unsigned char *grid; /* bit 0: warning, bit 1: error */
	size_t gw, gh;
	struct mark *marks;
	size_t nmarks;
	uint64_t shown_errors, shown_warnings;
	size_t dropped_labels;
};

static double xpos(const struct exp *x, const struct svg *s, uint64_t seq)
{
	double rel = (double)(seq - x->lo);

	if (s->binned)
		return SVG_LEFT + rel / (double)s->spc * s->colw;
	return SVG_LEFT + s->plot_w * rel / (double)(x->end - x->lo);
}

/* Top of row @row. */
static double ypos(const struct svg *s, size_t row)
{
	if (s->binned)
		return SVG_TOP + (double)(row / s->fpr) * s->rowh;
	return SVG_TOP + s->row_h * (double)row;
}

static double row_height(const struct svg *s)
{
	return s->binned ? s->rowh : s->row_h;
}

/* <text>: the only way text is written, so that its box is known. */
static void text(FILE *f, double x, double y, int size, const char *anchor,
		 const char *attrs, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\"", x, y, size);
	if (anchor)
		fprintf(f, " text-anchor=\"%s\"", anchor);
	if (attrs)
		fprintf(f, " %s", attrs);
	fputc('>', f);
	exp_xml(f, s);
	fputs("</text>\n", f);
}

static double text_w(const char *s, int size)
{
	return (double)strlen(s) * EXP_EM * size;
}

/* ---- layout ------------------------------------------------------------- */

static void layout(struct exp *x, struct svg *s)
{
	uint64_t len = x->end - x->lo;

	s->binned = x->runs > DETAIL_MAX_RUNS ||
		    x->nrows * DETAIL_MIN_ROW > SVG_PLOT_H;
	if (!s->binned) {
		s->row_h = x->nrows ? floor(SVG_PLOT_H / (double)x->nrows) :
				      DETAIL_MAX_ROW;
		if (s->row_h > DETAIL_MAX_ROW)
			s->row_h = DETAIL_MAX_ROW;
		s->plot_w = SVG_PLOT_W;
		s->plot_h = s->row_h * (double)(x->nrows ? x->nrows : 1);
		if (s->plot_h < 48)
			s->plot_h = 48;
		return;
	}
	s->fpr = (x->nrows + SVG_PLOT_H - 1) / SVG_PLOT_H;
	s->nbr = (x->nrows + s->fpr - 1) / s->fpr;
	s->rowh = (double)SVG_PLOT_H / (double)s->nbr;
	if (s->rowh > DETAIL_MAX_ROW)
		s->rowh = DETAIL_MAX_ROW;
	s->spc = (len + SVG_PLOT_W - 1) / SVG_PLOT_W;
	s->ncols = (len + s->spc - 1) / s->spc;
	s->colw = (double)SVG_PLOT_W / (double)s->ncols;
	s->plot_w = SVG_PLOT_W;
	s->plot_h = (double)s->nbr * s->rowh;
}

static int alloc_raster(struct exp *x, struct svg *s)
{
	size_t cells = (size_t)(x->nclasses * s->nbr * s->ncols);

	s->gw = (size_t)s->plot_w / SVG_MARK_CELL + 1;
	s->gh = (size_t)s->plot_h / SVG_MARK_CELL + 2;
	s->grid = calloc(s->gw * s->gh, 1);
	s->marks = calloc(SVG_DETAIL_MARKS, sizeof(*s->marks));
	if (!s->grid || !s->marks)
		return -1;
	if (!s->binned)
		return 0;
	s->cov = calloc(cells, sizeof(*s->cov));
	s->diff = calloc((size_t)(x->nclasses * s->nbr * (s->ncols + 1)),
			 sizeof(*s->diff));
	return s->cov && s->diff ? 0 : -1;
}

/* ---- runs --------------------------------------------------------------- */

static int detail_run(struct exp *x, struct svg *s, const struct es_run *run,
		      size_t r0, size_t nr, uint64_t start, uint64_t end)
{
	FILE *f = x->f;
	double x0 = xpos(x, s, start), w = xpos(x, s, end) - x0;
	double h = s->row_h * (double)nr;
	char caller[512];
	uint32_t cls = exp_class_of(x, run->cache);

	if (w < 1.0)
		w = 1.0;
	if (h > 5)
		h -= 1; /* a gap between rows */
	fprintf(f,
		"<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s%s><title>",
		x0, ypos(s, r0), w, h, exp_palette(cls),
		run->flags & ES_RUN_NO_ALLOC ? " fill-opacity=\"0.4\"" : "",
		run->flags & ES_RUN_EARLY ?
			" stroke=\"#222\" stroke-width=\"0.8\"" :
			"");
	exp_xml(f, run->name[0] ? run->name : "-");
	fprintf(f, " pfn 0x%" PRIx64 " order %u node %d, ", run->pfn,
		run->order, run->nid);
	if (run->alloc_seq != ES_NO_SEQ)
		fprintf(f, "seq %" PRIu64 " %s/%s by ", run->alloc_seq,
			es_phase_name(run->alloc_phase),
			es_path_name(run->alloc_path));
	exp_xml(f, es_format_caller(x->t, run->alloc_caller, caller,
				    sizeof(caller)));
	if (run->free_seq != ES_NO_SEQ) {
		fprintf(f, ", freed seq %" PRIu64 " %s/%s by ", run->free_seq,
			es_phase_name(run->free_phase),
			es_path_name(run->free_path));
		exp_xml(f, es_format_caller(x->t, run->free_caller, caller,
					    sizeof(caller)));
	} else {
		fprintf(f, ", %s",
			run->flags & ES_RUN_LIVE ? "live" : "replaced");
	}
	fputs("</title></rect>\n", f);
	return ferror(f) ? -1 : 0;
}

/* The plane index of a class (other is the last plane in use). */
static uint32_t plane_of(const struct exp *x, uint32_t cls)
{
	return cls == EXP_OTHER ? x->nclasses - 1 : cls;
}

static uint32_t class_of_plane(const struct exp *x, uint32_t plane)
{
	return x->other_caches && plane == x->nclasses - 1 ? EXP_OTHER : plane;
}

static void bin_run(struct exp *x, struct svg *s, uint32_t pl, size_t r0,
		    size_t nr, uint64_t start, uint64_t end)
{
	uint64_t st = start - x->lo, en = end - x->lo;
	uint64_t cs = st / s->spc, ce = (en - 1) / s->spc, b, k;
	size_t r = r0, plane = (size_t)pl * s->nbr;

	while (r < r0 + nr) {
		b = r / s->fpr;
		k = (b + 1) * s->fpr - r;
		if (k > r0 + nr - r)
			k = r0 + nr - r;
		r += k;
		if (cs == ce) {
			s->cov[(plane + b) * s->ncols + cs] +=
				(float)(k * (en - st));
			continue;
		}
		s->cov[(plane + b) * s->ncols + cs] +=
			(float)(k * ((cs + 1) * s->spc - st));
		s->cov[(plane + b) * s->ncols + ce] +=
			(float)(k * (en - ce * s->spc));
		s->diff[(plane + b) * (s->ncols + 1) + cs + 1] += (int32_t)k;
		s->diff[(plane + b) * (s->ncols + 1) + ce] -= (int32_t)k;
	}
}

static int svg_run(struct es_replay *r, const struct es_run *run)
{
	struct exp *x = r->arg;
	struct svg *s = x->w;
	uint64_t start, end, first = run->pfn, n;
	size_t r0, r1;

	if (!exp_run_in_view(x, run, &start, &end))
		return 0;
	n = 1ULL << run->order;
	if (x->opt->has_pfn && first < x->opt->pfn_lo) {
		n -= x->opt->pfn_lo - first;
		first = x->opt->pfn_lo;
	}
	if (x->opt->has_pfn && n - 1 > x->opt->pfn_hi - first)
		n = x->opt->pfn_hi - first + 1;
	/* the first replay made each of these frames a row */
	r0 = exp_row_of(x, first);
	r1 = r0 + n;
	if (r1 > x->nrows || r1 < r0 || x->rows[r1 - 1].pfn != first + n - 1)
		return 0;
	if (!s->binned)
		return detail_run(x, s, run, r0, r1 - r0, start, end);
	bin_run(x, s, plane_of(x, exp_class_of(x, run->cache)), r0, r1 - r0,
		start, end);
	return 0;
}

static int svg_event(struct es_replay *r, const struct es_event *ev)
{
	struct exp *x = r->arg;

	(void)ev;
	x->slot++;
	return 0;
}

/* ---- anomalies ---------------------------------------------------------- */

static int svg_anomaly(struct es_replay *r, const struct es_anomaly *a)
{
	struct exp *x = r->arg;
	struct svg *s = x->w;
	double cx, cy;
	size_t row, gx, gy;

	if (!exp_anomaly_in_view(x, a))
		return 0;
	x->anomalies++;
	if (a->severity == ES_SEV_ERROR)
		x->errors++;
	cx = xpos(x, s, a->seq == ES_NO_SEQ ? x->end - 1 : a->seq);
	if (a->pfn != ES_NO_PFN && (row = exp_row_of(x, a->pfn)) < x->nrows &&
	    x->rows[row].pfn == a->pfn)
		cy = ypos(s, row) + row_height(s) / 2;
	else
		cy = SVG_TOP + 2;
	if (s->nmarks < SVG_DETAIL_MARKS) {
		s->marks[s->nmarks].a = *a;
		s->marks[s->nmarks].x = cx;
		s->marks[s->nmarks++].y = cy;
		return 0;
	}
	gx = (size_t)((cx - SVG_LEFT) / SVG_MARK_CELL);
	gy = (size_t)((cy - SVG_TOP) / SVG_MARK_CELL);
	if (gx >= s->gw)
		gx = s->gw - 1;
	if (gy >= s->gh)
		gy = s->gh - 1;
	s->grid[gy * s->gw + gx] |= a->severity == ES_SEV_ERROR ? 2 : 1;
	return 0;
}

static void mark_path(FILE *f, double cx, double cy)
{
	fprintf(f, "M%.1f %.1fl8 8m0 -8l-8 8", cx - 4, cy - 4);
}

/* Marks of one severity from the grid: a white halo, then the colour. */
static void grid_marks(struct exp *x, struct svg *s, unsigned char bit,
		       const char *color)
{
	FILE *f = x->f;
	size_t i, n = 0, pass;

	for (i = 0; i < s->gw * s->gh; i++)
		n += !!(s->grid[i] & bit);
	if (!n)
		return;
	for (pass = 0; pass < 2; pass++) {
		fprintf(f,
			"<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" d=\"",
			pass ? color : "#fff", pass ? "2" : "4");
		for (i = 0; i < s->gw * s->gh; i++) {
			if (!(s->grid[i] & bit))
				continue;
			mark_path(
				f,
				SVG_LEFT + (double)(i % s->gw) * SVG_MARK_CELL +
					SVG_MARK_CELL / 2.0,
				SVG_TOP + (double)(i / s->gw) * SVG_MARK_CELL +
					SVG_MARK_CELL / 2.0);
			if (i % 8 == 7)
				fputc('\n', f);
		}
		fputs("\"/>\n", f);
	}
}

static void detail_mark(struct exp *x, const struct mark *m)
{
	FILE *f = x->f;
	const struct es_anomaly *a = &m->a;
	char caller[512];

	fputs("<g fill=\"none\"><title>", f);
	fprintf(f, "%s %s seq ", es_severity_name(a->severity),
		es_kind_name(a->kind));
	if (a->seq == ES_NO_SEQ)
		fputs("-", f);
	else
		fprintf(f, "%" PRIu64, a->seq);
	if (a->pfn != ES_NO_PFN)
		fprintf(f, " pfn 0x%" PRIx64, a->pfn);
	fputs(": ", f);
	exp_xml(f, a->detail);
	if (a->caller) {
		fputs(" by ", f);
		exp_xml(f, es_format_caller(x->t, a->caller, caller,
					    sizeof(caller)));
	}
	fputs("</title><path stroke=\"#fff\" stroke-width=\"4\" d=\"", f);
	mark_path(f, m->x, m->y);
	fprintf(f, "\"/><path stroke=\"%s\" stroke-width=\"2\" d=\"",
		a->severity == ES_SEV_ERROR ? "#d00" : "#e80");
	mark_path(f, m->x, m->y);
	fputs("\"/></g>\n", f);
}

static void draw_marks(struct exp *x, struct svg *s)
{
	size_t i;
	int sev;

	fputs("<g id=\"anomalies\">\n", x->f);
	grid_marks(x, s, 1, "#e80");
	grid_marks(x, s, 2, "#d00");
	/* warnings first, errors on top */
	for (sev = ES_SEV_WARNING; sev <= ES_SEV_ERROR; sev++)
		for (i = 0; i < s->nmarks; i++)
			if ((int)s->marks[i].a.severity == sev)
				detail_mark(x, &s->marks[i]);
	fputs("</g>\n", x->f);
}

/* ---- the raster --------------------------------------------------------- */

/* Colour class and opacity level of each cell (0xff: nobody). */
static unsigned char *cell_codes(struct exp *x, struct svg *s)
{
	size_t cells = (size_t)(s->nbr * s->ncols);
	unsigned char *code = malloc(cells);
	int32_t *run = calloc(x->nclasses, sizeof(*run));
	uint64_t b, c, last = (x->end - x->lo) - (s->ncols - 1) * s->spc;
	uint32_t k, best;

	if (!code || !run) {
		free(code);
		free(run);
		return NULL;
	}
	for (b = 0; b < s->nbr; b++) {
		uint64_t frames = b + 1 < s->nbr ? s->fpr :
						   x->nrows - b * s->fpr;

		memset(run, 0, x->nclasses * sizeof(*run));
		for (c = 0; c < s->ncols; c++) {
			double v, bv = 0, sum = 0, cap;

			best = 0;
			for (k = 0; k < x->nclasses; k++) {
				size_t plane = (size_t)k * s->nbr + b;

				run[k] += s->diff[plane * (s->ncols + 1) + c];
				v = s->cov[plane * s->ncols + c] +
				    (double)run[k] * (double)s->spc;
				sum += v;
				if (v > bv) {
					bv = v;
					best = k;
				}
			}
			cap = (double)frames *
			      (double)(c + 1 < s->ncols ? s->spc : last);
			if (sum <= 0) {
				code[b * s->ncols + c] = 0xff;
				continue;
			}
			k = (uint32_t)ceil(SVG_LEVELS * sum / cap) - 1;
			if (k >= SVG_LEVELS)
				k = SVG_LEVELS - 1;
			code[b * s->ncols + c] =
				(unsigned char)(best * SVG_LEVELS + k);
		}
	}
	free(run);
	return code;
}

static void draw_raster(struct exp *x, struct svg *s, const unsigned char *code)
{
	FILE *f = x->f;
	uint32_t want, n = x->nclasses * SVG_LEVELS;
	uint64_t b, c, c0;

	/* in cell units: a stroke one cell high along each row */
	fprintf(f,
		"<g id=\"cells\" fill=\"none\" stroke-width=\"1\" transform=\"translate(%d %d) scale(%g %g)\">\n",
		SVG_LEFT, SVG_TOP, s->colw, s->rowh);
	for (want = 0; want < n; want++) {
		bool open = false;

		for (b = 0; b < s->nbr; b++) {
			long pen = -1;

			for (c = 0; c < s->ncols; c = c0) {
				c0 = c + 1;
				if (code[b * s->ncols + c] != want)
					continue;
				while (c0 < s->ncols &&
				       code[b * s->ncols + c0] == want)
					c0++;
				if (!open) {
					fprintf(f,
						"<path stroke=\"%s\" stroke-opacity=\"%.2f\" d=\"",
						exp_palette(class_of_plane(
							x, want / SVG_LEVELS)),
						level_opacity[want %
							      SVG_LEVELS]);
					open = true;
				}
				if (pen < 0)
					fprintf(f, "M%ld %ld.5h%ld", (long)c,
						(long)b, (long)(c0 - c));
				else
					fprintf(f, "m%ld 0h%ld", (long)c - pen,
						(long)(c0 - c));
				pen = (long)c0;
			}
			if (pen >= 0)
				fputc('\n', f);
		}
		if (open)
			fputs("\"/>\n", f);
	}
	fputs("</g>\n", f);
}

/* ---- frame, axes, phases, legend ---------------------------------------- */

static void draw_phases(struct exp *x, struct svg *s)
{
	FILE *f = x->f;
	double lane_end[SVG_LANES];
	size_t i, l;

	for (l = 0; l < SVG_LANES; l++)
		lane_end[l] = 0;
	fputs("<g id=\"phases\">\n", f);
	for (i = 0; i < x->nspans; i++) {
		uint64_t a = x->spans[i].seq, b = i + 1 < x->nspans ?
							  x->spans[i + 1].seq :
							  x->nslots;
		const char *name = es_phase_name(x->spans[i].phase);
		double x0, x1, w;

		if (b <= x->lo || a >= x->end)
			continue;
		x0 = xpos(x, s, a < x->lo ? x->lo : a);
		x1 = xpos(x, s, b > x->end ? x->end : b);
		fprintf(f,
			"<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"><title>phase %s, seq %" PRIu64
			"-%" PRIu64 "</title></rect>\n",
			x0, SVG_TOP, x1 - x0, s->plot_h,
			phase_fill[x->spans[i].phase], name, a, b - 1);
		/* the first lane with room, else leave the name out */
		w = text_w(name, 10);
		for (l = 0; l < SVG_LANES; l++)
			if (lane_end[l] <= x0 + 2)
				break;
		if (l == SVG_LANES || x0 + 2 + w > SVG_LEFT + s->plot_w + 20) {
			s->dropped_labels++;
			continue;
		}
		fprintf(f,
			"<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%d\" stroke=\"#999\" stroke-width=\"0.6\"/>\n",
			x0, SVG_LANE_Y - 9 + (double)l * SVG_LANE_H, x0,
			SVG_TOP);
		text(f, x0 + 2, SVG_LANE_Y + (double)l * SVG_LANE_H, 10, NULL,
		     "fill=\"#333\"", name);
		lane_end[l] = x0 + 2 + w + 4;
	}
	/* the boot marks: a dashed line each, named in its tooltip */
	for (i = 0; i < x->nmarks; i++) {
		uint64_t seq = x->marks[i].seq;
		double mx;

		if (seq < x->lo || seq >= x->end)
			continue;
		mx = xpos(x, s, seq);
		fprintf(f,
			"<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%.0f\" stroke=\"#555\" stroke-width=\"0.8\" stroke-dasharray=\"3,2\"><title>mark %s, seq %" PRIu64
			"</title></line>\n",
			mx, SVG_TOP, mx, SVG_TOP + s->plot_h,
			es_mark_name(x->marks[i].mark), seq);
	}
	fputs("</g>\n", f);
}

static uint64_t nice_step(uint64_t len)
{
	uint64_t step = 1;

	for (;;) {
		if (len / step <= 8)
			return step;
		if (len / (step * 2) <= 8)
			return step * 2;
		if (len / (step * 5) <= 8)
			return step * 5;
		if (step > UINT64_MAX / 10)
			return step;
		step *= 10;
	}
}

static void draw_axes(struct exp *x, struct svg *s)
{
	FILE *f = x->f;
	double bottom = SVG_TOP + s->plot_h, rh = row_height(s);
	uint64_t step = nice_step(x->end - x->lo), q;
	size_t i, every;
	char buf[64];

	fprintf(f,
		"<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n",
		SVG_LEFT, SVG_TOP, s->plot_w, s->plot_h);
	for (q = (x->lo + step - 1) / step * step; q < x->end; q += step) {
		double px = xpos(x, s, q);

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#333\"/>\n",
			px, bottom, px, bottom + 4);
		snprintf(buf, sizeof(buf), "%" PRIu64, q);
		text(f, px, bottom + 16, 10, "middle", NULL, buf);
		if (q + step < q)
			break;
	}
	snprintf(buf, sizeof(buf), "sequence number (%" PRIu64 "-%" PRIu64 ")",
		 x->lo, x->end - 1);
	text(f, SVG_LEFT + s->plot_w / 2, bottom + 34, 11, "middle", NULL, buf);
	fprintf(f,
		"<text x=\"16\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.0f)\">page frames in view, by pfn (not to scale)</text>\n",
		SVG_TOP + s->plot_h / 2, SVG_TOP + s->plot_h / 2);

	/* pfn labels, at least 13 px apart */
	every = (size_t)ceil(13.0 / rh);
	if (s->binned)
		every *= s->fpr;
	for (i = 0; i < x->nrows; i += every) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, x->rows[i].pfn);
		text(f, SVG_LEFT - 4,
		     ypos(s, i) + (rh > 9 ? rh / 2 : 4.5) + 3.5, 9, "end",
		     "fill=\"#444\"", buf);
	}
	/* where pfns jump: a dashed line, or a tick left of the plot */
	fputs("<path fill=\"none\" stroke=\"#888\" stroke-width=\"0.6\"", f);
	fputs(s->binned ? " d=\"" : " stroke-dasharray=\"3,3\" d=\"", f);
	for (i = 1; i < x->nrows; i++) {
		if (x->rows[i].pfn == x->rows[i - 1].pfn + 1)
			continue;
		if (!s->binned)
			fprintf(f, "M%d %.1fh%.0f", SVG_LEFT, ypos(s, i),
				s->plot_w);
		else if (i % s->fpr == 0)
			fprintf(f, "M%d %.1fh-3", SVG_LEFT, ypos(s, i));
		else
			continue;
		if (i % 16 == 0)
			fputc('\n', f);
	}
	fputs("\"/>\n", f);
}

/*
 * A swatch and a line of text, and @right (if any) right-aligned at the
 * legend's edge; returns the next line's baseline.
 */
static double legend_line(FILE *f, double lx, double ly, const char *fill,
			  const char *stroke, const char *label,
			  const char *right)
{
	fprintf(f,
		"<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"%s\"%s%s%s/>\n",
		lx, ly - 9, fill, stroke ? " stroke=\"" : "",
		stroke ? stroke : "", stroke ? "\"" : "");
	text(f, lx + 18, ly, 11, NULL, NULL, label);
	if (right)
		text(f, lx + SVG_LEGEND_W - 20, ly, 11, "end", NULL, right);
	return ly + SVG_LINE;
}

/* As many of "a, b, c" as fit in @room characters, then "...". */
static void name_list(const struct exp *x, size_t from, char *buf, size_t room)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = from; i < x->ncaches; i++) {
		const char *nm = x->caches[i].name[0] ? x->caches[i].name :
							"(no name)";

		if (n + strlen(nm) + 5 > room) {
			strcat(buf, i > from ? ", ..." : "...");
			return;
		}
		if (i > from) {
			strcat(buf, ", ");
			n += 2;
		}
		strcat(buf, nm);
		n += strlen(nm);
	}
}

static double draw_legend(struct exp *x, struct svg *s)
{
	FILE *f = x->f;
	double lx = SVG_LEFT + s->plot_w + 24, ly = SVG_TOP + 8;
	size_t i, own = x->ncaches - x->other_caches;
	char buf[192];

	fputs("<g id=\"legend\">\n", f);
	text(f, lx, ly, 11, NULL, "font-weight=\"bold\"",
	     "caches, by pages in view");
	ly += SVG_LINE;
	for (i = 0; i < own; i++) {
		snprintf(buf, sizeof(buf), "%" PRIu64 " page%s",
			 x->caches[i].pages,
			 x->caches[i].pages == 1 ? "" : "s");
		fputs("<g><title>", f);
		exp_xml(f, x->caches[i].name);
		fprintf(f,
			" 0x%" PRIx64 ": %" PRIu64 " runs, %" PRIu64
			" pages</title>\n",
			x->caches[i].cache, x->caches[i].runs,
			x->caches[i].pages);
		ly = legend_line(f, lx, ly, exp_palette(x->caches[i].cls), NULL,
				 x->caches[i].name[0] ? x->caches[i].name :
							"(no name)",
				 buf);
		fputs("</g>\n", f);
	}
	if (x->other_caches) {
		char right[48];

		snprintf(buf, sizeof(buf), "other: %" PRIu64 " caches",
			 x->other_caches);
		snprintf(right, sizeof(right), "%" PRIu64 " page%s",
			 x->other_pages, x->other_pages == 1 ? "" : "s");
		ly = legend_line(f, lx, ly, exp_palette(EXP_OTHER), NULL, buf,
				 right);
		name_list(x, own, buf, 40);
		text(f, lx + 18, ly, 9, NULL, "fill=\"#555\"", buf);
		ly += SVG_LINE;
	}
	if (!x->ncaches) {
		text(f, lx, ly, 11, NULL, "fill=\"#555\"",
		     "(no slab pages in view)");
		ly += SVG_LINE;
	}
	ly += 8;
	text(f, lx, ly, 11, NULL, "font-weight=\"bold\"", "phases");
	ly += SVG_LINE;
	for (i = 0; i < EST_PHASE_MAX; i++)
		ly = legend_line(f, lx, ly, phase_fill[i], "#bbb",
				 es_phase_name((uint32_t)i), NULL);
	ly += 8;
	text(f, lx, ly, 11, NULL, "font-weight=\"bold\"", "marks");
	ly += SVG_LINE;
	if (s->binned) {
		snprintf(buf, sizeof(buf),
			 "a cell: %" PRIu64 " frame%s x %" PRIu64 " seq",
			 s->fpr, s->fpr > 1 ? "s" : "", s->spc);
		text(f, lx, ly, 11, NULL, NULL, buf);
		ly += SVG_LINE;
		text(f, lx, ly, 11, NULL, NULL,
		     "colour: cache owning most of it;");
		ly += SVG_LINE;
		text(f, lx, ly, 11, NULL, NULL, "paler: less of it owned");
		ly += SVG_LINE;
		text(f, lx, ly, 11, NULL, NULL, "tick at left: pfn gap");
		ly += SVG_LINE;
	} else {
		ly = legend_line(f, lx, ly, "#ccc", "#222",
				 "outlined: page from memblock", NULL);
		ly = legend_line(f, lx, ly, "#e4e4e4", NULL,
				 "pale: freed, never allocated", NULL);
		text(f, lx, ly, 11, NULL, NULL, "dashed line: pfn gap");
		ly += SVG_LINE;
	}
	fputs("<path fill=\"none\" stroke=\"#d00\" stroke-width=\"2\" d=\"", f);
	mark_path(f, lx + 6, ly - 4);
	fputs("\"/>\n", f);
	snprintf(buf, sizeof(buf), "errors: %" PRIu64, x->errors);
	text(f, lx + 18, ly, 11, NULL, NULL, buf);
	ly += SVG_LINE;
	fputs("<path fill=\"none\" stroke=\"#e80\" stroke-width=\"2\" d=\"", f);
	mark_path(f, lx + 6, ly - 4);
	fputs("\"/>\n", f);
	snprintf(buf, sizeof(buf), "warnings: %" PRIu64,
		 x->anomalies - x->errors);
	text(f, lx + 18, ly, 11, NULL, NULL, buf);
	ly += SVG_LINE;
	if (x->anomalies > s->nmarks) {
		snprintf(buf, sizeof(buf), "(first %zu with details on hover)",
			 s->nmarks);
		text(f, lx + 18, ly, 9, NULL, "fill=\"#555\"", buf);
		ly += SVG_LINE;
	}
	fputs("</g>\n", f);
	return ly;
}

static void draw_head(struct exp *x, struct svg *s, double height)
{
	FILE *f = x->f;
	double width = SVG_LEFT + s->plot_w + 24 + SVG_LEGEND_W;
	const char *base = strrchr(x->t->name, '/');
	char title[512];

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
		width, height, width, height);
	snprintf(title, sizeof(title),
		 "early_slab_trace %s: %" PRIu64
		 " events, %zu page frames in view",
		 x->t->name, x->t->counts.committed, x->nrows);
	fputs("<title>", f);
	exp_xml(f, title);
	fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
	      f);
	/* the file's name, not its path, so that the title fits */
	snprintf(title, sizeof(title),
		 "early_slab_trace %.60s: %" PRIu64
		 " events, %zu page frames in view",
		 base ? base + 1 : x->t->name, x->t->counts.committed,
		 x->nrows);
	text(f, SVG_LEFT, 22, 15, NULL, "font-weight=\"bold\"", title);
	snprintf(title, sizeof(title),
		 "slab page frames against sequence number, %s%s%s%s%s",
		 s->binned ? "binned into cells" :
			     "one bar per run (hover for details)",
		 x->opt->cache ? ", cache " : "",
		 x->opt->cache ? x->opt->cache : "",
		 x->opt->has_pfn ? ", pfn range" : "",
		 x->opt->phases ? ", phases chosen" : "");
	text(f, SVG_LEFT, 40, 11, NULL, "fill=\"#555\"", title);
}

static double legend_height(const struct exp *x, const struct svg *s)
{
	size_t lines = 1 + x->ncaches - x->other_caches +
		       (x->other_caches ? 2 : 0) + (x->ncaches ? 0 : 1) + 1 +
		       EST_PHASE_MAX + 1 + (s->binned ? 4 : 3) + 3;

	return SVG_TOP + 8 + 16.0 + (double)lines * SVG_LINE + 16;
}

int exp_svg(struct exp *x)
{
	static const struct es_replay_ops ops = {
		.run_end = svg_run,
		.run_live = svg_run,
		.anomaly = svg_anomaly,
		.event = svg_event,
	};
	struct svg s;
	unsigned char *code = NULL;
	double h, notes_y;
	int ret;

	memset(&s, 0, sizeof(s));
	layout(x, &s);
	if (alloc_raster(x, &s)) {
		x->oom = true;
		ret = -1;
		goto out;
	}
	x->w = &s;
	h = SVG_TOP + s.plot_h + SVG_BOTTOM;
	if (h < legend_height(x, &s))
		h = legend_height(x, &s);
	draw_head(x, &s, h);
	draw_phases(x, &s);
	fputs("<g id=\"runs\">\n", x->f);
	x->slot = 0;
	x->anomalies = x->errors = 0;
	ret = es_replay_run(x->t, &ops, x, 0, UINT64_MAX);
	if (ret) {
		x->oom = !strstr(es_error(x->t), "memory") ? x->oom : true;
		ret = -1;
		goto out;
	}
	fputs("</g>\n", x->f);
	if (s.binned) {
		code = cell_codes(x, &s);
		if (!code) {
			x->oom = true;
			ret = -1;
			goto out;
		}
		draw_raster(x, &s, code);
	}
	draw_axes(x, &s);
	draw_marks(x, &s);
	draw_legend(x, &s);
	notes_y = SVG_TOP + s.plot_h + 52;
	if (s.dropped_labels || x->spans_dropped) {
		char buf[160];

		snprintf(
			buf, sizeof(buf),
			"%zu phase name%s left out where phases are too narrow (hover the shading)%s",
			s.dropped_labels, s.dropped_labels == 1 ? "" : "s",
			x->spans_dropped ?
				"; phase changes past 1024 not shaded" :
				"");
		text(x->f, SVG_LEFT, notes_y, 10, NULL, "fill=\"#555\"", buf);
	}
	fputs("</svg>\n", x->f);
out:
	free(code);
	free(s.cov);
	free(s.diff);
	free(s.grid);
	free(s.marks);
	x->w = NULL;
	return ret;
}
