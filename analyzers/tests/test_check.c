// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab analysis: every check kind on small synthetic traces, the
 * ownership timelines (also in batches), owners, and the commands' JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "earlyslab.h"
#include "es_internal.h"
#include "synth.h"

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

static struct es_trace *load(struct synth *s)
{
	struct es_trace *t = es_trace_new();

	assert_non_null(t);
	assert_int_equal(es_load_memory(t, s->mem, s->len, "test"), 0);
	return t;
}

/* Run the checks; returns the error count, fills @c. */
static int check(struct synth *s, struct collected *c)
{
	struct es_trace *t = load(s);
	int errors;

	memset(c, 0, sizeof(*c));
	errors = es_check(t, collect, c);
	es_trace_free(t);
	return errors;
}

static int nkind(const struct collected *c, uint32_t kind)
{
	int i, n = 0;

	for (i = 0; i < c->n && i < 64; i++)
		n += c->a[i].kind == kind;
	return n;
}

static const struct es_anomaly *first(const struct collected *c,
				      uint32_t kind)
{
	int i;

	for (i = 0; i < c->n && i < 64; i++)
		if (c->a[i].kind == kind)
			return &c->a[i];
	fail_msg("no %s anomaly", es_kind_name(kind));
	return NULL;
}

static struct synth *early(uint32_t cap)
{
	struct synth *s = synth_new(cap);

	synth_phase(s, EST_PHASE_EARLY);
	return s;
}

#define GET(s, pfn, order, path, cache, name) \
	synth_get(s, pfn, order, path, cache, name, CALLER_1)
#define PUT(s, pfn, order, path, cache, name) \
	synth_put(s, pfn, order, path, cache, name, CALLER_2)

static void test_clean(void **state)
{
	struct synth *s = synth_new(32);
	struct collected c;

	(void)state;
	synth_clean_boot(s);
	assert_int_equal(check(s, &c), 0);
	assert_int_equal(c.n, 0);
	synth_free(s);
}

static void test_window_free(void **state)
{
	struct synth *s = synth_new(32);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	GET(s, 0x1fff0, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache");
	GET(s, 0x1ffe0, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x1fff0, 1);
	synth_skip(s, 0x1ffe0, 2);
	synth_phase(s, EST_PHASE_WINDOW);
	PUT(s, 0x1ffe0, 1, EST_PATH_WINDOW, CACHE_B, "kmalloc-64");
	synth_phase(s, EST_PHASE_UP);
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_WINDOW_FREE);
	assert_int_equal(a->severity, ES_SEV_ERROR);
	assert_int_equal(a->seq, 7);
	assert_int_equal(a->pfn, 0x1ffe0);
	assert_int_equal(a->cache, CACHE_B);
	assert_int_equal(a->caller, CALLER_2);
	assert_string_equal(a->name, "kmalloc-64");
	synth_free(s);
}

static void test_double_free(void **state)
{
	struct synth *s = early(16);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	PUT(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	PUT(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_DOUBLE_FREE);
	assert_int_equal(a->seq, 3);
	assert_int_equal(a->pfn, 0x100);
	assert_non_null(strstr(a->detail, "seq 2"));
	synth_free(s);
}

static void test_free_unallocated(void **state)
{
	struct synth *s = early(16);
	struct collected c;

	(void)state;
	PUT(s, 0x200, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(nkind(&c, ES_K_FREE_UNALLOCATED), 1);
	assert_int_equal(first(&c, ES_K_FREE_UNALLOCATED)->pfn, 0x200);
	synth_free(s);

	/* not reported when events were lost: it may be the missing one */
	s = early(2);
	PUT(s, 0x200, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	PUT(s, 0x300, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 0);
	assert_int_equal(nkind(&c, ES_K_FREE_UNALLOCATED), 0);
	assert_int_equal(nkind(&c, ES_K_LOST_EVENTS), 1);
	synth_free(s);

	/* nor when a torn record may have been its getpages */
	s = early(8);
	synth_torn(s);
	PUT(s, 0x200, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 0);
	assert_int_equal(nkind(&c, ES_K_FREE_UNALLOCATED), 0);
	assert_int_equal(nkind(&c, ES_K_TORN_RECORD), 1);
	synth_free(s);
}

static void test_overlap(void **state)
{
	struct synth *s = early(16);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	GET(s, 0x100, 2, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	GET(s, 0x102, 0, EST_PATH_MEMBLOCK, CACHE_C, "kmalloc-128");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_OVERLAP);
	assert_int_equal(a->seq, 2);
	assert_int_equal(a->pfn, 0x102);
	assert_int_equal(a->other_seq, 1);
	assert_int_equal(a->cache, CACHE_C);
	synth_free(s);
}

static void test_order_mismatch(void **state)
{
	struct synth *s = early(16);
	struct collected c;

	(void)state;
	GET(s, 0x100, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	PUT(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(nkind(&c, ES_K_ORDER_MISMATCH), 1);
	assert_int_equal(first(&c, ES_K_ORDER_MISMATCH)->other_seq, 1);
	synth_free(s);

	/* freeing from a tail page is a mismatch too */
	s = early(16);
	GET(s, 0x100, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	PUT(s, 0x101, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(nkind(&c, ES_K_ORDER_MISMATCH), 1);
	synth_free(s);
}

static void test_cache_mismatch(void **state)
{
	struct synth *s = early(16);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	PUT(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_C, "kmalloc-128");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_CACHE_MISMATCH);
	assert_non_null(strstr(a->detail, "kmalloc-64"));
	assert_non_null(strstr(a->detail, "kmalloc-128"));
	synth_free(s);
}

static void test_missed_skip(void **state)
{
	struct synth *s = early(32);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	GET(s, 0x110, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	GET(s, 0x120, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache");
	PUT(s, 0x120, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache");
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x110, 1);	/* only half of the order-1 slab */
	synth_phase(s, EST_PHASE_WINDOW);
	assert_int_equal(check(s, &c), 2);
	assert_int_equal(nkind(&c, ES_K_MISSED_SKIP), 2);
	a = &c.a[0];
	assert_int_equal(a->kind, ES_K_MISSED_SKIP);
	assert_int_equal(a->seq, 7);		/* the marker that ends free_all */
	assert_true(a->pfn == 0x100 || a->pfn == 0x111);
	a = &c.a[1];
	assert_true(a->pfn == 0x100 || a->pfn == 0x111);
	assert_int_not_equal(c.a[0].pfn, c.a[1].pfn);
	synth_free(s);

	/* a page from the buddy allocator needs no skip */
	s = early(32);
	GET(s, 0x100, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_phase(s, EST_PHASE_WINDOW);
	assert_int_equal(check(s, &c), 0);
	synth_free(s);

	/* halted inside memblock_free_all: the skips may still come */
	s = early(32);
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	synth_phase(s, EST_PHASE_FREE_ALL);
	assert_int_equal(check(s, &c), 0);
	synth_free(s);

	/* the end marker lost: the first later-phase event ends free_all */
	s = early(32);
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	synth_phase(s, EST_PHASE_FREE_ALL);
	s->phase = EST_PHASE_WINDOW;
	GET(s, 0x200, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(nkind(&c, ES_K_MISSED_SKIP), 1);
	synth_free(s);
}

static void test_spurious_skip(void **state)
{
	struct synth *s = early(32);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	GET(s, 0x200, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64");
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x100, 1);
	synth_skip(s, 0x300, 4);	/* nobody's */
	synth_skip(s, 0x200, 1);	/* not an early page */
	synth_phase(s, EST_PHASE_WINDOW);
	assert_int_equal(check(s, &c), 2);
	assert_int_equal(nkind(&c, ES_K_SPURIOUS_SKIP), 2);
	a = &c.a[0];
	assert_int_equal(a->seq, 5);
	assert_int_equal(a->pfn, 0x300);
	assert_int_equal(a->count, 4);
	assert_int_equal(c.a[1].pfn, 0x200);
	synth_free(s);
}

static void test_node_mismatch(void **state)
{
	struct synth *s = early(16);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	synth_get_node(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		       1, 0);
	synth_get_node(s, 0x101, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		       1, 1);
	synth_get_node(s, 0x102, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		       EST_NO_NODE, 1);
	assert_int_equal(check(s, &c), 0);	/* a warning, not an error */
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_NODE_MISMATCH);
	assert_int_equal(a->severity, ES_SEV_WARNING);
	assert_int_equal(a->pfn, 0x100);
	synth_free(s);
}

static void test_lost_torn_pending(void **state)
{
	struct synth *s = early(4);
	struct collected c;

	(void)state;
	synth_torn(s);
	synth_pending(s);
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	GET(s, 0x101, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.a[0].kind, ES_K_TORN_RECORD);
	assert_int_equal(c.a[1].kind, ES_K_PENDING_RECORD);
	assert_int_equal(c.a[2].kind, ES_K_LOST_EVENTS);
	assert_int_equal(c.a[2].count, 1);
	synth_free(s);
}

/* ---- owners and timeline ------------------------------------------------ */

struct runs {
	struct es_run r[256];
	uint64_t pfn[256];
	int n;
	int npfn;
};

static int run_cb(const struct es_run *run, void *arg)
{
	struct runs *rs = arg;

	rs->r[rs->n++] = *run;
	return 0;
}

static int pfn_cb(uint64_t pfn, const struct es_run *runs, size_t n,
		  void *arg)
{
	struct runs *rs = arg;
	size_t i;

	rs->npfn++;
	for (i = 0; i < n && rs->n < 256; i++) {
		rs->pfn[rs->n] = pfn;
		rs->r[rs->n++] = runs[i];
	}
	return 0;
}

static void test_owners(void **state)
{
	struct synth *s = synth_new(32);
	struct es_trace *t;
	struct runs rs = { .n = 0 };

	(void)state;
	synth_clean_boot(s);
	t = load(s);
	assert_int_equal(es_owners(t, run_cb, &rs), 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.r[0].pfn, 0x5000);
	assert_int_equal(rs.r[0].alloc_seq, 11);
	assert_int_equal(rs.r[0].alloc_path, EST_PATH_BUDDY);
	assert_int_equal(rs.r[0].flags & ES_RUN_LIVE, ES_RUN_LIVE);
	assert_int_equal(rs.r[0].flags & ES_RUN_EARLY, 0);
	assert_int_equal(rs.r[1].pfn, 0x1fff0);
	assert_int_equal(rs.r[1].cache, CACHE_A);
	assert_string_equal(rs.r[1].name, "kmem_cache");
	assert_int_equal(rs.r[1].flags & (ES_RUN_EARLY | ES_RUN_SKIPPED),
			 ES_RUN_EARLY | ES_RUN_SKIPPED);
	assert_int_equal(rs.r[1].free_seq, ES_NO_SEQ);
	es_trace_free(t);
	synth_free(s);
}

static void test_timeline(void **state)
{
	struct synth *s = early(32);
	struct es_select sel;
	struct es_trace *t;
	struct runs rs;

	(void)state;
	GET(s, 0x100, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");	/* 1 */
	PUT(s, 0x100, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");	/* 2 */
	GET(s, 0x101, 0, EST_PATH_MEMBLOCK, CACHE_C, "kmalloc-128");	/* 3 */
	PUT(s, 0x300, 0, EST_PATH_BUDDY, CACHE_C, "kmalloc-128");	/* 4 */
	t = load(s);

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(es_timeline(t, NULL, pfn_cb, &rs), 0);
	assert_int_equal(rs.npfn, 3);
	assert_int_equal(rs.n, 4);
	/* pfn 0x100: one run */
	assert_int_equal(rs.pfn[0], 0x100);
	assert_int_equal(rs.r[0].alloc_seq, 1);
	assert_int_equal(rs.r[0].free_seq, 2);
	assert_int_equal(rs.r[0].free_path, EST_PATH_MEMBLOCK);
	/* pfn 0x101: the tail of that run, then its own */
	assert_int_equal(rs.pfn[1], 0x101);
	assert_int_equal(rs.r[1].pfn, 0x100);
	assert_int_equal(rs.r[1].order, 1);
	assert_int_equal(rs.pfn[2], 0x101);
	assert_int_equal(rs.r[2].alloc_seq, 3);
	assert_int_equal(rs.r[2].flags & ES_RUN_LIVE, ES_RUN_LIVE);
	/* pfn 0x300: a free with no getpages */
	assert_int_equal(rs.pfn[3], 0x300);
	assert_int_equal(rs.r[3].flags & ES_RUN_NO_ALLOC, ES_RUN_NO_ALLOC);
	assert_int_equal(rs.r[3].alloc_seq, ES_NO_SEQ);
	assert_int_equal(rs.r[3].free_seq, 4);

	memset(&rs, 0, sizeof(rs));
	memset(&sel, 0, sizeof(sel));
	sel.has_pfn = 1;
	sel.pfn_lo = sel.pfn_hi = 0x101;
	assert_int_equal(es_timeline(t, &sel, pfn_cb, &rs), 0);
	assert_int_equal(rs.npfn, 1);
	assert_int_equal(rs.n, 2);

	memset(&rs, 0, sizeof(rs));
	memset(&sel, 0, sizeof(sel));
	sel.cache = "kmalloc-128";
	assert_int_equal(es_timeline(t, &sel, pfn_cb, &rs), 0);
	assert_int_equal(rs.npfn, 2);		/* 0x101 and 0x300 */
	assert_int_equal(rs.n, 3);		/* 0x101's whole history */

	memset(&rs, 0, sizeof(rs));
	sel.cache = "nosuch";
	assert_int_equal(es_timeline(t, &sel, pfn_cb, &rs), 0);
	assert_int_equal(rs.npfn, 0);
	es_trace_free(t);
	synth_free(s);
}

/* Small batches give the same timeline as one big batch. */
static void test_timeline_batches(void **state)
{
	struct synth *s = early(256);
	struct runs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint64_t saved = es_timeline_budget;
	struct es_trace *t;
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		GET(s, 0x1000 + (uint64_t)(i % 7) * 2, (uint8_t)(i % 2),
		    EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
		if (i % 3)
			PUT(s, 0x1000 + (uint64_t)(i % 7) * 2, (uint8_t)(i % 2),
			    EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	}
	t = load(s);
	assert_int_equal(es_timeline(t, NULL, pfn_cb, a), 0);
	es_timeline_budget = 1;
	assert_int_equal(es_timeline(t, NULL, pfn_cb, b), 0);
	es_timeline_budget = saved;
	assert_int_equal(a->npfn, b->npfn);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->pfn[i], b->pfn[i]);
		assert_memory_equal(&a->r[i], &b->r[i], sizeof(a->r[i]));
	}
	es_trace_free(t);
	synth_free(s);
	free(a);
	free(b);
}

/* Many events, few page frames: the engine's memory follows the frames. */
static void test_many_events(void **state)
{
	struct synth *s = early(100000);
	struct collected c;
	struct es_trace *t;
	struct runs rs = { .n = 0 };
	uint64_t cur, few, many;
	int i;

	(void)state;
	for (i = 0; i < 49990; i++) {
		GET(s, 0x100 + (uint64_t)(i % 8), 0, EST_PATH_MEMBLOCK,
		    CACHE_B, "kmalloc-64");
		PUT(s, 0x100 + (uint64_t)(i % 8), 0, EST_PATH_MEMBLOCK,
		    CACHE_B, "kmalloc-64");
	}
	GET(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 0);
	t = load(s);
	es_engine_memory(NULL, NULL);
	assert_int_equal(es_owners(t, run_cb, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.r[0].alloc_seq, 99981);
	es_engine_memory(&cur, &few);
	assert_int_equal(cur, 0);
	es_trace_free(t);
	synth_free(s);

	/* the same number of events over 8192 frames */
	s = early(100000);
	for (i = 0; i < 49990; i++) {
		GET(s, 0x100 + (uint64_t)(i % 8192), 0, EST_PATH_MEMBLOCK,
		    CACHE_B, "kmalloc-64");
		PUT(s, 0x100 + (uint64_t)(i % 8192), 0, EST_PATH_MEMBLOCK,
		    CACHE_B, "kmalloc-64");
	}
	t = load(s);
	rs.n = 0;
	assert_int_equal(es_owners(t, run_cb, &rs), 0);
	es_engine_memory(&cur, &many);
	es_trace_free(t);
	synth_free(s);
	/* 8 frames: the map's first size; 8192: a thousand times more */
	assert_true(few < 32 * 1024);
	assert_true(many > 32 * few);
	assert_true(many < 8192 * 256);
}

/* ---- commands ----------------------------------------------------------- */

static yajl_val run_json(struct es_trace *t, int argc, char **argv,
			 int want_rc)
{
	char *out, *err, ebuf[256];
	yajl_val v;
	int rc;

	rc = es_command_str(t, argc, argv, ES_OUT_JSON, &out, &err);
	if (rc != want_rc)
		fail_msg("%s: rc %d, stderr: %s", argv[0], rc, err);
	assert_string_equal(err, "");
	v = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	if (!v)
		fail_msg("%s: bad JSON (%s): %s", argv[0], ebuf, out);
	es_free(out);
	es_free(err);
	return v;
}

static yajl_val get(yajl_val v, const char *k)
{
	const char *path[] = { k, NULL };

	return yajl_tree_get(v, path, yajl_t_any);
}

static void test_cmd_json(void **state)
{
	static const char *const status_keys[] = {
		"magic_ok", "version", "header_size", "record_size",
		"capacity", "head", "lost", "phase", "slots", "committed",
		"torn", "pending", "bad", "by_type",
	};
	static const char *const dump_keys[] = {
		"seq", "type", "phase", "order", "path", "nid_req", "nid",
		"cpu", "flags", "pfn", "cache", "caller", "ts", "arg", "name",
	};
	struct synth *s = synth_new(32);
	char *a_status[] = { "status" };
	char *a_dump[] = { "dump" };
	char *a_check[] = { "check" };
	char *a_owners[] = { "owners" };
	char *a_cull[] = { "owners", "--cull", "cache" };
	char *a_stats[] = { "stats" };
	char *a_tl[] = { "timeline", "0x1ffe0-0x1ffe1" };
	struct es_trace *t;
	yajl_val v, r;
	size_t i;

	(void)state;
	synth_clean_boot(s);
	synth_put(s, 0x1fff0, 0, EST_PATH_WINDOW, CACHE_A, "kmem_cache",
		  CALLER_2);
	t = load(s);

	v = run_json(t, 1, a_status, 0);
	for (i = 0; i < sizeof(status_keys) / sizeof(*status_keys); i++)
		if (!get(v, status_keys[i]))
			fail_msg("status: no key %s", status_keys[i]);
	assert_true(YAJL_IS_TRUE(get(v, "magic_ok")));
	assert_string_equal(YAJL_GET_STRING(get(v, "phase")), "full");
	assert_int_equal(YAJL_GET_INTEGER(get(v, "committed")), 18);
	yajl_tree_free(v);

	v = run_json(t, 1, a_dump, 0);
	assert_true(YAJL_IS_ARRAY(v));
	assert_int_equal(v->u.array.len, 18);
	r = v->u.array.values[2];
	for (i = 0; i < sizeof(dump_keys) / sizeof(*dump_keys); i++)
		if (!get(r, dump_keys[i]))
			fail_msg("dump: no key %s", dump_keys[i]);
	assert_string_equal(YAJL_GET_STRING(get(r, "type")), "getpages");
	assert_string_equal(YAJL_GET_STRING(get(r, "path")), "memblock");
	assert_string_equal(YAJL_GET_STRING(get(r, "cache")),
			    "0xffff888000100000");
	assert_string_equal(YAJL_GET_STRING(get(r, "caller")),
			    "0xffffffff81000004");
	assert_int_equal(YAJL_GET_INTEGER(get(r, "pfn")), 0x1fff0);
	assert_int_equal(YAJL_GET_INTEGER(get(r, "nid_req")), -1);
	yajl_tree_free(v);

	v = run_json(t, 1, a_check, 1);
	r = get(v, "anomalies");
	assert_int_equal(r->u.array.len, 1);
	assert_string_equal(YAJL_GET_STRING(get(r->u.array.values[0], "kind")),
			    "window_free");
	assert_string_equal(YAJL_GET_STRING(get(r->u.array.values[0],
						"severity")), "error");
	assert_int_equal(YAJL_GET_INTEGER(get(v, "errors")), 1);
	yajl_tree_free(v);

	v = run_json(t, 1, a_owners, 0);
	assert_int_equal(v->u.array.len, 1);
	r = v->u.array.values[0];
	assert_int_equal(YAJL_GET_INTEGER(get(r, "pfn")), 0x5000);
	assert_int_equal(YAJL_GET_INTEGER(get(r, "alloc_seq")), 11);
	assert_int_equal(YAJL_GET_INTEGER(get(r, "node")), 0);
	assert_int_equal(YAJL_GET_INTEGER(get(r, "order")), 0);
	assert_string_equal(YAJL_GET_STRING(get(r, "name")), "kmalloc-64");
	yajl_tree_free(v);

	v = run_json(t, 3, a_cull, 0);
	assert_int_equal(v->u.array.len, 1);
	assert_int_equal(YAJL_GET_INTEGER(get(v->u.array.values[0], "count")),
			 1);
	yajl_tree_free(v);

	v = run_json(t, 1, a_stats, 0);
	r = get(v, "getpages");
	assert_int_equal(YAJL_GET_INTEGER(get(r, "count")), 4);
	assert_int_equal(YAJL_GET_INTEGER(get(r, "pages")), 5);
	r = get(v, "live");
	assert_int_equal(YAJL_GET_INTEGER(get(r, "pages")), 1);
	yajl_tree_free(v);

	v = run_json(t, 2, a_tl, 0);
	r = get(v, "pfns");
	assert_int_equal(r->u.array.len, 2);
	yajl_tree_free(v);

	es_trace_free(t);
	synth_free(s);
}

static void test_cmd_errors(void **state)
{
	struct synth *s = synth_new(32);
	char *bad1[] = { "dump", "--type", "nosuch" };
	char *bad2[] = { "dump", "--pfn", "12-3" };
	char *bad3[] = { "nosuch" };
	char *bad4[] = { "owners", "--sort", "colour" };
	char *bad5[] = { "export", "--format", "png", "-o", "x" };
	char *bad6[] = { "dump", "--type" };
	char *bad7[] = { "status", "--frob" };
	char **bad[] = { bad1, bad2, bad3, bad4, bad5, bad6, bad7 };
	int badc[] = { 3, 3, 1, 3, 5, 2, 2 };
	struct es_trace *t;
	char *out, *err;
	size_t i;

	(void)state;
	synth_clean_boot(s);
	t = load(s);
	for (i = 0; i < sizeof(badc) / sizeof(*badc); i++) {
		assert_int_equal(es_command_str(t, badc[i], bad[i], 0, &out,
						 &err), 2);
		assert_string_equal(out, "");
		assert_true(!strncmp(err, "earlyslab: ", 11));
		/* exactly one line */
		assert_non_null(strchr(err, '\n'));
		assert_null(strchr(err, '\n') + 1 < err + strlen(err) ?
			    strchr(err, '\n') + 1 : NULL);
		es_free(out);
		es_free(err);
	}
	es_trace_free(t);
	synth_free(s);
}

static void test_export(void **state)
{
	struct synth *s = synth_new(32);
	char dir[] = "/tmp/es-export-XXXXXX", svg[64], ct[64];
	char *a_svg[] = { "export", "--format", "svg", "-o", svg };
	char *a_ct[] = { "export", "--format", "chrome-trace", "-o", ct };
	char *out, *err, ebuf[256], buf[1 << 16];
	struct es_trace *t;
	yajl_val v, ev;
	size_t n;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(svg, sizeof(svg), "%s/t.svg", dir);
	snprintf(ct, sizeof(ct), "%s/t.json", dir);
	synth_clean_boot(s);
	synth_put(s, 0x1fff0, 0, EST_PATH_WINDOW, CACHE_A, "kmem_cache",
		  CALLER_2);
	t = load(s);

	assert_int_equal(es_command_str(t, 5, a_svg, 0, &out, &err), 0);
	assert_string_equal(err, "");
	es_free(out);
	es_free(err);
	f = fopen(svg, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "<svg "));
	assert_non_null(strstr(buf, "</svg>"));
	assert_non_null(strstr(buf, "window_free"));
	assert_non_null(strstr(buf, "kmalloc-64"));
	assert_non_null(strstr(buf, ">free_all</text>"));

	assert_int_equal(es_command_str(t, 5, a_ct, 0, &out, &err), 0);
	es_free(out);
	es_free(err);
	f = fopen(ct, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	v = yajl_tree_parse(buf, ebuf, sizeof(ebuf));
	if (!v)
		fail_msg("chrome trace: %s", ebuf);
	ev = get(v, "traceEvents");
	assert_true(YAJL_IS_ARRAY(ev));
	/*
	 * 6 for the phase and anomaly tracks, 2 per process (2), 1 per frame
	 * thread (4), 1 per run (4), 5 phase slices, 1 anomaly
	 */
	assert_int_equal(ev->u.array.len, 6 + 4 + 4 + 4 + 5 + 1);
	yajl_tree_free(v);
	unlink(svg);
	unlink(ct);
	rmdir(dir);
	es_trace_free(t);
	synth_free(s);
}


/* ---- hostile records and headers ------------------------------------------ */

static int count_run(const struct es_run *run, void *arg)
{
	(void)run;
	++*(int *)arg;
	return 0;
}

/* Orders the buddy allocator does not have are bad records, not frames. */
static void test_order_too_big(void **state)
{
	struct synth *s = synth_new(64);
	struct collected c;
	struct es_status st;
	struct es_trace *t;
	int i, runs = 0;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	for (i = 0; i < 40; i++)
		synth_get(s, 0x100000 + (uint64_t)i * 4096, ES_MAX_ORDER,
			  EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache", CALLER_1);
	synth_get(s, 0x1000, ES_MAX_ORDER - 1, EST_PATH_MEMBLOCK, CACHE_A,
		  "kmem_cache", CALLER_1);
	assert_int_equal(check(s, &c), 40);
	assert_int_equal(nkind(&c, ES_K_BAD_RECORD), 40);
	assert_non_null(strstr(c.a[0].detail, "implausible order 11"));
	t = load(s);
	assert_int_equal(es_owners(t, count_run, &runs), 0);
	assert_int_equal(runs, 1);	/* the order-10 slab only */
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.bad, 40);
	assert_int_equal(st.committed, 1 + 1);
	es_trace_free(t);
	synth_free(s);
}

/* The last pfn is the "no pfn" value; an order-63 skip is bad for all. */
static void test_pfn_sentinel(void **state)
{
	static char *stats[] = { "stats" }, *dump[] = { "dump" };
	struct synth *s = synth_new(16);
	struct est_record ev;
	struct collected c;
	struct es_trace *t;
	char *o, *e;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	synth_get(s, ES_NO_PFN, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache",
		  CALLER_1);
	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_SKIP;
	ev.phase = EST_PHASE_FREE_ALL;
	ev.order = 63;
	ev.pfn = 0x2000;
	synth_emit(s, &ev);
	assert_int_equal(check(s, &c), 2);
	assert_int_equal(nkind(&c, ES_K_BAD_RECORD), 2);
	assert_int_equal(c.a[0].pfn, ES_NO_PFN);
	assert_non_null(strstr(c.a[0].detail, "pfn 0xffffffffffffffff"));
	assert_non_null(strstr(c.a[1].detail, "order 63"));
	t = load(s);
	assert_int_equal(es_command_str(t, 1, stats, ES_OUT_JSON, &o, &e), 0);
	/* only the phase marker is an event */
	assert_non_null(strstr(o, "\"total\":1,"));
	es_free(o);
	es_free(e);
	assert_int_equal(es_command_str(t, 1, dump, 0, &o, &e), 0);
	assert_null(strstr(o, "ffffffffffffffff"));
	assert_null(strstr(o, "skip"));
	es_free(o);
	es_free(e);
	es_trace_free(t);
	synth_free(s);
}

/* memblock_free_all() runs once: markers repeated are not checks repeated. */
static void test_free_all_repeated(void **state)
{
	struct synth *s = synth_new(512);
	struct collected c;
	int i;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	synth_get(s, 0x1000, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache",
		  CALLER_1);
	synth_get(s, 0x1001, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache",
		  CALLER_1);
	for (i = 0; i < 200; i++) {
		synth_phase(s, EST_PHASE_FREE_ALL);
		synth_phase(s, EST_PHASE_WINDOW);
	}
	assert_int_equal(check(s, &c), 2);
	assert_int_equal(nkind(&c, ES_K_MISSED_SKIP), 2);
	synth_free(s);
}

/* head, capacity and lost must agree. */
static void test_header_counters(void **state)
{
	struct synth *s = synth_new(8);
	struct collected c;

	(void)state;
	synth_phase(s, EST_PHASE_EARLY);
	/* lost more than head - capacity allows */
	s->hdr->lost.counter = 5;
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(nkind(&c, ES_K_BAD_RECORD), 1);
	assert_int_equal(c.a[0].seq, ES_NO_SEQ);
	assert_non_null(strstr(c.a[0].detail, "lost 5, but head 1"));
	/* head negative */
	s->hdr->lost.counter = 0;
	s->hdr->head.counter = -3;
	assert_int_equal(check(s, &c), 1);
	assert_non_null(strstr(c.a[c.n - 1].detail, "head -3"));
	/* head past capacity with lost short: said, as a warning */
	s->hdr->head.counter = 20;
	s->hdr->lost.counter = 10;
	check(s, &c);
	assert_int_equal(nkind(&c, ES_K_LOST_EVENTS), 1);
	assert_non_null(strstr(first(&c, ES_K_LOST_EVENTS)->detail,
			       "lost says 10"));
	/* and all agreeing is quiet */
	s->hdr->lost.counter = 12;
	check(s, &c);
	assert_int_equal(nkind(&c, ES_K_BAD_RECORD), 0);
	assert_null(strstr(first(&c, ES_K_LOST_EVENTS)->detail, "lost says"));
	synth_free(s);
}

/* ---- large kmalloc from memblock (format version 3) ----------------------- */

/* Text output of a command, asserting its exit code. */
static char *run_text(struct es_trace *t, int argc, char **argv, int want_rc)
{
	char *out, *err;
	int rc;

	rc = es_command_str(t, argc, argv, 0, &out, &err);
	if (rc != want_rc)
		fail_msg("%s: rc %d, stderr: %s", argv[0], rc, err);
	es_free(err);
	return out;
}

/* `export --format @fmt` into a temporary file, read back into @buf. */
static void export_read(struct es_trace *t, const char *fmt, char *buf,
			size_t len)
{
	char dir[] = "/tmp/es-export-XXXXXX", path[64], *out, *err;
	char *argv[] = { "export", "--format", (char *)fmt, "-o", path };
	size_t n;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(es_command_str(t, 5, argv, 0, &out, &err), 0);
	es_free(out);
	es_free(err);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	rmdir(dir);
}

/*
 * One large kmalloc taken from memblock and given back to it, another
 * kept across memblock_free_all() (skipped there) and freed late, a
 * slab beside them: a clean trace, and every command shows the owner.
 */
static struct synth *large_boot(void)
{
	struct synth *s = early(32);

	synth_mark(s, EST_MARK_ACPI_PROBE);				/* 1 */
	GET(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "Acpi-Namespace");	/* 2 */
	PUT(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "Acpi-Namespace");	/* 3 */
	synth_mark(s, EST_MARK_ACPI_PROBE_END);				/* 4 */
	synth_large_get(s, 0x400, 2, 16384);				/* 5 */
	synth_large_free(s, 0x400, 2, EST_PATH_MEMBLOCK);		/* 6 */
	synth_large_get(s, 0x800, 3, 20000);				/* 7 */
	GET(s, 0x1fff0, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache");	/* 8 */
	synth_phase(s, EST_PHASE_FREE_ALL);				/* 9 */
	synth_skip(s, 0x800, 8);					/* 10 */
	synth_skip(s, 0x1fff0, 1);					/* 11 */
	synth_phase(s, EST_PHASE_WINDOW);				/* 12 */
	synth_phase(s, EST_PHASE_UP);					/* 13 */
	synth_large_get(s, 0x900, 1, 8192);				/* 14 */
	synth_large_free(s, 0x800, 3, EST_PATH_LATE);			/* 15 */
	synth_phase(s, EST_PHASE_FULL);					/* 16 */
	return s;
}

static void test_large_clean(void **state)
{
	struct synth *s = large_boot();
	char *check_argv[] = { "check" }, *owners[] = { "owners" };
	char *stats[] = { "stats" }, *dump[] = { "dump" };
	char *own_large[] = { "owners", "--cache", "(large kmalloc)" };
	char *tl[] = { "timeline", "--cache", "(large*" };
	struct es_stats *st = es_stats_new();
	struct runs rs = { .n = 0 };
	struct collected c;
	struct es_count n;
	struct es_trace *t;
	static char buf[1 << 16];
	yajl_val v, x;
	char *o;

	(void)state;
	assert_int_equal(check(s, &c), 0);
	assert_int_equal(c.n, 0);
	t = load(s);
	o = run_text(t, 1, check_argv, 0);
	es_free(o);

	assert_int_equal(es_owners(t, run_cb, &rs), 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.r[0].pfn, 0x900);
	assert_int_equal(rs.r[0].order, 1);
	assert_int_equal(rs.r[0].cache, 0);
	assert_string_equal(rs.r[0].name, ES_LARGE_NAME);
	assert_int_equal(rs.r[0].flags & (ES_RUN_LARGE | ES_RUN_EARLY),
			 ES_RUN_LARGE | ES_RUN_EARLY);
	assert_int_equal(rs.r[0].alloc_seq, 14);
	assert_int_equal(rs.r[1].pfn, 0x1fff0);
	assert_int_equal(rs.r[1].flags & ES_RUN_LARGE, 0);

	o = run_text(t, 1, owners, 0);
	assert_non_null(strstr(o, "(large kmalloc)"));
	assert_non_null(strstr(o, "1 slab, 1 large kmalloc, 3 pages still owned"));
	es_free(o);
	o = run_text(t, 3, own_large, 0);
	assert_non_null(strstr(o, "0x900"));
	assert_null(strstr(o, "kmem_cache"));
	es_free(o);
	/* the kept one's whole life, its skip and late free */
	o = run_text(t, 3, tl, 0);
	assert_non_null(strstr(o, "0x800"));
	assert_non_null(strstr(o, "skipped"));
	assert_non_null(strstr(o, "freed up/late"));
	assert_null(strstr(o, "0x1fff0"));
	es_free(o);
	o = run_text(t, 1, dump, 0);
	assert_non_null(strstr(o, "large_free"));
	assert_non_null(strstr(o, "[early ACPI probe]"));
	es_free(o);

	assert_int_equal(es_stats_run(st, t), 0);
	assert_int_equal(es_stats_total(st, ES_SS_LARGE, &n), 0);
	assert_int_equal(n.count, 3);
	assert_int_equal(n.pages, 16384 + 20000 + 8192);
	assert_int_equal(es_stats_total(st, ES_SS_LARGE_FREE, &n), 0);
	assert_int_equal(n.count, 2);
	assert_int_equal(n.pages, 4 + 8);
	assert_int_equal(es_stats_row(st, ES_ST_LARGE_FREE_BY_PATH,
				      EST_PATH_MEMBLOCK, &n), 0);
	assert_int_equal(n.count, 1);
	assert_int_equal(n.pages, 4);
	assert_int_equal(es_stats_row(st, ES_ST_LARGE_FREE_BY_PATH,
				      EST_PATH_LATE, &n), 0);
	assert_int_equal(n.count, 1);
	assert_int_equal(n.pages, 8);
	assert_int_equal(es_stats_row(st, ES_ST_LARGE_BY_PATH,
				      EST_PATH_MEMBLOCK, &n), 0);
	assert_int_equal(n.count, 3);
	assert_int_equal(es_stats_total(st, ES_SS_LIVE_LARGE, &n), 0);
	assert_int_equal(n.count, 1);
	assert_int_equal(n.pages, 2);
	assert_int_equal(es_stats_total(st, ES_SS_LIVE, &n), 0);
	assert_int_equal(n.count, 2);
	assert_int_equal(es_stats_row(st, ES_ST_EVENTS_BY_TYPE,
				      EST_EV_LARGE_FREE, &n), 0);
	assert_int_equal(n.count, 2);
	es_stats_free(st);
	o = run_text(t, 1, stats, 0);
	assert_non_null(strstr(o, "large_free: 2 (12 pages)"));
	assert_non_null(strstr(o, "(large kmalloc)"));
	es_free(o);
	v = run_json(t, 1, stats, 0);
	x = get(get(v, "large_free"), "count");
	assert_true(YAJL_IS_INTEGER(x));
	assert_int_equal(YAJL_GET_INTEGER(x), 2);
	yajl_tree_free(v);
	v = run_json(t, 1, owners, 0);
	assert_true(YAJL_IS_ARRAY(v));
	assert_true(YAJL_IS_TRUE(get(v->u.array.values[0], "large")));
	yajl_tree_free(v);
	export_read(t, "svg", buf, sizeof(buf));
	assert_non_null(strstr(buf, ES_LARGE_NAME));
	assert_non_null(strstr(buf, "acpi_probe_end"));
	export_read(t, "chrome-trace", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"name\":\"" ES_LARGE_NAME "\""));
	assert_non_null(strstr(buf, "acpi_probe"));
	es_trace_free(t);
	synth_free(s);
}

/* A large kmalloc kept across memblock_free_all() must be skipped too. */
static void test_large_missed_skip(void **state)
{
	struct synth *s = early(16);
	struct collected c;

	(void)state;
	synth_large_get(s, 0x800, 3, 20000);
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x800, 4);
	synth_phase(s, EST_PHASE_WINDOW);
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(first(&c, ES_K_MISSED_SKIP)->count, 4);
	assert_string_equal(first(&c, ES_K_MISSED_SKIP)->name, ES_LARGE_NAME);
	synth_free(s);
}

/* A large_free of frames no large kmalloc took. */
static void test_large_free_unallocated(void **state)
{
	struct synth *s = early(16);
	char *argv[] = { "check" }, *o;
	const struct es_anomaly *a;
	struct collected c;
	struct es_trace *t;

	(void)state;
	synth_large_free(s, 0x400, 2, EST_PATH_MEMBLOCK);
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_FREE_UNALLOCATED);
	assert_int_equal(a->seq, 1);
	assert_int_equal(a->pfn, 0x400);
	assert_non_null(strstr(a->detail, "no large kmalloc"));
	t = load(s);
	o = run_text(t, 1, argv, 1);
	assert_non_null(strstr(o, "free_unallocated"));
	es_free(o);
	es_trace_free(t);
	synth_free(s);
}

/* A large kmalloc freed twice; and a free of the wrong kind or size. */
static void test_large_double_free(void **state)
{
	struct synth *s = early(16);
	const struct es_anomaly *a;
	struct collected c;

	(void)state;
	synth_large_get(s, 0x400, 2, 16384);
	synth_large_free(s, 0x400, 2, EST_PATH_MEMBLOCK);
	synth_large_free(s, 0x400, 2, EST_PATH_MEMBLOCK);
	assert_int_equal(check(s, &c), 1);
	assert_int_equal(c.n, 1);
	a = first(&c, ES_K_DOUBLE_FREE);
	assert_int_equal(a->seq, 3);
	assert_int_equal(a->pfn, 0x400);
	assert_non_null(strstr(a->detail, "seq 2"));
	synth_free(s);

	s = early(16);
	synth_large_get(s, 0x400, 2, 16384);
	synth_large_free(s, 0x400, 1, EST_PATH_MEMBLOCK);
	GET(s, 0x500, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	synth_large_free(s, 0x500, 0, EST_PATH_MEMBLOCK);
	synth_large_get(s, 0x600, 0, 4096);
	PUT(s, 0x600, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64");
	assert_int_equal(check(s, &c), 3);
	assert_int_equal(nkind(&c, ES_K_ORDER_MISMATCH), 1);
	assert_int_equal(nkind(&c, ES_K_CACHE_MISMATCH), 2);
	assert_non_null(strstr(c.a[1].detail, "freed as a large kmalloc"));
	assert_non_null(strstr(c.a[2].detail, "owned by a large kmalloc"));
	synth_free(s);

	/* inside the mem_init window: as for a slab page */
	s = early(16);
	synth_large_get(s, 0x400, 2, 16384);
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x400, 4);
	synth_phase(s, EST_PHASE_WINDOW);
	synth_large_free(s, 0x400, 2, EST_PATH_WINDOW);
	assert_int_equal(check(s, &c), 1);
	a = first(&c, ES_K_WINDOW_FREE);
	assert_non_null(strstr(a->detail, "large kmalloc page"));
	synth_free(s);
}

/* ---- the shortcut of the common slots ----------------------------------- */

static uint64_t rnd_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(uint64_t below)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % below;
}

/*
 * A trace that goes wrong in every way a replay checks, over few frames
 * so that runs collide: orders 0 to 4 (4 spans two groups), frames not
 * aligned to their order, frees of the wrong order, cache or kind, double
 * frees, node mismatches, frees in the window, skips, torn and bad slots.
 */
static struct synth *hostile_mix(uint32_t n)
{
	static const uint64_t caches[] = { CACHE_A, CACHE_B, CACHE_C, 0 };
	static const char *const names[] = { "kmem_cache", "kmalloc-64",
					     "kmalloc-128", "" };
	static const uint8_t paths[] = { EST_PATH_MEMBLOCK, EST_PATH_BUDDY,
					 EST_PATH_WINDOW, EST_PATH_LATE };
	struct synth *s = early(n + 16);
	uint64_t live[64] = { 0 };
	uint8_t lorder[64] = { 0 };
	uint32_t i;

	for (i = 0; i < n; i++) {
		unsigned int k = (unsigned int)rnd(64), c = (unsigned int)rnd(4);
		uint64_t pfn = 0x1000 + rnd(160);
		uint8_t order = (uint8_t)(rnd(8) < 5 ? 0 : rnd(5));
		uint8_t path = paths[rnd(8) < 6 ? rnd(2) : rnd(4)];

		if (rnd(3) == 0)
			pfn &= ~((1ULL << order) - 1);
		if (i == n / 2)
			synth_phase(s, EST_PHASE_FREE_ALL);
		else if (i == n / 2 + 40)
			synth_phase(s, EST_PHASE_WINDOW);
		else if (i == n / 2 + 400)
			synth_phase(s, EST_PHASE_UP);
		if (i >= n / 2 && i < n / 2 + 40) {
			synth_skip(s, live[k] ? live[k] : pfn, 1ULL << rnd(4));
			continue;
		}
		switch (rnd(16)) {
		case 0:
			synth_get_node(s, pfn, order, path, caches[c], names[c],
				       (int16_t)rnd(2), (int16_t)rnd(2));
			break;
		case 1:
			synth_large_get(s, pfn, order, 4096ULL << order);
			break;
		case 2:
			synth_large_free(s, pfn, order, path);
			break;
		case 3:
			synth_torn(s);
			break;
		case 4:
			if (s->hdr->head.counter)
				synth_bad(s, rnd((uint64_t)s->hdr->head.counter));
			break;
		case 5: case 6: case 7: case 8: case 9:
			GET(s, pfn, order, path, caches[c], names[c]);
			live[k] = pfn;
			lorder[k] = order;
			break;
		default:
			/* mostly the frees that match, some that do not */
			if (live[k] && rnd(4))
				PUT(s, live[k], rnd(8) ? lorder[k] : order,
				    path, rnd(8) ? caches[c] : CACHE_C,
				    names[c]);
			else
				PUT(s, pfn, order, path, caches[c], names[c]);
			live[k] = 0;
			break;
		}
	}
	return s;
}

static char *command_out(struct es_trace *t, const char *cmd, bool general)
{
	char line[64], *argv[4], *out, *err, *all, *save = NULL;
	int argc = 0, rc;
	size_t n;

	snprintf(line, sizeof(line), "%s", cmd);
	for (argv[0] = strtok_r(line, " ", &save); argv[argc] && argc < 3;)
		argv[++argc] = strtok_r(NULL, " ", &save);
	es_replay_general_only = general;
	rc = es_command_str(t, argc, argv, ES_OUT_JSON, &out, &err);
	es_replay_general_only = false;
	if (rc != 0 && rc != 1)
		fail_msg("%s: exit %d: %s", cmd, rc, err);
	n = strlen(out) + strlen(err) + 16;
	all = malloc(n);
	assert_non_null(all);
	snprintf(all, n, "%d\n%s%s", rc, out, err);
	es_free(out);
	es_free(err);
	return all;
}

/* Every command says the same with and without the shortcut. */
static void test_fast_replay_agrees(void **state)
{
	static const char *const cmds[] = { "check", "owners", "stats",
					    "stats --cache kmalloc-*",
					    "status" };
	char dir[] = "/tmp/es-fast-XXXXXX", path[64];
	int round, from, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trace.raw", dir);
	for (round = 0; round < 6; round++) {
		/* 20,000 slots: the raw file is read in several windows */
		struct synth *s = hostile_mix(round < 3 ? 2000 : 20000);

		assert_int_equal(synth_write(s, path), 0);
		for (from = 0; from < 2; from++) {
			struct es_trace *t = from ? es_trace_new() : load(s);

			if (from)
				assert_int_equal(es_load_raw(t, path), 0);
			for (i = 0; i < 5; i++) {
				char *fast = command_out(t, cmds[i], false);
				char *slow = command_out(t, cmds[i], true);

				if (strcmp(fast, slow))
					fail_msg("%s, round %d: the shortcut says\n%.2000s\nthe general way\n%.2000s",
						 cmds[i], round, fast, slow);
				/* and the trace does go wrong */
				if (!strcmp(cmds[i], "check"))
					assert_int_equal(fast[0], '1');
				free(fast);
				free(slow);
			}
			es_trace_free(t);
		}
		synth_free(s);
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_too_big),
		cmocka_unit_test(test_pfn_sentinel),
		cmocka_unit_test(test_free_all_repeated),
		cmocka_unit_test(test_header_counters),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_window_free),
		cmocka_unit_test(test_double_free),
		cmocka_unit_test(test_free_unallocated),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_order_mismatch),
		cmocka_unit_test(test_cache_mismatch),
		cmocka_unit_test(test_missed_skip),
		cmocka_unit_test(test_spurious_skip),
		cmocka_unit_test(test_node_mismatch),
		cmocka_unit_test(test_lost_torn_pending),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_timeline_batches),
		cmocka_unit_test(test_many_events),
		cmocka_unit_test(test_cmd_json),
		cmocka_unit_test(test_cmd_errors),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_large_clean),
		cmocka_unit_test(test_large_missed_skip),
		cmocka_unit_test(test_large_free_unallocated),
		cmocka_unit_test(test_large_double_free),
		cmocka_unit_test(test_fast_replay_agrees),
	};

	return cmocka_run_group_tests_name("libearlyslab checks", tests, NULL,
					   NULL);
}
