// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the export command. Options, the view (filters and the
 * sequence window), the first replay that finds the rows, the caches'
 * colour classes and the phase changes; the writers are export_svg.c and
 * export_trace.c (see export.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

enum {
	OPT_FORMAT = 300,
	OPT_CLOCK,
	OPT_PFN,
	OPT_CACHE,
	OPT_PHASE,
	OPT_SEQ,
	OPT_MAX_EVENTS
};

/*
 * Far apart from each other and from the anomaly marks' red: Tableau's
 * ten without its red and grey, then six of Kelly's colours of maximum
 * contrast. "other" is a neutral grey.
 */
static const char *const palette[EXP_NR_CLASSES] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
	"#17becf", "#bcbd22", "#f3c300", "#0b2e6b", "#a1caf1", "#004d33",
	"#c2b280", "#654522", "#8db600", "#f99379", "#a0a0a0",
};

const char *exp_palette(uint32_t cls)
{
	return palette[cls < EXP_NR_CLASSES ? cls : EXP_OTHER];
}

/* @s as XML character data: markup escaped, anything not ASCII a '?'. */
void exp_xml(FILE *f, const char *s)
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
			/* names are ASCII already; a path may not be */
			fputc((unsigned char)*s < 0x20 ||
					      (unsigned char)*s > 0x7e ?
				      '?' :
				      *s,
			      f);
		}
	}
}

static int opt_fail(struct es_out *o, const char *fmt, const char *arg)
{
	fprintf(o->err, "earlyslab: export: ");
	fprintf(o->err, fmt, arg);
	fputc('\n', o->err);
	return 2;
}

/* "A" or "A-B", decimal or 0x-hex, A <= B. */
static int parse_span(const char *s, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	const char *dash = strchr(s, '-');

	if (!dash)
		return es_parse_u64(s, lo) || (*hi = *lo, 0);
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	return es_parse_u64(buf, lo) || es_parse_u64(dash + 1, hi) || *hi < *lo;
}

static int parse_phases(const char *list, uint32_t *mask)
{
	char buf[256], *tok, *save = NULL;
	int v;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = es_phase_from_name(tok);
		if (v < 0 || v >= EST_PHASE_MAX)
			return -1;
		*mask |= 1U << v;
	}
	return *mask ? 0 : -1;
}

/* ---- the view ----------------------------------------------------------- */

/* The sequence numbers a run covers, [start, end). */
bool exp_run_span(const struct exp *x, const struct es_run *run,
		  uint64_t *start, uint64_t *end)
{
	*start = run->alloc_seq != ES_NO_SEQ ? run->alloc_seq : run->free_seq;
	if (run->free_seq != ES_NO_SEQ)
		*end = run->free_seq + 1;
	else if (run->flags & ES_RUN_REPLACED)
		*end = x->slot; /* the getpages that replaced it */
	else
		*end = x->nslots;
	if (*start == ES_NO_SEQ)
		return false;
	if (*end <= *start)
		*end = *start + 1;
	return true;
}

static bool pfns_in_view(const struct exp *x, uint64_t pfn, uint64_t pages)
{
	uint64_t last = pfn + pages - 1;

	if (last < pfn)
		last = UINT64_MAX;
	return !x->opt->has_pfn ||
	       (last >= x->opt->pfn_lo && pfn <= x->opt->pfn_hi);
}

/* Is @run in view? Its span, clipped to the window, in [*start, *end). */
bool exp_run_in_view(const struct exp *x, const struct es_run *run,
		     uint64_t *start, uint64_t *end)
{
	const char *c = x->opt->cache;

	if (!exp_run_span(x, run, start, end))
		return false;
	if (*end <= x->lo || *start >= x->end)
		return false;
	if (run->order > ES_MAX_ORDER ||
	    !pfns_in_view(x, run->pfn, 1ULL << run->order))
		return false;
	if (c && *c &&
	    ((!run->cache && !run->name[0]) ||
	     !es_cache_match(c, run->cache, run->name)))
		return false;
	if (*start < x->lo)
		*start = x->lo;
	if (*end > x->end)
		*end = x->end;
	return true;
}

/*
 * Index of the first row at or above @pfn. Rows come in runs of
 * consecutive pfns (a bank of memory): the search is over those runs,
 * few and in cache, then a subtraction.
 */
size_t exp_row_of(const struct exp *x, uint64_t pfn)
{
	size_t a = 0, b = x->nsegs, row;

	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (x->segs[m].pfn <= pfn)
			a = m + 1;
		else
			b = m;
	}
	if (!a)
		return 0; /* below every row */
	row = x->segs[a - 1].row + (size_t)(pfn - x->segs[a - 1].pfn);
	if (a < x->nsegs && row >= x->segs[a].row)
		return x->segs[a].row; /* in the gap before the next run */
	return row < x->nrows ? row : x->nrows;
}

static int make_segs(struct exp *x)
{
	size_t i, n = 0;

	for (i = 0; i < x->nrows; i++)
		n += !i || x->rows[i].pfn != x->rows[i - 1].pfn + 1;
	x->segs = calloc(n ? n : 1, sizeof(*x->segs));
	if (!x->segs)
		return -1;
	for (i = 0; i < x->nrows; i++) {
		if (i && x->rows[i].pfn == x->rows[i - 1].pfn + 1)
			continue;
		x->segs[x->nsegs].pfn = x->rows[i].pfn;
		x->segs[x->nsegs++].row = i;
	}
	return 0;
}

static bool is_row(const struct exp *x, uint64_t pfn)
{
	size_t i = exp_row_of(x, pfn);

	return i < x->nrows && x->rows[i].pfn == pfn;
}

bool exp_anomaly_in_view(const struct exp *x, const struct es_anomaly *a)
{
	bool filtered = x->opt->has_pfn || (x->opt->cache && *x->opt->cache);

	if (a->seq != ES_NO_SEQ && (a->seq < x->lo || a->seq >= x->end))
		return false;
	if (a->pfn != ES_NO_PFN)
		return is_row(x, a->pfn) || !filtered;
	return true;
}

static struct exp_cache *cache_get(struct exp *x, const struct es_run *run)
{
	struct es_pfn_ent *e = es_pfnmap_get(&x->cmap, run->cache);
	struct exp_cache *c;

	if (e)
		return &x->caches[e->aux - 1];
	if (x->ncaches == x->ccap) {
		size_t ncap = x->ccap ? x->ccap * 2 : 64;

		c = realloc(x->caches, ncap * sizeof(*c));
		if (!c)
			return NULL;
		x->caches = c;
		x->ccap = ncap;
	}
	e = es_pfnmap_add(&x->cmap, run->cache);
	if (!e)
		return NULL;
	c = &x->caches[x->ncaches++];
	memset(c, 0, sizeof(*c));
	c->cache = run->cache;
	memcpy(c->name, run->name, ES_NAME_LEN);
	e->aux = x->ncaches;
	return c;
}

uint32_t exp_class_of(struct exp *x, uint64_t cache)
{
	struct es_pfn_ent *e = es_pfnmap_get(&x->cmap, cache);

	return e ? x->caches[e->aux - 1].cls : EXP_OTHER;
}

/* ---- first replay ------------------------------------------------------- */

struct collect {
	struct exp *x;
	struct es_pfnmap rows; /* aux: 1 + node of the first head, or 0 */
};

static size_t start_bin(const struct exp *x, uint64_t seq)
{
	return (size_t)((seq - x->lo) * EXP_START_BINS / (x->end - x->lo));
}

static int col_run(struct es_replay *r, const struct es_run *run)
{
	struct collect *c = r->arg;
	struct exp *x = c->x;
	uint64_t start, end, n = 1ULL << run->order, p, in = 0;
	struct exp_cache *ec;
	struct es_pfn_ent *e;

	if (!exp_run_in_view(x, run, &start, &end))
		return 0;
	for (p = run->pfn; p - run->pfn < n; p++) {
		if (x->opt->has_pfn &&
		    (p < x->opt->pfn_lo || p > x->opt->pfn_hi))
			continue;
		e = es_pfnmap_add(&c->rows, p);
		if (!e)
			goto oom;
		if (!in) { /* the first frame in view: the run's thread */
			if (!e->aux)
				e->aux = 1 + (uint64_t)(uint32_t)run->nid;
			if (start < e->skip_seq)
				e->skip_seq = start; /* its first run */
		}
		in++;
	}
	ec = cache_get(x, run);
	if (!ec)
		goto oom;
	ec->pages += in;
	ec->runs++;
	x->runs++;
	x->start_bins[start_bin(x, start)]++;
	return 0;
oom:
	x->oom = true;
	return -1;
}

static int col_event(struct es_replay *r, const struct es_event *ev)
{
	struct collect *c = r->arg;
	struct exp *x = c->x;

	x->slot++;
	if (ev->status == ES_SLOT_OK && ev->type == EST_EV_MARK) {
		if (x->nmarks == EXP_MAX_MARKS) {
			x->marks_dropped++;
			return 0;
		}
		x->marks[x->nmarks].seq = ev->seq;
		x->marks[x->nmarks++].mark = (uint32_t)ev->arg;
		return 0;
	}
	if (ev->status != ES_SLOT_OK || ev->type != EST_EV_PHASE ||
	    ev->phase >= EST_PHASE_MAX || ev->phase == x->cur_phase)
		return 0;
	x->cur_phase = ev->phase;
	if (x->nspans == EXP_MAX_SPANS) {
		x->spans_dropped++;
		return 0;
	}
	x->spans[x->nspans].seq = ev->seq;
	x->spans[x->nspans++].phase = ev->phase;
	return 0;
}

static int by_pages(const void *a, const void *b)
{
	const struct exp_cache *x = a, *y = b;

	if (x->pages != y->pages)
		return x->pages < y->pages ? 1 : -1;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Sort the caches by pages; the first ones get colours of their own. */
static void assign_classes(struct exp *x)
{
	size_t i, own = x->ncaches <= EXP_NR_COLORS ? x->ncaches :
						      EXP_NR_COLORS - 1;

	if (x->ncaches)
		qsort(x->caches, x->ncaches, sizeof(*x->caches), by_pages);
	for (i = 0; i < x->ncaches; i++) {
		struct es_pfn_ent *e =
			es_pfnmap_get(&x->cmap, x->caches[i].cache);

		e->aux = i + 1;
		x->caches[i].cls = i < own ? (uint32_t)i : EXP_OTHER;
		if (i >= own) {
			x->other_caches++;
			x->other_pages += x->caches[i].pages;
		}
	}
	x->nclasses = (uint32_t)own + (x->other_caches ? 1 : 0);
}

static int collect(struct exp *x)
{
	static const struct es_replay_ops ops = {
		.run_end = col_run,
		.run_live = col_run,
		.event = col_event,
	};
	struct collect c = { .x = x };
	uint64_t *keys;
	size_t i;
	int ret;

	es_pfnmap_init(&c.rows);
	x->slot = 0;
	x->cur_phase = EST_PHASE_MAX;
	ret = es_replay_run(x->t, &ops, &c, 0, UINT64_MAX);
	if (!ret) {
		keys = es_pfnmap_keys(&c.rows, &x->nrows);
		if (c.rows.nr && !keys)
			x->oom = true;
		x->rows = keys ? calloc(x->nrows, sizeof(*x->rows)) : NULL;
		if (keys && !x->rows)
			x->oom = true;
		for (i = 0; x->rows && i < x->nrows; i++) {
			struct es_pfn_ent *e = es_pfnmap_get(&c.rows, keys[i]);

			x->rows[i].pfn = keys[i];
			x->rows[i].head = e->aux != 0;
			x->nheads += e->aux != 0;
			if (e->aux)
				x->head_bins[start_bin(x, e->skip_seq)]++;
			x->rows[i].nid = e->aux ? (int32_t)(e->aux - 1) : -1;
		}
		free(keys);
	}
	es_pfnmap_destroy(&c.rows);
	if (!x->oom && !ret && make_segs(x))
		x->oom = true;
	if (x->oom || ret)
		return -1;
	assign_classes(x);
	return 0;
}

/* --phase: the window from the first to the last event of those phases. */
static void phase_window(struct exp *x)
{
	struct es_filter f = { .phases = x->opt->phases };
	struct es_iter *it = es_iter_new(x->t, &f);
	struct es_event ev;
	uint64_t lo = UINT64_MAX, hi = 0;

	while (it && es_iter_next(it, &ev) == 1) {
		if (ev.seq < lo)
			lo = ev.seq;
		hi = ev.seq;
	}
	es_iter_free(it);
	if (lo == UINT64_MAX) {
		x->end = x->lo;
		return;
	}
	if (lo > x->lo)
		x->lo = lo;
	if (hi + 1 < x->end)
		x->end = hi + 1;
}

static void exp_free(struct exp *x)
{
	free(x->rows);
	free(x->segs);
	free(x->caches);
	es_pfnmap_destroy(&x->cmap);
}

/* ---- the command -------------------------------------------------------- */

static int parse_opts(struct es_out *o, int argc, char **argv,
		      struct exp_opts *eo)
{
	static const struct option lo[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "pfn", required_argument, NULL, OPT_PFN },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "phase", required_argument, NULL, OPT_PHASE },
		{ "seq", required_argument, NULL, OPT_SEQ },
		{ "max-events", required_argument, NULL, OPT_MAX_EVENTS },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ 0 }
	};
	const char *clock = "seq";
	int opt;

	memset(eo, 0, sizeof(*eo));
	eo->max_events = EXP_TRACE_MAX_EVENTS;
	while ((opt = getopt_long(argc, argv, "+:o:hjp", lo, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			eo->format = optarg;
			break;
		case 'o':
			eo->path = optarg;
			break;
		case OPT_CLOCK:
			clock = optarg;
			break;
		case OPT_PFN:
			if (parse_span(optarg, &eo->pfn_lo, &eo->pfn_hi))
				return opt_fail(
					o,
					"bad pfn range '%s' (expected PFN or FIRST-LAST)",
					optarg);
			eo->has_pfn = true;
			break;
		case OPT_CACHE:
			eo->cache = optarg;
			break;
		case OPT_PHASE:
			if (parse_phases(optarg, &eo->phases))
				return opt_fail(
					o,
					"bad phase list '%s' (expected boot, early, free_all, window, up, full)",
					optarg);
			break;
		case OPT_SEQ:
			if (parse_span(optarg, &eo->seq_lo, &eo->seq_hi))
				return opt_fail(
					o,
					"bad sequence range '%s' (expected SEQ or FIRST-LAST)",
					optarg);
			eo->has_seq = true;
			break;
		case OPT_MAX_EVENTS:
			if (es_parse_u64(optarg, &eo->max_events) ||
			    eo->max_events < 1000)
				return opt_fail(
					o,
					"bad --max-events '%s' (expected a number >= 1000)",
					optarg);
			break;
		case 'h':
			return 1;
		case 'j':
			break;
		case 'p':
			eo->pretty = true;
			break;
		case ':':
			return opt_fail(o, "option '%s' needs an argument",
					argv[optind - 1]);
		default:
			return opt_fail(
				o,
				"unknown option '%s' (see earlyslab export --help)",
				argv[optind - 1]);
		}
	}
	if (optind < argc)
		return opt_fail(o, "unexpected argument '%s'", argv[optind]);
	if (!eo->format)
		return opt_fail(o, "%s",
				"--format svg|chrome-trace is required");
	if (strcmp(eo->format, "svg") && strcmp(eo->format, "chrome-trace") &&
	    strcmp(eo->format, "perfetto"))
		return opt_fail(
			o, "unknown format '%s' (expected svg or chrome-trace)",
			eo->format);
	if (!eo->path)
		return opt_fail(o, "%s",
				"-o FILE is required ('-o -' for stdout)");
	if (strcmp(clock, "seq") && strcmp(clock, "ts"))
		return opt_fail(o, "unknown clock '%s' (expected seq or ts)",
				clock);
	eo->svg = !strcmp(eo->format, "svg");
	eo->clock_ts = !strcmp(clock, "ts");
	return 0;
}

int es_cmd_export(struct es_out *o, int argc, char **argv)
{
	struct es_trace *t = o->t;
	struct exp_opts eo;
	struct exp *x;
	int ret;
	FILE *f;

	ret = parse_opts(o, argc, argv, &eo);
	if (ret)
		return ret;
	if (es_count(t)) {
		fprintf(o->err, "earlyslab: %s\n", es_error(t));
		return 2;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(o->err, "earlyslab: export: out of memory\n");
		return 2;
	}
	x->t = t;
	x->o = o;
	x->opt = &eo;
	x->nslots = t->nslots;
	x->first_ts = t->counts.first_ts;
	x->end = x->nslots;
	es_pfnmap_init(&x->cmap);
	if (eo.has_seq) {
		x->lo = eo.seq_lo < x->nslots ? eo.seq_lo : x->nslots;
		if (eo.seq_hi < x->nslots)
			x->end = eo.seq_hi + 1;
	}
	if (eo.phases)
		phase_window(x);
	if (!x->nslots && !eo.has_seq && !eo.phases) {
		x->end = 1; /* an empty trace: an empty picture */
	} else if (x->end <= x->lo) {
		if (x->nslots)
			fprintf(o->err,
				"earlyslab: export: %s: no events in the sequence range asked for (the trace has seq 0-%" PRIu64
				")\n",
				t->name, x->nslots - 1);
		else
			fprintf(o->err,
				"earlyslab: export: %s: no events in the trace\n",
				t->name);
		exp_free(x);
		free(x);
		return 2;
	}
	if (collect(x)) {
		fprintf(o->err, "earlyslab: export: %s: %s\n", t->name,
			x->oom ? "out of memory" : es_error(t));
		exp_free(x);
		free(x);
		return 2;
	}
	if (!strcmp(eo.path, "-")) {
		f = o->f;
	} else {
		f = fopen(eo.path, "we");
		if (!f) {
			fprintf(o->err, "earlyslab: export: %s: %s\n", eo.path,
				strerror(errno));
			exp_free(x);
			free(x);
			return 2;
		}
	}
	x->f = f;
	ret = eo.svg ? exp_svg(x) : exp_trace(x);
	if (fflush(f) || ferror(f))
		ret = -1;
	if (f != o->f && fclose(f))
		ret = -1;
	if (ret) {
		fprintf(o->err, "earlyslab: export: %s: %s\n", eo.path,
			x->oom ? "out of memory" : "write error");
		ret = 2;
	} else if (f != o->f) {
		fprintf(o->f,
			"wrote %s (%s: %zu page frames, %" PRIu64 " events)\n",
			eo.path, eo.format, x->nrows, t->counts.committed);
	}
	exp_free(x);
	free(x);
	return ret;
}
