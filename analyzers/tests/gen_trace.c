// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen_trace - write a synthetic early_slab_trace buffer of N events with
 * the real writer: the boot phases, then slabs of forty caches got and
 * freed over a spread of page frames, a few skips and large allocations.
 * Deterministic, for output comparisons and throughput runs.
 *
 *   gen_trace N FILE [odd]
 *
 * With "odd", the last three slots are left torn, pending and bad.
 */
#include <stdio.h>
#include <stdlib.h>

#include "synth.h"

#define NR_CACHES	40
#define LIVE		4096	/* slabs kept live at once */

int main(int argc, char **argv)
{
	static const uint8_t phases[] = { EST_PHASE_EARLY, EST_PHASE_FREE_ALL,
					  EST_PHASE_WINDOW, EST_PHASE_UP,
					  EST_PHASE_FULL };
	static uint64_t live_pfn[LIVE];
	static uint8_t live_cache[LIVE];
	char names[NR_CACHES][16];
	uint64_t n, i, x = 88172645463325252ULL, next_pfn = 0x1000;
	struct synth *s;
	unsigned int ph = 0;
	uint64_t live, odd;

	if (argc < 3 || argc > 4 || !(n = strtoull(argv[1], NULL, 0)) ||
	    n > UINT32_MAX || n < 16) {
		fprintf(stderr, "usage: gen_trace N FILE [odd] (N >= 16)\n");
		return 2;
	}
	odd = argc == 4 ? 3 : 0;
	live = n / 8 < 16 ? 16 : n / 8 > LIVE ? LIVE : n / 8;
	s = synth_new((uint32_t)n);
	if (!s) {
		fprintf(stderr, "gen_trace: out of memory\n");
		return 2;
	}
	for (i = 0; i < NR_CACHES; i++)
		snprintf(names[i], sizeof(names[i]), i ? "kmalloc-%u" :
			 "kmem_cache", 8u << (i % 12));
	for (i = 0; i < LIVE; i++)
		live_pfn[i] = 0;
	for (i = 0; i < n - odd; i++) {
		uint64_t slot, cache;
		uint8_t path;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (ph < sizeof(phases) && i >= (ph + 1) * n / 6) {
			synth_phase(s, phases[ph++]);
			continue;
		}
		if (i % 997 == 5) {
			synth_large(s, 8192 + (x & 0xffff), x & 1 ?
				    EST_PATH_REFUSED : EST_PATH_BUDDY);
			continue;
		}
		slot = (x >> 8) % live;
		path = s->phase < EST_PHASE_FREE_ALL ? EST_PATH_MEMBLOCK :
		       s->phase == EST_PHASE_WINDOW ? EST_PATH_WINDOW :
						      EST_PATH_BUDDY;
		if (live_pfn[slot]) {
			cache = live_cache[slot];
			if (s->phase == EST_PHASE_FREE_ALL && (x & 3) == 0)
				synth_skip(s, live_pfn[slot], 1);
			else
				synth_put(s, live_pfn[slot], 0, path,
					  CACHE_A + cache * 0x200,
					  names[cache], CALLER_2);
			live_pfn[slot] = 0;
			continue;
		}
		cache = (x >> 20) % NR_CACHES;
		live_pfn[slot] = next_pfn;
		live_cache[slot] = (uint8_t)cache;
		next_pfn += 1 + ((x >> 32) & 1);
		if (next_pfn > 0x80000)
			next_pfn = 0x1000;
		synth_get(s, live_pfn[slot], 0, path, CACHE_A + cache * 0x200,
			  names[cache], CALLER_1);
	}
	if (odd) {
		synth_torn(s);
		synth_pending(s);
		synth_get(s, 0x100, 0, EST_PATH_BUDDY, CACHE_A, names[0],
			  CALLER_1);
		synth_bad(s, n - 1);
	}
	if (synth_write(s, argv[2])) {
		perror(argv[2]);
		synth_free(s);
		return 2;
	}
	synth_free(s);
	return 0;
}
