// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the ownership engine.
 *
 * The events are replayed in sequence order. A getpages starts a run of
 * ownership of 1 << order page frames; a freepages ends it. A large
 * kmalloc from memblock (a large event on path memblock) starts a run of
 * its own, owned by no cache (ES_RUN_LARGE, named ES_LARGE_NAME), and a
 * large_free ends it: the same rules and checks hold for both kinds, and
 * a free of the one kind of the other's frames is a cache_mismatch.
 *
 * Every pfn touched has one entry in a hash map, pointing at the run that
 * owns it now (if any) and remembering its last free and its last skip.
 * Runs exist only
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
 *   cache_mismatch    a freepages by another cache than the owner, or a
 *                     free of a slab's frames as a large kmalloc's (or
 *                     the other way round)
 *   missed_skip       an early (memblock) run, slab or large kmalloc,
 *                     live when memblock_free_all
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
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "es_internal.h"

/*
 * The frame table: every page frame the replay has seen, in groups of
 * FT_GROUP consecutive pfns, one 64-byte line each, found through an
 * array of keys (open addressing, linear probing): the frames of a slab
 * are one probe and one line. An entry is the live run that owns the
 * frame (an index, 0: none) and its last free (seq + 1, 0: never), with
 * FT_SKIPPED set once a skip covered it during memblock_free_all(). A
 * trace holds at most 2^24 slots, so both fit in 31 bits. An entry of
 * zeroes is a frame nothing happened to.
 */
#define FT_SHIFT	3
#define FT_GROUP	(1U << FT_SHIFT)
#define FT_SKIPPED	0x80000000U

struct ft_ent {
	uint32_t live;
	uint32_t last_free;
};

struct ft_line {
	struct ft_ent e[FT_GROUP];
};

static_assert(sizeof(struct ft_line) == 64, "frame table line");

/*
 * A live run, split: what the replay looks at on every event (small, so
 * that the runs of all frames stay in the cache), and the es_run handed
 * to the callbacks. The es_run is kept for every live run only when a
 * callback sees each run that ends; otherwise the few runs handed out
 * (the live ones at the end, the owners named in anomalies) are rebuilt
 * from their first event when asked for.
 */
#define RS_LIVE		0x1
#define RS_NEED_SKIP	0x2

struct run_hot {
	uint64_t pfn;
	uint64_t cache;
	uint32_t refs;		/* frames pointing here */
	uint32_t next;		/* in the free list, once ended */
	uint32_t alloc1;	/* seq + 1 of its first event */
	uint16_t flags;		/* ES_RUN_* */
	uint8_t order;
	uint8_t state;		/* RS_* */
};

static_assert(sizeof(struct run_hot) == 32, "hot run");

/* The replay's own state, around the part the callbacks see. */
struct rp {
	struct es_replay r;
	uint64_t *keys;		/* pfn / FT_GROUP + 1; 0: an empty slot */
	struct ft_line *lines;	/* the groups, 64-byte aligned */
	void *lines_mem;
	size_t cap;		/* a power of two */
	unsigned int bits;	/* log2(cap) */
	size_t ngrps;
	uint64_t last_key;	/* the group found last, 0: none */
	struct ft_line *last;
	struct run_hot *hot;	/* by index; 0 is never used */
	struct es_run *cold;	/* the same indices, if cold_needed */
	struct es_run one;	/* a run rebuilt, if not */
	uint32_t nruns, runcap, free_run;
	bool all;		/* every pfn is tracked */
	bool cold_needed;	/* a callback sees every run that ends */
	bool names;		/* events are decoded with their cache name */
	char name[ES_NAME_LEN];	/* es_replay_name() of a lean event */
	bool complete_known;
	struct es_status cnt;	/* what this pass has counted */
};

static uint32_t seq1(uint64_t seq)
{
	return (uint32_t)(seq + 1);
}

static uint64_t seq_of(uint32_t s1)
{
	s1 &= ~FT_SKIPPED;
	return s1 ? (uint64_t)s1 - 1 : ES_NO_SEQ;
}

static void set_free(struct ft_ent *e, uint64_t seq)
{
	e->last_free = (e->last_free & FT_SKIPPED) | seq1(seq);
}

static size_t ft_slot(unsigned int bits, uint64_t key)
{
	/* Fibonacci hashing: neighbouring groups spread out */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

static inline struct ft_line *ft_find(struct rp *p, uint64_t key)
{
	size_t i;

	if (!p->cap)
		return NULL;
	for (i = ft_slot(p->bits, key);; i = (i + 1) & (p->cap - 1)) {
		if (p->keys[i] == key) {
			p->last_key = key;
			return p->last = &p->lines[i];
		}
		if (!p->keys[i])
			return NULL;
	}
}

static void ft_free(struct rp *p)
{
	es_efree(p->keys, p->cap * sizeof(*p->keys));
	es_efree(p->lines_mem, (p->cap + 1) * sizeof(*p->lines));
}

static int ft_grow(struct rp *p)
{
	size_t ncap = p->cap ? p->cap * 2 : 16, i, j;
	unsigned int bits = (unsigned int)__builtin_ctzll(ncap);
	struct ft_line *lines;
	uint64_t *keys;
	void *mem;

	if (ncap > SIZE_MAX / 4 / sizeof(*lines))
		return -1;
	keys = es_ecalloc(ncap, sizeof(*keys));
	mem = es_ecalloc(ncap + 1, sizeof(*lines));
	if (!keys || !mem) {
		es_efree(keys, ncap * sizeof(*keys));
		es_efree(mem, (ncap + 1) * sizeof(*lines));
		return -1;
	}
	lines = (struct ft_line *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
	for (i = 0; i < p->cap; i++) {
		if (!p->keys[i])
			continue;
		for (j = ft_slot(bits, p->keys[i]); keys[j];
		     j = (j + 1) & (ncap - 1))
			;
		keys[j] = p->keys[i];
		lines[j] = p->lines[i];
	}
	ft_free(p);
	p->keys = keys;
	p->lines = lines;
	p->lines_mem = mem;
	p->cap = ncap;
	p->bits = bits;
	p->last_key = 0;
	p->last = NULL;
	return 0;
}

static struct ft_line *ft_add(struct rp *p, uint64_t key)
{
	struct ft_line *g = ft_find(p, key);
	size_t i;

	if (g)
		return g;
	if ((p->ngrps + 1) * 10 > p->cap * 6 && ft_grow(p))
		return NULL;
	for (i = ft_slot(p->bits, key); p->keys[i]; i = (i + 1) & (p->cap - 1))
		;
	p->keys[i] = key;
	p->ngrps++;
	p->last_key = key;
	return p->last = &p->lines[i];
}

/*
 * The entries of the frames from @pfn on, up to @end or the end of its
 * group: *@cnt of them, NULL if the group has none yet (and @add is not
 * set) or when out of memory.
 */
static inline struct ft_ent *grp_span(struct rp *p, uint64_t pfn,
				      uint64_t end, bool add, uint64_t *cnt)
{
	uint64_t key = (pfn >> FT_SHIFT) + 1, left;
	struct ft_line *g;

	left = FT_GROUP - (pfn & (FT_GROUP - 1));
	*cnt = left < end - pfn ? left : end - pfn;
	if (p->last_key == key)
		g = p->last;
	else
		g = add ? ft_add(p, key) : ft_find(p, key);
	return g ? &g->e[pfn & (FT_GROUP - 1)] : NULL;
}

/* The entry of @pfn, NULL if nothing happened to it yet. */
static struct ft_ent *ent_get(struct rp *p, uint64_t pfn)
{
	uint64_t cnt;

	return grp_span(p, pfn, pfn + 1, false, &cnt);
}

/* A new live run's index, 0 when out of memory. */
static uint32_t run_new(struct rp *p)
{
	uint32_t i = p->free_run;

	if (i) {
		p->free_run = p->hot[i].next;
	} else {
		if (p->nruns + 1 >= p->runcap) {
			uint32_t ncap = p->runcap ? p->runcap * 2 : 16;
			struct run_hot *h;
			struct es_run *c;

			if (ncap <= p->runcap)
				return 0;
			h = es_erealloc(p->hot, p->runcap * sizeof(*h),
					(size_t)ncap * sizeof(*h));
			if (!h)
				return 0;
			p->hot = h;
			if (p->cold_needed) {
				c = es_erealloc(p->cold,
						p->runcap * sizeof(*c),
						(size_t)ncap * sizeof(*c));
				if (!c)
					return 0;
				p->cold = c;
			}
			p->runcap = ncap;
		}
		i = ++p->nruns;
	}
	return i;
}

static void run_put(struct rp *p, uint32_t i)
{
	p->hot[i].state = 0;
	p->hot[i].next = p->free_run;
	p->free_run = i;
}

/* The es_run of a run that began with event @ev, before it ends. */
static void run_start(struct es_run *run, const struct es_event *ev,
		      uint32_t flags)
{
	run->pfn = ev->pfn;
	run->cache = ev->cache;
	run->alloc_seq = ev->seq;
	run->free_seq = ES_NO_SEQ;
	run->alloc_caller = ev->caller;
	run->free_caller = 0;
	run->alloc_ts = ev->ts;
	run->free_ts = 0;
	run->order = ev->order;
	run->flags = flags;
	run->nid_req = ev->nid_req;
	run->nid = ev->nid;
	run->alloc_phase = ev->phase;
	run->alloc_path = ev->path;
	run->free_phase = 0;
	run->free_path = 0;
	memcpy(run->name, ev->name, sizeof(run->name));
}

/*
 * The es_run of live run @i, its flags brought up to date: kept, or
 * rebuilt from the slot of its first event (valid until the next call).
 */
static struct es_run *run_of(struct rp *p, uint32_t i)
{
	const struct run_hot *h = &p->hot[i];
	struct es_run *run = &p->one;
	struct es_event ev;

	if (p->cold_needed) {
		p->cold[i].flags = h->flags;
		return &p->cold[i];
	}
	es_decode_at(p->r.t, h->alloc1 - 1, &ev);
	if (ev.status != ES_SLOT_OK) {
		/* the file changed under us (es_io_check() says so) */
		memset(&ev, 0, sizeof(ev));
		ev.seq = h->alloc1 - 1;
		ev.nid_req = ev.nid = EST_NO_NODE;
	}
	ev.pfn = h->pfn;
	ev.cache = h->cache;
	ev.order = h->order;
	run_start(run, &ev, h->flags);
	return run;
}

/*
 * The cache name of @ev (status OK). Unless a callback sees every run, or
 * events with their names, the events are decoded without it, and the few
 * that need it (in anomalies, a new cache for stats) read it again.
 */
const char *es_replay_name(struct es_replay *r, const struct es_event *ev)
{
	struct rp *p = (struct rp *)r;
	struct es_event full;

	if (p->names)
		return ev->name;
	es_decode_at(r->t, ev->seq, &full);
	memcpy(p->name, full.name, sizeof(p->name));
	return p->name;
}

static bool tracked(struct es_replay *r, uint64_t pfn)
{
	if (pfn < r->pfn_lo || pfn > r->pfn_hi)
		return false;
	return !r->ops->want_pfn || r->ops->want_pfn(r, pfn);
}

static void emit(struct es_replay *r, struct es_anomaly *a)
{
	if (a->severity == ES_SEV_ERROR)
		r->errors++;
	else
		r->warnings++;
	if (!r->stop)
		r->stop = r->ops->anomaly(r, a);
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

	/* nobody listens (owners, stats, timeline): nothing to build */
	if (!r->ops->anomaly || r->stop)
		return;
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
		memcpy(a.name, es_replay_name(r, ev), sizeof(a.name));
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
	emit(r, &a);
}

/* Fill in *a from report() for the few anomalies that need more fields. */
static void report_count(struct es_replay *r, uint32_t kind,
			 const struct es_event *ev, uint64_t pfn,
			 const struct es_run *run, uint64_t count,
			 const char *detail)
{
	struct es_anomaly a;

	if (!r->ops->anomaly || r->stop)
		return;
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
		memcpy(a.name, es_replay_name(r, ev), sizeof(a.name));
	}
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	emit(r, &a);
}

/*
 * Whether every event is in the buffer, asked only when a free of frames
 * never allocated is found: the header and the slots seen so far often
 * answer; otherwise the whole trace is counted once, now.
 */
static bool trace_complete(struct rp *p)
{
	const struct est_header *h = &p->r.t->hdr;

	if (p->complete_known)
		return p->r.complete;
	if (!p->r.t->counted &&
	    (h->lost.counter || (uint64_t)h->head.counter > h->capacity ||
	     p->cnt.torn || p->cnt.pending || p->cnt.bad))
		p->r.complete = false;
	else
		p->r.complete = es_trace_complete(p->r.t);
	p->complete_known = true;
	return p->r.complete;
}

/* Release run @li from every frame it covers and hand it to the caller. */
static void end_run(struct rp *p, uint32_t li, const struct es_event *ev,
		    bool replaced)
{
	struct es_replay *r = &p->r;
	struct run_hot *h = &p->hot[li];
	uint64_t n = 1ULL << h->order, pfn, end, cnt;

	for (pfn = h->pfn, end = pfn + n; pfn < end;) {
		struct ft_ent *e = grp_span(p, pfn, end, false, &cnt);

		if (!e) {
			pfn += cnt;
			continue;
		}
		for (; cnt; cnt--, pfn++, e++) {
			if (e->live != li || (!p->all && !tracked(r, pfn)))
				continue;
			e->live = 0;
			if (!replaced)
				set_free(e, ev->seq);
		}
	}
	if (replaced)
		h->flags |= ES_RUN_REPLACED;
	if (r->ops->run_end && !r->stop) {
		struct es_run *run = run_of(p, li);

		if (!replaced) {
			run->free_seq = ev->seq;
			run->free_caller = ev->caller;
			run->free_ts = ev->ts;
			run->free_phase = ev->phase;
			run->free_path = ev->path;
		}
		r->stop = r->ops->run_end(r, run);
	}
	run_put(p, li);
}

static int oom(struct es_replay *r)
{
	es_set_error(r->t, "%s: out of memory", r->t->name);
	return -1;
}

static int do_getpages(struct rp *p, const struct es_event *ev)
{
	struct es_replay *r = &p->r;
	uint64_t n = 1ULL << ev->order, pfn, end, cnt;
	struct run_hot *h;
	uint32_t li;

	if (ev->nid_req != EST_NO_NODE && ev->nid_req != ev->nid)
		report(r, ES_K_NODE_MISMATCH, ev, ev->pfn, NULL,
		       "asked for node %d, got node %d", ev->nid_req,
		       ev->nid);
	li = run_new(p);
	if (!li)
		return oom(r);
	h = &p->hot[li];
	h->pfn = ev->pfn;
	h->cache = ev->cache;
	h->refs = 0;
	h->alloc1 = seq1(ev->seq);
	h->order = (uint8_t)ev->order;
	h->state = RS_LIVE;
	h->flags = (ev->flags & EST_RF_EARLY_PAGE) ||
		   ev->path == EST_PATH_MEMBLOCK ? ES_RUN_EARLY : 0;
	if (ev->type == EST_EV_LARGE)
		h->flags |= ES_RUN_LARGE;
	if (p->cold_needed)
		run_start(&p->cold[li], ev, h->flags);
	for (pfn = ev->pfn, end = pfn + n; pfn < end;) {
		struct ft_ent *e = grp_span(p, pfn, end, true, &cnt);

		if (!e) {
			run_put(p, li);
			return oom(r);
		}
		for (; cnt; cnt--, pfn++, e++) {
			if (!p->all && !tracked(r, pfn))
				continue;
			if (e->live) {
				const struct es_run *old = run_of(p, e->live);

				report(r, ES_K_OVERLAP, ev, pfn, old,
				       "pfn 0x%llx still owned by %s (order %u at pfn 0x%llx)",
				       (unsigned long long)pfn,
				       old->name[0] ? old->name : "?",
				       old->order,
				       (unsigned long long)old->pfn);
				/* only looks groups up: e stays where it is */
				end_run(p, e->live, ev, true);
			}
			e->live = li;
			h->refs++;
		}
	}
	if (!h->refs)
		run_put(p, li);
	return 0;
}

static const char *run_name(struct rp *p, uint32_t li)
{
	const char *name = run_of(p, li)->name;

	return name[0] ? name : "?";
}

static const char *ev_label(struct rp *p, const struct es_event *ev)
{
	const char *name = es_replay_name(&p->r, ev);

	return name[0] ? name : "?";
}

/* A free that ends run @li: does it match how the run began? */
static void free_mismatch(struct rp *p, const struct es_event *ev,
			  uint32_t li)
{
	const struct run_hot *h = &p->hot[li];
	bool large = ev->type == EST_EV_LARGE_FREE;

	if (h->pfn != ev->pfn || h->order != ev->order)
		report(&p->r, ES_K_ORDER_MISMATCH, ev, ev->pfn, run_of(p, li),
		       "freed as order %u at pfn 0x%llx, allocated as order %u at pfn 0x%llx",
		       ev->order, (unsigned long long)ev->pfn, h->order,
		       (unsigned long long)h->pfn);
	if (ev->cache && h->cache && ev->cache != h->cache)
		report(&p->r, ES_K_CACHE_MISMATCH, ev, ev->pfn, run_of(p, li),
		       "freed by cache 0x%llx (%s), owned by 0x%llx (%s)",
		       (unsigned long long)ev->cache, ev_label(p, ev),
		       (unsigned long long)h->cache,
		       run_name(p, li));
	if (large != !!(h->flags & ES_RUN_LARGE))
		report(&p->r, ES_K_CACHE_MISMATCH, ev, ev->pfn, run_of(p, li),
		       large ? "freed as a large kmalloc, owned by cache 0x%llx (%s)" :
			       "freed by cache 0x%llx (%s), owned by a large kmalloc",
		       (unsigned long long)(large ? h->cache : ev->cache),
		       large ? run_name(p, li) : ev_label(p, ev));
}

static int do_freepages(struct rp *p, const struct es_event *ev)
{
	struct es_replay *r = &p->r;
	uint64_t n = 1ULL << ev->order, pfn, end, cnt, freed_seq = ES_NO_SEQ;
	bool found = false, any = false;

	if (ev->phase == EST_PHASE_WINDOW || ev->path == EST_PATH_WINDOW)
		report(r, ES_K_WINDOW_FREE, ev, ev->pfn, NULL,
		       "%s freed inside the mem_init window (path %s)",
		       ev->type == EST_EV_LARGE_FREE ? "large kmalloc page" :
						       "slab page",
		       es_path_name(ev->path));
	for (pfn = ev->pfn, end = pfn + n; pfn < end;) {
		struct ft_ent *e = grp_span(p, pfn, end, false, &cnt);

		for (; cnt; cnt--, pfn++, e = e ? e + 1 : NULL) {
			if (!p->all && !tracked(r, pfn))
				continue;
			any = true;
			if (!e)
				continue;
			if (!e->live) {
				if (seq_of(e->last_free) != ES_NO_SEQ &&
				    freed_seq == ES_NO_SEQ)
					freed_seq = seq_of(e->last_free);
				continue;
			}
			if (!found && r->ops->anomaly)
				free_mismatch(p, ev, e->live);
			found = true;
			end_run(p, e->live, ev, false);
		}
	}
	if (found || !any)
		return 0;

	if (freed_seq != ES_NO_SEQ)
		report(r, ES_K_DOUBLE_FREE, ev, ev->pfn, NULL,
		       "already freed at seq %llu",
		       (unsigned long long)freed_seq);
	else if (r->ops->anomaly && trace_complete(p))
		report(r, ES_K_FREE_UNALLOCATED, ev, ev->pfn, NULL,
		       "no %s of these frames in the trace",
		       ev->type == EST_EV_LARGE_FREE ? "large kmalloc" :
						       "getpages");

	/* A run with no recorded start, so that timelines show the free. */
	for (pfn = ev->pfn; pfn < end;) {
		struct ft_ent *e = grp_span(p, pfn, end, true, &cnt);

		if (!e)
			return oom(r);
		for (; cnt; cnt--, pfn++, e++)
			if (p->all || tracked(r, pfn))
				set_free(e, ev->seq);
	}
	if (r->ops->run_end && !r->stop) {
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
		if (ev->type == EST_EV_LARGE_FREE)
			run.flags |= ES_RUN_LARGE;
		r->stop = r->ops->run_end(r, &run);
	}
	return 0;
}

static int do_skip(struct rp *p, const struct es_event *ev, uint64_t n)
{
	struct es_replay *r = &p->r;
	uint64_t pfn, end, cnt, bad_pfn = ES_NO_PFN, nbad = 0;

	for (pfn = ev->pfn, end = pfn + n; pfn < end;) {
		/* a frame nothing happened to has no live run to mark */
		struct ft_ent *e = grp_span(p, pfn, end, false, &cnt);

		for (; cnt; cnt--, pfn++, e = e ? e + 1 : NULL) {
			struct run_hot *h;

			if (!p->all && !tracked(r, pfn))
				continue;
			h = e && e->live ? &p->hot[e->live] : NULL;
			if (h && (h->flags & ES_RUN_EARLY)) {
				/* memblock_free_all() is checked once */
				if (r->in_free_all)
					e->last_free |= FT_SKIPPED;
				h->flags |= ES_RUN_SKIPPED;
				continue;
			}
			if (bad_pfn == ES_NO_PFN)
				bad_pfn = pfn;
			nbad++;
		}
	}
	if (nbad && r->ops->anomaly) {
		char d[256];

		snprintf(d, sizeof(d),
			 "%llu of %llu skipped frames not owned by a live early slab or large kmalloc page",
			 (unsigned long long)nbad, (unsigned long long)n);
		report_count(r, ES_K_SPURIOUS_SKIP, ev, bad_pfn, NULL, nbad, d);
	}
	return 0;
}

static struct rp *sort_ctx;

static int cmp_live(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const struct run_hot *hx = &sort_ctx->hot[x], *hy = &sort_ctx->hot[y];

	if (hx->pfn != hy->pfn)
		return hx->pfn < hy->pfn ? -1 : 1;
	/* the same first frame (frames not tracked): the older one first */
	if (hx->alloc1 != hy->alloc1)
		return hx->alloc1 < hy->alloc1 ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * The live runs, by pfn, into a new array of indices; *nr = 0 and NULL
 * when there are none or out of memory (then *nomem is set).
 */
static uint32_t *live_sorted(struct rp *p, size_t *nr, bool *nomem)
{
	uint32_t *idx, i;
	size_t n = 0;

	*nr = 0;
	for (i = 1; i <= p->nruns; i++)
		n += (p->hot[i].state & RS_LIVE) && p->hot[i].refs;
	if (!n)
		return NULL;
	idx = malloc(n * sizeof(*idx));
	if (!idx) {
		*nomem = true;
		return NULL;
	}
	for (i = 1, n = 0; i <= p->nruns; i++)
		if ((p->hot[i].state & RS_LIVE) && p->hot[i].refs)
			idx[n++] = i;
	sort_ctx = p;
	qsort(idx, n, sizeof(*idx), cmp_live);
	sort_ctx = NULL;
	*nr = n;
	return idx;
}

static void check_skipped(struct rp *p, uint32_t li, const struct es_event *ev)
{
	struct es_replay *r = &p->r;
	struct run_hot *h = &p->hot[li];
	uint64_t n = 1ULL << h->order, pfn, first = ES_NO_PFN, nmiss = 0;

	if (!(h->state & RS_NEED_SKIP))
		return;
	h->state &= (uint8_t)~RS_NEED_SKIP;
	for (pfn = h->pfn; pfn - h->pfn < n; pfn++) {
		struct ft_ent *e;

		if (!p->all && !tracked(r, pfn))
			continue;
		e = ent_get(p, pfn);
		if (e && (e->last_free & FT_SKIPPED))
			continue;
		if (first == ES_NO_PFN)
			first = pfn;
		nmiss++;
	}
	if (nmiss) {
		char d[256];

		snprintf(d, sizeof(d),
			 "live early page at free_all (seq %llu): %llu of %llu frames not skipped",
			 (unsigned long long)r->free_all_seq,
			 (unsigned long long)nmiss, (unsigned long long)n);
		report_count(r, ES_K_MISSED_SKIP, ev, first, run_of(p, li),
			     nmiss, d);
	}
}

static int track_phase(struct rp *p, const struct es_event *ev)
{
	struct es_replay *r = &p->r;
	uint32_t i;

	/* memblock_free_all() runs once: later markers are not checked again */
	if (ev->type == EST_EV_PHASE && ev->phase == EST_PHASE_FREE_ALL &&
	    !r->in_free_all && !r->free_all_done) {
		r->in_free_all = true;
		r->free_all_seq = ev->seq;
		for (i = 1; i <= p->nruns; i++)
			if ((p->hot[i].state & RS_LIVE) &&
			    (p->hot[i].flags & ES_RUN_EARLY))
				p->hot[i].state |= RS_NEED_SKIP;
	} else if (r->in_free_all && ev->phase > EST_PHASE_FREE_ALL &&
		   ev->phase < EST_PHASE_MAX) {
		/* the end marker, or the first event after it */
		r->in_free_all = false;
		r->free_all_done = true;
		if (r->ops->anomaly) {
			bool nomem = false;
			size_t n, k;
			uint32_t *idx = live_sorted(p, &n, &nomem);

			if (nomem)
				return oom(r);
			for (k = 0; k < n; k++)
				check_skipped(p, idx[k], ev);
			free(idx);
		}
	}
	if (ev->type == EST_EV_PHASE && ev->phase < EST_PHASE_MAX)
		r->phase = ev->phase;
	return 0;
}

static int replay_event(struct rp *p, const struct es_event *ev)
{
	struct es_replay *r = &p->r;
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
		if (r->ops->anomaly)
			report(r, ES_K_BAD_RECORD, ev,
			       ev->type ? ev->pfn : ES_NO_PFN, NULL, "%s",
			       es_bad_reason(r->t, ev, why, sizeof(why)));
		return 0;
	}
	if ((ev->type == EST_EV_PHASE || r->in_free_all) && track_phase(p, ev))
		return -1;

	/* es_decode_slot() took implausible orders and ranges as bad */
	switch (ev->type) {
	case EST_EV_LARGE:
		if (!es_large_owns(ev->type, ev->path))
			return 0;
		/* fall through */
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
	case EST_EV_LARGE_FREE:
		if (!p->all && (ev->pfn + (1ULL << ev->order) - 1 < r->pfn_lo ||
				ev->pfn > r->pfn_hi))
			return 0;
		if (ev->type == EST_EV_GETPAGES || ev->type == EST_EV_LARGE)
			return do_getpages(p, ev);
		return do_freepages(p, ev);
	case EST_EV_SKIP:
		n = es_event_pages(ev);
		if (!p->all && (ev->pfn + n - 1 < r->pfn_lo || ev->pfn > r->pfn_hi))
			return 0;
		return do_skip(p, ev, n);
	}
	return 0;
}

bool es_replay_general_only;

/* Fields of the record at @b, whose bytes may be unaligned. */
#define REC_AT(b, f)	((b) + offsetof(struct est_record, f))

static inline uint64_t rec_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t rec_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t rec_u16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The common slot, replayed straight from its bytes: a committed getpages
 * or freepages of frames within one group, when every frame is tracked
 * and no callback sees the runs that end (owners, check, stats), and
 * there is nothing to report: no overlap, a free that matches its run, no
 * node mismatch, no window, no memblock_free_all() under way. Anything
 * else returns false, having changed nothing that matters, and goes the
 * general way: es_decode_slot() and replay_event() give the same answer
 * for these slots, only slower.
 */
static bool replay_fast(struct rp *p, const unsigned char *b, uint64_t slot,
			struct es_event *ev)
{
	struct {
		uint64_t pfn, cache, ts;
		uint8_t type, phase, order, path;
		int16_t nid_req, nid;
		uint16_t flags;
	} rec;
	uint64_t n, key;
	struct ft_line *g;
	struct ft_ent *e;
	struct run_hot *h;
	unsigned int off, k;
	uint32_t li;

	if (rec_u32(REC_AT(b, state)) != EST_STATE_COMMITTED ||
	    rec_u64(REC_AT(b, seq)) != slot)
		return false;
	rec.type = *REC_AT(b, type);
	rec.phase = *REC_AT(b, phase);
	rec.order = *REC_AT(b, order);
	rec.path = *REC_AT(b, path);
	rec.pfn = rec_u64(REC_AT(b, pfn));
	if ((rec.type != EST_EV_GETPAGES && rec.type != EST_EV_FREEPAGES) ||
	    rec.phase >= EST_PHASE_MAX || rec.path >= EST_PATH_MAX ||
	    rec.order > FT_SHIFT || p->r.in_free_all)
		return false;
	n = 1ULL << rec.order;
	off = (unsigned int)(rec.pfn & (FT_GROUP - 1));
	if (off + n > FT_GROUP || rec.pfn + n < rec.pfn)
		return false;
	key = (rec.pfn >> FT_SHIFT) + 1;
	rec.cache = rec_u64(REC_AT(b, cache));
	rec.ts = rec_u64(REC_AT(b, ts));
	rec.nid_req = (int16_t)rec_u16(REC_AT(b, nid_req));
	rec.nid = (int16_t)rec_u16(REC_AT(b, nid));
	rec.flags = rec_u16(REC_AT(b, flags));

	if (rec.type == EST_EV_GETPAGES) {
		if (rec.nid_req != EST_NO_NODE && rec.nid_req != rec.nid)
			return false;
		g = p->last_key == key ? p->last : ft_add(p, key);
		if (!g)
			return false;
		e = &g->e[off];
		for (k = 0; k < n; k++)
			if (e[k].live)
				return false;
		li = run_new(p);
		if (!li)
			return false;
		h = &p->hot[li];
		h->pfn = rec.pfn;
		h->cache = rec.cache;
		h->refs = (uint32_t)n;
		h->alloc1 = seq1(slot);
		h->order = rec.order;
		h->state = RS_LIVE;
		h->flags = (rec.flags & EST_RF_EARLY_PAGE) ||
			   rec.path == EST_PATH_MEMBLOCK ? ES_RUN_EARLY : 0;
		for (k = 0; k < n; k++)
			e[k].live = li;
	} else {
		if (rec.phase == EST_PHASE_WINDOW || rec.path == EST_PATH_WINDOW)
			return false;
		g = p->last_key == key ? p->last : ft_find(p, key);
		if (!g)
			return false;
		e = &g->e[off];
		li = e->live;
		if (!li)
			return false;
		h = &p->hot[li];
		/* a live run owns every frame it covers: these are all li */
		if (h->pfn != rec.pfn || h->order != rec.order ||
		    (h->flags & ES_RUN_LARGE) || h->refs != n ||
		    (rec.cache && h->cache && rec.cache != h->cache))
			return false;
		for (k = 0; k < n; k++) {
			e[k].live = 0;
			set_free(&e[k], slot);
		}
		run_put(p, li);
	}
	es_tally(&p->cnt, ES_SLOT_OK, rec.type, rec.phase, rec.ts);
	if (ev) {
		/* what es_decode_lean() gives */
		struct est_record all;

		memcpy(&all, b, sizeof(all));
		es_event_fill(ev, &all, slot);
		memset(ev->name, 0, sizeof(ev->name));
	}
	return true;
}

/* Hand the runs still live to the caller, by pfn, and release them all. */
static int release_live(struct rp *p, bool hand_out)
{
	struct es_replay *r = &p->r;
	bool nomem = false;
	size_t n = 0, k;
	uint32_t *idx = NULL;

	if (hand_out && r->ops->run_live)
		idx = live_sorted(p, &n, &nomem);
	for (k = 0; k < n && !r->stop; k++) {
		struct es_run *run = run_of(p, idx[k]);

		run->flags |= ES_RUN_LIVE;
		r->stop = r->ops->run_live(r, run);
	}
	free(idx);
	es_efree(p->hot, p->runcap * sizeof(*p->hot));
	if (p->cold_needed)
		es_efree(p->cold, p->runcap * sizeof(*p->cold));
	ft_free(p);
	return nomem ? oom(r) : 0;
}

/*
 * The header's counters: head and lost only grow from 0, and once every
 * writer is done, lost is exactly head - capacity (when positive). A writer
 * halted between its reservation and its count of a loss leaves lost
 * short, never over.
 */
static void check_counters(struct es_replay *r)
{
	const struct est_header *h = &r->t->hdr;
	uint64_t head = (uint64_t)h->head.counter;
	uint64_t lost = (uint64_t)h->lost.counter, excess = 0;
	struct es_event le;
	char d[256];

	if (!r->ops->anomaly)
		return;
	if ((int64_t)head < 0 || (int64_t)lost < 0) {
		snprintf(d, sizeof(d),
			 "trace header: head %lld or lost %lld is negative",
			 (long long)head, (long long)lost);
		report_count(r, ES_K_BAD_RECORD, NULL, ES_NO_PFN, NULL, 0, d);
		return;
	}
	if (head > h->capacity)
		excess = head - h->capacity;
	if (lost > excess) {
		snprintf(d, sizeof(d),
			 "trace header: lost %llu, but head %llu - capacity %u is %llu",
			 (unsigned long long)lost, (unsigned long long)head,
			 h->capacity, (unsigned long long)excess);
		report_count(r, ES_K_BAD_RECORD, NULL, ES_NO_PFN, NULL, 0, d);
	}
	if (!excess && !lost)
		return;
	memset(&le, 0, sizeof(le));
	le.seq = h->capacity;
	le.status = ES_SLOT_PENDING;
	if (excess > lost)
		snprintf(d, sizeof(d),
			 "ring full: %llu events after seq %llu were not recorded (lost says %llu: writers not done, or a corrupt header)",
			 (unsigned long long)excess,
			 (unsigned long long)h->capacity - 1,
			 (unsigned long long)lost);
	else
		snprintf(d, sizeof(d),
			 "ring full: %llu events after seq %llu were not recorded",
			 (unsigned long long)lost,
			 (unsigned long long)h->capacity - 1);
	report_count(r, ES_K_LOST_EVENTS, &le, ES_NO_PFN, NULL,
		     excess > lost ? excess : lost, d);
}

/*
 * es_replay_run() - replay every slot in sequence order, in one pass.
 * Only pfns in [@pfn_lo, @pfn_hi] (and accepted by ops->want_pfn) are
 * tracked. The slots are counted on the way (es_get_status() then costs
 * nothing). Returns 0, a callback's non-zero value, or -1 on error.
 */
int es_replay_run(struct es_trace *t, const struct es_replay_ops *ops,
		  void *arg, uint64_t pfn_lo, uint64_t pfn_hi)
{
	struct rp p;
	struct es_replay *r = &p.r;
	struct es_event ev, *lean_ev;
	bool restricted, fast;
	uint64_t i;
	int ret = 0;

	if (!es_loaded(t))
		return -1;
	memset(&p, 0, sizeof(p));
	r->t = t;
	r->ops = ops;
	r->arg = arg;
	r->pfn_lo = pfn_lo;
	r->pfn_hi = pfn_hi;
	restricted = pfn_lo || pfn_hi != UINT64_MAX;
	p.all = !restricted && !ops->want_pfn;
	p.cold_needed = ops->run_end != NULL;
	p.names = p.cold_needed || (ops->event && !ops->lean_events);
	if (t->counted) {
		p.complete_known = true;
		r->complete = es_trace_complete(t);
	}
	es_count_start(t, &p.cnt);

	/*
	 * A replay of some frames only, with nobody watching the events or
	 * anomalies: an event outside them only moves the phase, and is not
	 * decoded further.
	 */
	restricted = restricted && !ops->event && !ops->anomaly;
	fast = p.all && !p.cold_needed && !es_replay_general_only;
	lean_ev = ops->event && !p.names ? &ev : NULL;
	for (i = 0; i < t->nslots && !r->stop; i++) {
		if (fast && replay_fast(&p, es_slot_ptr(t, i), i, lean_ev)) {
			if (ops->event) {
				if (p.names)
					es_decode_slot(t, i, &ev);
				r->stop = ops->event(r, &ev);
			}
			continue;
		}
		if (restricted) {
			uint64_t n;

			es_decode_lean(t, i, &ev);
			es_count_event(&p.cnt, &ev);
			if (ev.status != ES_SLOT_OK)
				continue;
			n = es_event_pages(&ev);
			if (n && (ev.pfn + n - 1 < pfn_lo || ev.pfn > pfn_hi)) {
				if ((ev.type == EST_EV_PHASE || r->in_free_all) &&
				    (ret = track_phase(&p, &ev)))
					break;
				continue;
			}
		}
		if (p.names)
			es_decode_slot(t, i, &ev);
		else
			es_decode_lean(t, i, &ev);
		if (!restricted)
			es_count_event(&p.cnt, &ev);
		ret = replay_event(&p, &ev);
		if (ret)
			break;
		if (ops->event && !r->stop)
			r->stop = ops->event(r, &ev);
	}
	if (!ret && !r->stop)
		check_counters(r);
	if (es_io_check(t))
		ret = -1;
	else if (!ret && i == t->nslots && !t->counted)
		es_count_finish(t, &p.cnt);
	if (release_live(&p, !ret) && !ret)
		ret = -1;
	if (ret)
		return ret;
	return r->stop;
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
 * The runs of a page frame end one after the other, but the frames'
 * runs end interleaved, and a timeline lists them frame by frame: they
 * are sorted by pfn on the way out. One pass over the trace counts the
 * events that cover each frame (an upper bound of its runs) and finds the
 * frames shown; the selected frames are then cut into buckets of at most
 * es_timeline_budget (pfn, run) pairs. One replay of the whole trace
 * writes each run into the bucket(s) of the frames it covers: kept in
 * memory when there is one bucket, else in a temporary file per bucket
 * (in $TMPDIR, or /tmp, removed at once), so that memory follows the
 * frames and the budget, not the events. Each bucket is then read back,
 * sorted and handed out.
 */
uint64_t es_timeline_budget = 1U << 18;
#define ES_TL_MAX_BUCKETS	256

#define TL_SELECTED	0x2	/* shown */

struct tl_bucket {
	size_t first;		/* sel[first] is its first pfn */
	FILE *f;		/* NULL: the runs are in mem */
	uint64_t nr;		/* runs in it */
};

struct tl_ctx {
	struct es_trace *t;
	struct es_pfnmap all;		/* every pfn touched; aux = events */
	uint64_t *sel;			/* sorted, the pfns shown */
	size_t nsel;
	struct tl_bucket *b;
	size_t nb, bcap;
	struct run_vec mem;		/* the runs of a bucket */
	bool io_error;
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

/* The bucket holding sel[i]. */
static size_t bucket_of(const struct tl_ctx *c, size_t i)
{
	size_t a = 0, b = c->nb;

	while (b - a > 1) {
		size_t m = a + (b - a) / 2;

		if (c->b[m].first <= i)
			a = m;
		else
			b = m;
	}
	return a;
}

static int tl_put(struct tl_ctx *c, struct tl_bucket *b,
		  const struct es_run *run)
{
	b->nr++;
	if (!b->f)
		return vec_push(&c->mem, run);
	if (fwrite(run, sizeof(*run), 1, b->f) != 1) {
		c->io_error = true;
		return -1;
	}
	return 0;
}

/* A run ended or live: into every bucket with a shown frame it covers. */
static int tl_run(struct es_replay *r, const struct es_run *run)
{
	struct tl_ctx *c = r->arg;
	uint64_t n = 1ULL << run->order, last = run->pfn + n - 1;
	size_t i = sel_index(c, run->pfn), k, k0;

	if (i == c->nsel || c->sel[i] > last)
		return 0;
	k0 = c->nb == 1 ? 0 : bucket_of(c, i);
	for (k = k0; k < c->nb; k++) {
		if (k > k0 && c->sel[c->b[k].first] > last)
			break;
		if (tl_put(c, &c->b[k], run))
			return c->io_error ? -1 : oom(r);
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
	case EST_EV_LARGE:
		if (!es_large_owns(ev->type, ev->path))
			return false;
		/* fall through */
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
	case EST_EV_LARGE_FREE:
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

/* Pass 1: every pfn touched, its event count, the selection. */
static int tl_scan(struct es_trace *t, const struct es_select *sel,
		   struct tl_ctx *c)
{
	bool by_cache = sel && sel->cache && *sel->cache;
	struct es_event ev;
	uint64_t i, p, first, n;

	for (i = 0; i < t->nslots; i++) {
		bool pick;

		/* the cache name only for a --cache selection */
		if (by_cache)
			es_decode_slot(t, i, &ev);
		else
			es_decode_lean(t, i, &ev);
		if (!ev_range(&ev, &first, &n))
			continue;
		pick = ev.type != EST_EV_SKIP &&
		       (!by_cache ||
			es_cache_match(sel->cache, ev.cache, ev.name));
		for (p = first; p - first < n; p++) {
			struct es_pfn_ent *e;

			if (sel && sel->has_pfn &&
			    (p < sel->pfn_lo || p > sel->pfn_hi))
				continue;
			e = es_pfnmap_add(&c->all, p);
			if (!e)
				return -1;
			e->aux++;
			if (pick)
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

static FILE *tl_tmpfile(struct es_trace *t)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *f;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/earlyslab-timeline-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		es_set_error(t, "%s: timeline: cannot create a temporary file in %s: %s",
			     t->name, dir, strerror(errno));
		return NULL;
	}
	unlink(path);
	f = fdopen(fd, "w+b");
	if (!f) {
		close(fd);
		oom_trace(t);
		return NULL;
	}
	return f;
}

/* The selected pfns, cut into buckets of about @limit pairs each. */
static int tl_buckets(struct tl_ctx *c, uint64_t limit)
{
	uint64_t total = 0, have = 0;
	size_t i, nb = 1;

	for (i = 0; i < c->nsel; i++)
		total += es_pfnmap_get(&c->all, c->sel[i])->aux;
	if (limit < total / ES_TL_MAX_BUCKETS + 1 && total > limit)
		limit = total / ES_TL_MAX_BUCKETS + 1;
	c->bcap = (size_t)(total / limit + 2);
	c->b = es_ecalloc(c->bcap, sizeof(*c->b));
	if (!c->b)
		return oom_trace(c->t);
	c->b[0].first = 0;
	for (i = 0; i < c->nsel; i++) {
		uint64_t cost = es_pfnmap_get(&c->all, c->sel[i])->aux;

		if (have && have + cost > limit) {
			c->b[nb++].first = i;
			have = 0;
		}
		have += cost;
	}
	c->nb = nb;
	if (nb == 1)
		return 0;
	for (i = 0; i < nb; i++) {
		c->b[i].f = tl_tmpfile(c->t);
		if (!c->b[i].f)
			return -1;
		setvbuf(c->b[i].f, NULL, _IOFBF, 1 << 16);
	}
	return 0;
}

/* The runs of bucket @b back into c->mem. */
static int tl_load(struct tl_ctx *c, struct tl_bucket *b)
{
	size_t bytes = (size_t)b->nr * sizeof(struct es_run);

	if (!b->f)
		return 0;	/* the one bucket, in memory all along */
	c->mem.nr = 0;
	if (b->nr > c->mem.cap) {
		struct es_run *n = es_erealloc(c->mem.v,
					       c->mem.cap * sizeof(*n), bytes);

		if (!n)
			return oom_trace(c->t);
		c->mem.v = n;
		c->mem.cap = (size_t)b->nr;
	}
	if (fflush(b->f) || fseek(b->f, 0, SEEK_SET) ||
	    (bytes && fread(c->mem.v, bytes, 1, b->f) != 1)) {
		es_set_error(c->t, "%s: timeline: temporary file: %s",
			     c->t->name, errno ? strerror(errno) : "short read");
		return -1;
	}
	fclose(b->f);
	b->f = NULL;
	c->mem.nr = (size_t)b->nr;
	return 0;
}

/* The shown frames of @run in sel[@lo, @hi): [returned, *end). */
static size_t frames_of(const struct tl_ctx *c, const struct es_run *run,
			size_t lo, size_t hi, size_t *end)
{
	uint64_t last = run->pfn + (1ULL << run->order) - 1;
	size_t j = sel_index(c, run->pfn), first;

	if (j < lo)
		j = lo;
	for (first = j; j < hi && c->sel[j] <= last; j++)
		;
	*end = j;
	return first;
}

static int cmp_run_ptr(const void *a, const void *b)
{
	return cmp_run_seq(*(const struct es_run *const *)a,
			   *(const struct es_run *const *)b);
}

/*
 * Hand out the frames of bucket @k, each with its runs by sequence. The
 * runs of one frame never overlap in time, so they arrived in the order
 * of their start: a stable distribution by frame (a counting sort) puts
 * them in order; a frame found otherwise is sorted all the same.
 */
static int tl_emit(struct tl_ctx *c, size_t k, es_pfn_fn fn, void *arg,
		   struct run_vec *one)
{
	size_t lo = c->b[k].first;
	size_t hi = k + 1 < c->nb ? c->b[k + 1].first : c->nsel;
	const struct es_run **by = NULL;
	size_t *at, np = 0, i, j, e, q;
	int ret = 0;

	at = es_ecalloc(hi - lo + 1, sizeof(*at));
	if (!at)
		return oom_trace(c->t);
	for (i = 0; i < c->mem.nr; i++)
		for (j = frames_of(c, &c->mem.v[i], lo, hi, &e); j < e; j++) {
			at[j - lo + 1]++;
			np++;
		}
	for (i = 1; i <= hi - lo; i++)
		at[i] += at[i - 1];
	if (np && !(by = es_ecalloc(np, sizeof(*by)))) {
		es_efree(at, (hi - lo + 1) * sizeof(*at));
		return oom_trace(c->t);
	}
	for (i = 0; i < c->mem.nr; i++)
		for (j = frames_of(c, &c->mem.v[i], lo, hi, &e); j < e; j++)
			by[at[j - lo]++] = &c->mem.v[i];
	/* at[i] is now where frame lo + i + 1 begins */
	for (i = lo, q = 0; i < hi && !ret; i++) {
		size_t end = at[i - lo], n = end - q;

		for (j = q + 1; j < end; j++)
			if (cmp_run_seq(by[j - 1], by[j]) > 0)
				break;
		if (j < end)
			qsort(by + q, n, sizeof(*by), cmp_run_ptr);
		if (n > one->cap) {
			struct es_run *v = es_erealloc(one->v,
					one->cap * sizeof(*v), n * sizeof(*v));

			if (!v) {
				ret = oom_trace(c->t);
				break;
			}
			one->v = v;
			one->cap = n;
		}
		for (j = 0; j < n; j++)
			one->v[j] = *by[q + j];
		one->nr = n;
		ret = fn(c->sel[i], one->v, n, arg);
		q = end;
	}
	es_efree(by, np * sizeof(*by));
	es_efree(at, (hi - lo + 1) * sizeof(*at));
	return ret;
}

int es_timeline(struct es_trace *t, const struct es_select *sel,
		es_pfn_fn fn, void *arg)
{
	static const struct es_replay_ops ops = {
		.run_end = tl_run,
		.run_live = tl_run,
	};
	struct run_vec one = { 0 };
	struct tl_ctx c;
	uint64_t *keys;
	size_t i, nkeys;
	int ret = 0;

	if (!es_loaded(t))
		return -1;
	memset(&c, 0, sizeof(c));
	c.t = t;
	es_pfnmap_init(&c.all);
	if (tl_scan(t, sel, &c)) {
		ret = t->io_failed ? -1 : oom_trace(t);
		goto out;
	}
	keys = es_pfnmap_keys(&c.all, &nkeys);
	if (nkeys && !keys) {
		ret = oom_trace(t);
		goto out;
	}
	/* the selected ones, in place */
	for (i = 0; i < nkeys; i++)
		if (es_pfnmap_get(&c.all, keys[i])->pad & TL_SELECTED)
			keys[c.nsel++] = keys[i];
	c.sel = keys;
	if (!c.nsel)
		goto out;
	ret = tl_buckets(&c, es_timeline_budget ? es_timeline_budget : 1);
	if (!ret)
		ret = es_replay_run(t, &ops, &c, 0, UINT64_MAX);
	if (ret < 0 && c.io_error)
		es_set_error(t, "%s: timeline: temporary file: %s", t->name,
			     strerror(errno));
	for (i = 0; i < c.nb && !ret; i++) {
		ret = tl_load(&c, &c.b[i]);
		if (!ret)
			ret = tl_emit(&c, i, fn, arg, &one);
	}
out:
	for (i = 0; i < c.nb; i++)
		if (c.b[i].f)
			fclose(c.b[i].f);
	es_efree(c.b, c.bcap * sizeof(*c.b));
	es_efree(c.mem.v, c.mem.cap * sizeof(*c.mem.v));
	es_efree(one.v, one.cap * sizeof(*one.v));
	free(c.sel);
	es_pfnmap_destroy(&c.all);
	return ret;
}
