// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab sources: QEMU-style ELF cores (phys_base 0 and relocated),
 * kcore-style cores, cores searched without a vmlinux, every bad input
 * (non-ELF, truncated, another build, no symbol, bad magic), symbols, and
 * the same answers from --raw and --core.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <elf.h>

#include <cmocka.h>

#include "earlyslab.h"
#include "synth.h"

#define VMLINUX		FAKE_DIR "/fake_vmlinux"
#define VMLINUX_OTHER	FAKE_DIR "/fake_vmlinux-other"
#define VMLINUX_NOTRACE	FAKE_DIR "/fake_vmlinux-notrace"
#define VMLINUX_612	FAKE_DIR "/fake_vmlinux-612"

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
	assert_non_null(strstr(o, "\"slab_mark\":\"PG_slab\""));
	es_free(o);
	es_free(e);
	es_trace_free(t);

	/* a raw buffer has no struct pages */
	t = es_trace_new();
	assert_int_equal(es_load_memory(t, s->mem, s->len, "raw"), 0);
	assert_int_equal(es_command_str(t, 2, argv, 0, &o, &e), 2);
	assert_non_null(strstr(e, "--verify needs --core (or a live guest) and --vmlinux"));
	es_free(o);
	es_free(e);
	assert_int_equal(es_read_page(t, 0x5000, &pg), -1);
	es_trace_free(t);
	synth_free(s);
}


/* ---- hostile inputs ------------------------------------------------------- */

/*
 * Run "@pre earlyslab @args" through sh, returns its
 * exit code and the number of lines written to stderr, the first in @err.
 */
static int cli(const char *pre, const char *args, char *err, size_t n,
	       int *lines)
{
	char cmd[1024], line[512];
	const char *bin = getenv("EARLYSLAB") ? getenv("EARLYSLAB") :
						EARLYSLAB_BIN;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "%s %s %s 2>&1 >/dev/null", pre, bin,
		 args);
	p = popen(cmd, "r");
	assert_non_null(p);
	*lines = 0;
	err[0] = '\0';
	while (fgets(line, sizeof(line), p))
		if ((*lines)++ == 0)
			snprintf(err, n, "%s", line);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_bad_input(const char *pre, const char *args,
			     const char *file, const char *what)
{
	char err[512];
	int lines;

	assert_int_equal(cli(pre, args, err, sizeof(err), &lines), 2);
	if (lines != 1 || !strstr(err, file) || !strstr(err, what))
		fail_msg("%s %s: %d lines, '%s'", pre, args, lines, err);
}

/* A pipe: the header, exactly what it announces, then no more. */
static void test_raw_pipe(void **state)
{
	struct synth *s = boot();
	char pre[512], err[512];
	int lines;

	(void)state;
	assert_int_equal(synth_write(s, path("p.raw")), 0);
	/* a valid trace piped in works */
	snprintf(pre, sizeof(pre), "cat %s |", path("p.raw"));
	assert_int_equal(cli(pre, "--raw - check", err, sizeof(err), &lines),
			 0);
	assert_int_equal(lines, 0);
	assert_int_equal(cli(pre, "--raw /dev/stdin status", err, sizeof(err),
			     &lines), 0);
	/* followed by endless bytes: read up to the end announced */
	snprintf(pre, sizeof(pre), "cat %s /dev/zero |", path("p.raw"));
	assert_int_equal(cli(pre, "--raw - check", err, sizeof(err), &lines),
			 0);
	/* endless zeroes: one line, at once */
	expect_bad_input("", "--raw /dev/zero status", "/dev/zero",
			 "bad magic");
	expect_bad_input("cat /dev/zero |", "--raw - status", "(stdin)",
			 "bad magic");
	/* a header announcing a terabyte, then endless zeroes: refused */
	s->hdr->record_size = 0xffff;
	s->hdr->capacity = 0x1000000;
	assert_int_equal(write_file(path("big.raw"), s->hdr, 64), 0);
	s->hdr->record_size = sizeof(struct est_record);
	s->hdr->capacity = 32;
	snprintf(pre, sizeof(pre), "cat %s /dev/zero |", path("big.raw"));
	expect_bad_input(pre, "--raw - status", "(stdin)", "save it to a file");
	/* cut short in a pipe */
	snprintf(pre, sizeof(pre), "head -c 1000 %s |", path("p.raw"));
	expect_bad_input(pre, "--raw - dump", "(stdin)", "truncated");
	synth_free(s);
}

/* A raw file cut short after it was opened: an error, not SIGBUS. */
static void test_raw_truncated_while_read(void **state)
{
	struct synth *s = boot();
	struct es_trace *t = es_trace_new();
	struct es_status st;

	(void)state;
	assert_int_equal(synth_write(s, path("t.raw")), 0);
	assert_int_equal(es_load_raw(t, path("t.raw")), 0);
	assert_int_equal(truncate(path("t.raw"), 64 + 3 * 80), 0);
	assert_int_equal(es_get_status(t, &st), -1);
	assert_non_null(strstr(es_error(t), "t.raw: cut short"));
	assert_int_equal(es_check(t, NULL, NULL), -1);
	es_trace_free(t);
	synth_free(s);
}

/* Cores: what each broken one is called. */
static void test_core_messages(void **state)
{
	unsigned char eh[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	struct synth *s = boot();
	struct core_seg segs[3];
	char args[512], pre[512];
	struct es_trace *t;

	(void)state;
	/* a piped core */
	assert_int_equal(make_core(path("m.core"), VMLINUX, s, 0, 0), 0);
	snprintf(pre, sizeof(pre), "cat %s |", path("m.core"));
	expect_bad_input(pre, "--core /dev/stdin status", "/dev/stdin",
			 "not a regular file");
	/* 64 bytes, no program headers */
	eh[16] = ET_CORE;
	eh[18] = EM_X86_64;
	assert_int_equal(write_file(path("h.core"), eh, sizeof(eh)), 0);
	snprintf(args, sizeof(args), "--core %s status", path("h.core"));
	expect_bad_input("", args, "h.core", "no program headers");
	/* the same memory twice is one header, not two */
	segs[0].paddr = segs[0].vaddr = 0x100000;
	segs[0].data = s->mem;
	segs[0].len = s->len;
	segs[1] = segs[0];
	assert_int_equal(write_core(path("d.core"), segs, 2), 0);
	t = open_core(path("d.core"), NULL, 0);
	es_trace_free(t);
	/* a directory given as vmlinux is a directory */
	snprintf(args, sizeof(args), "--vmlinux %s --core %s status", dir,
		 path("d.core"));
	expect_bad_input("", args, dir, "is a directory");
	synth_free(s);
}

/* Without --vmlinux, many small segments holding the magic are searched
 * once each. */
static void test_core_many_segments(void **state)
{
	enum { NSEG = 4000 };
	struct synth *s = boot();
	struct core_seg *segs = calloc(NSEG + 1, sizeof(*segs));
	uint64_t magic[2] = { EST_MAGIC, 0 };
	struct es_status st;
	struct es_trace *t;
	int i;

	(void)state;
	for (i = 0; i < NSEG; i++) {
		segs[i].paddr = segs[i].vaddr = 0x1000000 + (uint64_t)i * 4096;
		segs[i].data = magic;
		segs[i].len = sizeof(magic);
	}
	segs[NSEG].paddr = segs[NSEG].vaddr = 0x100000;
	segs[NSEG].data = s->mem;
	segs[NSEG].len = s->len;
	assert_int_equal(write_core(path("many.core"), segs, NSEG + 1), 0);
	t = open_core(path("many.core"), NULL, 0);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.buffer_addr, 0x100000);
	es_trace_free(t);
	free(segs);
	synth_free(s);
}

/* ---- one memory reader ---------------------------------------------------- */

/* Kernel virtual memory made of a few regions; every read is counted. */
struct fake_mem {
	struct {
		uint64_t va;
		unsigned char *buf;
		size_t len;
	} r[8];
	int nr;
	unsigned int calls;
	uint64_t bytes;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;
	int i;

	m->calls++;
	m->bytes += len;
	for (i = 0; i < m->nr; i++)
		if (addr >= m->r[i].va && addr - m->r[i].va <= m->r[i].len &&
		    len <= m->r[i].len - (addr - m->r[i].va)) {
			memcpy(buf, m->r[i].buf + (addr - m->r[i].va), len);
			return 0;
		}
	return -EFAULT;
}

static void fake_map(struct fake_mem *m, uint64_t va, void *buf, size_t len)
{
	m->r[m->nr].va = va;
	m->r[m->nr].buf = buf;
	m->r[m->nr].len = len;
	m->nr++;
}

static struct es_trace *open_reader_on(struct fake_mem *m, const char *vmlinux)
{
	struct es_trace *t = es_trace_new();

	assert_int_equal(es_set_vmlinux(t, vmlinux), 0);
	if (es_load_reader(t, fake_read, m, "guest"))
		fail_msg("%s", es_error(t));
	return t;
}

static struct es_trace *open_reader(struct fake_mem *m)
{
	return open_reader_on(m, VMLINUX);
}

/* Header, then the committed slots; a refresh reads only new ones. */
static void test_reader_reads_little(void **state)
{
	struct synth *s = synth_new(32);
	struct fake_mem m = { 0 };
	struct es_status st;
	struct es_trace *t;
	unsigned int n;

	(void)state;
	n = synth_clean_boot(s);
	fake_map(&m, fi.trace, s->mem, s->len);

	t = es_trace_new();
	assert_int_equal(es_load_reader(t, fake_read, &m, "guest"), -1);
	assert_non_null(strstr(es_error(t), "needs a vmlinux"));
	es_trace_free(t);
	assert_int_equal(m.calls, 0);

	/* the header, the records, and the build-id (not in this memory) */
	t = open_reader(&m);
	assert_int_equal(m.calls, 3);
	assert_int_equal(m.bytes, sizeof(struct est_header) +
				  n * sizeof(struct est_record) +
				  fi.build_id_len);
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.source, ES_SRC_READER);
	assert_int_equal(st.committed, n);
	assert_int_equal(st.buffer_addr, fi.trace);

	/* nothing new: the header only */
	m.calls = 0;
	m.bytes = 0;
	assert_int_equal(es_refresh(t), 0);
	assert_int_equal(m.bytes, sizeof(struct est_header));

	/* two new records, and one reserved but not written yet */
	synth_slab_state(s, 4);
	synth_phase(s, EST_PHASE_FULL);
	synth_pending(s);
	m.bytes = 0;
	assert_int_equal(es_refresh(t), 3);
	assert_int_equal(m.bytes, sizeof(struct est_header) +
				  3 * sizeof(struct est_record));
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.committed, n + 2);
	assert_int_equal(st.pending, 1);

	/* the pending slot is written since: it is read again, alone */
	s->ring[n + 2].state = EST_STATE_COMMITTED;
	s->ring[n + 2].seq = n + 2;
	s->ring[n + 2].type = EST_EV_MARK;
	s->ring[n + 2].phase = EST_PHASE_FULL;
	s->ring[n + 2].arg = EST_MARK_PERCPU;
	m.bytes = 0;
	assert_int_equal(es_refresh(t), 0);
	assert_int_equal(m.bytes, sizeof(struct est_header) +
				  sizeof(struct est_record));
	assert_int_equal(es_get_status(t, &st), 0);
	assert_int_equal(st.committed, n + 3);
	assert_int_equal(st.pending, 0);

	/* the guest started over: everything is read again */
	s->hdr->head.counter = 2;
	m.bytes = 0;
	assert_int_equal(es_refresh(t), 2);
	assert_int_equal(m.bytes, sizeof(struct est_header) +
				  2 * sizeof(struct est_record));

	/* no trace where the vmlinux says: said so */
	{
		struct fake_mem none = { 0 };
		struct es_trace *t2 = es_trace_new();

		assert_int_equal(es_set_vmlinux(t2, VMLINUX), 0);
		assert_int_equal(es_load_reader(t2, fake_read, &none, "guest"),
				 -1);
		assert_non_null(strstr(es_error(t2),
				       "guest: cannot read the trace header"));
		es_trace_free(t2);
	}

	/* memory of another build: refused */
	{
		unsigned char other[64];
		struct fake_mem m2 = m;
		struct es_trace *t2 = es_trace_new();

		memcpy(other, fi.build_id, fi.build_id_len);
		other[0] ^= 0xff;
		fake_map(&m2, fi.build_id_addr, other, fi.build_id_len);
		assert_int_equal(es_set_vmlinux(t2, VMLINUX), 0);
		assert_int_equal(es_load_reader(t2, fake_read, &m2, "guest"),
				 -1);
		assert_non_null(strstr(es_error(t2),
				       "does not match the memory of guest"));
		es_trace_free(t2);
	}

	/* unreadable memory: an error naming the source, trace kept */
	m.nr = 0;
	assert_int_equal(es_refresh(t), -1);
	assert_non_null(strstr(es_error(t), "guest: cannot read the trace header"));
	es_trace_free(t);

	/* a copy handed over cannot be refreshed */
	t = es_trace_new();
	assert_int_equal(es_load_memory(t, s->mem, s->len, "copy"), 0);
	assert_int_equal(es_refresh(t), -1);
	assert_non_null(strstr(es_error(t), "copy:"));
	es_trace_free(t);
	synth_free(s);
}

/* Offsets in the stand-in's struct page (64 bytes) and struct slab. */
#define PG_FLAGS	0
#define PG_COMPOUND	8
#define PG_ORDER	17	/* compound_order, in the first tail */
#define PG_CACHE	24	/* struct slab's slab_cache */
#define PG_REF		52
#define PG_HEAD_BIT	(1ULL << 16)
#define VMEMMAP_VA	0xffffea0000000000ULL
#define NAMES_VA	0xffff888000200000ULL

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * A guest whose stand-in vmlinux is @f: the trace, vmemmap_base, 16
 * struct pages at VMEMMAP_VA, three caches and their names.
 */
static void map_guest(struct fake_mem *m, const struct fake_info *f,
		      struct synth *s, uint64_t *vb, unsigned char *pages,
		      unsigned char *caches, size_t caches_len, char *names,
		      size_t names_len)
{
	fake_map(m, f->trace, s->mem, s->len);
	fake_map(m, f->vmemmap_base, vb, sizeof(*vb));
	fake_map(m, VMEMMAP_VA, pages, 16 * 64);
	fake_map(m, CACHE_A, caches, caches_len);
	put64(caches + (CACHE_B - CACHE_A) + 8, NAMES_VA);
	put64(caches + (CACHE_C - CACHE_A) + 8, NAMES_VA + 11);
	put64(caches + 8, NAMES_VA + 23);
	fake_map(m, NAMES_VA, names, names_len);
}

/* One definition of agreement: every problem is seen, through a reader. */
static void test_reader_verify(void **state)
{
	struct synth *s = synth_new(32);
	unsigned char *pages = calloc(16, 64), caches[0x600] = { 0 };
	char names[64] = "kmalloc-64\0kmalloc-128\0kmem_cache";
	uint64_t vb = VMEMMAP_VA;
	struct fake_mem m = { 0 };
	struct es_page_check pc;
	struct es_run run;
	struct es_trace *t;
	int i;

	(void)state;
	synth_clean_boot(s);
	/* pfns 0..15: an order-2 slab at 4, of CACHE_B ("kmalloc-64") */
	map_guest(&m, &fi, s, &vb, pages, caches, sizeof(caches), names,
		  sizeof(names));
	assert_int_equal(m.nr, 5);

	put64(pages + 4 * 64 + PG_FLAGS, FAKE_PG_SLAB | PG_HEAD_BIT);
	put64(pages + 4 * 64 + PG_CACHE, CACHE_B);
	pages[4 * 64 + PG_REF] = 1;
	pages[5 * 64 + PG_ORDER] = 2;
	for (i = 5; i < 8; i++)
		put64(pages + i * 64 + PG_COMPOUND, (VMEMMAP_VA + 4 * 64) | 1);

	t = open_reader(&m);
	memset(&run, 0, sizeof(run));
	run.pfn = 4;
	run.order = 2;
	run.cache = CACHE_B;
	strcpy(run.name, "kmalloc-64");
	assert_int_equal(es_verify_run(t, &run, &pc), 0);
	assert_int_equal(pc.problems, 0);
	assert_string_equal(pc.live_name, "kmalloc-64");
	assert_int_equal(pc.compound_order, 2);

	/* a large kmalloc's frames: a compound page without PG_slab */
	run.flags = ES_RUN_LARGE;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_SLAB);
	assert_non_null(strstr(pc.detail, "PG_slab set"));
	put64(pages + 4 * 64 + PG_FLAGS, PG_HEAD_BIT);
	run.cache = 0;
	strcpy(run.name, ES_LARGE_NAME);
	assert_int_equal(es_verify_run(t, &run, &pc), 0);
	assert_int_equal(pc.compound_order, 2);
	put64(pages + 4 * 64 + PG_FLAGS, 0);
	pages[4 * 64 + PG_REF] = 0;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_NO_HEAD | ES_PC_REFCOUNT);
	assert_non_null(strstr(pc.detail, "order-2 large kmalloc"));
	pages[4 * 64 + PG_REF] = 1;
	put64(pages + 4 * 64 + PG_FLAGS, FAKE_PG_SLAB | PG_HEAD_BIT);
	run.flags = 0;
	run.cache = CACHE_B;
	strcpy(run.name, "kmalloc-64");

	/* the trace's name is a truncated copy: a prefix agrees */
	strcpy(run.name, "kmalloc-6");
	assert_int_equal(es_verify_run(t, &run, &pc), 0);

	/* another cache */
	run.cache = CACHE_C;
	strcpy(run.name, "kmalloc-128");
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_CACHE);
	assert_non_null(strstr(pc.detail, "kmalloc-64"));

	/* the same cache under another name */
	run.cache = CACHE_B;
	strcpy(run.name, "dentry");
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_NAME);
	strcpy(run.name, "kmalloc-64");

	/* the order differs: compound_order and the tails disagree */
	run.order = 3;
	run.pfn = 4;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_ORDER | ES_PC_TAIL_LINK);
	assert_int_equal(pc.bad_tail_pfn, 8);
	run.order = 2;

	/* a broken tail, refcount 0, PG_head clear */
	put64(pages + 6 * 64 + PG_COMPOUND, 0);
	pages[4 * 64 + PG_REF] = 0;
	put64(pages + 4 * 64 + PG_FLAGS, FAKE_PG_SLAB);
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems,
			 ES_PC_TAIL_LINK | ES_PC_REFCOUNT | ES_PC_NO_HEAD);
	assert_int_equal(pc.bad_tail_pfn, 6);

	/* a tail page where the trace says a slab starts, PG_slab clear */
	run.pfn = 5;
	run.order = 0;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems,
			 ES_PC_TAIL | ES_PC_NOT_SLAB | ES_PC_REFCOUNT);

	/* struct pages not readable: said so, not an error */
	run.pfn = 0x100000;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_UNREADABLE);
	assert_non_null(strstr(pc.detail, "not in the dump"));
	assert_int_equal(es_has_memory(t), 1);
	{
		/* owners --verify on a live guest: the same agreement */
		char *argv[] = { "owners", "--verify" }, *o, *e;

		assert_int_equal(es_command_str(t, 2, argv, ES_OUT_JSON, &o, &e),
				 1);
		assert_non_null(strstr(o, "\"verify\":\"unreadable\""));
		es_free(o);
		es_free(e);
	}
	es_trace_free(t);

	/* no reader, no struct pages */
	t = es_trace_new();
	assert_int_equal(es_load_memory(t, s->mem, s->len, "copy"), 0);
	assert_int_equal(es_has_memory(t), 0);
	assert_int_equal(es_verify_run(t, &run, &pc), -1);
	assert_non_null(strstr(es_error(t), "struct pages need"));
	es_trace_free(t);
	free(pages);
	synth_free(s);
}

/* The stand-in 6.12 kernel: struct page as Linux 6.12 has it. */
#define P12_COMPOUND	8
#define P12_CACHE	8	/* struct slab's slab_cache */
#define P12_TYPE	48	/* page_type, shared with _mapcount */
#define P12_REF		52
#define P12_HEAD_BIT	(1ULL << 6)	/* PG_head */
#define P12_WORKINGSET	(1ULL << 9)	/* where 6.1 has PG_slab */

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}


/*
 * Linux 6.12 marks a slab with the page type PGTY_slab, not PG_slab, and
 * keeps the order in folio->_flags_1: found from the DWARF, no flag given.
 */
static void test_reader_612(void **state)
{
	struct synth *s = synth_new(32);
	unsigned char *pages = calloc(16, 64), caches[0x600] = { 0 };
	char names[64] = "kmalloc-64\0kmalloc-128\0kmem_cache";
	uint64_t vb = VMEMMAP_VA;
	struct fake_info f6;
	struct fake_mem m = { 0 };
	struct es_page_check pc;
	struct es_page pg;
	struct es_run run;
	struct es_trace *t;
	uint32_t mark, alloc;
	char *argv[] = { "owners", "--verify" }, *o, *e;
	int i;

	(void)state;
	assert_int_equal(fake_info(VMLINUX_612, &f6), 0);
	synth_clean_boot(s);
	s->hdr->allocator = EST_ALLOC_SLUB;
	s->hdr->kernel_version = 0x060c76;
	map_guest(&m, &f6, s, &vb, pages, caches, sizeof(caches), names,
		  sizeof(names));

	/* pfn 0 unmapped, pfn 1 a free buddy page, 4..7 an order-2 slab */
	for (i = 0; i < 16; i++)
		put32(pages + i * 64 + P12_TYPE, UINT32_MAX);
	put32(pages + 1 * 64 + P12_TYPE, 0xf0000000U);
	put64(pages + 4 * 64, P12_HEAD_BIT);
	put32(pages + 4 * 64 + P12_TYPE, 0xf5000000U);
	put64(pages + 4 * 64 + P12_CACHE, CACHE_B);
	pages[4 * 64 + P12_REF] = 1;
	pages[5 * 64] = 2;	/* folio->_flags_1: the order */
	for (i = 5; i < 8; i++)
		put64(pages + i * 64 + P12_COMPOUND, (VMEMMAP_VA + 4 * 64) | 1);

	t = open_reader_on(&m, VMLINUX_612);
	if (es_kernel_info(t, &mark, &alloc))
		fail_msg("%s", es_error(t));
	assert_int_equal(mark, ES_SLAB_MARK_PAGE_TYPE);
	assert_string_equal(es_slab_mark_name(mark), "page_type");
	assert_int_equal(alloc, EST_ALLOC_SLUB);
	memset(&run, 0, sizeof(run));
	run.pfn = 4;
	run.order = 2;
	run.cache = CACHE_B;
	strcpy(run.name, "kmalloc-64");
	assert_int_equal(es_verify_run(t, &run, &pc), 0);
	assert_int_equal(pc.compound_order, 2);
	assert_string_equal(pc.live_name, "kmalloc-64");

	/* a large kmalloc's frames must not carry the slab page type */
	run.flags = ES_RUN_LARGE;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_SLAB);
	assert_non_null(strstr(pc.detail, "a slab page (page_type 0xf5000000)"));
	put32(pages + 4 * 64 + P12_TYPE, UINT32_MAX);
	assert_int_equal(es_verify_run(t, &run, &pc), 0);
	assert_int_equal(pc.compound_order, 2);
	put32(pages + 4 * 64 + P12_TYPE, 0xf5000000U);
	run.flags = 0;

	assert_int_equal(es_read_page(t, 4, &pg), 0);
	assert_int_equal(pg.slab, 1);
	assert_int_equal(pg.typed, 1);
	assert_string_equal(pg.type_name, "slab");
	assert_int_equal(pg.order, 2);
	assert_int_equal(pg.slab_cache, CACHE_B);
	assert_string_equal(pg.flag_names, "head");
	assert_int_equal(es_read_page(t, 6, &pg), 0);
	assert_int_equal(pg.tail, 1);
	assert_int_equal(pg.head_pfn, 4);
	assert_int_equal(pg.slab, 0);
	/* the first tail's flags hold the order: no flag names of it */
	assert_int_equal(es_read_page(t, 5, &pg), 0);
	assert_int_equal(pg.flags, 2);
	assert_string_equal(pg.flag_names, "");
	assert_int_equal(es_read_page(t, 1, &pg), 0);
	assert_string_equal(pg.type_name, "buddy");
	assert_int_equal(pg.slab, 0);
	assert_int_equal(es_read_page(t, 0, &pg), 0);
	assert_int_equal(pg.typed, 0);
	assert_int_equal(pg.mapcount, 0);

	/* the bit 6.1 calls PG_slab is not the slab mark here */
	put32(pages + 4 * 64 + P12_TYPE, UINT32_MAX);
	put64(pages + 4 * 64, P12_HEAD_BIT | P12_WORKINGSET);
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_NOT_SLAB);
	assert_non_null(strstr(pc.detail, "not a slab page (page_type 0xffffffff)"));
	assert_int_equal(es_read_page(t, 4, &pg), 0);
	assert_string_equal(pg.flag_names, "head|workingset");
	/* the order in the first tail disagrees */
	put32(pages + 4 * 64 + P12_TYPE, 0xf5000000U);
	pages[5 * 64] = 1;
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_ORDER);
	assert_non_null(strstr(pc.detail, "compound order 1, trace says 2"));
	pages[5 * 64] = 2;

	/*
	 * The trace names SLUB's static boot cache, the struct page the
	 * cache bootstrap() copied it to: the same cache by its name.
	 */
	assert_true(f6.boot_cache != 0);
	run.cache = f6.boot_cache;
	assert_int_equal(es_verify_run(t, &run, &pc), 0);
	strcpy(run.name, "dentry");
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_CACHE);
	run.cache = CACHE_C;
	strcpy(run.name, "kmalloc-64");
	assert_int_equal(es_verify_run(t, &run, &pc), 1);
	assert_int_equal(pc.problems, ES_PC_CACHE);
	run.cache = CACHE_B;
	es_trace_free(t);

	/* a version 1 trace does not say its allocator: nothing to compare */
	s->hdr->version = 1;
	t = open_reader_on(&m, VMLINUX_612);
	assert_int_equal(es_verify_run(t, &run, &pc), 0);
	es_trace_free(t);

	/* a SLAB trace on a SLUB vmlinux: one error line, exit 2 */
	s->hdr->version = 2;
	s->hdr->allocator = EST_ALLOC_SLAB;
	t = open_reader_on(&m, VMLINUX_612);
	assert_int_equal(es_kernel_info(t, &mark, &alloc), -1);
	assert_int_equal(es_error_code(t), ES_ERR_MISMATCH);
	assert_non_null(strstr(es_error(t), "a SLUB kernel (slab page type), but guest was written by SLAB"));
	assert_int_equal(es_command_str(t, 2, argv, 0, &o, &e), 2);
	assert_non_null(strstr(e, "a vmlinux of another kernel"));
	assert_null(strchr(e, '\n') == e + strlen(e) - 1 ? NULL : "two lines");
	es_free(o);
	es_free(e);
	assert_int_equal(es_read_page(t, 4, &pg), -1);
	es_trace_free(t);

	/* and the 6.1 stand-in says PG_slab and SLAB */
	t = es_trace_new();
	assert_int_equal(es_set_vmlinux(t, VMLINUX), 0);
	assert_int_equal(es_load_memory(t, s->mem, s->len, "copy"), 0);
	assert_int_equal(es_kernel_info(t, &mark, &alloc), 0);
	assert_int_equal(mark, ES_SLAB_MARK_PG_SLAB);
	assert_int_equal(alloc, EST_ALLOC_SLAB);
	s->hdr->allocator = EST_ALLOC_SLUB;
	assert_int_equal(es_load_memory(t, s->mem, s->len, "copy"), 0);
	assert_int_equal(es_kernel_info(t, &mark, &alloc), -1);
	assert_non_null(strstr(es_error(t), "a SLAB kernel (PG_slab), but copy was written by SLUB 6.12.118"));
	es_trace_free(t);
	free(pages);
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
		cmocka_unit_test(test_reader_reads_little),
		cmocka_unit_test(test_reader_612),
		cmocka_unit_test(test_raw_pipe),
		cmocka_unit_test(test_raw_truncated_while_read),
		cmocka_unit_test(test_core_messages),
		cmocka_unit_test(test_core_many_segments),
		cmocka_unit_test(test_reader_verify),
	};

	return cmocka_run_group_tests_name("libearlyslab sources", tests,
					   setup, teardown);
}
