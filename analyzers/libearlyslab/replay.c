// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the ownership engine.
 *
 * The events are replayed in sequence order. A getpages starts a run of
 * ownership of 1 << order page frames; a freepages ends it. Every pfn
 * touched has one entry in a hash map, pointing at the run that owns it now
 * (if any) and remembering its last free and its last skip. Runs exist only
 * while they are live: a run that ends is handed to the caller and
 * released, so memory follows the page frames touched, not the events.
 *
 * The checks fall out of the replay:
 *   window_free       a freepages inside the mem_init window (phase window,
 *                     or path window)
 *   double_free       a freepages of frames whose last run already ended
 *   free_unallocated  a freepages of frames never allocated, reported only
 *                     when no event is missing (nothing lost, torn, pending)
 *   overlap           a getpages of a frame that a live run owns
 *   order_mismatch    a freepages whose pfn or order differ from the run's
 *   cache_mismatch    a freepages by another cache than the owner
 *   missed_skip       an early (memblock) run live when memblock_free_all
 *                     began, with frames no skip event covered before it
 *                     ended
 *   spurious_skip     a skip of a frame no live early run owns
 *   bad_record        a committed slot with a wrong seq, an unknown type,
 *                     phase or path, or an implausible order
 *   node_mismatch     (warning) nid_req set and different from nid
 *   lost_events       (warning) the ring was full
 *   torn_record       (warning) a writer was interrupted mid-record
 *   pending_record    (warning) a slot reserved but not yet written
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_internal.h"

struct live_run {
	struct es_run run;
	uint64_t refs;		/* map entries pointing here */
	uint64_t mark;
	bool need_skip;
	struct live_run *next;	/* in the replay's pool, once ended */
};

/* Runs ended go back to a pool: a getpages takes one from there. */
static struct live_run *run_new(struct es_replay *r)
{
	struct live_run *lr = r->pool;

	if (!lr)
		return es_ecalloc(1, sizeof(*lr));
	r->pool = lr->next;
	memset(lr, 0, sizeof(*lr));
	return lr;
}

static void run_put(struct es_replay *r, struct live_run *lr)
{
	lr->next = r->pool;
	r->pool = lr;
}

static void pool_free(struct es_replay *r)
{
	while (r->pool) {
		struct live_run *lr = r->pool;

		r->pool = lr->next;
		es_efree(lr, sizeof(*lr));
	}
}

static bool want(struct es_replay *r, uint64_t pfn)
{
	if (pfn < r->pfn_lo || pfn > r->pfn_hi)
		return false;
	return !r->ops->want_pfn || r->ops->want_pfn(r, pfn);
}

static void report(struct es_replay *r, uint32_t kind,
		   const struct es_event *ev, uint64_t pfn,
		   const struct es_run *run, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void report(struct es_replay *r, uint32_t kind,
		   const struct es_event *ev, uint64_t pfn,
		   const struct es_run *run, const char *fmt, ...)
{
	struct es_anomaly a;
	va_list ap;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.severity = es_kind_severity(kind);
	a.seq = ev ? ev->seq : ES_NO_SEQ;
	a.pfn = pfn;
	a.other_seq = ES_NO_SEQ;
	if (ev && ev->status == ES_SLOT_OK) {
		a.cache = ev->cache;
		a.caller = ev->caller;
		a.order = ev->order;
		a.phase = ev->phase;
		a.ts = ev->ts;
		memcpy(a.name, ev->name, sizeof(a.name));
	}
	if (run) {
		a.other_seq = run->alloc_seq;
		if (!a.cache) {
			a.cache = run->cache;
			memcpy(a.name, run->name, sizeof(a.name));
		}
		if (!a.caller)
			a.caller = run->alloc_caller;
	}
	va_start(ap, fmt);
	vsnprintf(a.detail, sizeof(a.detail), fmt, ap);
	va_end(ap);
	if (a.severity == ES_SEV_ERROR)
		r->errors++;
	else
		r->warnings++;
	if (r->ops->anomaly && !r->stop)
		r->stop = r->ops->anomaly(r, &a);
}

/* Fill in *a from report() for the few anomalies that need more fields. */
static void report_count(struct es_replay *r, uint32_t kind,
			 const struct es_event *ev, uint64_t pfn,
			 const struct es_run *run, uint64_t count,
			 const char *detail)
{
	struct es_anomaly a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.severity = es_kind_severity(kind);
	a.seq = ev ? ev->seq : ES_NO_SEQ;
	a.pfn = pfn;
	a.other_seq = ES_NO_SEQ;
	a.count = count;
	if (ev && ev->status == ES_SLOT_OK)
		a.ts = ev->ts;
	if (run) {
		a.other_seq = run->alloc_seq;
		a.cache = run->cache;
		a.caller = run->alloc_caller;
		a.order = run->order;
		a.phase = run->alloc_phase;
		memcpy(a.name, run->name, sizeof(a.name));
	} else if (ev && ev->status == ES_SLOT_OK) {
		a.cache = ev->cache;
		a.caller = ev->caller;
		a.order = ev->order;
		a.phase = ev->phase;
		memcpy(a.name, ev->name, sizeof(a.name));
	}
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	if (a.severity == ES_SEV_ERROR)
		r->errors++;
	else
		r->warnings++;
	if (r->ops->anomaly && !r->stop)
		r->stop = r->ops->anomaly(r, &a);
}

static bool run_early(const struct live_run *lr)
{
	return lr->run.flags & ES_RUN_EARLY;
}

/* Release @lr from every frame it covers and hand it to the caller. */
static void end_run(struct es_replay *r, struct live_run *lr,
		    const struct es_event *ev, bool replaced)
{
	uint64_t n = 1ULL << lr->run.order, p;

	if (replaced) {
		lr->run.flags |= ES_RUN_REPLACED;
	} else {
		lr->run.free_seq = ev->seq;
		lr->run.free_caller = ev->caller;
		lr->run.free_ts = ev->ts;
		lr->run.free_phase = ev->phase;
		lr->run.free_path = ev->path;
	}
	for (p = lr->run.pfn; p - lr->run.pfn < n; p++) {
		struct es_pfn_ent *e;

		if (!want(r, p))
			continue;
		e = es_pfnmap_get(&r->map, p);
		if (!e || e->live != lr)
			continue;
		e->live = NULL;
		if (!replaced)
			e->last_free_seq = ev->seq;
	}
	if (r->ops->run_end && !r->stop)
		r->stop = r->ops->run_end(r, &lr->run);
	run_put(r, lr);
}

static int oom(struct es_replay *r)
{
	es_set_error(r->t, "%s: out of memory", r->t->name);
	return -1;
}

static int do_getpages(struct es_replay *r, const struct es_event *ev)
{
	uint64_t n = 1ULL << ev->order, p;
	struct live_run *lr;

	if (ev->nid_req != EST_NO_NODE && ev->nid_req != ev->nid)
		report(r, ES_K_NODE_MISMATCH, ev, ev->pfn, NULL,
		       "asked for node %d, got node %d", ev->nid_req,
		       ev->nid);
	lr = run_new(r);
	if (!lr)
		return oom(r);
	lr->run.pfn = ev->pfn;
	lr->run.order = ev->order;
	lr->run.cache = ev->cache;
	memcpy(lr->run.name, ev->name, sizeof(lr->run.name));
	lr->run.alloc_seq = ev->seq;
	lr->run.free_seq = ES_NO_SEQ;
	lr->run.alloc_caller = ev->caller;
	lr->run.alloc_ts = ev->ts;
	lr->run.alloc_phase = ev->phase;
	lr->run.alloc_path = ev->path;
	lr->run.nid_req = ev->nid_req;
	lr->run.nid = ev->nid;
	if ((ev->flags & EST_RF_EARLY_PAGE) || ev->path == EST_PATH_MEMBLOCK)
		lr->run.flags |= ES_RUN_EARLY;
	for (p = ev->pfn; p - ev->pfn < n; p++) {
		struct es_pfn_ent *e;

		if (!want(r, p))
			continue;
		e = es_pfnmap_add(&r->map, p);
		if (!e) {
			run_put(r, lr);
			return oom(r);
		}
		if (e->live) {
			struct live_run *old = e->live;

			report(r, ES_K_OVERLAP, ev, p, &old->run,
			       "pfn 0x%llx still owned by %s (order %u at pfn 0x%llx)",
			       (unsigned long long)p,
			       old->run.name[0] ? old->run.name : "?",
			       old->run.order,
			       (unsigned long long)old->run.pfn);
			end_run(r, old, ev, true);
			e = es_pfnmap_get(&r->map, p);
		}
		e->live = lr;
		lr->refs++;
	}
	if (!lr->refs)
		run_put(r, lr);
	return 0;
}

static int do_freepages(struct es_replay *r, const struct es_event *ev)
{
	uint64_t n = 1ULL << ev->order, p, freed_seq = ES_NO_SEQ;
	bool found = false, any = false;

	if (ev->phase == EST_PHASE_WINDOW || ev->path == EST_PATH_WINDOW)
		report(r, ES_K_WINDOW_FREE, ev, ev->pfn, NULL,
		       "slab page freed inside the mem_init window (path %s)",
		       es_path_name(ev->path));
	for (p = ev->pfn; p - ev->pfn < n; p++) {
		struct es_pfn_ent *e;
		struct live_run *lr;

		if (!want(r, p))
			continue;
		any = true;
		e = es_pfnmap_get(&r->map, p);
		if (!e)
			continue;
		if (!e->live) {
			if (e->last_free_seq != ES_NO_SEQ &&
			    freed_seq == ES_NO_SEQ)
				freed_seq = e->last_free_seq;
			continue;
		}
		lr = e->live;
		if (!found) {
			if (lr->run.pfn != ev->pfn || lr->run.order != ev->order)
				report(r, ES_K_ORDER_MISMATCH, ev, ev->pfn,
				       &lr->run,
				       "freed as order %u at pfn 0x%llx, allocated as order %u at pfn 0x%llx",
				       ev->order, (unsigned long long)ev->pfn,
				       lr->run.order,
				       (unsigned long long)lr->run.pfn);
			if (ev->cache && lr->run.cache &&
			    ev->cache != lr->run.cache)
				report(r, ES_K_CACHE_MISMATCH, ev, ev->pfn,
				       &lr->run,
				       "freed by cache 0x%llx (%s), owned by 0x%llx (%s)",
				       (unsigned long long)ev->cache,
				       ev->name[0] ? ev->name : "?",
				       (unsigned long long)lr->run.cache,
				       lr->run.name[0] ? lr->run.name : "?");
		}
		found = true;
		end_run(r, lr, ev, false);
	}
	if (found || !any)
		return 0;

	if (freed_seq != ES_NO_SEQ)
		report(r, ES_K_DOUBLE_FREE, ev, ev->pfn, NULL,
		       "already freed at seq %llu",
		       (unsigned long long)freed_seq);
	else if (r->complete)
		report(r, ES_K_FREE_UNALLOCATED, ev, ev->pfn, NULL,
		       "no getpages of these frames in the trace");

	/* A run with no recorded start, so that timelines show the free. */
	{
		struct es_run run;

		memset(&run, 0, sizeof(run));
		run.pfn = ev->pfn;
		run.order = ev->order;
		run.cache = ev->cache;
		memcpy(run.name, ev->name, sizeof(run.name));
		run.alloc_seq = ES_NO_SEQ;
		run.free_seq = ev->seq;
		run.free_caller = ev->caller;
		run.free_ts = ev->ts;
		run.free_phase = ev->phase;
		run.free_path = ev->path;
		run.alloc_phase = ev->phase;
		run.nid_req = ev->nid_req;
		run.nid = ev->nid;
		run.flags = ES_RUN_NO_ALLOC;
		for (p = ev->pfn; p - ev->pfn < n; p++) {
			struct es_pfn_ent *e;

			if (!want(r, p))
				continue;
			e = es_pfnmap_add(&r->map, p);
			if (!e)
				return oom(r);
			e->last_free_seq = ev->seq;
		}
		if (r->ops->run_end && !r->stop)
			r->stop = r->ops->run_end(r, &run);
	}
	return 0;
}

static int do_skip(struct es_replay *r, const struct es_event *ev,
		   uint64_t n)
{
	uint64_t p, bad_pfn = ES_NO_PFN, nbad = 0;

	for (p = ev->pfn; p - ev->pfn < n; p++) {
		struct es_pfn_ent *e;
		struct live_run *lr;

		if (!want(r, p))
			continue;
		e = es_pfnmap_add(&r->map, p);
		if (!e)
			return oom(r);
		lr = e->live;
		if (lr && run_early(lr)) {
			e->skip_seq = ev->seq;
			lr->run.flags |= ES_RUN_SKIPPED;
			continue;
		}
		if (bad_pfn == ES_NO_PFN)
			bad_pfn = p;
		nbad++;
	}
	if (nbad) {
		char d[256];

		snprintf(d, sizeof(d),
			 "%llu of %llu skipped frames not owned by a live early slab page",
			 (unsigned long long)nbad, (unsigned long long)n);
		report_count(r, ES_K_SPURIOUS_SKIP, ev, bad_pfn, NULL, nbad, d);
	}
	return 0;
}

/* Call @fn once for every live run (runs cover several entries). */
static void foreach_live(struct es_replay *r,
			 void (*fn)(struct es_replay *r, struct live_run *lr,
				    const struct es_event *ev),
			 const struct es_event *ev)
{
	size_t i;

	r->gen++;
	for (i = 0; i < es_pfnmap_slots(&r->map); i++) {
		struct es_pfn_ent *e = es_pfnmap_slot(&r->map, i);
		struct live_run *lr = e ? e->live : NULL;

		if (!lr || lr->mark == r->gen)
			continue;
		lr->mark = r->gen;
		fn(r, lr, ev);
	}
}

static void mark_need_skip(struct es_replay *r, struct live_run *lr,
			   const struct es_event *ev)
{
	(void)r;
	(void)ev;
	lr->need_skip = run_early(lr);
}

static void check_skipped(struct es_replay *r, struct live_run *lr,
			  const struct es_event *ev)
{
	uint64_t n = 1ULL << lr->run.order, p, first = ES_NO_PFN, nmiss = 0;

	if (!lr->need_skip)
		return;
	lr->need_skip = false;
	for (p = lr->run.pfn; p - lr->run.pfn < n; p++) {
		struct es_pfn_ent *e;

		if (!want(r, p))
			continue;
		e = es_pfnmap_get(&r->map, p);
		if (e && e->skip_seq != ES_NO_SEQ &&
		    e->skip_seq > r->free_all_seq)
			continue;
		if (first == ES_NO_PFN)
			first = p;
		nmiss++;
	}
	if (nmiss) {
		char d[256];

		snprintf(d, sizeof(d),
			 "live early page at free_all (seq %llu): %llu of %llu frames not skipped",
			 (unsigned long long)r->free_all_seq,
			 (unsigned long long)nmiss, (unsigned long long)n);
		report_count(r, ES_K_MISSED_SKIP, ev, first, &lr->run, nmiss,
			     d);
	}
}

static void track_phase(struct es_replay *r, const struct es_event *ev)
{
	/* memblock_free_all() runs once: later markers are not checked again */
	if (ev->type == EST_EV_PHASE && ev->phase == EST_PHASE_FREE_ALL &&
	    !r->in_free_all && !r->free_all_done) {
		r->in_free_all = true;
		r->free_all_seq = ev->seq;
		foreach_live(r, mark_need_skip, ev);
	} else if (r->in_free_all && ev->phase > EST_PHASE_FREE_ALL &&
		   ev->phase < EST_PHASE_MAX) {
		/* the end marker, or the first event after it */
		r->in_free_all = false;
		r->free_all_done = true;
		foreach_live(r, check_skipped, ev);
	}
	if (ev->type == EST_EV_PHASE && ev->phase < EST_PHASE_MAX)
		r->phase = ev->phase;
}

static int replay_event(struct es_replay *r, const struct es_event *ev)
{
	char why[112];
	uint64_t n;

	switch (ev->status) {
	case ES_SLOT_OK:
		break;
	case ES_SLOT_TORN:
		report(r, ES_K_TORN_RECORD, ev, ES_NO_PFN, NULL,
		       "a writer was interrupted mid-record");
		return 0;
	case ES_SLOT_PENDING:
		report(r, ES_K_PENDING_RECORD, ev, ES_NO_PFN, NULL,
		       "slot reserved but not written");
		return 0;
	default:
		report(r, ES_K_BAD_RECORD, ev, ev->type ? ev->pfn : ES_NO_PFN,
		       NULL, "%s", es_bad_reason(r->t, ev, why, sizeof(why)));
		return 0;
	}
	track_phase(r, ev);

	/* es_decode_slot() took implausible orders and ranges as bad */
	switch (ev->type) {
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
		if (ev->pfn + (1ULL << ev->order) - 1 < r->pfn_lo ||
		    ev->pfn > r->pfn_hi)
			return 0;
		if (ev->type == EST_EV_GETPAGES)
			return do_getpages(r, ev);
		return do_freepages(r, ev);
	case EST_EV_SKIP:
		n = es_event_pages(ev);
		if (ev->pfn + n - 1 < r->pfn_lo || ev->pfn > r->pfn_hi)
			return 0;
		return do_skip(r, ev, n);
	}
	return 0;
}

static void release_live(struct es_replay *r, bool hand_out)
{
	size_t i;

	for (i = 0; i < es_pfnmap_slots(&r->map); i++) {
		struct es_pfn_ent *e = es_pfnmap_slot(&r->map, i);
		struct live_run *lr = e ? e->live : NULL;

		if (!lr)
			continue;
		e->live = NULL;
		if (--lr->refs)
			continue;
		if (hand_out && r->ops->run_live && !r->stop) {
			lr->run.flags |= ES_RUN_LIVE;
			r->stop = r->ops->run_live(r, &lr->run);
		}
		run_put(r, lr);
	}
}

/*
 * The header's counters: head and lost only grow from 0, and once every
 * writer is done, lost is exactly head - capacity (when positive). A writer
 * halted between its reservation and its count of a loss leaves lost
 * short, never over.
 */
static void check_counters(struct es_replay *r)
{
	const struct es_status *c = &r->t->counts;
	uint64_t excess = 0, lost = c->lost;
	struct es_event le;
	char d[256];

	if ((int64_t)c->head < 0 || (int64_t)c->lost < 0) {
		snprintf(d, sizeof(d),
			 "trace header: head %lld or lost %lld is negative",
			 (long long)c->head, (long long)c->lost);
		report_count(r, ES_K_BAD_RECORD, NULL, ES_NO_PFN, NULL, 0, d);
		return;
	}
	if (c->head > c->capacity)
		excess = c->head - c->capacity;
	if (lost > excess) {
		snprintf(d, sizeof(d),
			 "trace header: lost %llu, but head %llu - capacity %u is %llu",
			 (unsigned long long)lost, (unsigned long long)c->head,
			 c->capacity, (unsigned long long)excess);
		report_count(r, ES_K_BAD_RECORD, NULL, ES_NO_PFN, NULL, 0, d);
	}
	if (!excess && !lost)
		return;
	memset(&le, 0, sizeof(le));
	le.seq = c->capacity;
	le.status = ES_SLOT_PENDING;
	if (excess > lost)
		snprintf(d, sizeof(d),
			 "ring full: %llu events after seq %llu were not recorded (lost says %llu: writers not done, or a corrupt header)",
			 (unsigned long long)excess,
			 (unsigned long long)c->capacity - 1,
			 (unsigned long long)lost);
	else
		snprintf(d, sizeof(d),
			 "ring full: %llu events after seq %llu were not recorded",
			 (unsigned long long)lost,
			 (unsigned long long)c->capacity - 1);
	report_count(r, ES_K_LOST_EVENTS, &le, ES_NO_PFN, NULL,
		     excess > lost ? excess : lost, d);
}

/*
 * es_replay_run() - replay every slot in sequence order.
 * Only pfns in [@pfn_lo, @pfn_hi] (and accepted by ops->want_pfn) are
 * tracked. Returns 0, a callback's non-zero value, or -1 on error.
 */
int es_replay_run(struct es_trace *t, const struct es_replay_ops *ops,
		  void *arg, uint64_t pfn_lo, uint64_t pfn_hi)
{
	struct es_replay r;
	struct es_event ev;
	bool restricted;
	uint64_t i;
	int ret = 0;

	if (es_count(t))
		return -1;
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.ops = ops;
	r.arg = arg;
	r.pfn_lo = pfn_lo;
	r.pfn_hi = pfn_hi;
	r.complete = es_trace_complete(t);
	es_pfnmap_init(&r.map);

	/*
	 * A replay of some frames only (a timeline batch), with nobody
	 * watching the events or anomalies: an event outside them only
	 * moves the phase, and is not decoded further.
	 */
	restricted = (pfn_lo || pfn_hi != UINT64_MAX) && !ops->event &&
		     !ops->anomaly;
	for (i = 0; i < t->nslots && !r.stop; i++) {
		if (restricted) {
			uint64_t n;

			es_decode_lean(t, i, &ev);
			if (ev.status != ES_SLOT_OK)
				continue;
			n = es_event_pages(&ev);
			if (n && (ev.pfn + n - 1 < pfn_lo || ev.pfn > pfn_hi)) {
				track_phase(&r, &ev);
				continue;
			}
		}
		es_decode_slot(t, i, &ev);
		ret = replay_event(&r, &ev);
		if (ret)
			break;
		if (ops->event && !r.stop)
			r.stop = ops->event(&r, &ev);
	}
	if (!ret && !r.stop)
		check_counters(&r);
	if (!ret && es_io_check(t))
		ret = -1;
	release_live(&r, !ret);
	pool_free(&r);
	es_pfnmap_destroy(&r.map);
	if (ret)
		return ret;
	return r.stop;
}

/* ---- check -------------------------------------------------------------- */

struct check_ctx {
	es_anomaly_fn fn;
	void *arg;
	uint64_t errors;
};

static int check_anomaly(struct es_replay *r, const struct es_anomaly *a)
{
	struct check_ctx *c = r->arg;

	if (a->severity == ES_SEV_ERROR)
		c->errors++;
	return c->fn ? c->fn(a, c->arg) : 0;
}

int es_check(struct es_trace *t, es_anomaly_fn fn, void *arg)
{
	static const struct es_replay_ops ops = {
		.anomaly = check_anomaly,
	};
	struct check_ctx c = { .fn = fn, .arg = arg };
	int ret;

	if (!es_loaded(t))
		return -1;
	ret = es_replay_run(t, &ops, &c, 0, UINT64_MAX);
	if (ret < 0)
		return -1;
	return c.errors > (uint64_t)0x7fffffff ? 0x7fffffff : (int)c.errors;
}

/* ---- owners ------------------------------------------------------------- */

struct run_vec {
	struct es_run *v;
	size_t nr, cap;
};

static int vec_push(struct run_vec *rv, const struct es_run *run)
{
	if (rv->nr == rv->cap) {
		size_t ncap = rv->cap ? rv->cap * 2 : 16;
		struct es_run *n = es_erealloc(rv->v, rv->cap * sizeof(*n),
					       ncap * sizeof(*n));

		if (!n)
			return -1;
		rv->v = n;
		rv->cap = ncap;
	}
	rv->v[rv->nr++] = *run;
	return 0;
}

static int owners_live(struct es_replay *r, const struct es_run *run)
{
	if (vec_push(r->arg, run))
		return oom(r);
	return 0;
}

static int cmp_run_pfn(const void *a, const void *b)
{
	const struct es_run *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->alloc_seq < y->alloc_seq ? -1 : x->alloc_seq > y->alloc_seq;
}

int es_owners(struct es_trace *t, es_run_fn fn, void *arg)
{
	static const struct es_replay_ops ops = {
		.run_live = owners_live,
	};
	struct run_vec rv = { 0 };
	size_t i;
	int ret;

	if (!es_loaded(t))
		return -1;
	ret = es_replay_run(t, &ops, &rv, 0, UINT64_MAX);
	if (!ret && rv.nr) {
		qsort(rv.v, rv.nr, sizeof(*rv.v), cmp_run_pfn);
		for (i = 0; i < rv.nr && !ret; i++)
			ret = fn(&rv.v[i], arg);
	}
	es_efree(rv.v, rv.cap * sizeof(*rv.v));
	return ret;
}

/* ---- timeline ----------------------------------------------------------- */

/*
 * A pfn's history depends only on the events whose range covers it, and,
 * through an overlap ending a whole run, on the pfns those ranges cover:
 * so the page frames fall into components (maximal pfn ranges chained by
 * events covering neighbours) that can be replayed separately. Timelines
 * are built a batch of whole components at a time, keeping at most about
 * es_timeline_budget (pfn, run) pairs in memory.
 */
uint64_t es_timeline_budget = 1U << 16;
#define ES_TL_MAX_PASSES	16

#define TL_LINK_NEXT	0x1	/* an event covers this pfn and the next */
#define TL_SELECTED	0x2	/* shown */

struct tl_ctx {
	struct es_pfnmap all;		/* every pfn touched; aux = events */
	uint64_t *keys;			/* sorted, all touched */
	size_t nkeys;
	uint64_t *sel;			/* sorted, selected, current batch */
	size_t nsel;
	struct run_vec *runs;		/* per entry of sel[] */
};

static size_t sel_index(const struct tl_ctx *c, uint64_t pfn)
{
	size_t a = 0, b = c->nsel;

	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (c->sel[m] < pfn)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

static int tl_run(struct es_replay *r, const struct es_run *run)
{
	struct tl_ctx *c = r->arg;
	uint64_t n = 1ULL << run->order;
	size_t i;

	for (i = sel_index(c, run->pfn); i < c->nsel; i++) {
		if (c->sel[i] - run->pfn >= n)
			break;
		if (vec_push(&c->runs[i], run))
			return oom(r);
	}
	return 0;
}

static int cmp_run_seq(const void *a, const void *b)
{
	const struct es_run *x = a, *y = b;
	uint64_t sx = x->alloc_seq != ES_NO_SEQ ? x->alloc_seq : x->free_seq;
	uint64_t sy = y->alloc_seq != ES_NO_SEQ ? y->alloc_seq : y->free_seq;

	return sx < sy ? -1 : sx > sy;
}

/* The pfns an event covers, for the events that own or release frames. */
static bool ev_range(const struct es_event *ev, uint64_t *first,
		     uint64_t *n)
{
	if (ev->status != ES_SLOT_OK)
		return false;
	switch (ev->type) {
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
	case EST_EV_SKIP:
		/* bad orders and ranges were decoded as bad slots */
		*n = es_event_pages(ev);
		break;
	default:
		return false;
	}
	*first = ev->pfn;
	return ev->pfn + *n > ev->pfn;
}

/* Pass 1: every pfn touched, its links, its event count, the selection. */
static int tl_scan(struct es_trace *t, const struct es_select *sel,
		   struct tl_ctx *c)
{
	struct es_event ev;
	uint64_t i, p, first, n;

	for (i = 0; i < t->nslots; i++) {
		bool pick;

		es_decode_slot(t, i, &ev);
		if (!ev_range(&ev, &first, &n))
			continue;
		pick = ev.type != EST_EV_SKIP &&
		       (!sel || !sel->cache || !*sel->cache ||
			es_cache_match(sel->cache, ev.cache, ev.name));
		for (p = first; p - first < n; p++) {
			struct es_pfn_ent *e = es_pfnmap_add(&c->all, p);

			if (!e)
				return -1;
			e->aux++;
			if (p - first + 1 < n)
				e->pad |= TL_LINK_NEXT;
			if (pick && (!sel || !sel->has_pfn ||
				     (p >= sel->pfn_lo && p <= sel->pfn_hi)))
				e->pad |= TL_SELECTED;
		}
	}
	return es_io_check(t);
}

static int oom_trace(struct es_trace *t)
{
	es_set_error(t, "%s: out of memory", t->name);
	return -1;
}

int es_timeline(struct es_trace *t, const struct es_select *sel,
		es_pfn_fn fn, void *arg)
{
	static const struct es_replay_ops ops = {
		.run_end = tl_run,
		.run_live = tl_run,
	};
	struct tl_ctx c;
	size_t i, lo, hi, nsel_max = 0;
	uint64_t total, limit;
	int ret = 0;

	if (es_count(t))
		return -1;
	memset(&c, 0, sizeof(c));
	es_pfnmap_init(&c.all);
	if (tl_scan(t, sel, &c)) {
		ret = t->io_failed ? -1 : oom_trace(t);
		goto out;
	}
	c.keys = es_pfnmap_keys(&c.all, &c.nkeys);
	if (c.nkeys && !c.keys) {
		ret = oom_trace(t);
		goto out;
	}
	for (i = 0; i < c.nkeys; i++)
		if (es_pfnmap_get(&c.all, c.keys[i])->pad & TL_SELECTED)
			nsel_max++;
	if (!nsel_max)
		goto out;
	c.sel = es_ecalloc(nsel_max, sizeof(*c.sel));
	c.runs = es_ecalloc(nsel_max, sizeof(*c.runs));
	if (!c.sel || !c.runs) {
		ret = oom_trace(t);
		goto out;
	}

	/*
	 * Each batch reads the whole trace (only its own frames' events are
	 * replayed): never more than ES_TL_MAX_PASSES of them, so that the
	 * time stays linear in events (the batches grow instead).
	 */
	for (i = 0, total = 0; i < c.nkeys; i++)
		total += es_pfnmap_get(&c.all, c.keys[i])->aux;
	limit = es_timeline_budget;
	if (limit < total / ES_TL_MAX_PASSES + 1)
		limit = total / ES_TL_MAX_PASSES + 1;

	for (lo = 0; lo < c.nkeys && !ret; lo = hi) {
		uint64_t budget = 0;
		bool any = false;

		/* whole components, until the budget is used */
		for (hi = lo; hi < c.nkeys;) {
			size_t end = hi, j;
			uint64_t cost = 0;
			bool picked = false;

			for (;;) {
				struct es_pfn_ent *e =
					es_pfnmap_get(&c.all, c.keys[end]);

				cost += e->aux;
				picked |= e->pad & TL_SELECTED;
				if (!(e->pad & TL_LINK_NEXT) ||
				    end + 1 >= c.nkeys ||
				    c.keys[end + 1] != c.keys[end] + 1)
					break;
				end++;
			}
			if (!picked && !any) {
				lo = hi = end + 1;	/* skip it */
				continue;
			}
			if (any && budget + cost > limit)
				break;
			if (picked) {
				for (j = hi; j <= end; j++)
					if (es_pfnmap_get(&c.all, c.keys[j])->pad &
					    TL_SELECTED)
						c.sel[c.nsel++] = c.keys[j];
				any = true;
				budget += cost;
			}
			hi = end + 1;
		}
		if (!any)
			break;
		ret = es_replay_run(t, &ops, &c, c.keys[lo], c.keys[hi - 1]);
		for (i = 0; i < c.nsel; i++) {
			struct run_vec *rv = &c.runs[i];

			if (!ret) {
				if (rv->nr)
					qsort(rv->v, rv->nr, sizeof(*rv->v),
					      cmp_run_seq);
				ret = fn(c.sel[i], rv->v, rv->nr, arg);
			}
			es_efree(rv->v, rv->cap * sizeof(*rv->v));
			memset(rv, 0, sizeof(*rv));
		}
		c.nsel = 0;
	}
out:
	es_efree(c.sel, nsel_max * sizeof(*c.sel));
	es_efree(c.runs, nsel_max * sizeof(*c.runs));
	free(c.keys);
	es_pfnmap_destroy(&c.all);
	return ret;
}
