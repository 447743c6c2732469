/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Early slab trace: a static ring of fixed-size records that logs what the
 * slab allocator does with pages before ftrace exists.
 *
 * This header is the one definition of the format. The kernel has it in
 * include/linux/; user space (the earlyslab analyzers, the gdb commands and
 * the unit tests) builds the very same file.
 */
#ifndef _LINUX_EARLY_SLAB_TRACE_H
#define _LINUX_EARLY_SLAB_TRACE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/build_bug.h>
#else
#include "est_user.h"
#endif

/**
 * DOC: early slab trace format
 *
 * Layout
 * ------
 * The buffer is one object, the symbol ``early_slab_trace``: a 64-byte
 * &struct est_header followed by @capacity records of &struct est_record
 * (80 bytes each). All fields are little-endian x86_64 native values. A
 * reader finds everything it needs in the header: it must check @magic and
 * @version, and must use @header_size and @record_size (not the sizes it was
 * compiled with) to step through the records, so that a later version may
 * append fields.
 *
 * Writers
 * -------
 * A writer reserves a slot by atomically incrementing @head: the value it
 * got is the record's sequence number and the slot index is that number. The
 * writer then stores @seq and sets @state to EST_STATE_WRITING, fills the
 * record, and finally publishes it with a release store of
 * EST_STATE_COMMITTED. Reservation is a single atomic operation, so any
 * number of CPUs, interrupts and NMIs may write concurrently; no lock is
 * taken and no allocator is needed.
 *
 * When full the ring keeps the oldest records: a writer whose sequence number
 * is at or beyond @capacity writes nothing and increments @lost instead.
 * Nothing is ever dropped silently: @head - @capacity (when positive) equals
 * @lost once all writers have finished. Keep-oldest is deliberate. The
 * events nothing else in the kernel can record are the first ones (the slab
 * bootstrap, the memblock-backed pages, the mem_init window); once
 * trace_init() has run, ftrace can take over. It also means a committed
 * record is never rewritten, so a reader of a halted guest never races a
 * writer over a finished record.
 *
 * Readers
 * -------
 * A reader (a debugger on a halted guest, a dump, /proc/kcore) takes
 * n = min(@head, @capacity) and, for each slot i < n, accepts the record
 * only if @state is EST_STATE_COMMITTED and @seq equals i. A slot that is
 * EST_STATE_WRITING was interrupted mid-write (torn); a slot still
 * EST_STATE_EMPTY below @head was reserved but not yet begun. Both are
 * reported, never decoded. Records are written in reservation order
 * except when writers race, so a reader orders records by @seq.
 *
 * Within one version, the enums below only grow at their end; a reader
 * reports a record whose type, phase or path it does not know as bad.
 *
 * Versions
 * --------
 * Version 1 (Linux 6.1, SLAB) has one &enum est_mark value and zeroes where
 * version 2 has @allocator and @kernel_version. Version 2 adds those two
 * header fields, so that a trace says which allocator and kernel wrote it,
 * and the marks from EST_MARK_TRACE_INIT on. Version 3 adds kmalloc above
 * the slab sizes served from memblock (EST_EV_LARGE with a pfn, and
 * EST_EV_LARGE_FREE when it is freed) and the marks around the early ACPI
 * probe. Record layout and the header are the same in all three; a reader
 * of one version reads the older ones, where the values a version does
 * not define are bad records.
 *
 * The kernel keeps the records in .bss and writes the header when early
 * kmalloc starts, before the first event: until then the buffer is all
 * zeroes, without the magic.
 */

#define EST_MAGIC		0x43525442414c5345ULL	/* "ESLABTRC" in memory */
#define EST_VERSION		3
#define EST_VERSION_MIN		1	/* oldest version readers still take */

/* est_header.flags */
#define EST_F_KEEP_OLDEST	0x0001	/* a full ring drops new events */

/* est_record.state */
#define EST_STATE_EMPTY		0x00000000U
#define EST_STATE_WRITING	0x54495257U	/* "WRIT" */
#define EST_STATE_COMMITTED	0x454e4f44U	/* "DONE" */

/* est_record.type */
enum est_event {
	EST_EV_GETPAGES = 1,	/* slab took pages: pfn, order, path */
	EST_EV_FREEPAGES = 2,	/* slab released pages: pfn, order, path */
	EST_EV_SKIP = 3,	/* memblock_free_all left a live slab page alone */
	EST_EV_PHASE = 4,	/* boot phase marker: phase is the new phase */
	EST_EV_SLAB_STATE = 5,	/* slab_state changed: arg is the new value */
	EST_EV_LARGE = 6,	/* kmalloc above the slab sizes: arg bytes */
	EST_EV_NOPAGES = 7,	/* slab got no pages early: order, arg reason */
	EST_EV_MARK = 8,	/* boot step within a phase: arg enum est_mark */
	EST_EV_LARGE_FREE = 9,	/* v3: an EST_EV_LARGE's pages freed: pfn, order */
	EST_EV_MAX
};

/* Last enum est_event value of versions 1 and 2 */
#define EST_EV_MAX_V2		EST_EV_MARK

/* est_record.arg of EST_EV_NOPAGES: why the slab got no pages */
enum est_nopages {
	EST_NOPAGES_MEMBLOCK = 1,	/* memblock had no such memory */
	EST_NOPAGES_TABLE = 2,		/* the table of early slabs is full */
	EST_NOPAGES_MAX
};

/* est_record.arg of EST_EV_MARK */
enum est_mark {
	EST_MARK_PERCPU = 1,	/* per-CPU areas set up, slab moved onto them */
	EST_MARK_TRACE_INIT = 2,	/* v2: trace_init() done, ftrace is up */
	EST_MARK_DEFERRED_DONE = 3,	/* v2: deferred struct page init done */
	EST_MARK_MEMBLOCK_DISCARD = 4,	/* v2: memblock_discard() ran */
	EST_MARK_ACPI_PROBE = 5,	/* v3: the early ACPI probe starts */
	EST_MARK_ACPI_PROBE_END = 6,	/* v3: its namespace is torn down */
	EST_MARK_MAX
};

/* Last enum est_mark value of versions 1 and 2 */
#define EST_MARK_MAX_V1		EST_MARK_PERCPU
#define EST_MARK_MAX_V2		EST_MARK_MEMBLOCK_DISCARD

/* est_header.allocator (version 2; 0 in version 1) */
enum est_allocator {
	EST_ALLOC_UNKNOWN = 0,	/* a version 1 trace does not say */
	EST_ALLOC_SLAB = 1,	/* mm/slab.c (Linux 6.1 and older) */
	EST_ALLOC_SLUB = 2,	/* mm/slub.c */
	EST_ALLOC_MAX
};

/* est_record.phase: where boot was when the event happened */
enum est_phase {
	EST_PHASE_BOOT = 0,	/* before the early kmem_cache_init() */
	EST_PHASE_EARLY = 1,	/* early slab running on memblock pages */
	EST_PHASE_FREE_ALL = 2,	/* inside memblock_free_all() */
	EST_PHASE_WINDOW = 3,	/* mem_init window: buddy up, slab still early */
	EST_PHASE_UP = 4,	/* second kmem_cache_init(): early phase over */
	EST_PHASE_FULL = 5,	/* kmem_cache_init_late() done */
	EST_PHASE_MAX
};

/* est_record.path: where the pages came from or went to */
enum est_path {
	EST_PATH_NONE = 0,
	EST_PATH_MEMBLOCK = 1,	/* taken from / given back to memblock */
	EST_PATH_BUDDY = 2,	/* taken from / given back to the buddy allocator */
	EST_PATH_WINDOW = 3,	/* memblock page handed to buddy in the window */
	EST_PATH_LATE = 4,	/* memblock page handed to buddy after the window */
	EST_PATH_REFUSED = 5,	/* request refused (EST_EV_LARGE) */
	EST_PATH_MAX
};

/* est_record.flags */
#define EST_RF_EARLY_PAGE	0x0001	/* pages came from memblock */

#define EST_NAME_LEN		16
#define EST_NO_NODE		(-1)

/**
 * struct est_header - the self-describing start of the buffer
 * @magic: EST_MAGIC; anything else means this is not (yet) a trace
 * @version: EST_VERSION of the writer
 * @header_size: sizeof(struct est_header); records start here
 * @record_size: sizeof(struct est_record)
 * @flags: EST_F_* policy bits
 * @capacity: number of record slots
 * @phase: the current enum est_phase, updated by the phase markers
 * @head: next sequence number to reserve (may exceed @capacity)
 * @lost: events dropped because the ring was full
 * @allocator: enum est_allocator of the writer (version 2)
 * @reserved16: zero
 * @kernel_version: LINUX_VERSION_CODE of the writer (version 2)
 * @reserved: zero
 */
struct est_header {
	__u64 magic;
	__u16 version;
	__u16 header_size;
	__u16 record_size;
	__u16 flags;
	__u32 capacity;
	__u32 phase;
	atomic64_t head;
	atomic64_t lost;
	__u16 allocator;
	__u16 reserved16;
	__u32 kernel_version;
	__u64 reserved[2];
};

/**
 * struct est_record - one event
 * @seq: sequence number; equals the slot index once written
 * @state: EST_STATE_EMPTY, EST_STATE_WRITING or EST_STATE_COMMITTED
 * @type: enum est_event
 * @phase: enum est_phase at the time of the event
 * @order: page order of the slab (or of the kmalloc, for EST_EV_LARGE)
 * @path: enum est_path
 * @nid_req: NUMA node asked for (EST_NO_NODE for any)
 * @nid: NUMA node of the pages
 * @cpu: CPU that wrote the record
 * @flags: EST_RF_* bits
 * @pfn: first page frame of the slab (or of the kmalloc, for EST_EV_LARGE)
 * @cache: address of the struct kmem_cache (0 when none)
 * @caller: return address of the slab API call that caused the event
 * @ts: cycle counter (TSC on x86) read as the event was recorded, just
 *	before its slot was reserved
 * @arg: event argument: pages skipped, new slab_state, request size,
 *	enum est_nopages, enum est_mark
 * @name: the cache's name, truncated and NUL-terminated
 */
struct est_record {
	__u64 seq;
	__u32 state;
	__u8 type;
	__u8 phase;
	__u8 order;
	__u8 path;
	__s16 nid_req;
	__s16 nid;
	__u16 cpu;
	__u16 flags;
	__u64 pfn;
	__u64 cache;
	__u64 caller;
	__u64 ts;
	__u64 arg;
	char name[EST_NAME_LEN];
};

static_assert(sizeof(struct est_header) == 64, "est_header layout");
static_assert(sizeof(struct est_record) == 80, "est_record layout");

/**
 * EST_HEADER_INIT - static initializer of a header
 * @cap: number of record slots that follow the header
 * @alloc: enum est_allocator of the writer
 * @kver: the writer's kernel version, as LINUX_VERSION_CODE encodes it
 */
#define EST_HEADER_INIT(cap, alloc, kver) {			\
	.magic = EST_MAGIC,					\
	.version = EST_VERSION,					\
	.header_size = sizeof(struct est_header),		\
	.record_size = sizeof(struct est_record),		\
	.flags = EST_F_KEEP_OLDEST,				\
	.capacity = (cap),					\
	.phase = EST_PHASE_BOOT,				\
	.head = ATOMIC64_INIT(0),				\
	.lost = ATOMIC64_INIT(0),				\
	.allocator = (alloc),					\
	.kernel_version = (kver),				\
}

/* Writer side; the reader side, for user space, is in est_reader.h. */
struct est_record *est_reserve(struct est_header *hdr,
			       struct est_record *ring);
void est_commit(struct est_record *rec);
bool est_emit(struct est_header *hdr, struct est_record *ring,
	      const struct est_record *ev);

#endif /* _LINUX_EARLY_SLAB_TRACE_H */
