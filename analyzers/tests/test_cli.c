// SPDX-License-Identifier: GPL-2.0-only
/*
 * The earlyslab command as a user runs it: bad inputs must give exit 2 and
 * exactly one line on stderr naming the file and the problem (and nothing
 * on stdout, and no crash); good inputs give valid JSON, CSV or text and
 * the documented exit codes.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "synth.h"

#define VMLINUX		FAKE_DIR "/fake_vmlinux"
#define BIG_EVENTS	5000	/* about 1.5 MB of JSON */

extern char **environ;

static char dir[] = "/tmp/es-cli-XXXXXX";
static const char *bin = EARLYSLAB_BIN;

struct result {
	int rc;
	char out[1 << 16];
	char err[4096];
};

static struct result res;
/* where run() sends stdout, if not to a file read back into res.out */
static const char *stdout_to;

static const char *path(const char *name)
{
	static char buf[16][256];
	static int i;

	i = (i + 1) % 16;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void slurp(const char *p, char *buf, size_t n)
{
	FILE *f = fopen(p, "r");
	size_t got = 0;

	if (f) {
		got = fread(buf, 1, n - 1, f);
		fclose(f);
	}
	buf[got] = '\0';
}

/* Run earlyslab with a NULL-terminated argument list. */
static int run(const char *first, ...)
{
	const char *argv[64];
	posix_spawn_file_actions_t fa;
	va_list ap;
	pid_t pid;
	int n = 0, status;

	argv[n++] = bin;
	va_start(ap, first);
	for (argv[n] = first; argv[n] && n < 62; argv[++n] = va_arg(ap, const char *))
		;
	va_end(ap);
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1,
					 stdout_to ? stdout_to : path("stdout"),
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, path("stderr"),
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, (char **)argv,
				     environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));		/* no crash */
	res.rc = WEXITSTATUS(status);
	if (stdout_to)
		res.out[0] = '\0';
	else
		slurp(path("stdout"), res.out, sizeof(res.out));
	slurp(path("stderr"), res.err, sizeof(res.err));
	return res.rc;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Exit 2, one line on stderr with @what in it, nothing on stdout. */
static void bad(const char *what)
{
	if (res.rc != 2 || lines(res.err) != 1 || res.out[0] ||
	    strncmp(res.err, "earlyslab: ", 11) || !strstr(res.err, what))
		fail_msg("want exit 2 and one line with '%s'; got exit %d, stderr '%s', stdout '%.200s'",
			 what, res.rc, res.err, res.out);
}

static void good(int rc)
{
	if (res.rc != rc)
		fail_msg("want exit %d, got %d: %s", rc, res.rc, res.err);
}

static yajl_val json(void)
{
	char ebuf[256];
	yajl_val v = yajl_tree_parse(res.out, ebuf, sizeof(ebuf));

	if (!v)
		fail_msg("not JSON (%s): %.300s", ebuf, res.out);
	return v;
}

static yajl_val get(yajl_val v, const char *k)
{
	const char *p[] = { k, NULL };

	return yajl_tree_get(v, p, yajl_t_any);
}

static int setup(void **state)
{
	struct synth *s;
	struct est_header *h;
	unsigned char *b;
	const char *e = getenv("EARLYSLAB");
	unsigned int i;

	(void)state;
	if (e && *e)
		bin = e;
	if (!mkdtemp(dir))
		return -1;
	s = synth_new(32);
	synth_clean_boot(s);
	synth_write(s, path("clean.bin"));
	make_core(path("clean.core"), VMLINUX, s, 0, 0);
	make_core(path("trunc.core"), VMLINUX, s, 0, CORE_TRUNCATE);
	h = s->hdr;
	h->magic = 0x0123456789abcdefULL;
	synth_write(s, path("badmagic.bin"));
	h->magic = EST_MAGIC;
	h->version = 9;
	synth_write(s, path("badversion.bin"));
	h->version = EST_VERSION;
	write_file(path("truncated.bin"), s->mem, s->len / 2);
	synth_put(s, 0x1fff0, 0, EST_PATH_WINDOW, CACHE_A, "kmem_cache",
		  CALLER_2);
	synth_write(s, path("window.bin"));
	synth_free(s);
	/* output of several times the writer's buffer */
	s = synth_new(BIG_EVENTS);
	for (i = 0; i < BIG_EVENTS; i++)
		synth_get(s, 0x1000 + i, 0, EST_PATH_MEMBLOCK, CACHE_B,
			  "kmalloc-64", CALLER_1);
	synth_write(s, path("big.bin"));
	synth_free(s);
	write_file(path("empty"), "", 0);
	write_file(path("notelf.bin"), "just some text\n", 15);
	b = calloc(1, 64);
	write_file(path("zeros.bin"), b, 64);
	free(b);
	mkdir(path("adir"), 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	run("--raw", path("empty"), "status", NULL);
	bad("empty: empty file");
	run("--raw", path("badmagic.bin"), "status", NULL);
	bad("badmagic.bin: bad magic 0x0123456789abcdef (not an early_slab_trace buffer)");
	run("--raw", path("zeros.bin"), "dump", NULL);
	bad("bad magic 0x0000000000000000");
	run("--raw", path("badversion.bin"), "status", NULL);
	bad("badversion.bin: unsupported trace format version 9");
	run("--raw", path("truncated.bin"), "status", NULL);
	bad("truncated.bin: truncated");
	run("--raw", path("clean.core"), "status", NULL);
	bad("use --core");
	run("--core", path("notelf.bin"), "status", NULL);
	bad("notelf.bin: not an ELF file");
	run("--core", path("empty"), "status", NULL);
	bad("empty: empty file");
	run("--vmlinux", VMLINUX, "--core", path("trunc.core"), "status", NULL);
	bad("trunc.core: truncated core");
	run("--vmlinux", FAKE_DIR "/fake_vmlinux-other", "--core",
	    path("clean.core"), "status", NULL);
	bad("a vmlinux from another build");
	run("--vmlinux", FAKE_DIR "/fake_vmlinux-notrace", "--core",
	    path("clean.core"), "status", NULL);
	bad("fake_vmlinux-notrace: no symbol early_slab_trace");
	run("--vmlinux", path("notelf.bin"), "--raw", path("clean.bin"),
	    "status", NULL);
	bad("notelf.bin: not an ELF file");
	run("--core", VMLINUX, "status", NULL);
	bad("not an ELF core");
	run("--raw", path("nosuch"), "status", NULL);
	bad("nosuch: No such file or directory");
	run("--raw", path("adir"), "status", NULL);
	bad("adir: is a directory");
}

static void test_usage_errors(void **state)
{
	(void)state;
	run("status", NULL);
	bad("no trace: give --raw FILE or --core FILE");
	run("--raw", path("clean.bin"), "--core", path("clean.core"),
	    "status", NULL);
	bad("only one of --core and --raw");
	run("--raw", path("clean.bin"), NULL);
	bad("no command");
	run("--raw", path("clean.bin"), "frobnicate", NULL);
	bad("unknown command 'frobnicate'");
	run("--frob", "--raw", path("clean.bin"), "status", NULL);
	bad("unknown option '--frob'");
	run("--raw", NULL);
	bad("'--raw' needs a file name");
	run("--raw", path("clean.bin"), "dump", "--pfn", "zz", NULL);
	bad("dump: bad pfn range 'zz'");
	run("--raw", path("clean.bin"), "dump", "--phase", "later", NULL);
	bad("dump: unknown phase 'later'");
	run("--raw", path("clean.bin"), "dump", "--type", NULL);
	bad("dump: option '--type' needs an argument");
	run("--raw", path("clean.bin"), "dump", "--type", "slab", NULL);
	bad("slab_state, large, nopages, mark, large_free)");
	run("--raw", path("clean.bin"), "owners", "--cull", "pfn", NULL);
	bad("owners: unknown cull key 'pfn'");
	run("--raw", path("clean.bin"), "timeline", "1", "2", NULL);
	bad("timeline: unexpected argument '2'");
	run("--raw", path("clean.bin"), "export", "--format", "svg", NULL);
	bad("-o FILE is required");
	run("--raw", path("clean.bin"), "export", "--format", "svg", "-o",
	    path("nodir/x.svg"), NULL);
	bad("nodir/x.svg: No such file or directory");
	run("--raw", path("clean.bin"), "check", "--kind", "bogus", NULL);
	bad("check: unknown kind 'bogus'");
}

static void test_status_dump_json(void **state)
{
	yajl_val v, r;

	(void)state;
	run("--raw", path("clean.bin"), "status", "--json", NULL);
	good(0);
	assert_string_equal(res.err, "");
	v = json();
	assert_true(YAJL_IS_TRUE(get(v, "magic_ok")));
	assert_int_equal(YAJL_GET_INTEGER(get(v, "committed")), 17);
	assert_string_equal(YAJL_GET_STRING(get(v, "phase")), "full");
	yajl_tree_free(v);

	/* global -j before the command, input after it */
	run("-j", "dump", "--raw", path("clean.bin"), "--type",
	    "getpages,freepages", NULL);
	good(0);
	v = json();
	assert_int_equal(v->u.array.len, 6);
	r = v->u.array.values[0];
	assert_string_equal(YAJL_GET_STRING(get(r, "type")), "getpages");
	yajl_tree_free(v);

	run("--raw", path("clean.bin"), "--vmlinux", VMLINUX, "dump", "-p",
	    "--phase", "window", NULL);
	good(0);
	v = json();
	assert_int_equal(v->u.array.len, 2);
	r = v->u.array.values[1];
	assert_string_equal(YAJL_GET_STRING(get(r, "caller_sym")),
			    "fake_slab_alloc+0x4/0xf");
	yajl_tree_free(v);
	assert_non_null(strstr(res.out, "\n  {"));	/* pretty */

	run("--core", path("clean.core"), "--vmlinux", VMLINUX, "status",
	    "-j", NULL);
	good(0);
	v = json();
	assert_string_equal(YAJL_GET_STRING(get(v, "source")), "core");
	assert_string_equal(YAJL_GET_STRING(get(v, "phys_base")), "0x0");
	yajl_tree_free(v);
}

static void test_check_exit(void **state)
{
	yajl_val v, a;

	(void)state;
	run("--raw", path("clean.bin"), "check", NULL);
	good(0);
	assert_non_null(strstr(res.out, "0 errors, 0 warnings"));
	run("--raw", path("window.bin"), "--vmlinux", VMLINUX, "check",
	    "--json", NULL);
	good(1);
	assert_string_equal(res.err, "");
	v = json();
	a = get(v, "anomalies");
	assert_int_equal(a->u.array.len, 1);
	assert_string_equal(YAJL_GET_STRING(get(a->u.array.values[0], "kind")),
			    "window_free");
	assert_string_equal(YAJL_GET_STRING(get(a->u.array.values[0],
						"caller_sym")),
			    "fake_window_free+0x4/0xf");
	yajl_tree_free(v);
	/* --kind chooses what is shown; the exit status is the trace's */
	run("--raw", path("window.bin"), "check", "--kind", "node_mismatch",
	    NULL);
	good(1);
	assert_non_null(strstr(res.out, "0 errors, 0 warnings in 18 events; 1 error of other kinds not shown\n"));
	run("--raw", path("window.bin"), "-j", "check", "--kind",
	    "node_mismatch", NULL);
	good(1);
	v = json();
	assert_int_equal(get(v, "anomalies")->u.array.len, 0);
	assert_int_equal(YAJL_GET_INTEGER(get(v, "errors")), 0);
	assert_int_equal(YAJL_GET_INTEGER(get(v, "trace_errors")), 1);
	yajl_tree_free(v);
	run("--raw", path("window.bin"), "check", "--kind", "window_free",
	    NULL);
	good(1);
	run("--raw", path("clean.bin"), "check", "--kind", "window_free",
	    "--errors", NULL);
	good(0);
}

static void test_tables(void **state)
{
	(void)state;
	run("--raw", path("clean.bin"), "dump", "--csv", NULL);
	good(0);
	assert_int_equal(lines(res.out), 1 + 17);
	assert_true(!strncmp(res.out, "seq,status,type,", 16));
	run("--csv", "--raw", path("clean.bin"), "owners", NULL);
	good(0);
	assert_int_equal(lines(res.out), 1 + 2);
	run("--raw", path("clean.bin"), "owners", "--cull", "cache,order",
	    NULL);
	good(0);
	assert_non_null(strstr(res.out, "1 time, 1 page: cache kmalloc-64"));
	run("--raw", path("clean.bin"), "owners", "--sort", "-seq", NULL);
	good(0);
	assert_true(strstr(res.out, "0x5000") < strstr(res.out, "0x1fff0"));
	run("--raw", path("clean.bin"), "timeline", "0x1ffe0-0x1ffe1", NULL);
	good(0);
	assert_non_null(strstr(res.out, "pfn 0x1ffe1: 1 run"));
	run("--raw", path("clean.bin"), "timeline", "--cache", "kmem_cache",
	    "--csv", NULL);
	good(0);
	assert_int_equal(lines(res.out), 2);
	run("--raw", path("clean.bin"), "stats", NULL);
	good(0);
	assert_non_null(strstr(res.out, "live at end: 2 slabs"));
	run("--raw", path("clean.bin"), "stats", "--csv", NULL);
	good(0);
	assert_non_null(strstr(res.out, "getpages_by_order,1,1,2\n"));
}

/* How often @needle occurs in @hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void test_export(void **state)
{
	static char buf[1 << 16];
	static const char *const phases[] = { "early", "free_all", "window",
					      "up", "full" };
	size_t i;
	yajl_val v;

	(void)state;
	run("--raw", path("window.bin"), "--vmlinux", VMLINUX, "export",
	    "--format", "svg", "-o", path("t.svg"), NULL);
	good(0);
	if (!strstr(res.out, "t.svg (svg: 5 page frames, 18 events)"))
		fail_msg("%s", res.out);
	slurp(path("t.svg"), buf, sizeof(buf));
	assert_true(!strncmp(buf, "<?xml", 5));
	assert_non_null(strstr(buf, "</svg>\n"));
	/* one bar per run with its tooltip, memblock pages outlined */
	assert_non_null(strstr(buf, "<title>kmalloc-64 pfn 0x1ffe0 order 1 node 0, seq 3 early/memblock by fake_slab_alloc+0x4/0xf"));
	assert_int_equal(count(buf, "stroke=\"#222\" stroke-width=\"0.8\"><title>"), 3);
	/* the window free marked, with its details */
	assert_non_null(strstr(buf, "<title>error window_free seq 17 pfn 0x1fff0: "));
	assert_non_null(strstr(buf, "by fake_window_free+0x4/0xf"));
	/* the legend: both caches and their pages, the error counted */
	assert_non_null(strstr(buf, ">kmalloc-64</text>"));
	assert_non_null(strstr(buf, ">kmem_cache</text>"));
	assert_non_null(strstr(buf, ">errors: 1</text>"));
	assert_null(strstr(buf, ">other: "));
	/* each phase named above the plot and in the legend */
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), ">%s</text>", phases[i]);
		assert_int_equal(count(buf, want), 2);
	}

	/* a view: only seq 0-9, so no window free */
	run("--raw", path("window.bin"), "export", "--format", "svg",
	    "--seq", "0-9", "--cache", "kmalloc-*", "-o", path("v.svg"), NULL);
	good(0);
	slurp(path("v.svg"), buf, sizeof(buf));
	assert_non_null(strstr(buf, ">sequence number (0-9)</text>"));
	assert_null(strstr(buf, "window_free"));
	assert_null(strstr(buf, ">kmem_cache</text>"));
	run("--raw", path("window.bin"), "export", "--format", "svg",
	    "--seq", "9-1", "-o", path("v.svg"), NULL);
	bad("bad sequence range '9-1'");
	run("--raw", path("window.bin"), "export", "--format", "svg",
	    "--pfn", "0x1-0x2", "-o", path("v.svg"), NULL);
	good(0);
	assert_non_null(strstr(res.out, "(svg: 0 page frames, 18 events)"));

	run("--raw", path("window.bin"), "export", "--format",
	    "chrome-trace", "-o", "-", NULL);
	good(0);
	v = json();
	assert_non_null(strstr(res.out, "\"node 0: pfn 0x1fe00-0x1ffff\""));
	assert_non_null(strstr(res.out, "\"name\":\"window_free\""));
	yajl_tree_free(v);
}

/* dump of big.bin in @format into @buf; returns its length */
static size_t run_big(const char *format, char *buf, size_t len)
{
	stdout_to = path("big.out");
	run("--raw", path("big.bin"), format, "dump", NULL);
	stdout_to = NULL;
	good(0);
	slurp(path("big.out"), buf, len);
	return strlen(buf);
}

/* Output beyond the writer's buffer comes out whole, in every format. */
static void test_big_output(void **state)
{
	static char big[4 << 20];
	char ebuf[256];
	yajl_val v;
	size_t n;

	(void)state;
	n = run_big("-j", big, sizeof(big));
	assert_true(n > 1000000 && n < sizeof(big) - 1);
	v = yajl_tree_parse(big, ebuf, sizeof(ebuf));
	if (!v)
		fail_msg("not JSON (%s)", ebuf);
	assert_true(YAJL_IS_ARRAY(v));
	assert_int_equal(v->u.array.len, BIG_EVENTS);
	assert_int_equal(YAJL_GET_INTEGER(get(v->u.array.values[BIG_EVENTS - 1],
					      "seq")), BIG_EVENTS - 1);
	yajl_tree_free(v);

	run_big("--csv", big, sizeof(big));
	assert_int_equal(lines(big), BIG_EVENTS + 1);
	assert_non_null(strstr(big, "\n4999,ok,getpages,"));
}

/* A full disk is a write error (exit 2, one line), whatever the format. */
static void test_write_error(void **state)
{
	static const char *const cmds[][3] = {
		{ "dump", NULL }, { "-j", "dump", NULL },
		{ "--csv", "dump", NULL }, { "-j", "timeline", NULL },
		{ "stats", NULL }, { "-p", "owners", NULL },
	};
	size_t i;

	(void)state;
	stdout_to = "/dev/full";
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		run("--raw", path("big.bin"), cmds[i][0], cmds[i][1], NULL);
		bad("write error");
	}
	stdout_to = NULL;
}

/* Under -j/-p errors are JSON on stdout with a stable code, exit 2. */
static void json_error(const char *code)
{
	yajl_val v;

	if (res.rc != 2 || res.err[0])
		fail_msg("want exit 2 and no stderr; got exit %d, stderr '%s'",
			 res.rc, res.err);
	v = json();
	assert_true(YAJL_IS_OBJECT(v));
	assert_true(YAJL_IS_STRING(get(v, "error")));
	assert_string_equal(YAJL_GET_STRING(get(v, "code")), code);
	yajl_tree_free(v);
}

static void test_json_errors(void **state)
{
	(void)state;
	run("--raw", path("nosuch"), "-j", "status", NULL);
	json_error("io");
	assert_non_null(strstr(res.out, "nosuch: No such file or directory"));
	run("-j", "--raw", path("badmagic.bin"), "status", NULL);
	json_error("input");
	run("--raw", path("truncated.bin"), "status", "--json", NULL);
	json_error("input");
	run("-p", "status", NULL);
	json_error("usage");
	run("--raw", path("clean.bin"), "-j", "frobnicate", NULL);
	json_error("usage");
	run("--raw", path("clean.bin"), "dump", "--pfn", "zz", "-j", NULL);
	json_error("usage");
	run("--raw", path("clean.bin"), "dump", "--frob", "--json", NULL);
	json_error("usage");
	run("--raw", path("clean.bin"), "-j", "owners", "--verify", NULL);
	json_error("needs");
	run("--raw", path("clean.bin"), "-j", "export", "--format", "svg",
	    NULL);
	json_error("usage");
	/* without -j, the same error is the one text line */
	run("--raw", path("clean.bin"), "owners", "--verify", NULL);
	bad("owners: --verify needs --core (or a live guest) and --vmlinux");
}

static void test_help(void **state)
{
	(void)state;
	run("--help", NULL);
	good(0);
	assert_non_null(strstr(res.out, "usage: earlyslab"));
	run("dump", "--help", NULL);
	good(0);
	assert_non_null(strstr(res.out, "--type"));
	run("--version", NULL);
	good(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_status_dump_json),
		cmocka_unit_test(test_check_exit),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_big_output),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests_name("earlyslab command", tests, setup,
					   teardown);
}
