// SPDX-License-Identifier: GPL-2.0-only
/*
 * A stand-in "vmlinux" for the analyzer tests: linked at kernel-map
 * addresses with a build-id and DWARF, it has the two symbols the analyzer
 * looks up (early_slab_trace, phys_base) and a few functions to symbolize.
 *
 * -DFAKE_OTHER_BUILD: same symbols, other contents (another build-id).
 * -DFAKE_NO_TRACE: a kernel built without the trace.
 * -DFAKE_612: shaped as Linux 6.12 with SLUB: no PG_slab, the slab page
 * type of enum pagetype in page->page_type, the compound order in
 * folio->_flags_1, struct kmem_cache with cpu_slab; the trace's header says
 * SLUB 6.12.118.
 */
#include "early_slab_trace.h"

#define FAKE_CAP	64

#ifndef FAKE_NO_TRACE
struct {
	struct est_header hdr;
	struct est_record ring[FAKE_CAP];
#ifdef FAKE_612
} early_slab_trace = { .hdr = EST_HEADER_INIT(FAKE_CAP, EST_ALLOC_SLUB, 0x060c76) };
#else
} early_slab_trace = { .hdr = EST_HEADER_INIT(FAKE_CAP, EST_ALLOC_SLAB, 0x060100) };
#endif
#endif

unsigned long phys_base;

/*
 * What es_read_page() needs: the x86_64 page tables' root, vmemmap_base,
 * the 5-level switch, and the layouts of struct page and struct slab and
 * the PG_ bits as 6.1 has them (only the DWARF of these is used).
 */
unsigned long init_top_pgt[512] __attribute__((aligned(4096)));
unsigned long vmemmap_base = 0xffffea0000000000UL;
unsigned int __pgtable_l5_enabled;

struct list_head {
	struct list_head *next, *prev;
};

struct page {
	unsigned long flags;
	union {
		struct {
			struct list_head lru;
			void *mapping;
			unsigned long index;
			unsigned long private;
		};
		struct {
			unsigned long compound_head;
#ifndef FAKE_612
			/* 6.1; 6.12 has the order in folio->_flags_1 */
			unsigned char compound_dtor;
			unsigned char compound_order;
#endif
		};
	};
	union {
		unsigned int page_type;
		int _mapcount;
	};
	int _refcount;
	unsigned long memcg_data;
};

#ifdef FAKE_612
struct folio {
	union {
		struct {
			unsigned long flags;
			struct list_head lru;
		};
		struct page page;
	};
	union {
		struct {
			unsigned long _flags_1;
			unsigned long _head_1;
		};
		struct page __page_1;
	};
};

struct kmem_cache {
	void *cpu_slab;
	const char *name;
};

struct slab {
	unsigned long __page_flags;
	struct kmem_cache *slab_cache;
	union {
		struct list_head slab_list;
	};
	void *freelist;
	unsigned long counters;
	unsigned int __page_type;
	int __page_refcount;
	unsigned long obj_exts;
};

enum pageflags {
	PG_locked, PG_writeback, PG_referenced, PG_uptodate, PG_dirty, PG_lru,
	PG_head, PG_waiters, PG_active, PG_workingset, PG_owner_priv_1,
	PG_owner_2, PG_arch_1, PG_reserved, PG_private, PG_private_2,
	PG_reclaim, PG_swapbacked, PG_unevictable, PG_mlocked, __NR_PAGEFLAGS,
	PG_readahead = PG_reclaim, PG_swapcache = PG_owner_priv_1
};

enum pagetype {
	PGTY_buddy = 0xf0, PGTY_offline = 0xf1, PGTY_table = 0xf2,
	PGTY_guard = 0xf3, PGTY_hugetlb = 0xf4, PGTY_slab = 0xf5,
	PGTY_zsmalloc = 0xf6, PGTY_unaccepted = 0xf7,
	PGTY_mapcount_underflow = 0xff
};

struct folio fake_folio_layout;
enum pagetype fake_pagetype = PGTY_slab;
enum pageflags fake_pageflags = PG_head;
#else

struct kmem_cache {
	unsigned int size;
	const char *name;
	void *cpu_cache;
};

struct slab {
	unsigned long __page_flags;
	union {
		struct list_head slab_list;
	};
	struct kmem_cache *slab_cache;
	void *freelist;
	void *s_mem;
	unsigned int active;
	int __page_refcount;
	unsigned long memcg_data;
};

enum pageflags {
	PG_locked, PG_referenced, PG_uptodate, PG_dirty, PG_lru, PG_active,
	PG_workingset, PG_waiters, PG_error, PG_slab, PG_owner_priv_1,
	PG_arch_1, PG_reserved, PG_private, PG_private_2, PG_writeback,
	PG_head, __NR_PAGEFLAGS
};

enum pageflags fake_pageflags = PG_slab;
#endif

struct page fake_page_layout;
struct slab fake_slab_layout;
struct kmem_cache fake_cache_layout;

#ifdef FAKE_OTHER_BUILD
unsigned long fake_other_build_marker = 0x0123456789abcdefUL;
#endif

#ifdef FAKE_612
/* SLUB's first cache, copied away by bootstrap(): a local static */
struct kmem_cache *fake_kmem_cache_init(void)
{
	static struct kmem_cache boot_kmem_cache;

	return &boot_kmem_cache;
}
#endif

void fake_slab_alloc(void)
{
	__asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop");
}

void fake_window_free(void)
{
	__asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop");
}

void fake_start(void)
{
	fake_slab_alloc();
	fake_window_free();
	for (;;)
		;
}
