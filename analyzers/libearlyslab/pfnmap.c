// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: a hash map keyed by pfn (open addressing, linear probing).
 * It holds one small entry per page frame touched by the trace; entries are
 * never removed, so a pfn's history (last free, skip) stays known.
 */
#include <stdlib.h>
#include <string.h>

#include "es_internal.h"

/* ---- the engine's memory, counted ---------------------------------------- */

static uint64_t mem_cur, mem_peak;

static void mem_add(size_t n)
{
	mem_cur += n;
	if (mem_cur > mem_peak)
		mem_peak = mem_cur;
}

void *es_ecalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p)
		mem_add(n * size);
	return p;
}

void *es_erealloc(void *p, size_t old, size_t size)
{
	void *q = realloc(p, size);

	if (q) {
		mem_cur -= old;
		mem_add(size);
	}
	return q;
}

void es_efree(void *p, size_t size)
{
	if (!p)
		return;
	mem_cur -= size;
	free(p);
}

void es_engine_memory(uint64_t *cur, uint64_t *peak)
{
	if (cur)
		*cur = mem_cur;
	if (peak)
		*peak = mem_peak;
	mem_peak = mem_cur;
}

/*
 * Groups of ES_PFN_GROUP consecutive pfns share one slot of the table: the
 * frames of a slab are found with one probe, and neighbours share cache
 * lines. The last group found is remembered, since an event touches its
 * frames one after the other.
 */
static size_t slot_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: neighbouring groups spread out. */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

void es_pfnmap_init(struct es_pfnmap *m)
{
	memset(m, 0, sizeof(*m));
}

void es_pfnmap_destroy(struct es_pfnmap *m)
{
	es_efree(m->grps, m->cap * sizeof(*m->grps));
	memset(m, 0, sizeof(*m));
}

static struct es_pfn_grp *grp_get(struct es_pfnmap *m, uint64_t key)
{
	size_t i;

	if (m->last && m->last->key == key)
		return m->last;
	if (!m->cap)
		return NULL;
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->grps[i].used)
			return NULL;
		if (m->grps[i].key == key)
			return m->last = &m->grps[i];
	}
}

struct es_pfn_ent *es_pfnmap_get(struct es_pfnmap *m, uint64_t pfn)
{
	struct es_pfn_grp *g = grp_get(m, pfn / ES_PFN_GROUP);
	struct es_pfn_ent *e;

	if (!g)
		return NULL;
	e = &g->ent[pfn % ES_PFN_GROUP];
	return e->used ? e : NULL;
}

static int grow(struct es_pfnmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 32, i, j;
	struct es_pfn_grp *n;

	if (ncap < m->cap || ncap > SIZE_MAX / sizeof(*n))
		return -1;
	n = es_ecalloc(ncap, sizeof(*n));
	if (!n)
		return -1;
	for (i = 0; i < m->cap; i++) {
		if (!m->grps[i].used)
			continue;
		for (j = slot_of(m->grps[i].key, ncap); n[j].used;
		     j = (j + 1) & (ncap - 1))
			;
		n[j] = m->grps[i];
	}
	es_efree(m->grps, m->cap * sizeof(*m->grps));
	m->grps = n;
	m->cap = ncap;
	m->last = NULL;
	return 0;
}

/* Find or create the entry of @pfn; NULL only when out of memory. */
struct es_pfn_ent *es_pfnmap_add(struct es_pfnmap *m, uint64_t pfn)
{
	uint64_t key = pfn / ES_PFN_GROUP;
	struct es_pfn_grp *g = grp_get(m, key);
	struct es_pfn_ent *e;
	size_t i;

	if (!g) {
		if ((m->ngrps + 1) * 10 > m->cap * 7 && grow(m))
			return NULL;
		for (i = slot_of(key, m->cap); m->grps[i].used;
		     i = (i + 1) & (m->cap - 1))
			;
		g = &m->grps[i];
		g->used = 1;
		g->key = key;
		m->ngrps++;
		m->last = g;
	}
	e = &g->ent[pfn % ES_PFN_GROUP];
	if (e->used)
		return e;
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->pfn = pfn;
	e->last_free_seq = ES_NO_SEQ;
	e->skip_seq = ES_NO_SEQ;
	m->nr++;
	return e;
}

/* The @i-th entry slot of the table, for walks over every entry. */
struct es_pfn_ent *es_pfnmap_slot(struct es_pfnmap *m, size_t i)
{
	struct es_pfn_grp *g = &m->grps[i / ES_PFN_GROUP];

	return g->used && g->ent[i % ES_PFN_GROUP].used ?
		       &g->ent[i % ES_PFN_GROUP] : NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t *es_pfnmap_keys(const struct es_pfnmap *m, size_t *nr)
{
	uint64_t *k;
	size_t i, j, n = 0;

	*nr = 0;
	if (!m->nr)
		return NULL;
	k = malloc(m->nr * sizeof(*k));
	if (!k)
		return NULL;
	for (i = 0; i < m->cap; i++) {
		if (!m->grps[i].used)
			continue;
		for (j = 0; j < ES_PFN_GROUP; j++)
			if (m->grps[i].ent[j].used)
				k[n++] = m->grps[i].ent[j].pfn;
	}
	qsort(k, n, sizeof(*k), cmp_u64);
	*nr = n;
	return k;
}
