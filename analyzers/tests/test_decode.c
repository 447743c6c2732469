// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab decoding: the header check, the slot states (committed,
 * torn, pending, bad), empty, full and overflowed rings, a wider record
 * stride, filters, the iterator and the names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "earlyslab.h"
#include "synth.h"

static struct es_trace *load(struct synth *s)
{
	struct es_trace *t = es_trace_new();

	assert_non_null(t);
	assert_int_equal(es_load_memory(t, s->mem, s->len, "test"), 0);
	return t;
}

static int load_err(const void *buf, size_t len, char *msg, size_t n)
{
	struct es_trace *t = es_trace_new();
	int ret = es_load_memory(t, buf, len, "buf.bin");

	snprintf(msg, n, "%s", es_error(t));
	es_trace_free(t);
	return ret;
}

static void test_header_errors(void **state)
{
	struct synth *s = synth_new(8);
	char msg[512];
	unsigned char *copy;

	(void)state;
	synth_clean_boot(s);

	assert_int_equal(load_err(s->mem, 0, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "buf.bin: empty"));

	assert_int_equal(load_err(s->mem, 10, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "shorter than the 64-byte trace header"));

	copy = malloc(s->len);
	memcpy(copy, s->mem, s->len);
	((struct est_header *)copy)->magic = 0x1122334455667788ULL;
	assert_int_equal(load_err(copy, s->len, msg, sizeof(msg)), -1);
	assert_string_equal(msg,
			    "buf.bin: bad magic 0x1122334455667788 (not an early_slab_trace buffer)");

	memcpy(copy, s->mem, s->len);
	((struct est_header *)copy)->version = 7;
	assert_int_equal(load_err(copy, s->len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "unsupported trace format version 7"));

	memcpy(copy, s->mem, s->len);
	((struct est_header *)copy)->record_size = 40;
	assert_int_equal(load_err(copy, s->len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "implausible header"));

	memcpy(copy, s->mem, s->len);
	((struct est_header *)copy)->capacity = 0;
	assert_int_equal(load_err(copy, s->len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "implausible header"));

	assert_int_equal(load_err(s->mem, s->len - 1, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "truncated"));

	/* a longer buffer than announced is fine */
	copy = realloc(copy, s->len + 100);
	memcpy(copy, s->mem, s->len);
	assert_int_equal(load_err(copy, s->len + 100, msg, sizeof(msg)), 0);
	free(copy);
	synth_free(s);
}

static void test_empty(void **state)
{
	struct synth *s = synth_new(16);
	struct es_trace *t = load(s);
	struct es_status st;
	struct es_event ev;
	struct es_iter *it;

	(void)state;
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.head, 0);
	assert_int_equal(st.slots, 0);
	assert_int_equal(st.committed, 0);
	assert_int_equal(st.capacity, 16);
	assert_int_equal(st.phase, EST_PHASE_BOOT);
	it = es_iter_new(t, NULL);
	assert_int_equal(es_iter_next(it, &ev), 0);
	es_iter_free(it);
	assert_int_equal(es_check(t, NULL, NULL), 0);
	es_trace_free(t);
	synth_free(s);
}

static void test_clean_counts(void **state)
{
	struct synth *s = synth_new(32);
	unsigned int n = synth_clean_boot(s);
	struct es_trace *t = load(s);
	struct es_status st;

	(void)state;
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.magic, EST_MAGIC);
	assert_int_equal(st.version, EST_VERSION);
	assert_int_equal(st.header_size, 64);
	assert_int_equal(st.record_size, 80);
	assert_int_equal(st.head, n);
	assert_int_equal(st.committed, n);
	assert_int_equal(st.torn + st.pending + st.bad + st.lost, 0);
	assert_int_equal(st.by_type[EST_EV_GETPAGES], 4);
	assert_int_equal(st.by_type[EST_EV_FREEPAGES], 2);
	assert_int_equal(st.by_type[EST_EV_SKIP], 2);
	assert_int_equal(st.by_type[EST_EV_PHASE], 5);
	assert_int_equal(st.by_type[EST_EV_SLAB_STATE], 3);
	assert_int_equal(st.by_type[EST_EV_LARGE], 1);
	assert_int_equal(st.phase, EST_PHASE_FULL);
	assert_int_equal(st.last_phase, EST_PHASE_FULL);
	assert_int_equal(st.source, ES_SRC_MEMORY);
	es_trace_free(t);
	synth_free(s);
}

static void test_full(void **state)
{
	struct synth *s = synth_new(8);
	struct es_trace *t;
	struct es_status st;
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_true(synth_get(s, 0x100 + (uint64_t)i, 0,
				      EST_PATH_MEMBLOCK, CACHE_B,
				      "kmalloc-64", CALLER_1));
	t = load(s);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.head, 8);
	assert_int_equal(st.slots, 8);
	assert_int_equal(st.committed, 8);
	assert_int_equal(st.lost, 0);
	assert_int_equal(es_check(t, NULL, NULL), 0);
	es_trace_free(t);
	synth_free(s);
}

struct collected {
	struct es_anomaly a[64];
	int n;
};

static int collect(const struct es_anomaly *a, void *arg)
{
	struct collected *c = arg;

	if (c->n < 64)
		c->a[c->n] = *a;
	c->n++;
	return 0;
}

static void test_overflow(void **state)
{
	struct synth *s = synth_new(4);
	struct collected c = { .n = 0 };
	struct es_trace *t;
	struct es_status st;
	struct es_event ev;
	struct es_iter *it;
	uint64_t seq = 0;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		synth_get(s, 0x100 + (uint64_t)i, 0, EST_PATH_MEMBLOCK,
			  CACHE_B, "kmalloc-64", CALLER_1);
	t = load(s);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.head, 7);
	assert_int_equal(st.lost, 3);
	assert_int_equal(st.slots, 4);
	assert_int_equal(st.committed, 4);
	/* keep-oldest: the first four events, in order */
	it = es_iter_new(t, NULL);
	while (es_iter_next(it, &ev)) {
		assert_int_equal(ev.seq, seq);
		assert_int_equal(ev.pfn, 0x100 + seq);
		seq++;
	}
	es_iter_free(it);
	assert_int_equal(seq, 4);
	assert_int_equal(es_check(t, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.a[0].kind, ES_K_LOST_EVENTS);
	assert_int_equal(c.a[0].severity, ES_SEV_WARNING);
	assert_int_equal(c.a[0].count, 3);
	assert_int_equal(c.a[0].seq, 4);
	es_trace_free(t);
	synth_free(s);
}

/* head beyond capacity but lost not yet counted (writers in flight) */
static void test_overflow_in_flight(void **state)
{
	struct synth *s = synth_new(2);
	struct collected c = { .n = 0 };
	struct es_trace *t;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	synth_phase(s, EST_PHASE_UP);
	s->hdr->head.counter = 5;
	t = load(s);
	es_check(t, collect, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.a[0].kind, ES_K_LOST_EVENTS);
	assert_int_equal(c.a[0].count, 3);
	es_trace_free(t);
	synth_free(s);
}

static void test_slot_states(void **state)
{
	struct synth *s = synth_new(16);
	struct collected c = { .n = 0 };
	struct es_filter f = { .all_slots = 1 };
	struct es_trace *t;
	struct es_status st;
	struct es_event ev;
	struct es_iter *it;
	uint32_t seen[4] = { 0 };

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);		/* 0 ok */
	synth_torn(s);					/* 1 torn */
	synth_get(s, 0x10, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		  CALLER_1);				/* 2 ok */
	synth_get(s, 0x11, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		  CALLER_1);				/* 3 bad */
	synth_bad(s, 3);
	synth_pending(s);				/* 4 pending */
	t = load(s);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.slots, 5);
	assert_int_equal(st.committed, 2);
	assert_int_equal(st.torn, 1);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.bad, 1);

	it = es_iter_new(t, &f);
	while (es_iter_next(it, &ev))
		seen[ev.status]++;
	es_iter_free(it);
	assert_int_equal(seen[ES_SLOT_OK], 2);
	assert_int_equal(seen[ES_SLOT_TORN], 1);
	assert_int_equal(seen[ES_SLOT_BAD], 1);
	assert_int_equal(seen[ES_SLOT_PENDING], 1);

	/* without all_slots only committed records come out */
	memset(seen, 0, sizeof(seen));
	it = es_iter_new(t, NULL);
	while (es_iter_next(it, &ev))
		seen[ev.status]++;
	es_iter_free(it);
	assert_int_equal(seen[ES_SLOT_OK], 2);
	assert_int_equal(seen[ES_SLOT_TORN] + seen[ES_SLOT_BAD] +
			 seen[ES_SLOT_PENDING], 0);

	assert_int_equal(es_check(t, collect, &c), 1);	/* bad_record */
	assert_int_equal(c.n, 3);
	assert_int_equal(c.a[0].kind, ES_K_TORN_RECORD);
	assert_int_equal(c.a[0].seq, 1);
	assert_int_equal(c.a[1].kind, ES_K_BAD_RECORD);
	assert_int_equal(c.a[1].seq, 3);
	assert_int_equal(c.a[2].kind, ES_K_PENDING_RECORD);
	assert_int_equal(c.a[2].seq, 4);
	es_trace_free(t);
	synth_free(s);
}

/* A later version may append fields: the reader must use the header's sizes. */
static void test_wider_stride(void **state)
{
	struct synth *s = synth_new(8);
	const size_t hs = 96, rs = 112;
	unsigned char *buf;
	struct es_trace *t;
	struct est_header *h;
	struct es_event ev;
	struct es_iter *it;
	int i, n = 0;

	(void)state;
	synth_clean_boot(s);
	buf = calloc(1, hs + 8 * rs);
	memcpy(buf, s->hdr, sizeof(*s->hdr));
	memset(buf + sizeof(*s->hdr), 0xee, hs - sizeof(*s->hdr));
	h = (struct est_header *)buf;
	h->header_size = (uint16_t)hs;
	h->record_size = (uint16_t)rs;
	for (i = 0; i < 8; i++) {
		memcpy(buf + hs + (size_t)i * rs, &s->ring[i],
		       sizeof(s->ring[i]));
		memset(buf + hs + (size_t)i * rs + sizeof(s->ring[i]), 0xee,
		       rs - sizeof(s->ring[i]));
	}
	t = es_trace_new();
	assert_int_equal(es_load_memory(t, buf, hs + 8 * rs, "wide"), 0);
	it = es_iter_new(t, NULL);
	while (es_iter_next(it, &ev)) {
		assert_int_equal(ev.seq, (uint64_t)n);
		assert_int_equal(ev.type, s->ring[n].type);
		assert_int_equal(ev.pfn, s->ring[n].pfn);
		n++;
	}
	es_iter_free(it);
	assert_int_equal(n, 8);
	es_trace_free(t);
	free(buf);
	synth_free(s);
}

struct cnt_ctx {
	int n;
	uint64_t last_seq;
};

static int count_ev(const struct es_event *ev, void *arg)
{
	struct cnt_ctx *c = arg;

	c->n++;
	c->last_seq = ev->seq;
	return 0;
}

static int count_filter(struct es_trace *t, const struct es_filter *f)
{
	struct cnt_ctx c = { 0, 0 };

	assert_int_equal(es_foreach_event(t, f, count_ev, &c), 0);
	return c.n;
}

static void test_filters(void **state)
{
	struct synth *s = synth_new(32);
	struct es_trace *t;
	struct es_filter f;

	(void)state;
	synth_clean_boot(s);
	t = load(s);

	memset(&f, 0, sizeof(f));
	f.types = 1U << EST_EV_GETPAGES;
	assert_int_equal(count_filter(t, &f), 4);
	f.types |= 1U << EST_EV_FREEPAGES;
	assert_int_equal(count_filter(t, &f), 6);

	memset(&f, 0, sizeof(f));
	f.phases = 1U << EST_PHASE_FREE_ALL;
	assert_int_equal(count_filter(t, &f), 3);	/* marker + 2 skips */

	memset(&f, 0, sizeof(f));
	f.has_pfn = 1;
	f.pfn_lo = f.pfn_hi = 0x1ffe1;		/* tail of an order-1 slab */
	assert_int_equal(count_filter(t, &f), 3);	/* get, skip, put */
	f.pfn_lo = 0x1ffd0;
	f.pfn_hi = 0x1ffdf;
	assert_int_equal(count_filter(t, &f), 2);

	memset(&f, 0, sizeof(f));
	f.cache = "kmalloc-*";
	assert_int_equal(count_filter(t, &f), 5);
	f.cache = "kmem_cache";
	assert_int_equal(count_filter(t, &f), 1);
	f.cache = "0xffff888000100200";
	assert_int_equal(count_filter(t, &f), 5);
	f.cache = "nosuch";
	assert_int_equal(count_filter(t, &f), 0);

	/* stop early: the callback's value comes back */
	es_trace_free(t);
	synth_free(s);
}

static int stop_at_3(const struct es_event *ev, void *arg)
{
	(void)arg;
	return ev->seq == 3 ? 42 : 0;
}

static void test_foreach_stop(void **state)
{
	struct synth *s = synth_new(32);
	struct es_trace *t;

	(void)state;
	synth_clean_boot(s);
	t = load(s);
	assert_int_equal(es_foreach_event(t, NULL, stop_at_3, NULL), 42);
	es_trace_free(t);
	synth_free(s);
}

static void test_names(void **state)
{
	uint32_t i;

	(void)state;
	for (i = 1; i < EST_EV_MAX; i++)
		assert_int_equal(es_type_from_name(es_type_name(i)), (int)i);
	for (i = 0; i < EST_PHASE_MAX; i++)
		assert_int_equal(es_phase_from_name(es_phase_name(i)), (int)i);
	assert_string_equal(es_type_name(EST_EV_SLAB_STATE), "slab_state");
	assert_string_equal(es_phase_name(EST_PHASE_FREE_ALL), "free_all");
	assert_string_equal(es_path_name(EST_PATH_REFUSED), "refused");
	assert_string_equal(es_type_name(99), "unknown");
	assert_int_equal(es_type_from_name("nosuch"), -1);
	assert_string_equal(es_kind_name(ES_K_MISSED_SKIP), "missed_skip");
	assert_int_equal(es_kind_severity(ES_K_WINDOW_FREE), ES_SEV_ERROR);
	assert_int_equal(es_kind_severity(ES_K_NODE_MISMATCH), ES_SEV_WARNING);
	assert_int_equal(es_api_version(), ES_API_VERSION);
}

/* Records are untrusted: unknown values and names with garbage bytes. */
static void test_garbage_record(void **state)
{
	struct synth *s = synth_new(8);
	struct collected c = { .n = 0 };
	struct est_record ev;
	struct es_trace *t;
	struct es_event out;
	struct es_iter *it;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_MAX;
	synth_emit(s, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_GETPAGES;
	ev.order = 200;
	memset(ev.name, 0xff, sizeof(ev.name));
	synth_emit(s, &ev);
	t = load(s);
	/* bad records for every reader: not handed out as events */
	it = es_iter_new(t, NULL);
	assert_int_equal(es_iter_next(it, &out), 0);
	es_iter_free(it);
	it = es_iter_new(t, &(struct es_filter){ .all_slots = 1 });
	assert_int_equal(es_iter_next(it, &out), 1);
	assert_int_equal(out.status, ES_SLOT_BAD);
	assert_string_equal(es_type_name(out.type), "unknown");
	assert_int_equal(es_iter_next(it, &out), 1);
	assert_int_equal(out.status, ES_SLOT_BAD);
	assert_int_equal(out.order, 200);
	assert_int_equal(strlen(out.name), ES_NAME_LEN - 1);
	assert_int_equal(out.name[0], '?');
	es_iter_free(it);
	assert_int_equal(es_check(t, collect, &c), 2);
	assert_int_equal(c.a[0].kind, ES_K_BAD_RECORD);
	assert_int_equal(c.a[1].kind, ES_K_BAD_RECORD);
	es_trace_free(t);
	synth_free(s);
}

static void test_raw_file(void **state)
{
	struct synth *s = synth_new(32);
	char path[] = "/tmp/es-decode-XXXXXX";
	struct es_trace *t = es_trace_new();
	struct es_status st;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	synth_clean_boot(s);
	assert_int_equal(synth_write(s, path), 0);
	assert_int_equal(es_load_raw(t, path), 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.source, ES_SRC_RAW);
	assert_int_equal(st.committed, 17);
	/* reloading replaces the source */
	assert_int_equal(es_load_raw(t, "/nonexistent/x"), -1);
	assert_non_null(strstr(es_error(t), "/nonexistent/x: "));
	assert_int_equal(es_get_status(t, &st), -1);
	es_trace_free(t);
	unlink(path);
	synth_free(s);
}

static int run_cmd(struct es_trace *t, const char *cmd, const char *opt,
		   unsigned int flags, char **out)
{
	char *argv[] = { (char *)cmd, (char *)opt, NULL }, *err;
	int rc = es_command_str(t, opt ? 2 : 1, argv, flags, out, &err);

	es_free(err);
	return rc;
}

static void emit_mark(struct synth *s, uint64_t mark)
{
	struct est_record ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_MARK;
	ev.phase = EST_PHASE_EARLY;
	ev.arg = mark;
	assert_true(synth_emit(s, &ev));
}

/*
 * A mark is a good record only if its trace's format version defines it
 * (version 1: the per-CPU mark alone), and every command says the same.
 */
static void test_marks_by_version(void **state)
{
	static const struct {
		uint16_t version;
		uint64_t bad;
		const char *alloc, *kernel;
	} v[] = {
		{ 3, 2, "SLUB", "6.12.118" },
		{ 2, 4, "SLUB", "6.12.118" },
		{ 1, 7, "unknown", "unknown" },
	};
	struct synth *s = synth_new(16);
	struct collected c = { .n = 0 };
	struct es_status st;
	struct es_trace *t;
	char *o;
	size_t i;
	uint64_t m;

	(void)state;
	s->hdr->allocator = EST_ALLOC_SLUB;
	s->hdr->kernel_version = (6 << 16) | (12 << 8) | 118;
	for (m = 0; m <= EST_MARK_MAX; m++)
		emit_mark(s, m);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s->hdr->version = v[i].version;
		t = load(s);
		assert_int_equal(es_get_status(t, &st), 0);
		assert_int_equal(st.bad, v[i].bad);
		assert_int_equal(st.committed, EST_MARK_MAX + 1 - v[i].bad);
		assert_string_equal(es_allocator_name(st.allocator),
				    v[i].alloc);
		c.n = 0;
		assert_int_equal(es_check(t, collect, &c), (int)v[i].bad);
		assert_int_equal(c.a[0].kind, ES_K_BAD_RECORD);
		assert_non_null(strstr(c.a[c.n - 1].detail, "not defined in format version"));

		assert_int_equal(run_cmd(t, "status", NULL, 0, &o), 0);
		assert_non_null(strstr(o, v[i].alloc));
		assert_non_null(strstr(o, v[i].kernel));
		es_free(o);
		assert_int_equal(run_cmd(t, "status", NULL, ES_OUT_JSON, &o), 0);
		assert_non_null(strstr(o, "\"allocator\":\""));
		es_free(o);
		assert_int_equal(run_cmd(t, "check", NULL, 0, &o), 1);
		es_free(o);
		assert_int_equal(run_cmd(t, "dump", NULL, ES_OUT_JSON, &o), 0);
		assert_non_null(strstr(o, "\"mark\":\"percpu\""));
		assert_true((strstr(o, "\"mark\":\"memblock_discard\"") != NULL) ==
			    (v[i].version >= 2));
		assert_true((strstr(o, "\"mark\":\"acpi_probe\"") != NULL) ==
			    (v[i].version >= 3));
		assert_true((strstr(o, "\"mark\":\"acpi_probe_end\"") != NULL) ==
			    (v[i].version >= 3));
		es_free(o);
		assert_int_equal(run_cmd(t, "dump", "--all", 0, &o), 0);
		assert_true((strstr(o, "[trace_init]") != NULL) ==
			    (v[i].version >= 2));
		assert_true((strstr(o, "[early ACPI probe]") != NULL) ==
			    (v[i].version >= 3));
		assert_true((strstr(o, "[early ACPI probe done]") != NULL) ==
			    (v[i].version >= 3));
		es_free(o);
		es_trace_free(t);
	}
	assert_int_equal(es_mark_max(1), EST_MARK_MAX_V1);
	assert_int_equal(es_mark_max(2), EST_MARK_MAX_V2);
	assert_int_equal(es_mark_max(3), EST_MARK_ACPI_PROBE_END);
	assert_int_equal(es_mark_max(3), EST_MARK_MAX - 1);
	assert_int_equal(es_mark_max(4), 0);
	assert_string_equal(es_mark_name(EST_MARK_DEFERRED_DONE), "deferred_done");
	assert_string_equal(es_mark_name(EST_MARK_ACPI_PROBE), "acpi_probe");
	assert_string_equal(es_mark_name(EST_MARK_ACPI_PROBE_END),
			    "acpi_probe_end");
	assert_string_equal(es_mark_name(0), "unknown");
	synth_free(s);
}

/*
 * An event type is a good record only if its trace's format version
 * defines it: large_free (9) is version 3's, a bad record before.
 */
static void test_types_by_version(void **state)
{
	struct synth *s = synth_new(16);
	struct collected c = { .n = 0 };
	struct es_status st;
	struct es_trace *t;
	struct est_record ev;
	uint16_t v;
	char *o;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	synth_large_get(s, 0x400, 2, 16384);
	synth_large_free(s, 0x400, 2, EST_PATH_MEMBLOCK);
	/* a large_free whose order no buddy allocator has */
	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_LARGE_FREE;
	ev.phase = EST_PHASE_EARLY;
	ev.order = 40;
	ev.pfn = 0x800;
	synth_emit(s, &ev);
	for (v = 1; v <= EST_VERSION; v++) {
		s->hdr->version = v;
		t = load(s);
		assert_int_equal(es_get_status(t, &st), 0);
		assert_int_equal(st.bad, v >= 3 ? 1 : 2);
		assert_int_equal(st.by_type[EST_EV_LARGE_FREE], v >= 3 ? 1 : 0);
		c.n = 0;
		if (v >= 3) {
			assert_int_equal(es_check(t, collect, &c), 1);
			assert_int_equal(c.a[0].kind, ES_K_BAD_RECORD);
			assert_non_null(strstr(c.a[0].detail, "implausible order 40"));
		} else {
			/* the large kmalloc is live at the end: no free */
			assert_true(es_check(t, collect, &c) >= 2);
			assert_int_equal(c.a[0].kind, ES_K_BAD_RECORD);
			assert_non_null(strstr(c.a[0].detail, "event type 9 (large_free) is not defined in format version"));
		}
		assert_int_equal(run_cmd(t, "check", NULL, 0, &o), 1);
		es_free(o);
		assert_int_equal(run_cmd(t, "dump", NULL, 0, &o), 0);
		assert_true((strstr(o, "large_free") != NULL) == (v >= 3));
		es_free(o);
		es_trace_free(t);
	}
	assert_int_equal(es_type_max(1), EST_EV_MAX_V2);
	assert_int_equal(es_type_max(2), EST_EV_MAX_V2);
	assert_int_equal(es_type_max(3), EST_EV_LARGE_FREE);
	assert_int_equal(es_type_max(EST_VERSION + 1), 0);
	assert_string_equal(es_type_name(EST_EV_LARGE_FREE), "large_free");
	assert_int_equal(es_type_from_name("large_free"), EST_EV_LARGE_FREE);
	assert_int_equal(es_type_frees(EST_EV_LARGE_FREE), 1);
	assert_int_equal(es_type_frees(EST_EV_FREEPAGES), 1);
	assert_int_equal(es_type_frees(EST_EV_LARGE), 0);
	synth_free(s);
}

/* A version 2 trace holding an ACPI probe mark, a version 3 one too. */
static void test_acpi_marks(void **state)
{
	struct synth *s = synth_new(16);
	struct collected c = { .n = 0 };
	struct es_trace *t;
	char *o;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	synth_mark(s, EST_MARK_ACPI_PROBE);
	synth_get(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "Acpi-Operand",
		  CALLER_1);
	synth_put(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "Acpi-Operand",
		  CALLER_2);
	synth_mark(s, EST_MARK_ACPI_PROBE_END);
	t = load(s);
	assert_int_equal(es_check(t, collect, &c), 0);
	assert_int_equal(run_cmd(t, "check", NULL, 0, &o), 0);
	es_free(o);
	assert_int_equal(run_cmd(t, "dump", NULL, ES_OUT_JSON, &o), 0);
	assert_non_null(strstr(o, "\"mark\":\"acpi_probe\""));
	assert_non_null(strstr(o, "\"mark\":\"acpi_probe_end\""));
	es_free(o);
	es_trace_free(t);

	s->hdr->version = 2;
	t = load(s);
	c.n = 0;
	assert_int_equal(es_check(t, collect, &c), 2);
	assert_int_equal(c.a[0].kind, ES_K_BAD_RECORD);
	assert_int_equal(c.a[0].seq, 1);
	assert_non_null(strstr(c.a[0].detail, "mark 5 is not defined in format version 2"));
	assert_non_null(strstr(c.a[1].detail, "mark 6 is not defined in format version 2"));
	assert_int_equal(run_cmd(t, "check", NULL, 0, &o), 1);
	es_free(o);
	es_trace_free(t);
	synth_free(s);
}

/* The buffers saved from real boots of the 6.1 kernel: format version 1. */
static void test_real_v1(void **state)
{
	static const char *const names[] = {
		"real-clean-kmem_cache_init_late.bin",
		"real-window-kmem_cache_init_late.bin",
		"real-numa2-rest_init-trimmed.bin",
	};
	struct es_status st;
	char path[512], *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct es_trace *t = es_trace_new();

		snprintf(path, sizeof(path), "%s/fuzz/corpus_raw/%s", SRC_DIR,
			 names[i]);
		if (es_load_raw(t, path))
			fail_msg("%s", es_error(t));
		assert_int_equal(es_get_status(t, &st), 0);
		assert_int_equal(st.version, 1);
		assert_int_equal(st.allocator, EST_ALLOC_UNKNOWN);
		assert_int_equal(st.kernel_version, 0);
		assert_true(st.committed > 40);
		assert_int_equal(st.bad, 0);
		assert_int_equal(run_cmd(t, "status", NULL, 0, &o), 0);
		assert_non_null(strstr(o, "allocator     unknown\n"));
		assert_non_null(strstr(o, "kernel        unknown\n"));
		es_free(o);
		assert_int_equal(run_cmd(t, "dump", NULL, ES_OUT_JSON, &o), 0);
		assert_non_null(strstr(o, "\"slab_state\":\"PARTIAL_NODE\""));
		es_free(o);
		es_trace_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_clean_counts),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_overflow_in_flight),
		cmocka_unit_test(test_slot_states),
		cmocka_unit_test(test_wider_stride),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_foreach_stop),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_garbage_record),
		cmocka_unit_test(test_raw_file),
		cmocka_unit_test(test_marks_by_version),
		cmocka_unit_test(test_types_by_version),
		cmocka_unit_test(test_acpi_marks),
		cmocka_unit_test(test_real_v1),
	};

	return cmocka_run_group_tests_name("libearlyslab decode", tests, NULL,
					   NULL);
}
