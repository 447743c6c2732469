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

static size_t slot_of(uint64_t pfn, size_t cap)
{
	/* Fibonacci hashing: neighbouring pfns spread out. */
	return (size_t)((pfn * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

void es_pfnmap_init(struct es_pfnmap *m)
{
	memset(m, 0, sizeof(*m));
}

void es_pfnmap_destroy(struct es_pfnmap *m)
{
	es_efree(m->ents, m->cap * sizeof(*m->ents));
	memset(m, 0, sizeof(*m));
}

struct es_pfn_ent *es_pfnmap_get(struct es_pfnmap *m, uint64_t pfn)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = slot_of(pfn, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->ents[i].used)
			return NULL;
		if (m->ents[i].pfn == pfn)
			return &m->ents[i];
	}
}

static int grow(struct es_pfnmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256, i, j;
	struct es_pfn_ent *n;

	if (ncap < m->cap)
		return -1;
	n = es_ecalloc(ncap, sizeof(*n));
	if (!n)
		return -1;
	for (i = 0; i < m->cap; i++) {
		if (!m->ents[i].used)
			continue;
		for (j = slot_of(m->ents[i].pfn, ncap); n[j].used;
		     j = (j + 1) & (ncap - 1))
			;
		n[j] = m->ents[i];
	}
	es_efree(m->ents, m->cap * sizeof(*m->ents));
	m->ents = n;
	m->cap = ncap;
	return 0;
}

/* Find or create the entry of @pfn; NULL only when out of memory. */
struct es_pfn_ent *es_pfnmap_add(struct es_pfnmap *m, uint64_t pfn)
{
	struct es_pfn_ent *e;
	size_t i;

	if ((m->nr + 1) * 10 > m->cap * 7 && grow(m))
		return es_pfnmap_get(m, pfn);	/* NULL unless it is there */
	/* one probe: the entry, or the free slot where it goes */
	for (i = slot_of(pfn, m->cap); m->ents[i].used;
	     i = (i + 1) & (m->cap - 1))
		if (m->ents[i].pfn == pfn)
			return &m->ents[i];
	e = &m->ents[i];
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->pfn = pfn;
	e->last_free_seq = ES_NO_SEQ;
	e->skip_seq = ES_NO_SEQ;
	m->nr++;
	return e;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t *es_pfnmap_keys(const struct es_pfnmap *m, size_t *nr)
{
	uint64_t *k;
	size_t i, n = 0;

	*nr = 0;
	if (!m->nr)
		return NULL;
	k = malloc(m->nr * sizeof(*k));
	if (!k)
		return NULL;
	for (i = 0; i < m->cap; i++)
		if (m->ents[i].used)
			k[n++] = m->ents[i].pfn;
	qsort(k, n, sizeof(*k), cmp_u64);
	*nr = n;
	return k;
}
