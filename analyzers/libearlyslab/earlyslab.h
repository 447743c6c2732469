/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libearlyslab - read an early_slab_trace buffer and rebuild what the slab
 * allocator did with page frames during early boot.
 *
 * The format itself is defined once, in tracepoints/early_slab_trace.h; this
 * library follows the reader contract written there (est_check_header(),
 * est_slot_status()) and adds what a person debugging early boot needs:
 * sources (a raw buffer, a QEMU ELF core, /proc/kcore), per-pfn ownership
 * timelines, consistency checks and caller symbolization.
 *
 * The interface is made for C and for Python ctypes alike: one opaque
 * handle, plain functions, fixed-layout structs, callbacks that return
 * non-zero to stop, and es_command() which runs any command of the
 * earlyslab(8) tool and hands back its text or JSON output.
 *
 * Memory: every source is read through one reader (es_read_fn): the
 * header, then only the committed records; a regular raw file is read a
 * window at a time, never mapped. Analysis keeps state per page frame
 * touched, never per event, and every result is handed out as it is found.
 *
 * Errors: functions returning int return 0 on success and -1 on error; the
 * one-line message (naming the file and what is wrong) is then available
 * from es_error().
 *
 * Threads: use the library from one thread at a time (the commands parse
 * their options with getopt).
 */
#ifndef EARLYSLAB_H
#define EARLYSLAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ES_API_VERSION		2

#define ES_NAME_LEN		16	/* EST_NAME_LEN: 15 characters + NUL */
#define ES_NO_SEQ		UINT64_MAX
#define ES_NO_PFN		UINT64_MAX
/*
 * The owner of a large kmalloc's page frames (format version 3), shown
 * where a cache name is: such a kmalloc has no cache (0) and its records
 * no name, so es_event.name and es_run.name hold this instead; a --cache
 * filter (es_filter.cache, es_select.cache) of '(large kmalloc)' or
 * '(large*' selects them. It fills ES_NAME_LEN exactly.
 */
#define ES_LARGE_NAME		"(large kmalloc)"

/* Opaque handle: one trace source plus an optional vmlinux. */
struct es_trace;

/* Where the buffer came from. */
enum es_source {
	ES_SRC_NONE = 0,
	ES_SRC_RAW = 1,		/* a file holding the buffer's bytes */
	ES_SRC_CORE = 2,	/* ELF core, guest-physical PT_LOADs (QEMU) */
	ES_SRC_KCORE = 3,	/* ELF core, kernel-virtual PT_LOADs (kcore) */
	ES_SRC_MEMORY = 4,	/* bytes handed over by the caller */
	ES_SRC_READER = 5,	/* read through an es_read_fn (a live guest) */
};

/* ---- Opening ------------------------------------------------------------ */

int es_api_version(void);
struct es_trace *es_trace_new(void);
void es_trace_free(struct es_trace *t);

/*
 * es_set_vmlinux() - use this vmlinux for symbols.
 * Must come before es_load_core(). Fails if the file is not an ELF
 * executable or lacks the symbol early_slab_trace.
 */
int es_set_vmlinux(struct es_trace *t, const char *path);

/* es_load_raw() - the buffer's bytes in a file (as saved by gdb). */
int es_load_raw(struct es_trace *t, const char *path);

/*
 * es_load_core() - a QEMU dump-guest-memory ELF core or /proc/kcore.
 * With a vmlinux, the buffer is found at the translated address of
 * early_slab_trace (QEMU: va - 0xffffffff80000000 + phys_base, phys_base
 * read from the dump; kcore: by virtual address) and the vmlinux build-id
 * is compared with the one in the dump. Without one, /proc/kcore uses
 * /proc/kallsyms and a QEMU core is searched for a single valid header.
 */
int es_load_core(struct es_trace *t, const char *path);

/*
 * es_load_memory() - bytes read by the caller (gdb's read_memory); they are
 * copied. @name is used in messages.
 */
int es_load_memory(struct es_trace *t, const void *buf, size_t len,
		   const char *name);

/* ---- One memory reader ------------------------------------------------- */

/*
 * Every source is read through one callback: a raw file, a QEMU core,
 * /proc/kcore and bytes handed over are implementations of it, and a
 * caller (gdb's read_memory on a halted guest) plugs its own in. What is
 * read through it: the trace header, the committed records and, for
 * es_read_page() and es_verify_run(), struct pages and cache names.
 */

/* Read @len bytes of kernel virtual memory at @addr into @buf:
 * 0, or a negative errno (-EFAULT when not readable). */
typedef int (*es_read_fn)(void *ctx, uint64_t addr, void *buf,
			  size_t len);

/* Read the trace through @fn (a live guest, say). Needs
 * es_set_vmlinux() first: the trace symbol and the struct layouts
 * come from its DWARF. Reads the header, then only the committed
 * slots (min(head, capacity) of them, in one or two bulk reads). */
int es_load_reader(struct es_trace *t, es_read_fn fn, void *ctx,
		   const char *name);

/* Re-read the header, then only the slots written since the last
 * load (all of them when the ring wrapped past them). Returns the
 * number of new records, or -1 (es_error()). */
int64_t es_refresh(struct es_trace *t);

/*
 * es_has_memory() - 1 if struct pages can be read (a core, /proc/kcore or
 * a reader, and a vmlinux), else 0 with es_error() saying why.
 */
int es_has_memory(struct es_trace *t);

/*
 * es_engine_memory() - bytes the analysis engine holds in this process
 * (its page-frame map, live runs, timeline batches; not the trace's own
 * records): now, and at the peak since the previous call.
 */
void es_engine_memory(uint64_t *cur, uint64_t *peak);

/* The last error: one line without the program name, never NULL. */
const char *es_error(const struct es_trace *t);

/*
 * What kind of error it was, for callers that act on it (never match the
 * text: it may change). es_command() errors have one too: under
 * ES_OUT_JSON they are printed as {"error": "...", "code": "<name>"}.
 */
enum es_errcode {
	ES_ERR_NONE = 0,	/* "none" */
	ES_ERR_USAGE = 1,	/* "usage": bad command, option or argument */
	ES_ERR_INPUT = 2,	/* "input": a file is not a usable trace, core
				 * or vmlinux (format, truncated, corrupt) */
	ES_ERR_IO = 3,		/* "io": a file cannot be opened, read or
				 * written (the message carries strerror) */
	ES_ERR_NOMEM = 4,	/* "nomem": out of memory */
	ES_ERR_NOT_FOUND = 5,	/* "not_found": no trace in the input */
	ES_ERR_MISMATCH = 6,	/* "mismatch": vmlinux and dump from two builds */
	ES_ERR_NEEDS = 7,	/* "needs": the command needs an input that was
				 * not given (--verify without --core/--vmlinux) */
	ES_ERR_MAX
};

/* The code of es_error(); ES_ERR_NONE if there was none. */
int es_error_code(const struct es_trace *t);
/* "usage", "input", ...; "unknown" for a code out of range. */
const char *es_errcode_name(int code);
/*
 * es_error_json() - write {"error": @msg, "code": "<name>"} and a newline
 * to @f (indented with ES_OUT_PRETTY in @out_flags), as the commands do
 * under ES_OUT_JSON. Returns -1 on a write error.
 */
int es_error_json(FILE *f, const char *msg, int code, unsigned int out_flags);

/* ---- Header and slots --------------------------------------------------- */

#define ES_NR_TYPES	16	/* by_type[] index: enum est_event, 0 = other */

struct es_status {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint32_t record_size;
	uint32_t flags;
	uint32_t capacity;
	uint32_t phase;		/* header's current phase */
	uint64_t head;
	uint64_t lost;
	uint64_t slots;		/* min(head, capacity) */
	uint64_t committed;
	uint64_t torn;
	uint64_t pending;
	uint64_t bad;
	uint64_t by_type[ES_NR_TYPES];
	uint32_t last_phase;	/* highest phase seen in a marker or record */
	uint32_t source;	/* enum es_source */
	uint64_t buffer_addr;	/* where the buffer was found (0 for raw) */
	uint64_t phys_base;	/* as read from the dump (ES_SRC_CORE) */
	uint64_t first_ts;
	uint64_t last_ts;
	/* API 2: who wrote the trace (0, unknown, in format version 1) */
	uint32_t allocator;	/* enum est_allocator */
	uint32_t kernel_version;	/* LINUX_VERSION_CODE */
};

int es_get_status(struct es_trace *t, struct es_status *st);

/* ---- Events ------------------------------------------------------------- */

enum es_slot {
	ES_SLOT_OK = 0,		/* EST_SLOT_OK ... EST_SLOT_BAD */
	ES_SLOT_TORN = 1,
	ES_SLOT_PENDING = 2,
	ES_SLOT_BAD = 3,
};

/* One decoded record; fields mirror struct est_record. */
struct es_event {
	uint64_t seq;
	uint64_t pfn;
	uint64_t cache;
	uint64_t caller;
	uint64_t ts;
	uint64_t arg;
	uint32_t status;	/* enum es_slot; other fields valid if OK */
	uint32_t type;		/* enum est_event */
	uint32_t phase;		/* enum est_phase */
	uint32_t order;
	uint32_t path;		/* enum est_path */
	int32_t nid_req;
	int32_t nid;
	uint32_t cpu;
	uint32_t flags;		/* EST_RF_* */
	char name[ES_NAME_LEN];	/* NUL-terminated copy */
};

/* Filter for es_foreach_event() and the iterator; zero means "any". */
struct es_filter {
	uint32_t types;		/* bit (1 << type) per wanted type */
	uint32_t phases;	/* bit (1 << phase) per wanted phase */
	uint32_t has_pfn;	/* pfn_lo..pfn_hi (inclusive) is set */
	uint32_t all_slots;	/* also hand out torn, pending and bad slots */
	uint64_t pfn_lo;
	uint64_t pfn_hi;
	const char *cache;	/* name glob (fnmatch) or 0x-address */
};

/* Callbacks return 0 to go on, anything else to stop (and is returned). */
typedef int (*es_event_fn)(const struct es_event *ev, void *arg);

int es_foreach_event(struct es_trace *t, const struct es_filter *f,
		     es_event_fn fn, void *arg);

/* Pull-style iteration (handy from Python). */
struct es_iter;
struct es_iter *es_iter_new(struct es_trace *t, const struct es_filter *f);
/* Returns 1 and fills @ev, or 0 at the end. */
int es_iter_next(struct es_iter *it, struct es_event *ev);
void es_iter_free(struct es_iter *it);

/* ---- Ownership ---------------------------------------------------------- */

/* es_run.flags */
#define ES_RUN_LIVE		0x0001	/* still owned at the end of the trace */
#define ES_RUN_EARLY		0x0002	/* pages came from memblock */
#define ES_RUN_NO_ALLOC		0x0004	/* freed without a recorded getpages */
#define ES_RUN_REPLACED		0x0008	/* ended by an overlapping getpages */
#define ES_RUN_SKIPPED		0x0010	/* memblock_free_all skipped it */
#define ES_RUN_LARGE		0x0020	/* a large kmalloc's frames, no slab */

/* One run of ownership of 1 << order page frames starting at pfn. */
struct es_run {
	uint64_t pfn;		/* first pfn of the slab */
	uint64_t cache;
	uint64_t alloc_seq;	/* ES_NO_SEQ with ES_RUN_NO_ALLOC */
	uint64_t free_seq;	/* ES_NO_SEQ while live or replaced */
	uint64_t alloc_caller;
	uint64_t free_caller;
	uint64_t alloc_ts;
	uint64_t free_ts;
	uint32_t order;
	uint32_t flags;		/* ES_RUN_* */
	int32_t nid_req;
	int32_t nid;
	uint32_t alloc_phase;
	uint32_t alloc_path;
	uint32_t free_phase;
	uint32_t free_path;
	char name[ES_NAME_LEN];
};

typedef int (*es_run_fn)(const struct es_run *run, void *arg);
/* The runs covering @pfn, oldest first. */
typedef int (*es_pfn_fn)(uint64_t pfn, const struct es_run *runs,
			 size_t nr_runs, void *arg);

/* What es_timeline() looks at; zero means every pfn touched. */
struct es_select {
	uint32_t has_pfn;
	uint32_t pad;
	uint64_t pfn_lo;
	uint64_t pfn_hi;	/* inclusive */
	const char *cache;	/* pfns ever owned by a matching cache */
};

/* es_timeline() - for each selected pfn, in pfn order, its runs. */
int es_timeline(struct es_trace *t, const struct es_select *sel,
		es_pfn_fn fn, void *arg);

/* es_owners() - runs still live at the end of the trace, by pfn. */
int es_owners(struct es_trace *t, es_run_fn fn, void *arg);

/* ---- Checks ------------------------------------------------------------- */

enum es_kind {
	ES_K_WINDOW_FREE = 0,
	ES_K_DOUBLE_FREE,
	ES_K_FREE_UNALLOCATED,
	ES_K_OVERLAP,
	ES_K_ORDER_MISMATCH,
	ES_K_CACHE_MISMATCH,
	ES_K_MISSED_SKIP,
	ES_K_SPURIOUS_SKIP,
	ES_K_BAD_RECORD,
	ES_K_NODE_MISMATCH,	/* warnings from here on */
	ES_K_LOST_EVENTS,
	ES_K_TORN_RECORD,
	ES_K_PENDING_RECORD,
	ES_K_MAX
};

enum es_severity {
	ES_SEV_WARNING = 1,
	ES_SEV_ERROR = 2,
};

struct es_anomaly {
	uint64_t seq;		/* the event that shows it, ES_NO_SEQ if none */
	uint64_t pfn;		/* ES_NO_PFN if none */
	uint64_t cache;
	uint64_t caller;
	uint64_t other_seq;	/* related earlier event, ES_NO_SEQ if none */
	uint64_t count;		/* lost events, pages, ... (kind-specific) */
	uint64_t ts;		/* of the event that shows it */
	uint32_t kind;		/* enum es_kind */
	uint32_t severity;	/* enum es_severity */
	uint32_t order;
	uint32_t phase;
	char name[ES_NAME_LEN];
	char detail[112];
};

typedef int (*es_anomaly_fn)(const struct es_anomaly *a, void *arg);

/*
 * es_check() - run every check; anomalies are handed out in sequence order.
 * Returns the number of error-level anomalies, or -1 on error.
 */
int es_check(struct es_trace *t, es_anomaly_fn fn, void *arg);

/* ---- Statistics ----------------------------------------------------------- */

/*
 * What earlyslab stats prints, as numbers: one replay of the trace into an
 * opaque struct es_stats, then read it with the accessors below.
 */
struct es_stats;

struct es_count {
	uint64_t count;
	uint64_t pages;		/* bytes in ES_ST_LARGE_BY_PATH, ES_SS_LARGE */
};

/*
 * Tables of counts by a value: row i counts the value i, the last row
 * every value at or above it (names with es_stats_key()).
 */
enum es_stats_table {
	ES_ST_EVENTS_BY_TYPE = 0,	/* committed events; pages unused */
	ES_ST_EVENTS_BY_PHASE,		/* committed events; pages unused */
	ES_ST_GET_BY_PHASE,		/* getpages */
	ES_ST_GET_BY_PATH,
	ES_ST_GET_BY_ORDER,
	ES_ST_GET_BY_NODE,		/* row nid + 1; row 0: no node */
	ES_ST_FREE_BY_PHASE,		/* freepages */
	ES_ST_FREE_BY_PATH,
	ES_ST_LARGE_BY_PATH,		/* large allocations; pages = bytes */
	ES_ST_LARGE_FREE_BY_PATH,	/* large_free (format version 3) */
	ES_ST_MAX
};

/* Totals. */
enum es_stats_total {
	ES_SS_EVENTS = 0,	/* committed events (count) */
	ES_SS_GETPAGES,
	ES_SS_FREEPAGES,
	ES_SS_SKIP,
	ES_SS_LARGE,		/* pages = bytes */
	ES_SS_LIVE,		/* runs still live at the end of the trace:
				 * slabs and large kmallocs from memblock */
	ES_SS_LIVE_EARLY,	/* ... of them on memblock pages */
	ES_SS_SKIPPED_LIVE,	/* ... of them skipped by memblock_free_all */
	ES_SS_NODE_MISMATCH,	/* getpages on another node than asked (count) */
	ES_SS_LARGE_FREE,	/* large_free (format version 3) */
	ES_SS_LIVE_LARGE,	/* ES_SS_LIVE that are large kmallocs */
	ES_SS_MAX
};

struct es_cache_stat {
	uint64_t cache;		/* struct kmem_cache address */
	uint64_t getpages;
	uint64_t freepages;
	uint64_t pages_in;	/* pages allocated */
	uint64_t pages_out;	/* pages freed */
	uint64_t live_slabs;	/* at the end of the trace */
	uint64_t live_pages;
	char name[ES_NAME_LEN];
};

struct es_stats *es_stats_new(void);
void es_stats_free(struct es_stats *s);
/* es_stats_run() - replay @t into @s (earlier counts are dropped). */
int es_stats_run(struct es_stats *s, struct es_trace *t);
/* Return -1 for an unknown @which, @table or @row. */
int es_stats_total(const struct es_stats *s, uint32_t which,
		   struct es_count *c);
size_t es_stats_rows(uint32_t table);	/* 0 for an unknown table */
int es_stats_row(const struct es_stats *s, uint32_t table, size_t row,
		 struct es_count *c);
/* The name of @row of @table ("getpages", "free_all", "3", "other"...). */
const char *es_stats_key(uint32_t table, size_t row, char *buf, size_t len);
/* The caches, most pages allocated first; NULL past the end. */
size_t es_stats_nr_caches(const struct es_stats *s);
const struct es_cache_stat *es_stats_cache(const struct es_stats *s,
					   size_t i);

/* ---- Struct pages in a dump --------------------------------------------- */

/*
 * The kernel's own view of a page frame in the same dump: needs
 * es_load_core() with a vmlinux that has DWARF. Offsets and flag bits come
 * from the DWARF; the vmemmap is reached through the page tables
 * (init_top_pgt) in a QEMU dump, directly in /proc/kcore.
 */
struct es_page {
	uint64_t pfn;
	uint64_t vaddr;		/* of its struct page */
	uint64_t flags;		/* page->flags */
	uint64_t compound_head;
	uint64_t slab_cache;	/* struct slab's, when it is a slab page */
	int32_t refcount;
	uint32_t slab;		/* the kernel's slab mark: PG_slab in
				 * page->flags, or the slab page type in
				 * page->page_type (enum pagetype kernels) */
	uint32_t head;		/* PG_head */
	uint32_t tail;		/* compound_head & 1 */
	/* API 2 */
	uint64_t head_pfn;	/* of its compound head (@pfn if not a tail) */
	uint32_t order;		/* compound order of a head page, else 0 */
	uint32_t page_type;	/* the word _mapcount and page_type share */
	int32_t mapcount;	/* _mapcount + 1, when it holds no type */
	uint32_t typed;		/* page_type holds a type (enum pagetype) */
	char type_name[16];	/* that type's name ("slab", "buddy"), "" */
	char flag_names[256];	/* set bits by enum pageflags, "|" apart */
};

/*
 * The slab mark a kernel uses, as recognised from its DWARF: enum pagetype
 * with PGTY_slab (Linux 6.10 and later), else PG_slab of enum pageflags.
 */
enum es_slab_mark {
	ES_SLAB_MARK_UNKNOWN = 0,	/* no vmlinux, no DWARF, or neither found */
	ES_SLAB_MARK_PG_SLAB = 1,	/* bit PG_slab of page->flags */
	ES_SLAB_MARK_PAGE_TYPE = 2,	/* page->page_type >> 24 == PGTY_slab */
};

/*
 * es_kernel_info() - what the vmlinux's DWARF says of the kernel: its slab
 * mark (enum es_slab_mark) and its allocator (enum est_allocator: struct
 * kmem_cache has cpu_slab in SLUB, cpu_cache in SLAB; 0 if neither). Fails
 * (ES_ERR_MISMATCH) when a version 2 trace says another allocator wrote it.
 */
int es_kernel_info(struct es_trace *t, uint32_t *slab_mark,
		   uint32_t *allocator);
/* "PG_slab", "page_type", "unknown". */
const char *es_slab_mark_name(uint32_t mark);

int es_read_page(struct es_trace *t, uint64_t pfn, struct es_page *pg);

/*
 * What a slab the trace says is live must look like in its struct pages;
 * one bit per disagreement (es_page_check.problems). A large kmalloc
 * (ES_RUN_LARGE) must look the same but for the slab mark, which it must
 * not have, and the cache, which it has none of.
 */
#define ES_PC_UNREADABLE	0x0001	/* its struct pages cannot be read */
#define ES_PC_TAIL		0x0002	/* the first page is a tail page */
#define ES_PC_NOT_SLAB		0x0004	/* no slab mark (PG_slab, page type) */
#define ES_PC_NO_HEAD		0x0008	/* order > 0 and PG_head clear */
#define ES_PC_ORDER		0x0010	/* compound_order is not the order */
#define ES_PC_TAIL_LINK		0x0020	/* a tail's compound_head is wrong */
#define ES_PC_REFCOUNT		0x0040	/* refcount below 1 */
#define ES_PC_CACHE		0x0080	/* slab_cache is another cache */
#define ES_PC_NAME		0x0100	/* that cache's name is another one */
#define ES_PC_SLAB		0x0200	/* a slab page, but the run is a large
					 * kmalloc (ES_RUN_LARGE) */

struct es_page_check {
	struct es_page page;		/* the slab's first page frame */
	uint64_t bad_tail_pfn;		/* first wrong tail, ES_NO_PFN if none */
	uint64_t bad_tail_head;		/* its compound_head */
	uint32_t problems;		/* ES_PC_*; 0 when all agree */
	uint32_t compound_order;	/* as the struct pages say */
	char live_name[64];		/* slab_cache's name, "" if unreadable */
	char detail[256];		/* the problems, "; " between them */
};

/*
 * es_verify_run() - hold @run (pfn, order, cache, name) against the
 * kernel's struct pages: its slab mark (PG_slab, or the slab page type as
 * es_kernel_info() finds it), PG_head and the compound order for order > 0,
 * every tail's compound_head, refcount >= 1, slab_cache and that cache's
 * name (which begins with the trace's truncated copy). A large kmalloc's
 * run (ES_RUN_LARGE) must have no slab mark (ES_PC_SLAB otherwise), the
 * compound head, order, tails and refcount all the same, and no cache is
 * compared. Offsets, flag bits
 * and sizes come from the vmlinux's DWARF. Returns 0 when all agree, 1
 * with @pc->problems set, -1 when struct pages cannot be read at all (no
 * reader, no DWARF: es_error()).
 */
int es_verify_run(struct es_trace *t, const struct es_run *run,
		  struct es_page_check *pc);

/* ---- Symbols ------------------------------------------------------------ */

struct es_symbol {
	uint64_t addr;
	uint64_t offset;	/* from the function's start */
	uint64_t size;		/* of the function, 0 if unknown */
	int32_t line;		/* 0 if unknown */
	uint32_t found;		/* 1 if func is valid */
	char func[128];
	char file[256];		/* "" if unknown */
};

/* Needs es_set_vmlinux(); returns -1 if there is no vmlinux. */
int es_symbolize(struct es_trace *t, uint64_t addr, struct es_symbol *sym);

/* "func+0x1a/0x80" or "0xffffffff81234567" into @buf; returns @buf. */
const char *es_format_caller(struct es_trace *t, uint64_t addr, char *buf,
			     size_t len);

/* ---- Names -------------------------------------------------------------- */

const char *es_type_name(uint32_t type);	/* "getpages", ... */
const char *es_phase_name(uint32_t phase);	/* "boot", ... */
const char *es_path_name(uint32_t path);	/* "none", "memblock", ... */
const char *es_slot_name(uint32_t status);	/* "ok", "torn", ... */
const char *es_mark_name(uint32_t mark);	/* "percpu", "trace_init", ... */
const char *es_allocator_name(uint32_t alloc);	/* "SLAB", "SLUB", "unknown" */
/* The last enum est_mark a trace of format @version defines (0: none). */
uint32_t es_mark_max(uint32_t version);
/* The last enum est_event a trace of format @version defines (0: none). */
uint32_t es_type_max(uint32_t version);
/* 1 if events of @type give page frames back (freepages, large_free). */
int es_type_frees(uint32_t type);
/* "6.12.118" of a LINUX_VERSION_CODE, "unknown" for 0; returns @buf. */
const char *es_kernel_version_name(uint32_t code, char *buf, size_t len);
const char *es_kind_name(uint32_t kind);	/* "window_free", ... */
const char *es_severity_name(uint32_t sev);	/* "warning", "error" */
uint32_t es_kind_severity(uint32_t kind);
/* Reverse lookups: return -1 if unknown. */
int es_type_from_name(const char *name);
int es_phase_from_name(const char *name);

/* ---- Commands ----------------------------------------------------------- */

/* Output options that apply before the command name (bpftool style). */
#define ES_OUT_JSON	0x1
#define ES_OUT_PRETTY	0x2
#define ES_OUT_CSV	0x4

/*
 * es_command() - run one earlyslab(8) command on a loaded trace.
 * @argv[0] is the command name ("status", "dump", ...), followed by its
 * options. Output goes to @out, one-line errors to @err (prefixed with
 * "earlyslab: "). Returns the tool's exit code: 0, 1 (check found an
 * error-level anomaly) or 2 (usage or input error).
 */
int es_command(struct es_trace *t, int argc, char *const argv[],
	       unsigned int out_flags, FILE *out, FILE *err);

/*
 * es_command_str() - es_command() into memory: *@out and *@err are set to
 * NUL-terminated strings to release with es_free().
 */
int es_command_str(struct es_trace *t, int argc, char *const argv[],
		   unsigned int out_flags, char **out, char **err);

void es_free(void *p);

/* The usage text of the commands, for the CLI's --help. */
void es_usage(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* EARLYSLAB_H */
