// SPDX-License-Identifier: GPL-2.0-only
/*
 * es_gen - write a raw early_slab_trace of N events over F page frames.
 *
 *   es_gen [-n EVENTS] [-f FRAMES] [-c CACHES] [-s SEED] -o FILE
 *
 * The events follow a boot: the slab allocator takes pages from memblock
 * (phase early), memblock_free_all() skips the live early slabs (phase
 * free_all), a rare free falls in the mem_init window, then the buddy
 * allocator feeds it (phases up and full). Slabs of order 0..3 belong to
 * one of C caches ("kmalloc-N", "cache-N"); about half the events take
 * pages, slightly fewer give them back, and the rest are skips, phase
 * markers, slab_state changes and large requests. The frames are F / 8
 * blocks of 8, each holding at most one slab, so the trace is consistent
 * (no overlap, no double free) and F bounds the frames touched.
 *
 * The records are written as the kernel writes them (committed, seq equal
 * to the slot), straight into the file, without est_emit()'s atomics.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "early_slab_trace.h"

#define EST_MAX_SLOTS	0x1000000U	/* what est_check_header() accepts */
#define BLOCK		8		/* frames per block: order <= 3 */
#define PFN_BASE	0x1000ULL
#define CACHE_BASE	0xffff888003000000ULL
#define CALLER_BASE	0xffffffff81200000ULL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

struct gen {
	FILE *f;
	uint64_t seq, n;
	uint8_t phase;
	uint32_t caches;
	uint64_t ts;
	/* blocks: free ones, then live ones, by swap-removal */
	uint64_t *blk;		/* block numbers */
	uint64_t *pos;		/* position of block b in blk[] */
	uint8_t *order;		/* order of the slab in block b */
	uint32_t *cache;	/* its cache */
	uint8_t *early;		/* from memblock */
	uint64_t nblk, nlive;	/* blk[0..nlive) are live */
};

static void put(struct gen *g, struct est_record *r)
{
	r->seq = g->seq++;
	r->state = EST_STATE_COMMITTED;
	r->phase = g->phase;
	r->cpu = (uint16_t)below(2);
	r->nid_req = EST_NO_NODE;
	g->ts += 40 + below(200);
	r->ts = g->ts;
	if (fwrite(r, sizeof(*r), 1, g->f) != 1) {
		perror("es_gen: write");
		exit(1);
	}
}

static void set_cache(struct est_record *r, uint32_t c)
{
	r->cache = CACHE_BASE + (uint64_t)c * 0x200;
	if (c % 3)
		snprintf(r->name, sizeof(r->name), "kmalloc-%u", 8U << (c % 12));
	else
		snprintf(r->name, sizeof(r->name), "cache-%u", c);
	r->caller = CALLER_BASE + (uint64_t)(c % 64) * 0x40 + 0x1a;
}

static void swap_blk(struct gen *g, uint64_t i, uint64_t j)
{
	uint64_t a = g->blk[i], b = g->blk[j];

	g->blk[i] = b;
	g->blk[j] = a;
	g->pos[b] = i;
	g->pos[a] = j;
}

static void ev_phase(struct gen *g, uint8_t phase)
{
	struct est_record r;

	memset(&r, 0, sizeof(r));
	g->phase = phase;
	r.type = EST_EV_PHASE;
	put(g, &r);
}

static void ev_get(struct gen *g)
{
	struct est_record r;
	uint64_t b;

	if (g->nlive == g->nblk)
		return;
	b = g->blk[g->nlive + below(g->nblk - g->nlive)];
	swap_blk(g, g->pos[b], g->nlive++);
	memset(&r, 0, sizeof(r));
	g->order[b] = (uint8_t)(below(8) < 5 ? 0 : below(4));
	g->cache[b] = (uint32_t)below(g->caches);
	g->early[b] = g->phase <= EST_PHASE_EARLY;
	r.type = EST_EV_GETPAGES;
	r.order = g->order[b];
	r.path = g->early[b] ? EST_PATH_MEMBLOCK : EST_PATH_BUDDY;
	r.flags = g->early[b] ? EST_RF_EARLY_PAGE : 0;
	r.pfn = PFN_BASE + b * BLOCK;
	r.nid = 0;
	set_cache(&r, g->cache[b]);
	put(g, &r);
}

static void ev_put(struct gen *g)
{
	struct est_record r;
	uint64_t b;

	if (!g->nlive)
		return;
	b = g->blk[below(g->nlive)];
	swap_blk(g, g->pos[b], --g->nlive);
	memset(&r, 0, sizeof(r));
	r.type = EST_EV_FREEPAGES;
	r.order = g->order[b];
	if (!g->early[b])
		r.path = EST_PATH_BUDDY;
	else
		r.path = g->phase == EST_PHASE_WINDOW ? EST_PATH_WINDOW :
			 g->phase < EST_PHASE_WINDOW ? EST_PATH_MEMBLOCK :
						       EST_PATH_LATE;
	r.flags = g->early[b] ? EST_RF_EARLY_PAGE : 0;
	r.pfn = PFN_BASE + b * BLOCK;
	set_cache(&r, g->cache[b]);
	put(g, &r);
}

static void ev_misc(struct gen *g)
{
	struct est_record r;

	memset(&r, 0, sizeof(r));
	if (below(2)) {
		r.type = EST_EV_SLAB_STATE;
		r.arg = below(6);
	} else {
		r.type = EST_EV_LARGE;
		r.order = (uint8_t)(1 + below(4));
		r.path = EST_PATH_REFUSED;
		r.arg = 4096ULL << r.order;
		r.caller = CALLER_BASE + 0x9000;
	}
	put(g, &r);
}

/* memblock_free_all(): a skip of every live early slab. */
static void free_all(struct gen *g)
{
	uint64_t i;

	ev_phase(g, EST_PHASE_FREE_ALL);
	for (i = 0; i < g->nlive && g->seq < g->n - 8; i++) {
		struct est_record r;
		uint64_t b = g->blk[i];

		if (!g->early[b])
			continue;
		memset(&r, 0, sizeof(r));
		r.type = EST_EV_SKIP;
		r.order = g->order[b];
		r.pfn = PFN_BASE + b * BLOCK;
		r.arg = 1ULL << g->order[b];
		put(g, &r);
	}
}

/* Events until seq @end: @get and @put in 10,000 take and give back pages. */
static void mix(struct gen *g, uint64_t end, uint64_t get, uint64_t put)
{
	while (g->seq < end) {
		uint64_t k = below(10000);

		if (k < get)
			ev_get(g);
		else if (k < get + put)
			ev_put(g);
		else
			ev_misc(g);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: es_gen [-n EVENTS] [-f FRAMES] [-c CACHES] [-s SEED] -o FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct est_header h = EST_HEADER_INIT(0, EST_ALLOC_SLUB, 0x060c00);
	uint64_t frames = 1 << 16, i, early_end, window_end;
	struct gen g = { .n = 1000000, .caches = 80 };
	const char *out = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "n:f:c:s:o:")) != -1) {
		switch (opt) {
		case 'n':
			g.n = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			g.caches = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			rng ^= strtoull(optarg, NULL, 0) * 0xff51afd7ed558ccdULL;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (!out || g.n < 16 || g.n > EST_MAX_SLOTS || frames < BLOCK ||
	    !g.caches)
		usage();
	g.nblk = frames / BLOCK;
	g.blk = malloc(g.nblk * sizeof(*g.blk));
	g.pos = malloc(g.nblk * sizeof(*g.pos));
	g.order = calloc(g.nblk, 1);
	g.cache = calloc(g.nblk, sizeof(*g.cache));
	g.early = calloc(g.nblk, 1);
	if (!g.blk || !g.pos || !g.order || !g.cache || !g.early) {
		fprintf(stderr, "es_gen: out of memory\n");
		return 1;
	}
	for (i = 0; i < g.nblk; i++)
		g.blk[i] = g.pos[i] = i;
	g.f = fopen(out, "wb");
	if (!g.f) {
		fprintf(stderr, "es_gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	h.capacity = (uint32_t)g.n;
	h.head.counter = (long long)g.n;
	h.phase = EST_PHASE_FULL;
	fwrite(&h, sizeof(h), 1, g.f);

	/* early: a third of the events, mostly taking pages */
	early_end = g.n / 3;
	window_end = early_end + g.n / 100;
	ev_phase(&g, EST_PHASE_EARLY);
	mix(&g, early_end, 6000, 3500);
	free_all(&g);
	/* the mem_init window: a free in it is the bug this tool hunts */
	ev_phase(&g, EST_PHASE_WINDOW);
	mix(&g, window_end, 9000, 2);
	ev_phase(&g, EST_PHASE_UP);
	mix(&g, g.n - 1, 5000, 4700);
	ev_phase(&g, EST_PHASE_FULL);
	if (fclose(g.f)) {
		fprintf(stderr, "es_gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}
