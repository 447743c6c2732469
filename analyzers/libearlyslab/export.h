/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libearlyslab: the export command's shared state (export.c), its SVG
 * writer (export_svg.c) and its Chrome/Perfetto trace writer
 * (export_trace.c).
 *
 * An export is two replays of the trace. The first one (export.c) finds
 * what the view holds: the page frames of the runs that match the filters
 * and cross the sequence window (the rows), the pages of each cache (its
 * colour class) and the phase changes. The second one hands the same runs
 * and the check's anomalies to a writer. Nothing proportional to the
 * number of events is kept: rows are per page frame, classes per cache,
 * and the SVG's raster is bounded by its pixels.
 */
#ifndef ES_EXPORT_H
#define ES_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "es_out.h"

/*
 * Colour classes: with at most EXP_NR_COLORS caches in view each has its
 * own colour; with more, the EXP_NR_COLORS - 1 with the most pages do and
 * the rest share EXP_OTHER, the "other" class.
 */
#define EXP_NR_COLORS 16
#define EXP_NR_CLASSES (EXP_NR_COLORS + 1)
#define EXP_OTHER EXP_NR_COLORS

/*
 * The SVG's text is laid out as if every character were this wide (in em):
 * wider than the average of DejaVu Sans or Liberation Sans (digits are
 * 0.64 em), so that boxes computed this way contain the drawn text.
 */
#define EXP_EM 0.66

/* Phase changes kept for the shading and the phase track. */
#define EXP_MAX_SPANS 1024
/* Boot marks (EST_EV_MARK) kept for the phase track; a boot has four. */
#define EXP_MAX_MARKS 64

/*
 * Chrome trace events written at most, by default: about 400 bytes each,
 * so about 200 MB of JSON, which the Perfetto UI loads in a browser tab
 * (its trace processor's memory, typically limited to 2 GB, holds 2 to 4
 * times the trace; a 900 MB JSON trace is known to crash it).
 */
#define EXP_TRACE_MAX_EVENTS 500000ULL

/* Start bins of the runs, to cut a too long trace at a sequence number. */
#define EXP_START_BINS 4096

struct exp_cache {
	uint64_t cache;
	uint64_t pages; /* page frames of its runs in view */
	uint64_t runs;
	uint32_t cls; /* colour class */
	char name[ES_NAME_LEN];
};

struct exp_span {
	uint64_t seq; /* first sequence number of the phase */
	uint32_t phase;
};

struct exp_mark {
	uint64_t seq;
	uint32_t mark; /* enum est_mark */
};

struct exp_row {
	uint64_t pfn;
	uint32_t head; /* a run starts here */
	int32_t nid; /* node of the first run starting here */
	uint32_t group; /* trace writer: its process */
};

struct exp_opts {
	bool svg;
	bool clock_ts;
	bool pretty;
	const char *path;
	const char *format;
	/* the view */
	bool has_pfn;
	uint64_t pfn_lo, pfn_hi; /* inclusive */
	const char *cache;
	uint32_t phases; /* bit per phase, 0: any */
	bool has_seq;
	uint64_t seq_lo, seq_hi; /* inclusive */
	uint64_t max_events; /* chrome trace bound */
};

struct exp {
	struct es_out *o;
	struct es_trace *t;
	const struct exp_opts *opt;
	FILE *f;
	uint64_t nslots;
	uint64_t slot; /* the slot being replayed */
	/* sequence window [lo, end) */
	uint64_t lo, end;
	/* rows: the page frames in view, sorted */
	struct exp_row *rows;
	size_t nrows;
	/* runs of consecutive pfns in the rows, for exp_row_of() */
	struct exp_seg {
		uint64_t pfn;
		size_t row;
	} * segs;
	size_t nsegs;
	/* caches in view, and the map from address to index + 1 */
	struct exp_cache *caches;
	size_t ncaches, ccap;
	struct es_pfnmap cmap;
	uint32_t nclasses; /* classes in use, other included */
	uint64_t other_caches, other_pages;
	/* phase changes over the whole trace */
	struct exp_span spans[EXP_MAX_SPANS];
	size_t nspans;
	uint64_t spans_dropped;
	uint32_t cur_phase;
	struct exp_mark marks[EXP_MAX_MARKS];
	size_t nmarks;
	uint64_t marks_dropped;
	/* counts over the view */
	uint64_t runs;
	uint64_t nheads; /* rows where a run starts */
	uint64_t anomalies, errors;
	uint64_t start_bins[EXP_START_BINS]; /* runs starting there */
	uint64_t head_bins[EXP_START_BINS]; /* frames whose first run does */
	uint64_t first_ts;
	bool oom;
	void *w; /* the writer's state */
};

/* export.c */
bool exp_run_span(const struct exp *x, const struct es_run *run,
		  uint64_t *start, uint64_t *end);
bool exp_run_in_view(const struct exp *x, const struct es_run *run,
		     uint64_t *start, uint64_t *end);
size_t exp_row_of(const struct exp *x, uint64_t pfn);
uint32_t exp_class_of(struct exp *x, uint64_t cache);
bool exp_anomaly_in_view(const struct exp *x, const struct es_anomaly *a);
void exp_xml(FILE *f, const char *s);
const char *exp_palette(uint32_t cls);

/* export_svg.c, export_trace.c: 0, or -1 (write error or out of memory) */
int exp_svg(struct exp *x);
int exp_trace(struct exp *x);

#endif /* ES_EXPORT_H */
