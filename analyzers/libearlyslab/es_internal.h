/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libearlyslab internals: shared by the library's files, not installed.
 */
#ifndef ES_INTERNAL_H
#define ES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "est_reader.h"
#include "earlyslab.h"

#define ES_START_KERNEL_MAP	0xffffffff80000000ULL
#define ES_KERNEL_HALF		0xffff800000000000ULL
/* p_paddr of a /proc/kcore segment without a physical address */
#define ES_NO_PADDR		UINT64_MAX
/*
 * x86 MAX_ORDER is 11: the buddy allocator has orders 0..10, and no slab
 * order at or above it is plausible. A skip covers one slab, so the same
 * bound applies to its pages. (ES_MAX_ORDER + 1 order buckets are kept
 * in the statistics: the last one stays empty.)
 */
#define ES_MAX_ORDER		11
static inline bool es_order_ok(uint32_t order)
{
	return order < ES_MAX_ORDER;
}
#define ES_PAGE_SIZE		4096ULL

/*
 * Whether an event of @type on @path is a large kmalloc's frames: taken
 * from memblock (EST_EV_LARGE) or freed (EST_EV_LARGE_FREE, any path).
 */
static inline bool es_large_owns(uint32_t type, uint32_t path)
{
	return (type == EST_EV_LARGE && path == EST_PATH_MEMBLOCK) ||
	       type == EST_EV_LARGE_FREE;
}

struct es_dwfl;

struct es_seg {
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t offset;
	uint64_t filesz;
};

/* A maximal range of addresses that segments cover without a hole. */
struct es_span {
	uint64_t start;
	uint64_t end;		/* exclusive; 0 when it reaches 2^64 */
};

/* The segments of one address space, sorted by start. */
struct es_segidx {
	struct es_seg **by;	/* sorted by base */
	uint64_t *maxend;	/* max end over by[0..i] */
	size_t nr;
	struct es_span *spans;	/* the union, sorted */
	size_t nspans;
};

/* An open ELF core (QEMU dump or kcore). */
struct es_core {
	int fd;
	char *path;
	struct es_seg *segs;
	size_t nr;
	struct es_segidx phys, virt;
	bool kvirt;		/* has kernel-virtual PT_LOADs (kcore) */
	uint64_t max_paddr;
	/* kernel virtual to guest physical, in a QEMU dump */
	uint64_t phys_base;
	uint64_t pgd_pa;	/* init_top_pgt, physical; 0 if unknown */
	bool l5;
};

/*
 * Where struct page, struct slab and struct kmem_cache keep what
 * es_read_page() and es_verify_run() look at, from the DWARF.
 */
struct es_page_layout {
	bool done;
	bool ok;
	bool dwarf_done;
	bool dwarf_ok;
	uint64_t page_size;	/* sizeof(struct page) */
	uint64_t off_flags;
	uint64_t off_refcount;
	uint64_t off_compound_head;
	uint64_t off_compound_order;	/* in the first tail page */
	uint64_t size_compound_order;	/* 0: the kernel has no such field */
	uint64_t off_page_type;		/* page_type, or _mapcount */
	uint64_t size_page_type;	/* 4, or 0: none */
	uint64_t off_slab_cache;	/* in struct slab */
	uint64_t off_cache_name;	/* in struct kmem_cache */
	bool have_cache_name;
	uint32_t mark;			/* enum es_slab_mark */
	uint32_t allocator;		/* enum est_allocator, from the DWARF */
	int pg_slab;
	int pg_head;
	int pgty_slab;
	int nr_flags;			/* __NR_PAGEFLAGS, 0 if unknown */
	char flag_name[64][24];		/* enum pageflags, "PG_" left out */
	char type_name[16][16];		/* enum pagetype 0xf0.., "PGTY_" left out */
	uint64_t vmemmap;
	int errcode;
	char err[256];
};

/* Slots read at once from a raw file (bytes). */
#define ES_WINDOW_BYTES		(1U << 18)

struct es_trace {
	char err[512];

	/* The source. */
	char *name;			/* for messages */
	enum es_source source;
	bool loaded;
	struct est_header hdr;		/* aligned copy of the header */
	uint32_t mark_max;		/* es_mark_max(hdr.version) */
	uint32_t type_max;		/* es_type_max(hdr.version) */
	uint64_t nslots;		/* min(head, capacity) */
	uint64_t buffer_addr;
	uint64_t phys_base;
	struct es_core *core;		/* kept open after es_load_core() */
	struct es_page_layout pl;

	/* Kernel virtual memory (struct pages, cache names); NULL: none. */
	es_read_fn rd;
	void *rd_ctx;
	/* How the trace is read again by es_refresh(); NULL: it cannot. */
	es_read_fn trace_rd;
	void *trace_ctx;
	uint64_t trace_addr;
	uint64_t trace_avail;		/* bytes readable there */

	/*
	 * The records, hdr.record_size apart: slots [0, nslots) in recs, or,
	 * for a regular raw file, read a window at a time from raw_fd (never
	 * mapped: a file truncated under us must not kill the process).
	 */
	unsigned char *recs;
	int raw_fd;
	uint64_t raw_size;
	unsigned char *win;
	uint64_t win_first;
	uint64_t win_nr;
	uint64_t win_slots;		/* capacity of win, in slots */
	bool io_failed;			/* a read came short: t->err says */
	uint64_t settled;		/* slots [0, settled) were committed */

	/* The vmlinux. */
	char *vmlinux;
	uint64_t sym_trace;
	uint64_t sym_trace_size;
	uint64_t sym_phys_base;
	bool have_phys_base;
	uint64_t sym_init_top_pgt;	/* 0 if absent */
	uint64_t sym_vmemmap_base;
	uint64_t sym_l5;		/* __pgtable_l5_enabled */
	unsigned char build_id[64];
	size_t build_id_len;
	uint64_t build_id_addr;
	struct es_dwfl *dwfl;
	bool dwfl_failed;

	/* Slot counts, computed once. */
	bool counted;
	struct es_status counts;

	/* The last error's enum es_errcode (util.c). */
	int errcode;
};

/* util.c */
void es_set_error(struct es_trace *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void es_sanitize(char *dst, const char *src, size_t n);
bool es_cache_match(const char *pattern, uint64_t cache, const char *name);
/* stats --cache: count only what owners matching @pattern did */
void es_stats_set_cache(struct es_stats *s, const char *pattern);
int es_parse_u64(const char *s, uint64_t *v);

/* decode.c */
/* The fields of committed record @rec of slot @slot, but its name. */
static inline void es_event_fill(struct es_event *ev,
				 const struct est_record *rec, uint64_t slot)
{
	ev->seq = slot;
	ev->status = ES_SLOT_OK;
	ev->pfn = rec->pfn;
	ev->cache = rec->cache;
	ev->caller = rec->caller;
	ev->ts = rec->ts;
	ev->arg = rec->arg;
	ev->type = rec->type;
	ev->phase = rec->phase;
	ev->order = rec->order;
	ev->path = rec->path;
	ev->nid_req = rec->nid_req;
	ev->nid = rec->nid;
	ev->cpu = rec->cpu;
	ev->flags = rec->flags;
}

/* Read the window of a raw file from slot @slot on. */
void es_fill_window(struct es_trace *t, uint64_t slot);

/* The bytes of slot @slot (< t->nslots), record_size of them. */
static inline const unsigned char *es_slot_ptr(struct es_trace *t,
					       uint64_t slot)
{
	if (t->recs)
		return t->recs + slot * t->hdr.record_size;
	if (slot - t->win_first >= t->win_nr)
		es_fill_window(t, slot);
	return t->win + (slot - t->win_first) * t->hdr.record_size;
}

/* One slot's share of the counts, from its status and committed fields. */
static inline void es_tally(struct es_status *c, uint32_t status,
			    uint32_t type, uint32_t phase, uint64_t ts)
{
	switch (status) {
	case ES_SLOT_OK:
		break;
	case ES_SLOT_TORN:
		c->torn++;
		return;
	case ES_SLOT_PENDING:
		c->pending++;
		return;
	default:
		c->bad++;
		return;
	}
	if (!c->committed)
		c->first_ts = ts;
	c->committed++;
	c->by_type[type]++;
	if (phase > c->last_phase)
		c->last_phase = phase;
	c->last_ts = ts;
}

bool es_loaded(struct es_trace *t);
/* Check @h against @avail readable bytes; on success it becomes t->hdr. */
int es_check_hdr(struct es_trace *t, const struct est_header *h,
		 uint64_t avail);
void es_decode_slot(struct es_trace *t, uint64_t slot, struct es_event *ev);
/* The same without the cache name. */
void es_decode_lean(struct es_trace *t, uint64_t slot, struct es_event *ev);
/* A slot looked back at: the window of a raw file does not move. */
void es_decode_at(struct es_trace *t, uint64_t slot, struct es_event *ev);
/* Why a committed record is bad (NULL: it is not); @buf may be NULL. */
const char *es_implausible(const struct es_event *ev, char *buf, size_t n);
/* Why slot ev->seq was decoded as bad. */
const char *es_bad_reason(struct es_trace *t, const struct es_event *ev,
			  char *buf, size_t n);
/* After a pass over the slots: -1 if a read came short (t->err says). */
int es_io_check(struct es_trace *t);
int es_count(struct es_trace *t);
/* es_count() in a pass of one's own: start, every slot, finish. */
void es_count_start(struct es_trace *t, struct es_status *c);
void es_count_event(struct es_status *c, const struct es_event *ev);
void es_count_finish(struct es_trace *t, const struct es_status *c);
bool es_event_match(const struct es_event *ev, const struct es_filter *f);
bool es_trace_complete(struct es_trace *t);

/* source.c */
uint64_t es_core_read(struct es_core *c, uint64_t addr, bool virt,
		      void *dst, uint64_t len);
void es_core_close(struct es_core *c);
/* Kernel virtual memory through the trace's reader: 0 or a -errno. */
int es_read_mem(struct es_trace *t, uint64_t va, void *dst, uint64_t len);

/* symbols.c */
void es_symbols_close(struct es_trace *t);
struct Dwarf;
struct Dwarf *es_dwarf(struct es_trace *t);

/*
 * pfnmap.c: open addressing over groups of ES_PFN_GROUP consecutive pfns;
 * entries are never removed.
 */
#define ES_PFN_GROUP	8

struct es_pfn_ent {
	uint64_t pfn;
	void *live;		/* struct es_live_run * */
	uint64_t last_free_seq;	/* ES_NO_SEQ if never freed */
	uint64_t skip_seq;	/* SKIP during FREE_ALL, ES_NO_SEQ if none */
	uint64_t aux;		/* per-user counter */
	uint32_t used;
	uint32_t pad;
};

struct es_pfn_grp {
	uint64_t key;		/* pfn / ES_PFN_GROUP */
	uint64_t used;
	struct es_pfn_ent ent[ES_PFN_GROUP];
};

struct es_pfnmap {
	struct es_pfn_grp *grps;
	size_t cap;		/* groups, a power of two */
	size_t ngrps;
	size_t nr;		/* entries */
	struct es_pfn_grp *last;
};

/* The engine's allocations, counted for es_engine_memory(). */
void *es_ecalloc(size_t n, size_t size);
void *es_erealloc(void *p, size_t old, size_t size);
void es_efree(void *p, size_t size);

void es_pfnmap_init(struct es_pfnmap *m);
void es_pfnmap_destroy(struct es_pfnmap *m);
struct es_pfn_ent *es_pfnmap_get(struct es_pfnmap *m, uint64_t pfn);
struct es_pfn_ent *es_pfnmap_add(struct es_pfnmap *m, uint64_t pfn);
/* Entry slots 0 .. es_pfnmap_slots() - 1: NULL where there is none. */
#define es_pfnmap_slots(m)	((m)->cap * ES_PFN_GROUP)
struct es_pfn_ent *es_pfnmap_slot(struct es_pfnmap *m, size_t i);
/* Sorted array of the keys (malloc'd), NULL with *nr = 0 if empty. */
uint64_t *es_pfnmap_keys(const struct es_pfnmap *m, size_t *nr);

/* replay.c: the ownership engine behind check, owners, timeline, export. */
struct es_replay;

struct es_replay_ops {
	/* a decoded event (after the engine has applied it) */
	int (*event)(struct es_replay *r, const struct es_event *ev);
	/* a run ended (freed or replaced) */
	int (*run_end)(struct es_replay *r, const struct es_run *run);
	/* a run still live at the end of the trace */
	int (*run_live)(struct es_replay *r, const struct es_run *run);
	int (*anomaly)(struct es_replay *r, const struct es_anomaly *a);
	/* only pfns for which this returns true are tracked (NULL: all) */
	bool (*want_pfn)(struct es_replay *r, uint64_t pfn);
	/* event() is handed events without their name: es_replay_name() */
	bool lean_events;
};

struct es_replay {
	struct es_trace *t;
	const struct es_replay_ops *ops;
	void *arg;
	uint64_t pfn_lo, pfn_hi;	/* cheap pre-filter, inclusive */
	struct es_pfnmap map;
	void *pool;			/* struct live_run *: ended runs */
	uint32_t phase;
	bool in_free_all;
	bool free_all_done;
	bool complete;
	uint64_t free_all_seq;
	uint64_t gen;
	uint64_t errors;
	uint64_t warnings;
	int stop;
};

/* (pfn, run) pairs es_timeline() keeps at once; tests lower it. */
extern uint64_t es_timeline_budget;
/*
 * Tests set it to replay every slot the general way, to compare with the
 * shortcut the common slots take.
 */
extern bool es_replay_general_only;

int es_replay_run(struct es_trace *t, const struct es_replay_ops *ops,
		  void *arg, uint64_t pfn_lo, uint64_t pfn_hi);
/* The cache name of event @ev (status OK) of a replay under way. */
const char *es_replay_name(struct es_replay *r, const struct es_event *ev);
uint64_t es_event_pages(const struct es_event *ev);

/* util.c: errors with their machine code (enum es_errcode) */
void es_set_error_code(struct es_trace *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* ES_INTERNAL_H */
