// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the early slab trace ring: the header, the writer
 * (reserve/commit/emit), the reader contract, the full-ring policy and a
 * multi-threaded stress test of the lock-free reservation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <cmocka.h>

#include "est_reader.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* A trace as the kernel lays it out: header, then the records. */
struct trace {
	struct est_header *hdr;
	struct est_record *ring;
	size_t bytes;
};

/*
 * The buffer of the running test, freed by the teardown even when an
 * assertion fails half-way, so that a failure is not buried under leaks.
 */
static struct est_header *live_buf;

static void trace_alloc(struct trace *t, __u32 cap)
{
	struct est_header init = EST_HEADER_INIT(cap, EST_ALLOC_SLUB, 0x060c00);

	assert_null(live_buf);
	t->bytes = sizeof(struct est_header) +
		   (size_t)cap * sizeof(struct est_record);
	t->hdr = calloc(1, t->bytes);
	assert_non_null(t->hdr);
	*t->hdr = init;
	t->ring = (struct est_record *)(t->hdr + 1);
	live_buf = t->hdr;
}

static void trace_free(struct trace *t)
{
	free(t->hdr);
	live_buf = NULL;
	t->hdr = NULL;
	t->ring = NULL;
}

static int teardown(void **state)
{
	(void)state;
	free(live_buf);
	live_buf = NULL;
	return 0;
}

static __u64 head_of(const struct trace *t)
{
	return (__u64)atomic64_read(&t->hdr->head);
}

static __u64 lost_of(const struct trace *t)
{
	return (__u64)atomic64_read(&t->hdr->lost);
}

/* An event with every payload field set to something recognisable. */
static void make_event(struct est_record *ev, __u64 n)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = 0xbadbadbadULL;		/* must be ignored */
	ev->state = 0x12345678;			/* must be ignored */
	ev->type = EST_EV_GETPAGES;
	ev->phase = EST_PHASE_EARLY;
	ev->order = (__u8)(n % 11);
	ev->path = EST_PATH_MEMBLOCK;
	ev->nid_req = EST_NO_NODE;
	ev->nid = (__s16)(n % 4);
	ev->cpu = (__u16)(n % 64);
	ev->flags = EST_RF_EARLY_PAGE;
	ev->pfn = 0x100000 + n;
	ev->cache = 0xffff888000000000ULL + n * 0x100;
	ev->caller = 0xffffffff81000000ULL + n;
	ev->ts = 1000000 + n * 7;
	ev->arg = n;
	snprintf(ev->name, sizeof(ev->name), "kmalloc-%llu",
		 (unsigned long long)n);
}

/* The part of a record est_emit() copies: everything after seq/state. */
#define PAYLOAD_OFF	offsetof(struct est_record, type)
#define PAYLOAD_LEN	(sizeof(struct est_record) - PAYLOAD_OFF)

static void assert_payload_equal(const struct est_record *a,
				 const struct est_record *b)
{
	assert_memory_equal((const char *)a + PAYLOAD_OFF,
			    (const char *)b + PAYLOAD_OFF, PAYLOAD_LEN);
}

/* ------------------------------------------------------------------ */
/* Header and layout                                                  */
/* ------------------------------------------------------------------ */

/* The shape the kernel uses: one static object, header then records. */
static struct static_trace {
	struct est_header hdr;
	struct est_record ring[16];
} static_trace = { .hdr = EST_HEADER_INIT(16, EST_ALLOC_SLUB, 0x060c00) };

static void test_header_init(void **state)
{
	const struct est_header *h = &static_trace.hdr;
	const unsigned char *raw = (const unsigned char *)h;
	size_t i;

	(void)state;
	assert_int_equal(h->magic, EST_MAGIC);
	assert_memory_equal(raw, "ESLABTRC", 8);	/* as in a raw dump */
	assert_int_equal(h->version, EST_VERSION);
	assert_int_equal(h->header_size, 64);
	assert_int_equal(h->record_size, 80);
	assert_int_equal(h->flags, EST_F_KEEP_OLDEST);
	assert_int_equal(h->capacity, 16);
	assert_int_equal(h->phase, EST_PHASE_BOOT);
	assert_int_equal(atomic64_read(&h->head), 0);
	assert_int_equal(atomic64_read(&h->lost), 0);
	assert_int_equal(h->allocator, EST_ALLOC_SLUB);
	assert_int_equal(h->reserved16, 0);
	assert_int_equal(h->kernel_version, 0x060c00);
	for (i = 0; i < 2; i++)
		assert_int_equal(h->reserved[i], 0);
	/* the version 2 fields sit where version 1 had zeroes */
	assert_int_equal(offsetof(struct est_header, allocator), 40);
	assert_int_equal(offsetof(struct est_header, kernel_version), 44);

	assert_int_equal(offsetof(struct static_trace, ring), 64);
	assert_int_equal(est_check_header(h, sizeof(static_trace)),
			 EST_HDR_OK);
	assert_int_equal(est_nr_slots(h), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(static_trace.ring[i].state, EST_STATE_EMPTY);
}

static void test_layout(void **state)
{
	const __u32 writing = EST_STATE_WRITING;
	const __u32 committed = EST_STATE_COMMITTED;

	(void)state;
	/* The offsets the dump readers and gdb scripts rely on. */
	assert_int_equal(offsetof(struct est_header, magic), 0);
	assert_int_equal(offsetof(struct est_header, version), 8);
	assert_int_equal(offsetof(struct est_header, header_size), 10);
	assert_int_equal(offsetof(struct est_header, record_size), 12);
	assert_int_equal(offsetof(struct est_header, flags), 14);
	assert_int_equal(offsetof(struct est_header, capacity), 16);
	assert_int_equal(offsetof(struct est_header, phase), 20);
	assert_int_equal(offsetof(struct est_header, head), 24);
	assert_int_equal(offsetof(struct est_header, lost), 32);
	assert_int_equal(offsetof(struct est_header, allocator), 40);
	assert_int_equal(offsetof(struct est_header, reserved16), 42);
	assert_int_equal(offsetof(struct est_header, kernel_version), 44);
	assert_int_equal(offsetof(struct est_header, reserved), 48);
	assert_int_equal(sizeof(struct est_header), 64);

	assert_int_equal(offsetof(struct est_record, seq), 0);
	assert_int_equal(offsetof(struct est_record, state), 8);
	assert_int_equal(offsetof(struct est_record, type), 12);
	assert_int_equal(offsetof(struct est_record, phase), 13);
	assert_int_equal(offsetof(struct est_record, order), 14);
	assert_int_equal(offsetof(struct est_record, path), 15);
	assert_int_equal(offsetof(struct est_record, nid_req), 16);
	assert_int_equal(offsetof(struct est_record, nid), 18);
	assert_int_equal(offsetof(struct est_record, cpu), 20);
	assert_int_equal(offsetof(struct est_record, flags), 22);
	assert_int_equal(offsetof(struct est_record, pfn), 24);
	assert_int_equal(offsetof(struct est_record, cache), 32);
	assert_int_equal(offsetof(struct est_record, caller), 40);
	assert_int_equal(offsetof(struct est_record, ts), 48);
	assert_int_equal(offsetof(struct est_record, arg), 56);
	assert_int_equal(offsetof(struct est_record, name), 64);
	assert_int_equal(sizeof(struct est_record), 80);

	assert_int_equal(sizeof(atomic64_t), 8);
	assert_int_equal(alignof(atomic64_t), 8);

	/* The state words read as their names in a raw dump. */
	assert_memory_equal(&writing, "WRIT", 4);
	assert_memory_equal(&committed, "DONE", 4);
}

/* ------------------------------------------------------------------ */
/* Writer                                                             */
/* ------------------------------------------------------------------ */

static void test_reserve_order(void **state)
{
	struct trace t;
	struct est_record *rec;
	__u64 i;

	(void)state;
	trace_alloc(&t, 8);
	for (i = 0; i < 5; i++) {
		rec = est_reserve(t.hdr, t.ring);
		assert_ptr_equal(rec, &t.ring[i]);
		assert_int_equal(rec->seq, i);
		assert_int_equal(rec->state, EST_STATE_WRITING);
		assert_int_equal(head_of(&t), i + 1);
	}
	/* Nothing beyond the reserved slots was touched. */
	for (i = 5; i < 8; i++) {
		assert_int_equal(t.ring[i].seq, 0);
		assert_int_equal(t.ring[i].state, EST_STATE_EMPTY);
	}
	assert_int_equal(lost_of(&t), 0);
	assert_int_equal(est_nr_slots(t.hdr), 5);
	trace_free(&t);
}

static void test_commit_states(void **state)
{
	struct trace t;
	struct est_record *a, *b, *c;

	(void)state;
	trace_alloc(&t, 8);
	a = est_reserve(t.hdr, t.ring);
	b = est_reserve(t.hdr, t.ring);
	c = est_reserve(t.hdr, t.ring);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);

	/* Commits may come in any order; each only flips its own slot. */
	est_commit(b);
	assert_int_equal(a->state, EST_STATE_WRITING);
	assert_int_equal(b->state, EST_STATE_COMMITTED);
	assert_int_equal(c->state, EST_STATE_WRITING);
	assert_int_equal(est_slot_status(a, 0), EST_SLOT_TORN);
	assert_int_equal(est_slot_status(b, 1), EST_SLOT_OK);
	assert_int_equal(est_slot_status(c, 2), EST_SLOT_TORN);

	est_commit(c);
	est_commit(a);
	assert_int_equal(est_slot_status(a, 0), EST_SLOT_OK);
	assert_int_equal(est_slot_status(b, 1), EST_SLOT_OK);
	assert_int_equal(est_slot_status(c, 2), EST_SLOT_OK);
	assert_int_equal(a->seq, 0);
	assert_int_equal(b->seq, 1);
	assert_int_equal(c->seq, 2);
	trace_free(&t);
}

static void test_emit_copies_fields(void **state)
{
	struct trace t;
	struct est_record ev, copy;
	__u64 i;

	(void)state;
	trace_alloc(&t, 8);
	for (i = 0; i < 8; i++) {
		make_event(&ev, i + 40);
		copy = ev;
		assert_true(est_emit(t.hdr, t.ring, &ev));
		/* The event itself is left alone. */
		assert_memory_equal(&ev, &copy, sizeof(ev));

		assert_int_equal(t.ring[i].seq, i);
		assert_int_equal(t.ring[i].state, EST_STATE_COMMITTED);
		assert_payload_equal(&t.ring[i], &ev);
		assert_int_equal(t.ring[i].pfn, 0x100000 + i + 40);
		assert_int_equal(t.ring[i].nid_req, EST_NO_NODE);
		assert_string_equal(t.ring[i].name, ev.name);
		assert_int_equal(est_slot_status(&t.ring[i], i), EST_SLOT_OK);
	}
	assert_int_equal(head_of(&t), 8);
	assert_int_equal(lost_of(&t), 0);
	trace_free(&t);
}

static void test_emit_terminates_name(void **state)
{
	struct trace t;
	struct est_record ev;

	(void)state;
	trace_alloc(&t, 2);
	make_event(&ev, 1);
	memset(ev.name, 'x', sizeof(ev.name));	/* no NUL at all */
	assert_true(est_emit(t.hdr, t.ring, &ev));
	assert_int_equal(t.ring[0].name[EST_NAME_LEN - 1], '\0');
	assert_int_equal(strlen(t.ring[0].name), EST_NAME_LEN - 1);
	assert_memory_equal(t.ring[0].name, ev.name, EST_NAME_LEN - 1);
	trace_free(&t);
}

static void test_capacity_one(void **state)
{
	struct trace t;
	struct est_record ev;

	(void)state;
	trace_alloc(&t, 1);
	make_event(&ev, 7);
	assert_true(est_emit(t.hdr, t.ring, &ev));
	assert_false(est_emit(t.hdr, t.ring, &ev));
	assert_null(est_reserve(t.hdr, t.ring));
	assert_int_equal(head_of(&t), 3);
	assert_int_equal(lost_of(&t), 2);
	assert_int_equal(est_nr_slots(t.hdr), 1);
	assert_int_equal(est_slot_status(&t.ring[0], 0), EST_SLOT_OK);
	assert_int_equal(t.ring[0].arg, 7);
	trace_free(&t);
}

/* ------------------------------------------------------------------ */
/* Full ring: keep the oldest, count the rest                         */
/* ------------------------------------------------------------------ */

static void test_full_ring_keeps_oldest(void **state)
{
	enum { CAP = 8, EXTRA = 13 };
	struct trace t;
	struct est_record ev;
	struct est_record snap[CAP];
	__u64 i;

	(void)state;
	trace_alloc(&t, CAP);
	for (i = 0; i < CAP; i++) {
		make_event(&ev, i);
		assert_true(est_emit(t.hdr, t.ring, &ev));
	}
	assert_int_equal(lost_of(&t), 0);
	memcpy(snap, t.ring, sizeof(snap));

	for (i = 0; i < EXTRA; i++) {
		make_event(&ev, 1000 + i);
		assert_false(est_emit(t.hdr, t.ring, &ev));
		assert_int_equal(lost_of(&t), i + 1);
		assert_int_equal(head_of(&t) - CAP, lost_of(&t));
	}
	/* Reserving directly is refused and counted the same way. */
	assert_null(est_reserve(t.hdr, t.ring));
	assert_int_equal(lost_of(&t), EXTRA + 1);
	assert_int_equal(head_of(&t), CAP + EXTRA + 1);
	assert_int_equal(head_of(&t) - CAP, lost_of(&t));

	/* The oldest records are all there, byte for byte. */
	assert_memory_equal(snap, t.ring, sizeof(snap));
	assert_int_equal(est_nr_slots(t.hdr), CAP);
	for (i = 0; i < CAP; i++) {
		assert_int_equal(est_slot_status(&t.ring[i], i), EST_SLOT_OK);
		assert_int_equal(t.ring[i].arg, i);
	}
	/* Nothing was written past the last slot. */
	assert_int_equal(est_check_header(t.hdr, t.bytes), EST_HDR_OK);
	trace_free(&t);
}

/* ------------------------------------------------------------------ */
/* Torn and pending records                                           */
/* ------------------------------------------------------------------ */

static void test_torn_record(void **state)
{
	struct trace t;
	struct est_record ev, *torn;

	(void)state;
	trace_alloc(&t, 8);
	make_event(&ev, 0);
	assert_true(est_emit(t.hdr, t.ring, &ev));

	/* A writer interrupted between reserve and commit. */
	torn = est_reserve(t.hdr, t.ring);
	assert_ptr_equal(torn, &t.ring[1]);
	torn->pfn = 0xdead;

	make_event(&ev, 2);
	assert_true(est_emit(t.hdr, t.ring, &ev));

	assert_int_equal(est_nr_slots(t.hdr), 3);
	assert_int_equal(est_slot_status(&t.ring[0], 0), EST_SLOT_OK);
	assert_int_equal(est_slot_status(&t.ring[1], 1), EST_SLOT_TORN);
	assert_int_not_equal(est_slot_status(&t.ring[1], 1), EST_SLOT_OK);
	assert_int_equal(est_slot_status(&t.ring[2], 2), EST_SLOT_OK);
	assert_int_equal(t.ring[2].arg, 2);

	/* Reserved but not begun: head moved, the slot is still empty. */
	atomic64_inc(&t.hdr->head);
	assert_int_equal(est_nr_slots(t.hdr), 4);
	assert_int_equal(est_slot_status(&t.ring[3], 3), EST_SLOT_PENDING);

	/* The interrupted writer finishes: the record becomes valid. */
	est_commit(torn);
	assert_int_equal(est_slot_status(&t.ring[1], 1), EST_SLOT_OK);
	trace_free(&t);
}

/* ------------------------------------------------------------------ */
/* Reader contract                                                    */
/* ------------------------------------------------------------------ */

static void test_check_header_errors(void **state)
{
	struct trace t;
	struct est_header h;

	(void)state;
	trace_alloc(&t, 4);
	h = *t.hdr;

	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_OK);
	assert_int_equal(est_check_header(&h, t.bytes + 4096), EST_HDR_OK);

	/* SHORT */
	assert_int_equal(est_check_header(NULL, t.bytes), EST_HDR_SHORT);
	assert_int_equal(est_check_header(&h, 0), EST_HDR_SHORT);
	assert_int_equal(est_check_header(&h, 63), EST_HDR_SHORT);
	assert_int_equal(est_check_header(&h, 64), EST_HDR_TRUNCATED);

	/* MAGIC, and it wins over every later problem */
	h.magic = EST_MAGIC ^ 1;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_MAGIC);
	h.version = 99;
	h.capacity = 0;
	assert_int_equal(est_check_header(&h, 64), EST_HDR_MAGIC);
	h = *t.hdr;
	h.magic = 0;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_MAGIC);

	/* VERSION, before SIZES */
	h = *t.hdr;
	h.version = EST_VERSION + 1;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_VERSION);
	h.version = 0;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_VERSION);
	h.version = EST_VERSION_MIN;	/* version 1 traces are still read */
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_OK);
	h.version = 0;
	h.record_size = 1;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_VERSION);

	/* SIZES, before TRUNCATED */
	h = *t.hdr;
	h.header_size = 63;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_SIZES);
	h = *t.hdr;
	h.record_size = 79;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_SIZES);
	h = *t.hdr;
	h.capacity = 0;
	assert_int_equal(est_check_header(&h, t.bytes), EST_HDR_SIZES);
	h = *t.hdr;
	h.capacity = (1U << 24) + 1;
	assert_int_equal(est_check_header(&h, ~0ULL), EST_HDR_SIZES);
	h.capacity = 0xffffffffU;
	assert_int_equal(est_check_header(&h, ~0ULL), EST_HDR_SIZES);
	h.capacity = 1U << 24;
	assert_int_equal(est_check_header(&h, ~0ULL), EST_HDR_OK);
	assert_int_equal(est_check_header(&h, 64 + (80ULL << 24) - 1),
			 EST_HDR_TRUNCATED);
	assert_int_equal(est_check_header(&h, 64 + (80ULL << 24)),
			 EST_HDR_OK);

	/* TRUNCATED: one byte short of the last record */
	h = *t.hdr;
	assert_int_equal(est_check_header(&h, t.bytes - 1), EST_HDR_TRUNCATED);
	assert_int_equal(est_check_header(&h, 64 + 3 * 80), EST_HDR_TRUNCATED);

	/* A later version's bigger header and records are stepped over. */
	h = *t.hdr;
	h.header_size = 128;
	h.record_size = 96;
	assert_int_equal(est_check_header(&h, 128 + 4 * 96), EST_HDR_OK);
	assert_int_equal(est_check_header(&h, 128 + 4 * 96 - 1),
			 EST_HDR_TRUNCATED);
	h.header_size = 0xffff;
	h.record_size = 0xffff;
	h.capacity = 1U << 24;
	assert_int_equal(est_check_header(&h, 0xffffULL + (0xffffULL << 24)),
			 EST_HDR_OK);
	assert_int_equal(est_check_header(&h, 0xffffULL << 24),
			 EST_HDR_TRUNCATED);
	trace_free(&t);
}

/*
 * A short buffer must be rejected without reading past it: the header sits
 * in an allocation of exactly the available size, so AddressSanitizer
 * catches any read of a field beyond it.
 */
static void test_check_header_short_no_overread(void **state)
{
	struct est_header init = EST_HEADER_INIT(4, EST_ALLOC_SLUB, 0x060c00);
	size_t sizes[] = { 1, 8, 16, 63 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *buf = malloc(sizes[i]);

		assert_non_null(buf);
		memcpy(buf, &init, sizes[i]);
		assert_int_equal(est_check_header((const void *)buf, sizes[i]),
				 EST_HDR_SHORT);
		free(buf);
	}
}

static void test_hdr_error_str(void **state)
{
	enum est_hdr_error e, f;

	(void)state;
	for (e = EST_HDR_OK; e <= EST_HDR_TRUNCATED; e++) {
		assert_non_null(est_hdr_error_str(e));
		assert_true(strlen(est_hdr_error_str(e)) > 0);
		for (f = EST_HDR_OK; f < e; f++)
			assert_string_not_equal(est_hdr_error_str(e),
						est_hdr_error_str(f));
	}
	assert_string_equal(est_hdr_error_str(EST_HDR_OK), "ok");
	assert_non_null(est_hdr_error_str((enum est_hdr_error)42));
}

/*
 * What each format version defines: versions 1 and 2 stop at
 * EST_EV_MARK, version 3 adds EST_EV_LARGE_FREE; the marks grow by
 * version; a version readers do not take defines nothing.
 */
static void test_version_limits(void **state)
{
	static const struct {
		__u32 version, type_max, mark_max;
	} v[] = {
		{ 0, 0, 0 },
		{ 1, EST_EV_MARK, EST_MARK_PERCPU },
		{ 2, EST_EV_MAX_V2, EST_MARK_MEMBLOCK_DISCARD },
		{ 3, EST_EV_LARGE_FREE, EST_MARK_ACPI_PROBE_END },
		{ EST_VERSION, EST_EV_MAX - 1, EST_MARK_MAX - 1 },
		{ EST_VERSION + 1, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(est_type_max(v[i].version), v[i].type_max);
		assert_int_equal(est_mark_max(v[i].version), v[i].mark_max);
	}
}

static void test_nr_slots(void **state)
{
	struct trace t;

	(void)state;
	trace_alloc(&t, 8);
	assert_int_equal(est_nr_slots(t.hdr), 0);
	atomic64_set(&t.hdr->head, 5);
	assert_int_equal(est_nr_slots(t.hdr), 5);
	atomic64_set(&t.hdr->head, 8);
	assert_int_equal(est_nr_slots(t.hdr), 8);
	atomic64_set(&t.hdr->head, 9);
	assert_int_equal(est_nr_slots(t.hdr), 8);
	atomic64_set(&t.hdr->head, 1LL << 40);
	assert_int_equal(est_nr_slots(t.hdr), 8);
	trace_free(&t);
}

static void test_slot_status(void **state)
{
	struct est_record rec;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	rec.seq = 5;

	rec.state = EST_STATE_COMMITTED;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_OK);
	/* Committed, but for another slot: a stale or garbage record. */
	assert_int_equal(est_slot_status(&rec, 4), EST_SLOT_BAD);
	assert_int_equal(est_slot_status(&rec, 6), EST_SLOT_BAD);
	rec.seq = 5 + 8;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_BAD);
	rec.seq = 5;

	rec.state = EST_STATE_WRITING;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_TORN);
	assert_int_equal(est_slot_status(&rec, 4), EST_SLOT_TORN);

	rec.state = EST_STATE_EMPTY;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_PENDING);

	rec.state = 0xffffffffU;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_BAD);
	rec.state = EST_STATE_COMMITTED ^ 0x100;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_BAD);
	rec.state = 1;
	assert_int_equal(est_slot_status(&rec, 5), EST_SLOT_BAD);
}

/* ------------------------------------------------------------------ */
/* Concurrent writers                                                 */
/* ------------------------------------------------------------------ */

#define STRESS_CAP		65536U
#define STRESS_PER_THREAD	200000UL
#define STRESS_MAX_THREADS	8
/*
 * Each round checks everything. Several rounds, because on a busy or
 * virtual machine the writers of one round may barely overlap.
 */
#ifndef STRESS_ROUNDS
#define STRESS_ROUNDS		8
#endif

struct writer {
	pthread_t tid;
	struct trace *t;
	unsigned int *ready;
	unsigned int nthreads;
	unsigned int id;
	unsigned long n;
	unsigned long kept;
	unsigned long dropped;
};

/* Payload derived from (thread, counter), to catch mixed-up records. */
static __u64 stress_pfn(unsigned int id, __u64 n)
{
	return (n * 0x9e3779b97f4a7c15ULL) ^ ((__u64)id << 56) ^ 0x5a5a;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct est_record ev;
	unsigned long i;

	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_GETPAGES;
	ev.phase = EST_PHASE_EARLY;
	ev.path = EST_PATH_BUDDY;
	ev.nid_req = EST_NO_NODE;
	ev.cpu = (__u16)w->id;
	snprintf(ev.name, sizeof(ev.name), "writer-%u", w->id);

	/*
	 * Wait for the others by spinning rather than sleeping in a barrier,
	 * so that all writers are running when the first event is emitted.
	 */
	__atomic_fetch_add(w->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(w->ready, __ATOMIC_ACQUIRE) < w->nthreads)
		sched_yield();
	for (i = 0; i < w->n; i++) {
		ev.arg = i;
		ev.pfn = stress_pfn(w->id, i);
		ev.cache = ~ev.pfn;
		ev.order = (__u8)(i & 7);
		if (est_emit(w->t->hdr, w->t->ring, &ev))
			w->kept++;
		else
			w->dropped++;
	}
	return NULL;
}

/* Does a committed record carry a payload some writer really produced? */
static bool stress_record_valid(const struct est_record *r,
				unsigned int nthreads)
{
	char name[EST_NAME_LEN];

	if (r->cpu >= nthreads || r->type != EST_EV_GETPAGES ||
	    r->phase != EST_PHASE_EARLY || r->path != EST_PATH_BUDDY ||
	    r->nid_req != EST_NO_NODE || r->order != (r->arg & 7) ||
	    r->pfn != stress_pfn(r->cpu, r->arg) || r->cache != ~r->pfn)
		return false;
	snprintf(name, sizeof(name), "writer-%u", (unsigned int)r->cpu);
	return strcmp(name, r->name) == 0;
}

/* A reader scanning the live ring while the writers run. */
struct live_reader {
	pthread_t tid;
	struct trace *t;
	unsigned int nthreads;
	int done;		/* set by the main thread, atomically */
	unsigned long passes;
	unsigned long seen_ok;
	unsigned long seen_torn;
	unsigned long seen_pending;
	unsigned long seen_bad;
	unsigned long invalid;	/* OK, but with a payload nobody wrote */
};

static void *reader_main(void *arg)
{
	struct live_reader *r = arg;
	__u64 i, n;

	do {
		n = est_nr_slots(r->t->hdr);
		for (i = 0; i < n; i++) {
			const struct est_record *rec = &r->t->ring[i];

			switch (est_slot_status(rec, i)) {
			case EST_SLOT_OK:
				r->seen_ok++;
				if (!stress_record_valid(rec, r->nthreads))
					r->invalid++;
				break;
			case EST_SLOT_TORN:
				r->seen_torn++;
				break;
			case EST_SLOT_PENDING:
				r->seen_pending++;
				break;
			default:
				r->seen_bad++;
				break;
			}
		}
		r->passes++;
	} while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE));
	return NULL;
}

static void run_stress_round(unsigned int nthreads, bool live_reader)
{
	struct writer w[STRESS_MAX_THREADS];
	unsigned long next[STRESS_MAX_THREADS];
	struct live_reader reader;
	unsigned int ready = 0;
	struct trace t;
	unsigned long total = 0, kept = 0, dropped = 0;
	unsigned int i;
	__u64 slot;

	assert_true(nthreads <= STRESS_MAX_THREADS);
	trace_alloc(&t, STRESS_CAP);

	memset(&reader, 0, sizeof(reader));
	reader.t = &t;
	reader.nthreads = nthreads;
	if (live_reader)
		assert_int_equal(pthread_create(&reader.tid, NULL,
						reader_main, &reader), 0);

	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].t = &t;
		w[i].ready = &ready;
		w[i].nthreads = nthreads;
		w[i].id = i;
		w[i].n = STRESS_PER_THREAD;
		total += w[i].n;
		assert_int_equal(pthread_create(&w[i].tid, NULL, writer_main,
						&w[i]), 0);
	}
	for (i = 0; i < nthreads; i++)
		assert_int_equal(pthread_join(w[i].tid, NULL), 0);
	if (live_reader) {
		__atomic_store_n(&reader.done, 1, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(reader.tid, NULL), 0);
	}

	/* Counters: nothing dropped silently, nothing counted twice. */
	for (i = 0; i < nthreads; i++) {
		assert_int_equal(w[i].kept + w[i].dropped, w[i].n);
		kept += w[i].kept;
		dropped += w[i].dropped;
	}
	assert_int_equal(head_of(&t), total);
	assert_int_equal(lost_of(&t), total - STRESS_CAP);
	assert_int_equal(head_of(&t) - STRESS_CAP, lost_of(&t));
	assert_int_equal(kept, STRESS_CAP);
	assert_int_equal(dropped, lost_of(&t));
	assert_int_equal(est_nr_slots(t.hdr), STRESS_CAP);

	/*
	 * Every slot holds a committed record of the right seq, and each
	 * thread's kept events are exactly its first ones, in order: a
	 * thread's reservations only grow, so once it is refused it is
	 * refused for good. That rules out duplicates, gaps and reordering.
	 */
	memset(next, 0, sizeof(next));
	for (slot = 0; slot < STRESS_CAP; slot++) {
		const struct est_record *r = &t.ring[slot];

		if (est_slot_status(r, slot) != EST_SLOT_OK)
			fail_msg("slot %llu: state %#x seq %llu",
				 (unsigned long long)slot, r->state,
				 (unsigned long long)r->seq);
		if (!stress_record_valid(r, nthreads))
			fail_msg("slot %llu: corrupt payload",
				 (unsigned long long)slot);
		if (r->arg != next[r->cpu])
			fail_msg("slot %llu: thread %u event %llu, expected %lu",
				 (unsigned long long)slot, r->cpu,
				 (unsigned long long)r->arg, next[r->cpu]);
		next[r->cpu]++;
	}
	for (i = 0; i < nthreads; i++)
		assert_int_equal(next[i], w[i].kept);

	if (live_reader) {
		assert_true(reader.passes > 0);
		assert_int_equal(reader.seen_bad, 0);
		assert_int_equal(reader.invalid, 0);
	}
	trace_free(&t);
}

static void run_stress(unsigned int nthreads, bool live_reader)
{
	unsigned int round;

	for (round = 0; round < STRESS_ROUNDS; round++)
		run_stress_round(nthreads, live_reader);
}

static void test_stress_2_writers(void **state)
{
	(void)state;
	run_stress(2, false);
}

static void test_stress_4_writers(void **state)
{
	(void)state;
	run_stress(4, false);
}

static void test_stress_2_writers_live_reader(void **state)
{
	(void)state;
	run_stress(2, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_header_init, teardown),
		cmocka_unit_test_teardown(test_layout, teardown),
		cmocka_unit_test_teardown(test_reserve_order, teardown),
		cmocka_unit_test_teardown(test_commit_states, teardown),
		cmocka_unit_test_teardown(test_emit_copies_fields, teardown),
		cmocka_unit_test_teardown(test_emit_terminates_name, teardown),
		cmocka_unit_test_teardown(test_capacity_one, teardown),
		cmocka_unit_test_teardown(test_full_ring_keeps_oldest, teardown),
		cmocka_unit_test_teardown(test_torn_record, teardown),
		cmocka_unit_test_teardown(test_check_header_errors, teardown),
		cmocka_unit_test_teardown(test_check_header_short_no_overread, teardown),
		cmocka_unit_test_teardown(test_hdr_error_str, teardown),
		cmocka_unit_test(test_version_limits),
		cmocka_unit_test_teardown(test_nr_slots, teardown),
		cmocka_unit_test_teardown(test_slot_status, teardown),
		cmocka_unit_test_teardown(test_stress_2_writers, teardown),
		cmocka_unit_test_teardown(test_stress_4_writers, teardown),
		cmocka_unit_test_teardown(test_stress_2_writers_live_reader, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
