// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the statistics engine behind earlyslab stats. One replay
 * of the trace counts events and pages by type, phase, path, order, node
 * and cache, and the slabs still live at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_internal.h"

#define NR_NODE_SLOTS	66	/* nid -1..63, then "other" */

struct es_stats {
	/* --cache: only the events and live runs of matching owners */
	const char *cache_filter;
	/* counts */
	uint64_t total;
	uint64_t by_type[EST_EV_MAX + 1];
	uint64_t by_phase[EST_PHASE_MAX + 1];
	struct es_count get, freed, skip, large, large_free;
	struct es_count get_phase[EST_PHASE_MAX + 1], free_phase[EST_PHASE_MAX + 1];
	struct es_count get_path[EST_PATH_MAX + 1], free_path[EST_PATH_MAX + 1];
	struct es_count large_path[EST_PATH_MAX + 1];
	struct es_count large_free_path[EST_PATH_MAX + 1];
	struct es_count get_order[ES_MAX_ORDER + 2];
	struct es_count get_node[NR_NODE_SLOTS];
	uint64_t node_mismatch;
	struct es_count live, live_early, skipped_live, live_large;
	/* the caches: open addressing by address, then sorted */
	struct es_cache_stat *caches;
	size_t ccap, cnr;
	unsigned char *used;
	struct es_cache_stat *sorted;	/* most pages allocated first */
	bool oom;
};

static size_t idx(uint32_t v, uint32_t max)
{
	return v < max ? v : max;
}

static size_t node_idx(int32_t nid)
{
	return nid >= -1 && nid < NR_NODE_SLOTS - 2 ? (size_t)(nid + 1) :
						     NR_NODE_SLOTS - 1;
}

/* The slot of @cache in the table (s->ccap > 0), or the empty one for it. */
static size_t cache_slot(const struct es_stats *s, uint64_t cache)
{
	size_t i;

	for (i = (size_t)(cache * 0x9e3779b97f4a7c15ULL >> 20) & (s->ccap - 1);
	     s->used[i] && s->caches[i].cache != cache;
	     i = (i + 1) & (s->ccap - 1))
		;
	return i;
}

/* The row of @cache, NULL if it has none yet. */
static struct es_cache_stat *cache_find(const struct es_stats *s,
					uint64_t cache)
{
	size_t i;

	if (!s->ccap)
		return NULL;
	i = cache_slot(s, cache);
	return s->used[i] ? &s->caches[i] : NULL;
}

static struct es_cache_stat *cache_get(struct es_stats *s, uint64_t cache,
					const char *name)
{
	struct es_cache_stat *old = s->caches;
	unsigned char *oused = s->used;
	size_t i, ocap = s->ccap;

	if (s->ccap && s->cnr * 10 < s->ccap * 7) {
		i = cache_slot(s, cache);
		if (s->used[i])
			return &s->caches[i];
		s->used[i] = 1;
		s->caches[i].cache = cache;
		memcpy(s->caches[i].name, name, ES_NAME_LEN);
		s->cnr++;
		return &s->caches[i];
	}
	/* grow and retry */
	s->ccap = ocap ? ocap * 2 : 64;
	s->caches = calloc(s->ccap, sizeof(*s->caches));
	s->used = calloc(s->ccap, 1);
	if (!s->caches || !s->used) {
		free(s->caches);
		free(s->used);
		s->caches = old;
		s->used = oused;
		s->ccap = ocap;
		s->oom = true;
		return NULL;
	}
	s->cnr = 0;
	for (i = 0; i < ocap; i++) {
		struct es_cache_stat *cs;

		if (!oused[i])
			continue;
		cs = cache_get(s, old[i].cache, old[i].name);
		*cs = old[i];
	}
	free(old);
	free(oused);
	return cache_get(s, cache, name);
}

static void add(struct es_count *c, uint64_t pages)
{
	c->count++;
	c->pages += pages;
}

/*
 * The frames an event takes (@in) or gives back, by its owner. Events
 * come without their names: a new owner's is read from its slot.
 */
static void owner_pages(struct es_replay *r, const struct es_event *ev,
			uint64_t pages, bool in)
{
	struct es_stats *s = r->arg;
	struct es_cache_stat *cs = cache_find(s, ev->cache);

	if (!cs)
		cs = cache_get(s, ev->cache, es_replay_name(r, ev));
	if (!cs)
		return;
	if (in) {
		cs->getpages++;
		cs->pages_in += pages;
	} else {
		cs->freepages++;
		cs->pages_out += pages;
	}
}

static int stats_event(struct es_replay *r, const struct es_event *ev)
{
	struct es_stats *s = r->arg;
	uint64_t pages;

	if (ev->status != ES_SLOT_OK)
		return 0;
	if (s->cache_filter &&
	    !es_cache_match(s->cache_filter, ev->cache,
			    es_replay_name(r, ev)))
		return 0;
	s->total++;
	s->by_type[idx(ev->type, EST_EV_MAX)]++;
	s->by_phase[idx(ev->phase, EST_PHASE_MAX)]++;
	pages = es_event_pages(ev);
	switch (ev->type) {
	case EST_EV_GETPAGES:
		add(&s->get, pages);
		add(&s->get_phase[idx(ev->phase, EST_PHASE_MAX)], pages);
		add(&s->get_path[idx(ev->path, EST_PATH_MAX)], pages);
		add(&s->get_order[idx(ev->order, ES_MAX_ORDER + 1)], pages);
		add(&s->get_node[node_idx(ev->nid)], pages);
		if (ev->nid_req != EST_NO_NODE && ev->nid_req != ev->nid)
			s->node_mismatch++;
		owner_pages(r, ev, pages, true);
		break;
	case EST_EV_FREEPAGES:
		add(&s->freed, pages);
		add(&s->free_phase[idx(ev->phase, EST_PHASE_MAX)], pages);
		add(&s->free_path[idx(ev->path, EST_PATH_MAX)], pages);
		owner_pages(r, ev, pages, false);
		break;
	case EST_EV_SKIP:
		add(&s->skip, pages);
		break;
	case EST_EV_LARGE:
		s->large.count++;
		s->large.pages += ev->arg;
		s->large_path[idx(ev->path, EST_PATH_MAX)].count++;
		s->large_path[idx(ev->path, EST_PATH_MAX)].pages += ev->arg;
		/* frames from memblock: their owner is a row of its own */
		if (pages)
			owner_pages(r, ev, pages, true);
		break;
	case EST_EV_LARGE_FREE:
		add(&s->large_free, pages);
		add(&s->large_free_path[idx(ev->path, EST_PATH_MAX)], pages);
		owner_pages(r, ev, pages, false);
		break;
	}
	return s->oom ? -1 : 0;
}

static int stats_live(struct es_replay *r, const struct es_run *run)
{
	struct es_stats *s = r->arg;
	struct es_cache_stat *cs;
	uint64_t pages = 1ULL << run->order;

	if (s->cache_filter &&
	    !es_cache_match(s->cache_filter, run->cache, run->name))
		return 0;
	add(&s->live, pages);
	if (run->flags & ES_RUN_EARLY)
		add(&s->live_early, pages);
	if (run->flags & ES_RUN_SKIPPED)
		add(&s->skipped_live, pages);
	if (run->flags & ES_RUN_LARGE)
		add(&s->live_large, pages);
	cs = cache_get(s, run->cache, run->name);
	if (cs) {
		cs->live_slabs++;
		cs->live_pages += pages;
	}
	return s->oom ? -1 : 0;
}

static int cmp_cache_stat(const void *a, const void *b)
{
	const struct es_cache_stat *x = a, *y = b;
	int r;

	if (x->pages_in != y->pages_in)
		return x->pages_in > y->pages_in ? -1 : 1;
	r = strcmp(x->name, y->name);
	return r ? r : (x->cache > y->cache) - (x->cache < y->cache);
}

struct es_stats *es_stats_new(void)
{
	return calloc(1, sizeof(struct es_stats));
}

void es_stats_free(struct es_stats *s)
{
	if (!s)
		return;
	free(s->caches);
	free(s->used);
	free(s->sorted);
	free(s);
}

void es_stats_set_cache(struct es_stats *s, const char *pattern)
{
	s->cache_filter = pattern && *pattern ? pattern : NULL;
}

int es_stats_run(struct es_stats *s, struct es_trace *t)
{
	const char *cache_filter = s->cache_filter;
	static const struct es_replay_ops ops = {
		.event = stats_event,
		.run_live = stats_live,
		.lean_events = true,
	};
	size_t i, n = 0;
	int r;

	free(s->caches);
	free(s->used);
	free(s->sorted);
	memset(s, 0, sizeof(*s));
	s->cache_filter = cache_filter;
	if (!es_loaded(t))
		return -1;
	r = es_replay_run(t, &ops, s, 0, UINT64_MAX);
	if (!r && !s->oom && s->cnr) {
		s->sorted = malloc(s->cnr * sizeof(*s->sorted));
		if (s->sorted) {
			for (i = 0; i < s->ccap; i++)
				if (s->used[i])
					s->sorted[n++] = s->caches[i];
			qsort(s->sorted, n, sizeof(*s->sorted),
			      cmp_cache_stat);
		} else {
			s->oom = true;
		}
	}
	if (s->oom) {
		es_set_error(t, "%s: out of memory", t->name);
		return -1;
	}
	/* the replay stops on a callback's non-zero: only oom here */
	return r ? -1 : 0;
}

int es_stats_total(const struct es_stats *s, uint32_t which,
		   struct es_count *c)
{
	switch (which) {
	case ES_SS_EVENTS:
		c->count = s->total;
		c->pages = 0;
		return 0;
	case ES_SS_GETPAGES:
		*c = s->get;
		return 0;
	case ES_SS_FREEPAGES:
		*c = s->freed;
		return 0;
	case ES_SS_SKIP:
		*c = s->skip;
		return 0;
	case ES_SS_LARGE:
		*c = s->large;
		return 0;
	case ES_SS_LIVE:
		*c = s->live;
		return 0;
	case ES_SS_LIVE_EARLY:
		*c = s->live_early;
		return 0;
	case ES_SS_SKIPPED_LIVE:
		*c = s->skipped_live;
		return 0;
	case ES_SS_NODE_MISMATCH:
		c->count = s->node_mismatch;
		c->pages = 0;
		return 0;
	case ES_SS_LARGE_FREE:
		*c = s->large_free;
		return 0;
	case ES_SS_LIVE_LARGE:
		*c = s->live_large;
		return 0;
	}
	return -1;
}

size_t es_stats_rows(uint32_t table)
{
	switch (table) {
	case ES_ST_EVENTS_BY_TYPE:
		return EST_EV_MAX + 1;
	case ES_ST_EVENTS_BY_PHASE:
	case ES_ST_GET_BY_PHASE:
	case ES_ST_FREE_BY_PHASE:
		return EST_PHASE_MAX + 1;
	case ES_ST_GET_BY_PATH:
	case ES_ST_FREE_BY_PATH:
	case ES_ST_LARGE_BY_PATH:
	case ES_ST_LARGE_FREE_BY_PATH:
		return EST_PATH_MAX + 1;
	case ES_ST_GET_BY_ORDER:
		return ES_MAX_ORDER + 2;
	case ES_ST_GET_BY_NODE:
		return NR_NODE_SLOTS;
	}
	return 0;
}

int es_stats_row(const struct es_stats *s, uint32_t table, size_t row,
		 struct es_count *c)
{
	const struct es_count *tab = NULL;

	if (row >= es_stats_rows(table))
		return -1;
	switch (table) {
	case ES_ST_EVENTS_BY_TYPE:
		c->count = s->by_type[row];
		c->pages = 0;
		return 0;
	case ES_ST_EVENTS_BY_PHASE:
		c->count = s->by_phase[row];
		c->pages = 0;
		return 0;
	case ES_ST_GET_BY_PHASE:
		tab = s->get_phase;
		break;
	case ES_ST_GET_BY_PATH:
		tab = s->get_path;
		break;
	case ES_ST_GET_BY_ORDER:
		tab = s->get_order;
		break;
	case ES_ST_GET_BY_NODE:
		tab = s->get_node;
		break;
	case ES_ST_FREE_BY_PHASE:
		tab = s->free_phase;
		break;
	case ES_ST_FREE_BY_PATH:
		tab = s->free_path;
		break;
	case ES_ST_LARGE_BY_PATH:
		tab = s->large_path;
		break;
	case ES_ST_LARGE_FREE_BY_PATH:
		tab = s->large_free_path;
		break;
	}
	*c = tab[row];
	return 0;
}

const char *es_stats_key(uint32_t table, size_t row, char *buf, size_t len)
{
	size_t last = es_stats_rows(table) - 1;

	switch (table) {
	case ES_ST_EVENTS_BY_TYPE:
		snprintf(buf, len, "%s", row < last ?
			 es_type_name((uint32_t)row) : "other");
		break;
	case ES_ST_EVENTS_BY_PHASE:
		snprintf(buf, len, "%s", row < last ?
			 es_phase_name((uint32_t)row) : "other");
		break;
	case ES_ST_GET_BY_PHASE:
	case ES_ST_FREE_BY_PHASE:
		snprintf(buf, len, "%s", es_phase_name((uint32_t)row));
		break;
	case ES_ST_GET_BY_PATH:
	case ES_ST_FREE_BY_PATH:
	case ES_ST_LARGE_BY_PATH:
	case ES_ST_LARGE_FREE_BY_PATH:
		snprintf(buf, len, "%s", es_path_name((uint32_t)row));
		break;
	case ES_ST_GET_BY_ORDER:
		if (row == last)
			snprintf(buf, len, "other");
		else
			snprintf(buf, len, "%zu", row);
		break;
	case ES_ST_GET_BY_NODE:
		if (row == last)
			snprintf(buf, len, "other");
		else if (row == 0)
			snprintf(buf, len, "none");
		else
			snprintf(buf, len, "%zu", row - 1);
		break;
	default:
		snprintf(buf, len, "unknown");
	}
	return buf;
}

size_t es_stats_nr_caches(const struct es_stats *s)
{
	return s->sorted ? s->cnr : 0;
}

const struct es_cache_stat *es_stats_cache(const struct es_stats *s,
					   size_t i)
{
	return s->sorted && i < s->cnr ? &s->sorted[i] : NULL;
}
