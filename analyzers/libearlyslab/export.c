// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: export as an SVG timeline (page frames against sequence
 * numbers, one colour per cache, boot phases shaded, anomalies marked) or
 * as Chrome/Perfetto trace JSON. Both are written while the events are
 * replayed: only the sorted list of page frames touched (the rows) and the
 * cache colours are kept.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_out.h"

enum { OPT_FORMAT = 300, OPT_CLOCK };

#define SVG_W		1280.0
#define SVG_LEFT	120.0
#define SVG_RIGHT	300.0
#define SVG_TOP		56.0
#define SVG_BOTTOM	48.0
#define MAX_LEGEND	24
#define MAX_MARKERS	256

static const char *const palette[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
	"#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39",
	"#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
};

#define NR_COLORS	(sizeof(palette) / sizeof(palette[0]))

static const char *const phase_fill[EST_PHASE_MAX] = {
	"#f2f2f2", "#e3f0fb", "#fdf1d8", "#fde0dd", "#e5f5e0", "#ffffff",
};

struct color_ent {
	uint64_t cache;
	char name[ES_NAME_LEN];
	unsigned int idx;
};

struct marker {
	uint64_t seq;
	uint32_t phase;
};

struct exp {
	struct es_out *o;
	FILE *f;
	bool svg;
	bool clock_ts;
	uint64_t first_ts;
	uint64_t nslots;
	/* rows: sorted pfns touched */
	uint64_t *rows;
	size_t nrows;
	double row_h, plot_h, plot_w;
	/* caches seen, in order of appearance */
	struct color_ent *colors;
	size_t ncolors, ccap;
	/* phase markers */
	struct marker markers[MAX_MARKERS];
	size_t nmarkers;
	uint64_t anomalies;
	uint64_t errors;
	/* chrome: current phase slice */
	uint64_t phase_start;
	uint64_t phase_start_ts;
	uint32_t cur_phase;
	bool oom;
};

static int opt_fail(struct es_out *o, const char *fmt, const char *arg)
{
	fprintf(o->err, "earlyslab: export: ");
	fprintf(o->err, fmt, arg);
	fputc('\n', o->err);
	return 2;
}

static unsigned int color_of(struct exp *x, uint64_t cache, const char *name)
{
	size_t i;

	for (i = 0; i < x->ncolors; i++)
		if (x->colors[i].cache == cache)
			return x->colors[i].idx;
	if (x->ncolors == x->ccap) {
		size_t ncap = x->ccap ? x->ccap * 2 : 32;
		struct color_ent *n = realloc(x->colors, ncap * sizeof(*n));

		if (!n) {
			x->oom = true;
			return 0;
		}
		x->colors = n;
		x->ccap = ncap;
	}
	x->colors[x->ncolors].cache = cache;
	memcpy(x->colors[x->ncolors].name, name, ES_NAME_LEN);
	x->colors[x->ncolors].idx = (unsigned int)(x->ncolors % NR_COLORS);
	return x->colors[x->ncolors++].idx;
}

static void xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static double xpos(const struct exp *x, uint64_t seq)
{
	double n = x->nslots ? (double)x->nslots : 1.0;

	return SVG_LEFT + x->plot_w * ((double)seq / n);
}

static size_t row_of(const struct exp *x, uint64_t pfn)
{
	size_t a = 0, b = x->nrows;

	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (x->rows[m] < pfn)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

static double ypos(const struct exp *x, size_t row)
{
	return SVG_TOP + x->row_h * (double)row;
}

/* Pass 1: rows, cache colours and phase markers. */
static int collect(struct es_trace *t, struct exp *x)
{
	struct es_pfnmap m;
	struct es_event ev;
	uint64_t i, p, n;

	es_pfnmap_init(&m);
	for (i = 0; i < t->nslots; i++) {
		es_decode_slot(t, i, &ev);
		if (ev.status != ES_SLOT_OK)
			continue;
		if (ev.type == EST_EV_PHASE && ev.phase < EST_PHASE_MAX &&
		    x->nmarkers < MAX_MARKERS) {
			x->markers[x->nmarkers].seq = ev.seq;
			x->markers[x->nmarkers++].phase = ev.phase;
		}
		if ((ev.type != EST_EV_GETPAGES &&
		     ev.type != EST_EV_FREEPAGES) || ev.order > ES_MAX_ORDER)
			continue;
		n = 1ULL << ev.order;
		if (ev.pfn + n < ev.pfn)
			continue;
		color_of(x, ev.cache, ev.name);
		for (p = ev.pfn; p - ev.pfn < n; p++)
			if (!es_pfnmap_add(&m, p))
				x->oom = true;
	}
	x->rows = es_pfnmap_keys(&m, &x->nrows);
	if (m.nr && !x->rows)
		x->oom = true;
	es_pfnmap_destroy(&m);
	return x->oom ? -1 : 0;
}

/* ---- SVG ---------------------------------------------------------------- */

static void svg_head(struct es_trace *t, struct exp *x)
{
	FILE *f = x->f;
	double h, bw, ly, legend, last_end = 0.0, last_y = 0.0;
	size_t i;
	uint64_t step, s;
	char title[512];

	x->plot_w = SVG_W - SVG_LEFT - SVG_RIGHT;
	x->plot_h = (double)x->nrows * 8.0;
	if (x->plot_h < 160.0)
		x->plot_h = 160.0;
	if (x->plot_h > 900.0)
		x->plot_h = 900.0;
	x->row_h = x->nrows ? x->plot_h / (double)x->nrows : x->plot_h;
	h = SVG_TOP + x->plot_h + SVG_BOTTOM;
	legend = SVG_TOP + 100.0 + 16.0 * (EST_PHASE_MAX + 5) +
		 16.0 * (double)(x->ncolors < MAX_LEGEND ? x->ncolors :
							  MAX_LEGEND + 1);
	if (h < legend)
		h = legend;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
		SVG_W, h, SVG_W, h);
	snprintf(title, sizeof(title),
		 "early_slab_trace %s: %" PRIu64 " events, %zu page frames",
		 t->name, t->counts.committed, x->nrows);
	fputs("<title>", f);
	xml(f, title);
	fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
	      f);
	fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"15\" font-weight=\"bold\">",
		SVG_LEFT);
	xml(f, title);
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"%.0f\" y=\"40\" fill=\"#555\">page frame (rows, only frames the trace touches) against sequence number; colour = cache; red = anomaly</text>\n",
		SVG_LEFT);

	/* phases, shaded behind everything */
	fputs("<g id=\"phases\">\n", f);
	for (i = 0; i < x->nmarkers; i++) {
		uint64_t end = i + 1 < x->nmarkers ? x->markers[i + 1].seq :
						     x->nslots;
		double x0 = xpos(x, x->markers[i].seq), x1 = xpos(x, end);

		bw = x1 - x0;
		fprintf(f, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" stroke=\"#bbb\" stroke-width=\"0.5\"><title>phase %s from seq %" PRIu64 "</title></rect>\n",
			x0, SVG_TOP, bw > 0 ? bw : 0, x->plot_h,
			phase_fill[x->markers[i].phase],
			es_phase_name(x->markers[i].phase),
			x->markers[i].seq);
		/* labels that would collide go one line up */
		ly = SVG_TOP - 3;
		if (x0 + 2 < last_end && last_y == ly)
			ly -= 9;
		fprintf(f, "<text x=\"%.2f\" y=\"%.0f\" font-size=\"9\" fill=\"#444\">%s</text>\n",
			x0 + 2, ly, es_phase_name(x->markers[i].phase));
		last_end = x0 + 2 + 5.5 *
			   (double)strlen(es_phase_name(x->markers[i].phase));
		last_y = ly;
	}
	fputs("</g>\n", f);

	/* axes */
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.2f\" fill=\"none\" stroke=\"#333\"/>\n",
		SVG_LEFT, SVG_TOP, x->plot_w, x->plot_h);
	for (step = 1; x->nslots / step > 10; step *= 10)
		;
	if (x->nslots / step < 4 && step >= 10)
		step /= 2;
	for (s = 0; s <= x->nslots; s += step) {
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
			xpos(x, s), SVG_TOP + x->plot_h, xpos(x, s),
			SVG_TOP + x->plot_h + 4);
		fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%" PRIu64 "</text>\n",
			xpos(x, s), SVG_TOP + x->plot_h + 16, s);
		if (s + step < s)
			break;
	}
	fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">sequence number</text>\n",
		SVG_LEFT + x->plot_w / 2, SVG_TOP + x->plot_h + 34);
	if (x->nrows) {
		size_t every = x->nrows / 24 + 1;

		for (i = 0; i < x->nrows; i += every)
			fprintf(f, "<text x=\"%.0f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"9\" dominant-baseline=\"middle\">0x%" PRIx64 "</text>\n",
				SVG_LEFT - 4, ypos(x, i) + x->row_h / 2,
				x->rows[i]);
	}
	/* frames are not contiguous: a dashed line where pfns jump */
	for (i = 1; i < x->nrows; i++)
		if (x->rows[i] != x->rows[i - 1] + 1)
			fprintf(f, "<line x1=\"%.0f\" y1=\"%.3f\" x2=\"%.2f\" y2=\"%.3f\" stroke=\"#999\" stroke-width=\"0.5\" stroke-dasharray=\"3,3\"/>\n",
				SVG_LEFT, ypos(x, i), SVG_LEFT + x->plot_w,
				ypos(x, i));
	fprintf(f, "<text x=\"14\" y=\"%.2f\" transform=\"rotate(-90 14 %.2f)\" text-anchor=\"middle\">pfn</text>\n",
		SVG_TOP + x->plot_h / 2, SVG_TOP + x->plot_h / 2);
	fputs("<g id=\"runs\">\n", f);
}

static void svg_legend(struct exp *x)
{
	FILE *f = x->f;
	double lx = SVG_W - SVG_RIGHT + 16, ly = SVG_TOP + 8;
	size_t i;

	fputs("<g id=\"legend\">\n", f);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">caches</text>\n",
		lx, ly);
	ly += 16;
	for (i = 0; i < x->ncolors && i < MAX_LEGEND; i++, ly += 16) {
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n",
			lx, ly - 9, palette[x->colors[i].idx]);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", lx + 18, ly);
		xml(f, x->colors[i].name[0] ? x->colors[i].name : "(no name)");
		fprintf(f, " <tspan fill=\"#777\" font-size=\"9\">0x%" PRIx64
			"</tspan></text>\n", x->colors[i].cache);
	}
	if (x->ncolors > MAX_LEGEND) {
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#777\">... %zu more</text>\n",
			lx, ly, x->ncolors - MAX_LEGEND);
		ly += 16;
	}
	ly += 8;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">phases</text>\n",
		lx, ly);
	ly += 16;
	for (i = 0; i < EST_PHASE_MAX; i++, ly += 16) {
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"%s\" stroke=\"#bbb\"/>\n",
			lx, ly - 9, phase_fill[i]);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", lx + 18,
			ly, es_phase_name((uint32_t)i));
	}
	ly += 8;
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"#bbb\" stroke=\"#000\" stroke-width=\"0.6\"/>\n",
		lx, ly - 9);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">outlined: page from memblock</text>\n",
		lx + 18, ly);
	ly += 16;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">dashed: pfn gap</text>\n",
		lx + 18, ly);
	ly += 20;
	fprintf(f, "<path d=\"M%.0f %.0f l10 -10 M%.0f %.0f l10 10\" stroke=\"#d00\" stroke-width=\"2\"/>\n",
		lx + 1, ly, lx + 1, ly - 10);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">error (%" PRIu64 "), <tspan fill=\"#e80\">warning</tspan> (%" PRIu64 "): hover for details</text>\n",
		lx + 18, ly, x->errors, x->anomalies - x->errors);
	fputs("</g>\n", f);
}

static int svg_run(struct es_replay *r, const struct es_run *run)
{
	struct exp *x = r->arg;
	uint64_t start = run->alloc_seq != ES_NO_SEQ ? run->alloc_seq :
						       run->free_seq;
	uint64_t end = run->free_seq != ES_NO_SEQ ? run->free_seq + 1 :
						    x->nslots;
	size_t row = row_of(x, run->pfn);
	uint64_t pages = 1ULL << run->order;
	double x0 = xpos(x, start), w = xpos(x, end) - x0;
	char caller[512];
	unsigned int ci = color_of(x, run->cache, run->name);

	if (row >= x->nrows)
		return 0;
	if (pages > x->nrows - row)
		pages = x->nrows - row;
	if (w < 1.0)
		w = 1.0;
	fprintf(x->f, "<rect x=\"%.2f\" y=\"%.3f\" width=\"%.2f\" height=\"%.3f\" fill=\"%s\" fill-opacity=\"%s\"%s><title>",
		x0, ypos(x, row), w, x->row_h * (double)pages,
		palette[ci], run->flags & ES_RUN_NO_ALLOC ? "0.35" : "0.85",
		run->flags & ES_RUN_EARLY ? " stroke=\"#000\" stroke-width=\"0.3\"" : "");
	xml(x->f, run->name[0] ? run->name : "-");
	fprintf(x->f, " pfn 0x%" PRIx64 " order %u node %d, ", run->pfn,
		run->order, run->nid);
	if (run->alloc_seq != ES_NO_SEQ)
		fprintf(x->f, "seq %" PRIu64 " %s/%s by ", run->alloc_seq,
			es_phase_name(run->alloc_phase),
			es_path_name(run->alloc_path));
	xml(x->f, es_format_caller(x->o->t, run->alloc_caller, caller,
				   sizeof(caller)));
	if (run->free_seq != ES_NO_SEQ) {
		fprintf(x->f, ", freed seq %" PRIu64 " %s/%s by ",
			run->free_seq, es_phase_name(run->free_phase),
			es_path_name(run->free_path));
		xml(x->f, es_format_caller(x->o->t, run->free_caller, caller,
					   sizeof(caller)));
	} else {
		fprintf(x->f, ", %s", run->flags & ES_RUN_LIVE ? "live" :
				      "replaced");
	}
	fputs("</title></rect>\n", x->f);
	return ferror(x->f) ? -1 : 0;
}

static int svg_anomaly(struct exp *x, const struct es_anomaly *a)
{
	double cx, cy;
	char caller[512];
	size_t row;

	x->anomalies++;
	if (a->severity == ES_SEV_ERROR)
		x->errors++;
	cx = xpos(x, a->seq == ES_NO_SEQ ? x->nslots : a->seq);
	if (a->pfn != ES_NO_PFN && (row = row_of(x, a->pfn)) < x->nrows &&
	    x->rows[row] == a->pfn)
		cy = ypos(x, row) + x->row_h / 2;
	else
		cy = SVG_TOP + 6;
	fprintf(x->f, "<g stroke=\"%s\" stroke-width=\"2\"><title>%s %s seq ",
		a->severity == ES_SEV_ERROR ? "#d00" : "#e80",
		es_severity_name(a->severity), es_kind_name(a->kind));
	if (a->seq == ES_NO_SEQ)
		fputs("-", x->f);
	else
		fprintf(x->f, "%" PRIu64, a->seq);
	if (a->pfn != ES_NO_PFN)
		fprintf(x->f, " pfn 0x%" PRIx64, a->pfn);
	fputs(": ", x->f);
	xml(x->f, a->detail);
	if (a->caller) {
		fputs(" by ", x->f);
		xml(x->f, es_format_caller(x->o->t, a->caller, caller,
					   sizeof(caller)));
	}
	fprintf(x->f, "</title><path d=\"M%.2f %.2f l10 10 m0 -10 l-10 10\"/></g>\n",
		cx - 5, cy - 5);
	return ferror(x->f) ? -1 : 0;
}

/* ---- Chrome / Perfetto trace JSON --------------------------------------- */

static void ct_ts(struct exp *x, uint64_t seq, uint64_t ts)
{
	jkey(x->o, "ts");
	if (x->clock_ts)
		yajl_gen_double(x->o->g, ts >= x->first_ts ?
				(double)(ts - x->first_ts) / 1000.0 : 0.0);
	else
		ju64(x->o, seq);
}

static void ct_meta(struct exp *x, int pid, const char *name)
{
	struct es_out *o = x->o;

	jmap_open(o);
	jk_str(o, "name", "process_name");
	jk_str(o, "ph", "M");
	jk_int(o, "pid", pid);
	jkey(o, "args");
	jmap_open(o);
	jk_str(o, "name", name);
	jmap_close(o);
	jmap_close(o);
}

static int ct_run(struct es_replay *r, const struct es_run *run)
{
	struct exp *x = r->arg;
	struct es_out *o = x->o;
	char id[32], name[64];
	uint64_t seq0 = run->alloc_seq != ES_NO_SEQ ? run->alloc_seq :
						      run->free_seq;
	uint64_t ts0 = run->alloc_seq != ES_NO_SEQ ? run->alloc_ts :
						     run->free_ts;
	uint64_t seq1 = run->free_seq != ES_NO_SEQ ? run->free_seq :
						     x->nslots;
	uint64_t ts1 = run->free_seq != ES_NO_SEQ ? run->free_ts :
						    r->t->counts.last_ts;
	int ph;

	snprintf(id, sizeof(id), "0x%" PRIx64, seq0);
	snprintf(name, sizeof(name), "%s", run->name[0] ? run->name : "-");
	for (ph = 0; ph < 2; ph++) {
		jmap_open(o);
		jk_str(o, "name", name);
		jk_str(o, "cat", "slab");
		jk_str(o, "ph", ph ? "e" : "b");
		jk_str(o, "id", id);
		jk_int(o, "pid", 1);
		jk_int(o, "tid", run->nid);
		if (ph)
			ct_ts(x, seq1, ts1);
		else
			ct_ts(x, seq0, ts0);
		if (!ph) {
			jkey(o, "args");
			es_emit_run(o, run);
		}
		jmap_close(o);
	}
	return 0;
}

static void ct_phase_slice(struct exp *x, uint64_t end_seq, uint64_t end_ts)
{
	struct es_out *o = x->o;

	if (x->cur_phase >= EST_PHASE_MAX)
		return;
	jmap_open(o);
	jk_str(o, "name", es_phase_name(x->cur_phase));
	jk_str(o, "cat", "phase");
	jk_str(o, "ph", "X");
	jk_int(o, "pid", 2);
	jk_int(o, "tid", 0);
	ct_ts(x, x->phase_start, x->phase_start_ts);
	jkey(o, "dur");
	if (x->clock_ts)
		yajl_gen_double(o->g, end_ts >= x->phase_start_ts ?
				(double)(end_ts - x->phase_start_ts) / 1000.0 :
				0.0);
	else
		ju64(o, end_seq - x->phase_start);
	jmap_close(o);
}

static int ct_event(struct es_replay *r, const struct es_event *ev)
{
	struct exp *x = r->arg;

	if (ev->status != ES_SLOT_OK || ev->type != EST_EV_PHASE ||
	    ev->phase >= EST_PHASE_MAX)
		return 0;
	ct_phase_slice(x, ev->seq, ev->ts);
	x->phase_start = ev->seq;
	x->phase_start_ts = ev->ts;
	x->cur_phase = ev->phase;
	return 0;
}

static int ct_anomaly(struct exp *x, const struct es_anomaly *a)
{
	struct es_out *o = x->o;

	jmap_open(o);
	jk_str(o, "name", es_kind_name(a->kind));
	jk_str(o, "cat", es_severity_name(a->severity));
	jk_str(o, "ph", "i");
	jk_str(o, "s", "p");
	jk_int(o, "pid", 3);
	jk_int(o, "tid", 0);
	ct_ts(x, a->seq == ES_NO_SEQ ? x->nslots : a->seq,
	      a->seq == ES_NO_SEQ ? x->o->t->counts.last_ts : a->ts);
	jkey(o, "args");
	jmap_open(o);
	jk_seq(o, "seq", a->seq);
	jkey(o, "pfn");
	if (a->pfn == ES_NO_PFN)
		jnull(o);
	else
		ju64(o, a->pfn);
	jk_str(o, "name", a->name);
	jk_caller(o, "caller", a->caller);
	jk_str(o, "detail", a->detail);
	jmap_close(o);
	jmap_close(o);
	return 0;
}

/* ---- replay glue -------------------------------------------------------- */

static int exp_run(struct es_replay *r, const struct es_run *run)
{
	struct exp *x = r->arg;

	return x->svg ? svg_run(r, run) : ct_run(r, run);
}

static int exp_anomaly(struct es_replay *r, const struct es_anomaly *a)
{
	struct exp *x = r->arg;

	if (x->svg)
		return 0;	/* drawn last, on top: see svg_marks() */
	return ct_anomaly(x, a);
}

static int exp_event(struct es_replay *r, const struct es_event *ev)
{
	struct exp *x = r->arg;

	return x->svg ? 0 : ct_event(r, ev);
}

static int svg_mark(const struct es_anomaly *a, void *arg)
{
	return svg_anomaly(arg, a);
}

int es_cmd_export(struct es_out *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ 0 }
	};
	static const struct es_replay_ops ops = {
		.run_end = exp_run,
		.run_live = exp_run,
		.anomaly = exp_anomaly,
		.event = exp_event,
	};
	const char *format = NULL, *path = NULL, *clock = "seq";
	struct es_trace *t = o->t;
	struct exp x;
	struct es_out jo;
	bool pretty = false;
	int opt, ret = 0;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "+:o:hjp", lo, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			format = optarg;
			break;
		case 'o':
			path = optarg;
			break;
		case OPT_CLOCK:
			clock = optarg;
			break;
		case 'h':
			return 1;
		case 'j':
			break;
		case 'p':
			pretty = true;
			break;
		case ':':
			return opt_fail(o, "option '%s' needs an argument",
					argv[optind - 1]);
		default:
			return opt_fail(o, "unknown option '%s' (see earlyslab export --help)",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return opt_fail(o, "unexpected argument '%s'", argv[optind]);
	if (!format)
		return opt_fail(o, "%s", "--format svg|chrome-trace is required");
	if (strcmp(format, "svg") && strcmp(format, "chrome-trace") &&
	    strcmp(format, "perfetto"))
		return opt_fail(o, "unknown format '%s' (expected svg or chrome-trace)",
				format);
	if (!path)
		return opt_fail(o, "%s", "-o FILE is required ('-o -' for stdout)");
	if (strcmp(clock, "seq") && strcmp(clock, "ts"))
		return opt_fail(o, "unknown clock '%s' (expected seq or ts)",
				clock);
	if (es_count(t)) {
		fprintf(o->err, "earlyslab: %s\n", es_error(t));
		return 2;
	}

	memset(&x, 0, sizeof(x));
	x.svg = !strcmp(format, "svg");
	x.clock_ts = !strcmp(clock, "ts");
	x.first_ts = t->counts.first_ts;
	x.nslots = t->nslots;
	x.cur_phase = EST_PHASE_MAX;
	if (collect(t, &x)) {
		free(x.rows);
		free(x.colors);
		fprintf(o->err, "earlyslab: export: out of memory\n");
		return 2;
	}
	if (!strcmp(path, "-")) {
		f = o->f;
	} else {
		f = fopen(path, "we");
		if (!f) {
			fprintf(o->err, "earlyslab: export: %s: %s\n", path,
				strerror(errno));
			free(x.rows);
			free(x.colors);
			return 2;
		}
	}
	x.f = f;
	x.o = o;
	if (x.svg) {
		svg_head(t, &x);
		ret = es_replay_run(t, &ops, &x, 0, UINT64_MAX);
		fputs("</g>\n<g id=\"anomalies\">\n", f);
		if (!ret && es_check(t, svg_mark, &x) < 0)
			ret = -1;
		fputs("</g>\n", f);
		svg_legend(&x);
		fputs("</svg>\n", f);
	} else {
		if (es_out_open(&jo, t, f, o->err, true, pretty, false)) {
			ret = -1;
		} else {
			x.o = &jo;
			jmap_open(&jo);
			jkey(&jo, "traceEvents");
			jarr_open(&jo);
			ct_meta(&x, 1, "early slab pages (tid = node)");
			ct_meta(&x, 2, "boot phases");
			ct_meta(&x, 3, "anomalies");
			ret = es_replay_run(t, &ops, &x, 0, UINT64_MAX);
			ct_phase_slice(&x, x.nslots, t->counts.last_ts);
			jarr_close(&jo);
			jk_str(&jo, "displayTimeUnit", "ns");
			jkey(&jo, "otherData");
			jmap_open(&jo);
			jk_str(&jo, "source", t->name);
			jk_str(&jo, "clock", x.clock_ts ?
			       "ts: cycles/1000 since the first event" :
			       "seq: one sequence number per microsecond");
			jk_u64(&jo, "events", t->counts.committed);
			jmap_close(&jo);
			jmap_close(&jo);
			if (es_out_close(&jo))
				ret = -1;
		}
	}
	if (fflush(f) || ferror(f))
		ret = -1;
	if (f != o->f && fclose(f))
		ret = -1;
	free(x.rows);
	free(x.colors);
	if (ret) {
		fprintf(o->err, "earlyslab: export: %s: %s\n", path,
			x.oom || (ret < 0 && strstr(t->err, "memory")) ?
			"out of memory" : "write error");
		return 2;
	}
	if (f != o->f)
		fprintf(o->f, "wrote %s (%s: %zu page frames, %" PRIu64
			" events)\n", path, format, x.nrows,
			t->counts.committed);
	return 0;
}
