// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab sources: QEMU-style ELF cores (phys_base 0 and relocated),
 * kcore-style cores, cores searched without a vmlinux, every bad input
 * (non-ELF, truncated, another build, no symbol, bad magic), symbols, and
 * the same answers from --raw and --core.
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

#define VMLINUX		FAKE_DIR "/fake_vmlinux"
#define VMLINUX_OTHER	FAKE_DIR "/fake_vmlinux-other"
#define VMLINUX_NOTRACE	FAKE_DIR "/fake_vmlinux-notrace"

static char dir[] = "/tmp/es-source-XXXXXX";
static struct fake_info fi;

static const char *path(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	return fake_info(VMLINUX, &fi);
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* A clean boot in a ring that fits the stand-in's early_slab_trace. */
static struct synth *boot(void)
{
	struct synth *s = synth_new(32);

	synth_clean_boot(s);
	return s;
}

static struct es_trace *open_core(const char *core, const char *vmlinux,
				  int want)
{
	struct es_trace *t = es_trace_new();

	assert_non_null(t);
	if (vmlinux)
		assert_int_equal(es_set_vmlinux(t, vmlinux), 0);
	if (es_load_core(t, core) != want)
		fail_msg("%s: %s", core, es_error(t));
	return t;
}

static void test_qemu_core(void **state)
{
	struct synth *s = boot();
	struct es_trace *t;
	struct es_status st;

	(void)state;
	assert_int_equal(make_core(path("a.core"), VMLINUX, s, 0, 0), 0);
	t = open_core(path("a.core"), VMLINUX, 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.source, ES_SRC_CORE);
	assert_int_equal(st.phys_base, 0);
	assert_int_equal(st.buffer_addr, fi.trace - 0xffffffff80000000ULL);
	assert_int_equal(st.committed, 17);
	es_trace_free(t);
	synth_free(s);
}

static void test_relocated_core(void **state)
{
	struct synth *s = boot();
	struct es_trace *t;
	struct es_status st;

	(void)state;
	assert_int_equal(make_core(path("b.core"), VMLINUX, s, 0x6000000, 0),
			 0);
	t = open_core(path("b.core"), VMLINUX, 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.phys_base, 0x6000000);
	assert_int_equal(st.buffer_addr,
			 fi.trace - 0xffffffff80000000ULL + 0x6000000);
	assert_int_equal(st.committed, 17);
	es_trace_free(t);
	synth_free(s);
}

static void test_kcore(void **state)
{
	struct synth *s = boot();
	struct es_trace *t;
	struct es_status st;

	(void)state;
	assert_int_equal(make_core(path("k.core"), VMLINUX, s, 0x200000,
				   CORE_KCORE), 0);
	t = open_core(path("k.core"), VMLINUX, 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.source, ES_SRC_KCORE);
	assert_int_equal(st.buffer_addr, fi.trace);
	assert_int_equal(st.committed, 17);
	es_trace_free(t);
	synth_free(s);
}

static void test_scan_without_vmlinux(void **state)
{
	struct synth *s = boot();
	struct es_trace *t;
	struct es_status st;

	(void)state;
	assert_int_equal(make_core(path("c.core"), VMLINUX, s, 0x2000000, 0),
			 0);
	t = open_core(path("c.core"), NULL, 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.committed, 17);
	assert_int_equal(st.buffer_addr,
			 fi.trace - 0xffffffff80000000ULL + 0x2000000);
	es_trace_free(t);

	/* a stale, empty copy of the header elsewhere: the busy one wins */
	assert_int_equal(make_core(path("d.core"), VMLINUX, s, 0,
				   CORE_STALE_COPY), 0);
	t = open_core(path("d.core"), NULL, 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.committed, 17);
	es_trace_free(t);

	/* a kcore-style core needs the symbol from somewhere */
	assert_int_equal(make_core(path("e.core"), VMLINUX, s, 0,
				   CORE_KCORE), 0);
	t = es_trace_new();
	assert_int_equal(es_load_core(t, path("e.core")), -1);
	assert_non_null(strstr(es_error(t), "no --vmlinux"));
	es_trace_free(t);
	synth_free(s);
}

static void expect_core_error(const char *core, const char *vmlinux,
			      const char *what)
{
	struct es_trace *t = es_trace_new();
	int ret;

	if (vmlinux)
		assert_int_equal(es_set_vmlinux(t, vmlinux), 0);
	ret = es_load_core(t, core);
	if (ret != -1 || !strstr(es_error(t), what))
		fail_msg("%s: want '%s', got %d '%s'", core, what, ret,
			 es_error(t));
	assert_null(strchr(es_error(t), '\n'));
	assert_int_equal(es_get_status(t, &(struct es_status){ 0 }), -1);
	es_trace_free(t);
}

static void test_bad_cores(void **state)
{
	struct synth *s = boot();
	struct est_header *h = s->hdr;

	(void)state;
	/* another build: the build-ids differ */
	assert_int_equal(make_core(path("f.core"), VMLINUX, s, 0, 0), 0);
	expect_core_error(path("f.core"), VMLINUX_OTHER,
			  "does not match the dump");
	/* the dump's copy of the note differs */
	assert_int_equal(make_core(path("g.core"), VMLINUX, s, 0,
				   CORE_BAD_BUILD_ID), 0);
	expect_core_error(path("g.core"), VMLINUX, "another build");
	/* no note in the dump: the header is the last line of defence */
	assert_int_equal(make_core(path("h.core"), VMLINUX, s, 0,
				   CORE_NO_BUILD_ID), 0);
	{
		struct es_trace *t = open_core(path("h.core"), VMLINUX, 0);

		es_trace_free(t);
	}
	h->magic ^= 1;
	assert_int_equal(make_core(path("i.core"), VMLINUX, s, 0,
				   CORE_NO_BUILD_ID), 0);
	expect_core_error(path("i.core"), VMLINUX, "bad magic");
	h->magic ^= 1;
	/* truncated */
	assert_int_equal(make_core(path("j.core"), VMLINUX, s, 0,
				   CORE_TRUNCATE), 0);
	expect_core_error(path("j.core"), VMLINUX, "truncated core");
	/* not ELF, empty, not a core */
	assert_int_equal(write_file(path("k.bin"), "hello world, no ELF", 19),
			 0);
	expect_core_error(path("k.bin"), VMLINUX, "not an ELF file");
	assert_int_equal(synth_write(s, path("l.bin")), 0);
	expect_core_error(path("l.bin"), NULL, "use --raw");
	assert_int_equal(write_file(path("m.bin"), "", 0), 0);
	expect_core_error(path("m.bin"), VMLINUX, "empty file");
	expect_core_error(VMLINUX, NULL, "not an ELF core");
	expect_core_error(path("nosuch"), NULL, "No such file");
	synth_free(s);

	/* a ring larger than the symbol: not this kernel's buffer */
	s = synth_new(128);
	synth_clean_boot(s);
	assert_int_equal(make_core(path("n.core"), VMLINUX, s, 0, 0), 0);
	expect_core_error(path("n.core"), VMLINUX, "another build?");
	synth_free(s);
}

static void test_bad_vmlinux(void **state)
{
	struct es_trace *t = es_trace_new();

	(void)state;
	assert_int_equal(es_set_vmlinux(t, VMLINUX_NOTRACE), -1);
	assert_non_null(strstr(es_error(t), "no symbol early_slab_trace"));
	assert_int_equal(es_set_vmlinux(t, "/nonexistent"), -1);
	assert_int_equal(write_file(path("v.bin"), "MZ not a vmlinux", 16), 0);
	assert_int_equal(es_set_vmlinux(t, path("v.bin")), -1);
	assert_non_null(strstr(es_error(t), "not an ELF file"));
	es_trace_free(t);
}

static void test_symbols(void **state)
{
	struct es_trace *t = es_trace_new();
	struct es_symbol sym;
	char buf[256];

	(void)state;
	assert_int_equal(es_symbolize(t, fi.fn_window + 4, &sym), -1);
	assert_int_equal(es_set_vmlinux(t, VMLINUX), 0);
	assert_int_equal(es_symbolize(t, fi.fn_window + 4, &sym), 0);
	assert_int_equal(sym.found, 1);
	assert_string_equal(sym.func, "fake_window_free");
	assert_int_equal(sym.offset, 4);
	assert_true(sym.size > 4);
	assert_non_null(strstr(sym.file, "fake_kernel.c"));
	assert_true(sym.line > 0);
	/* cached: same answer */
	assert_int_equal(es_symbolize(t, fi.fn_window + 4, &sym), 0);
	assert_string_equal(sym.func, "fake_window_free");
	es_format_caller(t, fi.fn_alloc + 2, buf, sizeof(buf));
	assert_true(!strncmp(buf, "fake_slab_alloc+0x2/0x", 22));
	/* outside the image */
	assert_int_equal(es_symbolize(t, 0xffffffffa0000000ULL, &sym), 0);
	assert_int_equal(sym.found, 0);
	es_format_caller(t, 0xffffffffa0000000ULL, buf, sizeof(buf));
	assert_string_equal(buf, "0xffffffffa0000000");
	es_trace_free(t);
}

/* --raw and --core of the same bytes give the same answers. */
static void test_raw_equals_core(void **state)
{
	struct synth *s = boot();
	char *cmds[][3] = {
		{ "owners", NULL, NULL },
		{ "dump", NULL, NULL },
		{ "timeline", NULL, NULL },
		{ "stats", NULL, NULL },
		{ "check", "--kind", "window_free,double_free" },
	};
	struct es_trace *raw = es_trace_new(), *core;
	size_t i;

	(void)state;
	synth_put(s, 0x1fff0, 0, EST_PATH_WINDOW, CACHE_A, "kmem_cache",
		  fi.fn_window + 4);
	assert_int_equal(synth_write(s, path("r.bin")), 0);
	assert_int_equal(make_core(path("r.core"), VMLINUX, s, 0x1000000, 0),
			 0);
	assert_int_equal(es_set_vmlinux(raw, VMLINUX), 0);
	assert_int_equal(es_load_raw(raw, path("r.bin")), 0);
	core = open_core(path("r.core"), VMLINUX, 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int argc = cmds[i][1] ? 3 : 1;
		char *o1, *e1, *o2, *e2;
		int r1, r2;

		r1 = es_command_str(raw, argc, cmds[i], ES_OUT_JSON, &o1, &e1);
		r2 = es_command_str(core, argc, cmds[i], ES_OUT_JSON, &o2, &e2);
		assert_int_equal(r1, r2);
		if (strcmp(cmds[i][0], "check"))
			assert_string_equal(o1, o2);
		else	/* "file" differs; the anomaly is the same */
			assert_string_equal(strstr(o1, "\"anomalies\""),
					    strstr(o2, "\"anomalies\""));
		es_free(o1);
		es_free(e1);
		es_free(o2);
		es_free(e2);
	}
	/* and the window free's caller is symbolized */
	{
		char *argv[] = { "check" }, *o, *e;

		assert_int_equal(es_command_str(core, 1, argv, 0, &o, &e), 1);
		assert_non_null(strstr(o, "window_free"));
		assert_non_null(strstr(o, "fake_window_free+0x4/"));
		assert_non_null(strstr(o, "fake_kernel.c:"));
		es_free(o);
		es_free(e);
	}
	es_trace_free(raw);
	es_trace_free(core);
	synth_free(s);
}

/* owners --verify: the trace against the dump's struct pages. */
static void test_verify_owners(void **state)
{
	static const struct fake_page good[] = {
		{ 0x5000, FAKE_PG_SLAB, CACHE_B },	/* 4K-mapped vmemmap */
		{ 0x1fff0, FAKE_PG_SLAB, CACHE_A },	/* 2M-mapped vmemmap */
	};
	static const struct fake_page bad[] = {
		{ 0x5000, FAKE_PG_SLAB, CACHE_C },
		{ 0x1fff0, 0, 0 },
	};
	char *argv[] = { "owners", "--verify" }, *o, *e;
	struct synth *s = boot();
	struct es_trace *t;
	struct es_page pg;

	(void)state;
	core_pages(good, 2);
	assert_int_equal(make_core(path("p.core"), VMLINUX, s, 0x2000000, 0),
			 0);
	core_pages(bad, 2);
	assert_int_equal(make_core(path("q.core"), VMLINUX, s, 0, 0), 0);
	core_pages(NULL, 0);

	t = open_core(path("p.core"), VMLINUX, 0);
	assert_int_equal(es_read_page(t, 0x1fff0, &pg), 0);
	assert_int_equal(pg.vaddr, 0xffffea0000000000ULL + 0x1fff0 * 64);
	assert_int_equal(pg.slab, 1);
	assert_int_equal(pg.slab_cache, CACHE_A);
	assert_int_equal(pg.refcount, 1);
	assert_int_equal(es_read_page(t, 0x5000, &pg), 0);
	assert_int_equal(pg.slab_cache, CACHE_B);
	/* a pfn whose vmemmap is not mapped */
	assert_int_equal(es_read_page(t, 0x123456, &pg), -1);
	assert_non_null(strstr(es_error(t), "not in the dump"));
	assert_int_equal(es_command_str(t, 2, argv, 0, &o, &e), 0);
	assert_non_null(strstr(o, "2 of 2 agree"));
	es_free(o);
	es_free(e);
	es_trace_free(t);

	t = open_core(path("q.core"), VMLINUX, 0);
	assert_int_equal(es_command_str(t, 2, argv, ES_OUT_JSON, &o, &e), 1);
	assert_non_null(strstr(o, "\"verify\":\"other_cache\""));
	assert_non_null(strstr(o, "\"verify\":\"not_slab\""));
	es_free(o);
	es_free(e);
	es_trace_free(t);

	/* a raw buffer has no struct pages */
	t = es_trace_new();
	assert_int_equal(es_load_memory(t, s->mem, s->len, "raw"), 0);
	assert_int_equal(es_command_str(t, 2, argv, 0, &o, &e), 2);
	assert_non_null(strstr(e, "--verify needs --core and --vmlinux"));
	es_free(o);
	es_free(e);
	assert_int_equal(es_read_page(t, 0x5000, &pg), -1);
	es_trace_free(t);
	synth_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_core),
		cmocka_unit_test(test_relocated_core),
		cmocka_unit_test(test_kcore),
		cmocka_unit_test(test_scan_without_vmlinux),
		cmocka_unit_test(test_bad_cores),
		cmocka_unit_test(test_bad_vmlinux),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_raw_equals_core),
		cmocka_unit_test(test_verify_owners),
	};

	return cmocka_run_group_tests_name("libearlyslab sources", tests,
					   setup, teardown);
}
