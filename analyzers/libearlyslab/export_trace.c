// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: export as Chrome/Perfetto trace JSON (the "Trace Event
 * Format"), streamed through yajl.
 *
 * Tracks, as the Perfetto UI shows them:
 *  - process "boot phases and anomalies": a thread of phase slices and a
 *    thread of anomaly instants (details in their args);
 *  - one process per 2 MiB of physical memory that the view touches
 *    ("node N: pfn 0x...-0x..."), sorted by pfn, collapsed by default;
 *  - in it one thread per page frame where a run starts ("pfn 0x..."),
 *    holding that frame's runs as complete ("X") slices named by cache
 *    (the UI colours slices by name), the run as args. Runs on one frame
 *    follow each other, so slices never overlap on a thread.
 * The file is bounded: past opts->max_events the window is cut at a
 * sequence number (with a warning suggesting a narrower view).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

#define GROUP_SHIFT 9 /* 512 frames: 2 MiB a process */
#define PID_PHASES 1
#define TID_PHASES 1
#define TID_ANOMALIES 2

#define ROW_HEAD 1 /* exp_row.head: a run starts here */
#define ROW_NAMED 2 /* its thread is named */

struct tw {
	struct es_out jo;
	uint64_t written; /* trace events */
	uint64_t budget_anomalies;
	uint64_t written_runs, dropped_runs, dropped_anomalies;
	uint64_t budget_runs;
	size_t ngroups;
	unsigned char *gnamed; /* per process: named */
};

static uint64_t ts_of(const struct exp *x, uint64_t seq)
{
	struct es_event ev;

	if (seq >= x->nslots)
		return x->t->counts.last_ts;
	es_decode_slot(x->t, seq, &ev);
	return ev.status == ES_SLOT_OK ? ev.ts : x->t->counts.last_ts;
}

static double us(const struct exp *x, uint64_t ts)
{
	return ts >= x->first_ts ? (double)(ts - x->first_ts) / 1000.0 : 0.0;
}

static void ts_dur(struct exp *x, struct es_out *o, uint64_t s0, uint64_t t0,
		   uint64_t s1, uint64_t t1)
{
	jkey(o, "ts");
	if (x->opt->clock_ts)
		yajl_gen_double(o->g, us(x, t0));
	else
		ju64(o, s0);
	jkey(o, "dur");
	if (x->opt->clock_ts)
		yajl_gen_double(o->g,
				t1 >= t0 ? (double)(t1 - t0) / 1000.0 : 0);
	else
		ju64(o, s1 - s0);
}

/* A metadata event: {"name": "<what>_<key>", "args": {<arg>: ...}}. */
static void meta1(struct es_out *o, const char *what, const char *key, int pid,
		  long tid, const char *arg, const char *str, long num)
{
	char name[32];

	snprintf(name, sizeof(name), "%s_%s", what, key);
	jmap_open(o);
	jk_str(o, "name", name);
	jk_str(o, "ph", "M");
	jk_int(o, "pid", pid);
	if (tid >= 0)
		jk_int(o, "tid", tid);
	jkey(o, "args");
	jmap_open(o);
	if (str)
		jk_str(o, arg, str);
	else
		jk_int(o, arg, num);
	jmap_close(o);
	jmap_close(o);
}

/* A process's or thread's name and place in the UI's list. */
static void meta(struct es_out *o, const char *what, int pid, long tid,
		 const char *name, long sort)
{
	meta1(o, what, "name", pid, tid, "name", name, 0);
	meta1(o, what, "sort_index", pid, tid, "sort_index", NULL, sort);
}

/* The fixed tracks, and each row's process (2 MiB of memory). */
static void tracks(struct exp *x, struct tw *w)
{
	uint64_t gkey = UINT64_MAX;
	size_t i;

	meta(&w->jo, "process", PID_PHASES, -1, "boot phases and anomalies", 0);
	meta(&w->jo, "thread", PID_PHASES, TID_PHASES, "phases", 0);
	meta(&w->jo, "thread", PID_PHASES, TID_ANOMALIES, "anomalies", 1);
	w->written = 6;
	for (i = 0; i < x->nrows; i++) {
		if (x->rows[i].pfn >> GROUP_SHIFT != gkey) {
			gkey = x->rows[i].pfn >> GROUP_SHIFT;
			w->ngroups++;
		}
		x->rows[i].group = (uint32_t)w->ngroups;
	}
}

/*
 * Name the thread of @row, and its process, before their first slice:
 * only tracks that hold something are written.
 */
static void name_track(struct exp *x, struct tw *w, size_t row)
{
	uint32_t g = x->rows[row].group;
	uint64_t gkey = x->rows[row].pfn >> GROUP_SHIFT;
	char name[96];
	size_t i;

	if (x->rows[row].head & ROW_NAMED)
		return;
	if (!w->gnamed[g]) {
		/* the node of the group's first run */
		for (i = row; i > 0 && x->rows[i - 1].group == g; i--)
			;
		while (!(x->rows[i].head & ROW_HEAD))
			i++;
		snprintf(name, sizeof(name),
			 "node %d: pfn 0x%" PRIx64 "-0x%" PRIx64,
			 x->rows[i].nid, gkey << GROUP_SHIFT,
			 ((gkey + 1) << GROUP_SHIFT) - 1);
		meta(&w->jo, "process", PID_PHASES + (int)g, -1, name, g);
		w->gnamed[g] = 1;
		w->written += 2;
	}
	/* threads are in tid order, which is pfn order: a name is enough */
	snprintf(name, sizeof(name), "pfn 0x%" PRIx64, x->rows[row].pfn);
	meta1(&w->jo, "thread", "name", PID_PHASES + (int)g, (long)row + 1,
	      "name", name, 0);
	x->rows[row].head |= ROW_NAMED;
	w->written++;
}

static int tw_run(struct es_replay *r, const struct es_run *run)
{
	struct exp *x = r->arg;
	struct tw *w = x->w;
	struct es_out *o = &w->jo;
	uint64_t start, end, first = run->pfn, t0, t1;
	size_t row;

	if (!exp_run_in_view(x, run, &start, &end))
		return 0;
	/* room for the slice and the names of its thread and process */
	if (w->written + 4 > x->opt->max_events - w->budget_anomalies) {
		w->dropped_runs++;
		return 0;
	}
	if (x->opt->has_pfn && first < x->opt->pfn_lo)
		first = x->opt->pfn_lo;
	row = exp_row_of(x, first);
	if (row >= x->nrows)
		return 0;
	name_track(x, w, row);
	w->written_runs++;
	w->written++;
	t0 = start == run->alloc_seq ? run->alloc_ts : ts_of(x, start);
	t1 = run->free_seq != ES_NO_SEQ && end == run->free_seq + 1 ?
		     run->free_ts :
		     ts_of(x, end);
	jmap_open(o);
	jk_str(o, "name", run->name[0] ? run->name : "-");
	jk_str(o, "cat", "slab");
	jk_str(o, "ph", "X");
	jk_int(o, "pid", PID_PHASES + (long long)x->rows[row].group);
	jk_int(o, "tid", (long long)row + 1);
	ts_dur(x, o, start, t0, end, t1);
	jkey(o, "args");
	es_emit_run(o, run);
	jmap_close(o);
	return 0;
}

static int tw_event(struct es_replay *r, const struct es_event *ev)
{
	struct exp *x = r->arg;

	(void)ev;
	x->slot++;
	return 0;
}

/*
 * An instant event on the phases' process, up to its "args" key: at @seq,
 * or at @ts with --clock ts.
 */
static void instant(struct exp *x, struct es_out *o, const char *name,
		    const char *cat, long long tid, uint64_t seq, uint64_t ts)
{
	jmap_open(o);
	jk_str(o, "name", name);
	jk_str(o, "cat", cat);
	jk_str(o, "ph", "i");
	jk_str(o, "s", "t");
	jk_int(o, "pid", PID_PHASES);
	jk_int(o, "tid", tid);
	jkey(o, "ts");
	if (x->opt->clock_ts)
		yajl_gen_double(o->g, us(x, ts));
	else
		ju64(o, seq);
	jkey(o, "args");
}

static int tw_anomaly(struct es_replay *r, const struct es_anomaly *a)
{
	struct exp *x = r->arg;
	struct tw *w = x->w;
	struct es_out *o = &w->jo;
	uint64_t seq = a->seq == ES_NO_SEQ ? x->end - 1 : a->seq;

	if (!exp_anomaly_in_view(x, a))
		return 0;
	x->anomalies++;
	if (a->severity == ES_SEV_ERROR)
		x->errors++;
	if (x->anomalies > w->budget_anomalies) {
		w->dropped_anomalies++;
		return 0;
	}
	w->written++;
	instant(x, o, es_kind_name(a->kind), es_severity_name(a->severity),
		TID_ANOMALIES, seq,
		a->seq == ES_NO_SEQ ? x->t->counts.last_ts : a->ts);
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

static void phase_slices(struct exp *x, struct tw *w)
{
	struct es_out *o = &w->jo;
	size_t i;

	for (i = 0; i < x->nspans; i++) {
		uint64_t a = x->spans[i].seq, b = i + 1 < x->nspans ?
							  x->spans[i + 1].seq :
							  x->nslots;

		if (b <= x->lo || a >= x->end)
			continue;
		if (a < x->lo)
			a = x->lo;
		if (b > x->end)
			b = x->end;
		jmap_open(o);
		jk_str(o, "name", es_phase_name(x->spans[i].phase));
		jk_str(o, "cat", "phase");
		jk_str(o, "ph", "X");
		jk_int(o, "pid", PID_PHASES);
		jk_int(o, "tid", TID_PHASES);
		ts_dur(x, o, a, ts_of(x, a), b, ts_of(x, b));
		jmap_close(o);
		w->written++;
	}
	/* the boot marks, instants on the phase track */
	for (i = 0; i < x->nmarks; i++) {
		uint64_t seq = x->marks[i].seq;

		if (seq < x->lo || seq >= x->end)
			continue;
		instant(x, o, es_mark_name(x->marks[i].mark), "mark",
			TID_PHASES, seq, ts_of(x, seq));
		jmap_open(o);
		jk_u64(o, "seq", seq);
		jk_str(o, "mark", es_mark_name(x->marks[i].mark));
		jmap_close(o);
		jmap_close(o);
		w->written++;
	}
}

/*
 * Too many runs for the bound: end the window where the runs started so
 * far, and the names of their threads, reach it (the first replay's
 * start bins say where).
 */
static void cut_window(struct exp *x, struct tw *w)
{
	uint64_t sum = 0, len = x->end - x->lo, i;

	for (i = 0; i < EXP_START_BINS; i++) {
		uint64_t cost = x->start_bins[i] + x->head_bins[i];

		if (sum + cost > w->budget_runs)
			break;
		sum += cost;
	}
	if (i && i < EXP_START_BINS)
		x->end = x->lo + len * i / EXP_START_BINS;
}

int exp_trace(struct exp *x)
{
	static const struct es_replay_ops ops = {
		.run_end = tw_run,
		.run_live = tw_run,
		.anomaly = tw_anomaly,
		.event = tw_event,
	};
	struct tw w;
	struct es_out *o = &w.jo;
	uint64_t end0 = x->end, room;
	int ret;

	memset(&w, 0, sizeof(w));
	if (es_out_open(o, x->t, x->f, x->o->err, true, x->opt->pretty,
			false)) {
		x->oom = true;
		return -1;
	}
	x->w = &w;
	jmap_open(o);
	jkey(o, "traceEvents");
	jarr_open(o);
	w.gnamed = calloc(x->nrows + 1, 1);
	if (!w.gnamed) {
		x->oom = true;
		es_out_close(o);
		return -1;
	}
	tracks(x, &w);
	/* what is left for the runs, their threads' names and processes' */
	w.budget_anomalies = x->opt->max_events / 10;
	room = w.written + x->nspans + x->nmarks + w.budget_anomalies +
	       2 * w.ngroups;
	w.budget_runs = x->opt->max_events > room ? x->opt->max_events - room :
						    0;
	if (x->runs + x->nheads > w.budget_runs) {
		cut_window(x, &w);
		fprintf(x->o->err,
			"earlyslab: export: warning: %s: %" PRIu64
			" runs in view, more than the %" PRIu64
			" trace events the Perfetto UI loads well; writing seq %" PRIu64
			"-%" PRIu64 " of %" PRIu64 "-%" PRIu64
			" (narrow the view with --seq, --pfn, --cache or --phase, or raise --max-events)\n",
			x->t->name, x->runs, x->opt->max_events, x->lo,
			x->end - 1, x->lo, end0 - 1);
	}
	phase_slices(x, &w);
	x->slot = 0;
	x->anomalies = x->errors = 0;
	ret = es_replay_run(x->t, &ops, x, 0, UINT64_MAX);
	jarr_close(o);
	jk_str(o, "displayTimeUnit", "ns");
	jkey(o, "otherData");
	jmap_open(o);
	jk_str(o, "source", x->t->name);
	jk_str(o, "clock",
	       x->opt->clock_ts ? "ts: cycles/1000 since the first event" :
				  "seq: one sequence number per microsecond");
	jk_u64(o, "events", x->t->counts.committed);
	jk_u64(o, "trace_events", w.written);
	jk_u64(o, "seq_first", x->lo);
	jk_u64(o, "seq_last", x->end - 1);
	jk_u64(o, "page_frames", x->nrows);
	jk_u64(o, "runs", w.written_runs);
	jk_u64(o, "runs_left_out", w.dropped_runs);
	jk_u64(o, "anomalies", x->anomalies);
	jk_u64(o, "anomalies_left_out", w.dropped_anomalies);
	jmap_close(o);
	jmap_close(o);
	if (es_out_close(o) || ret)
		ret = -1;
	if (ret && strstr(es_error(x->t), "memory"))
		x->oom = true;
	free(w.gnamed);
	x->w = NULL;
	return ret;
}
