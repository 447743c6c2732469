/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helpers: synthetic early_slab_trace buffers written with the real
 * writer (est_emit()), ELF cores in QEMU's and kcore's layouts, and the
 * facts the tests need from the stand-in vmlinux.
 */
#ifndef SYNTH_H
#define SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "early_slab_trace.h"

#define CACHE_A		0xffff888000100000ULL	/* "kmem_cache" */
#define CACHE_B		0xffff888000100200ULL	/* "kmalloc-64" */
#define CACHE_C		0xffff888000100400ULL	/* "kmalloc-128" */
#define CALLER_1	0xffffffff81000004ULL	/* fake_slab_alloc+0x4 */
#define CALLER_2	0xffffffff81000013ULL	/* fake_window_free+0x4 */

struct synth {
	struct est_header *hdr;
	struct est_record *ring;
	void *mem;
	size_t len;
	uint8_t phase;
	uint16_t cpu;
};

struct synth *synth_new(uint32_t capacity);
void synth_free(struct synth *s);
bool synth_emit(struct synth *s, const struct est_record *ev);

bool synth_phase(struct synth *s, uint8_t phase);
bool synth_slab_state(struct synth *s, uint64_t state);
bool synth_get(struct synth *s, uint64_t pfn, uint8_t order, uint8_t path,
	       uint64_t cache, const char *name, uint64_t caller);
bool synth_get_node(struct synth *s, uint64_t pfn, uint8_t order,
		    uint8_t path, uint64_t cache, const char *name,
		    int16_t nid_req, int16_t nid);
bool synth_put(struct synth *s, uint64_t pfn, uint8_t order, uint8_t path,
	       uint64_t cache, const char *name, uint64_t caller);
bool synth_skip(struct synth *s, uint64_t pfn, uint64_t pages);
bool synth_large(struct synth *s, uint64_t bytes, uint8_t path);
/* Format version 3: a large kmalloc's frames from memblock, and freed. */
bool synth_large_get(struct synth *s, uint64_t pfn, uint8_t order,
		     uint64_t bytes);
bool synth_large_free(struct synth *s, uint64_t pfn, uint8_t order,
		      uint8_t path);
/* A marker of enum est_mark. */
bool synth_mark(struct synth *s, uint64_t mark);

/* Slot states a writer can leave behind. */
void synth_torn(struct synth *s);	/* reserved, WRITING, never committed */
void synth_pending(struct synth *s);	/* head moved, slot untouched */
void synth_bad(struct synth *s, uint64_t slot);	/* committed, wrong seq */

/* A clean early boot; returns the number of events. */
unsigned int synth_clean_boot(struct synth *s);

int synth_write(const struct synth *s, const char *path);
int write_file(const char *path, const void *buf, size_t len);

/* ELF cores. */
struct core_seg {
	uint64_t vaddr;
	uint64_t paddr;
	const void *data;
	size_t len;
};
int write_core(const char *path, const struct core_seg *segs, int nsegs);

/* What the tests need to know about a stand-in vmlinux. */
struct fake_info {
	uint64_t trace;
	uint64_t trace_size;
	uint64_t phys_base;
	uint64_t build_id_addr;
	unsigned char build_id[64];
	size_t build_id_len;
	uint64_t fn_alloc;	/* fake_slab_alloc */
	uint64_t fn_window;	/* fake_window_free */
	uint64_t init_top_pgt;
	uint64_t vmemmap_base;
	uint64_t boot_cache;	/* the 6.12 stand-in's boot_kmem_cache.N */
};

/* struct pages that make_core() puts behind the vmemmap (0 to stop). */
struct fake_page {
	uint64_t pfn;
	uint64_t flags;		/* bit 9: PG_slab, bit 16: PG_head */
	uint64_t slab_cache;
};
#define FAKE_PG_SLAB		(1ULL << 9)
void core_pages(const struct fake_page *pages, int n);
int fake_info(const char *vmlinux, struct fake_info *fi);

enum {
	CORE_KCORE = 0x1,	/* kernel-virtual PT_LOADs */
	CORE_BAD_BUILD_ID = 0x2,	/* the dump's build-id differs */
	CORE_NO_BUILD_ID = 0x4,	/* note bytes not in the dump */
	CORE_TRUNCATE = 0x8,	/* cut the file inside the last PT_LOAD */
	CORE_STALE_COPY = 0x10,	/* an empty header elsewhere in memory */
};

/*
 * A dump of @s placed where @vmlinux says early_slab_trace is, with
 * phys_base = @phys_base stored at its own address.
 */
int make_core(const char *path, const char *vmlinux, const struct synth *s,
	      uint64_t phys_base, unsigned int flags);

#endif /* SYNTH_H */
