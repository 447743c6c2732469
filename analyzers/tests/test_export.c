// SPDX-License-Identifier: GPL-2.0-only
/*
 * export: the SVG stays readable and bounded at any size (its text boxes
 * never overlap, the legend names the caches with the most pages and an
 * "other" class, anomalies are drawn, the file is at most 10 MB), the
 * view can be narrowed, and the Chrome trace is valid, grouped and
 * bounded. Traces come from a generator of early boots of any length.
 *
 * "test_export --write N FILE [CACHES]" writes the generated trace of N
 * events over 40 (or CACHES) caches, for pictures and measurements; "test_export" runs the tests and
 * leaves export-50.png, export-1000.png and export-100000.png next to
 * itself when rsvg-convert is installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "earlyslab.h"
#include "es_internal.h"
#include "export.h"
#include "synth.h"

#define MAX_SVG (10u << 20)

/* ---- a generated early boot --------------------------------------------- */

static const char *const cache_names[] = {
	"kmalloc-64",
	"kmalloc-128",
	"kmalloc-32",
	"dentry",
	"kmalloc-256",
	"kmalloc-512",
	"inode_cache",
	"kmalloc-1k",
	"kmalloc-16",
	"kernfs_node_cache",
	"radix_tree_node",
	"kmalloc-192",
	"kmalloc-8",
	"vm_area_struct",
	"kmalloc-2k",
	"kmalloc-96",
	"kmem_cache",
	"kmalloc-4k",
	"anon_vma",
	"kmalloc-8k",
	"task_struct",
	"pid",
	"cred_jar",
	"mm_struct",
	"files_cache",
	"signal_cache",
	"sighand_cache",
	"fs_cache",
	"buffer_head",
	"proc_inode_cache",
	"shmem_inode_cache",
	"kmem_cache_node",
	"sock_inode_cache",
	"ftrace_event_field",
	"audit_buffer",
	"trace_event_file",
	"debug_objects_cache",
	"names_cache",
	"filp",
	"lsm_file_cache",
};

#define NR_NAMED (sizeof(cache_names) / sizeof(cache_names[0]))

struct gen {
	struct synth *s;
	uint64_t n;
	unsigned int ncaches;
	uint64_t rnd;
	uint64_t frames;
	unsigned char *busy; /* per frame */
	struct live {
		uint64_t idx;
		uint8_t order;
		unsigned int cache;
	} * live;
	size_t nlive;
	uint64_t cursor;
	uint64_t last_freed_pfn;
	uint8_t last_freed_order;
	unsigned int last_freed_cache;
};

static uint64_t rnd(struct gen *g)
{
	g->rnd = g->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	return g->rnd >> 33;
}

/* Frames come in banks of 1000 with holes between them. */
static uint64_t pfn_of(uint64_t idx)
{
	return 0x10000 + idx + (idx / 1000) * 0x3000;
}

static void cache_of(unsigned int c, uint64_t *addr, char *name)
{
	*addr = 0xffff888003000000ULL + (uint64_t)c * 0x200;
	if (c < NR_NAMED)
		snprintf(name, ES_NAME_LEN, "%s", cache_names[c]);
	else
		snprintf(name, ES_NAME_LEN, "cache-%u", c % 100000000);
}

/* Zipf-like: cache c with weight 1 / (c + 1). */
static unsigned int pick_cache(struct gen *g)
{
	double h = 0, u;
	unsigned int c, n = g->ncaches < 64 ? g->ncaches : 64;

	if (g->ncaches > 64 && rnd(g) % 2)
		return 64 + (unsigned int)(rnd(g) % (g->ncaches - 64));
	for (c = 0; c < n; c++)
		h += 1.0 / (c + 1);
	u = (double)(rnd(g) % 1000000) / 1e6 * h;
	for (c = 0; c < n; c++) {
		u -= 1.0 / (c + 1);
		if (u <= 0)
			return c;
	}
	return n - 1;
}

static bool gen_get(struct gen *g, uint8_t path)
{
	uint64_t r = rnd(g) % 100, tries, i, n;
	uint8_t order = r < 85 ? 0 : r < 95 ? 1 : r < 99 ? 2 : 3;
	unsigned int c = pick_cache(g);
	char name[ES_NAME_LEN];
	uint64_t addr;

	n = 1ULL << order;
	for (tries = 0; tries < g->frames; tries++) {
		uint64_t idx = ((g->cursor + tries) % g->frames) & ~(n - 1);

		if (idx + n > g->frames)
			continue;
		for (i = 0; i < n && !g->busy[idx + i]; i++)
			;
		if (i < n)
			continue;
		memset(g->busy + idx, 1, n);
		g->cursor = idx + n;
		g->live[g->nlive].idx = idx;
		g->live[g->nlive].order = order;
		g->live[g->nlive++].cache = c;
		cache_of(c, &addr, name);
		return synth_get(g->s, pfn_of(idx), order, path, addr, name,
				 CALLER_1);
	}
	return false;
}

static bool gen_put(struct gen *g, uint8_t path)
{
	size_t k;
	struct live l;
	char name[ES_NAME_LEN];
	uint64_t addr;

	if (!g->nlive)
		return gen_get(g, path);
	k = rnd(g) % g->nlive;
	l = g->live[k];
	g->live[k] = g->live[--g->nlive];
	memset(g->busy + l.idx, 0, 1ULL << l.order);
	cache_of(l.cache, &addr, name);
	g->last_freed_pfn = pfn_of(l.idx);
	g->last_freed_order = l.order;
	g->last_freed_cache = l.cache;
	return synth_put(g->s, pfn_of(l.idx), l.order, path, addr, name,
			 CALLER_2);
}

/* Pages freed, then freed again: a double free. */
static bool gen_double_free(struct gen *g)
{
	char name[ES_NAME_LEN];
	uint64_t addr;

	if (!gen_put(g, EST_PATH_BUDDY) || !g->last_freed_pfn)
		return false;
	cache_of(g->last_freed_cache, &addr, name);
	return synth_put(g->s, g->last_freed_pfn, g->last_freed_order,
			 EST_PATH_BUDDY, addr, name, CALLER_2);
}

static uint64_t head(const struct gen *g)
{
	return (uint64_t)atomic64_read(&g->s->hdr->head);
}

/* Where the generated window phase is, [win_lo, win_hi]. */
static uint64_t win_lo, win_hi;

/*
 * @n events of an early boot over about n / 14 frames and @ncaches
 * caches: early (getpages from memblock, some freed) to 55%, free_all
 * (every live page skipped), window (buddy getpages and one window free)
 * for 1%, then up and, from 92%, full (frees, buddy getpages); a double
 * free every 20000 events.
 */
static struct synth *gen_boot(uint64_t n, unsigned int ncaches)
{
	struct gen g = { .n = n, .ncaches = ncaches, .rnd = 42 };
	uint64_t h;
	size_t i;
	bool ok = true;

	g.s = synth_new((uint32_t)n);
	g.frames = n / 14 < 16 ? 16 : n / 14;
	g.busy = calloc(g.frames, 1);
	g.live = calloc(g.frames, sizeof(*g.live));
	if (!g.s || !g.busy || !g.live)
		return NULL;
	ok = synth_phase(g.s, EST_PHASE_EARLY);
	while (ok && (h = head(&g)) < n) {
		uint64_t r = rnd(&g) % 100;

		if (g.s->phase == EST_PHASE_EARLY && h >= n * 55 / 100) {
			ok = synth_phase(g.s, EST_PHASE_FREE_ALL);
			for (i = 0; ok && i < g.nlive && head(&g) < n; i++)
				ok = synth_skip(g.s, pfn_of(g.live[i].idx),
						1ULL << g.live[i].order);
			if (ok && head(&g) < n) {
				win_lo = head(&g);
				ok = synth_phase(g.s, EST_PHASE_WINDOW);
			}
		} else if (g.s->phase == EST_PHASE_WINDOW) {
			if (h == win_lo + 2)
				ok = gen_put(&g,
					     EST_PATH_WINDOW); /* an error */
			else if (h < win_lo + n / 100)
				ok = gen_get(&g, EST_PATH_BUDDY) ||
				     synth_large(g.s, 16384, EST_PATH_BUDDY);
			else if ((ok = synth_phase(g.s, EST_PHASE_UP)))
				win_hi = h - 1;
		} else if (g.s->phase == EST_PHASE_UP && h >= n * 92 / 100) {
			ok = synth_phase(g.s, EST_PHASE_FULL);
		} else if (h % 20000 == 19998) {
			ok = gen_double_free(&g);
		} else if (g.s->phase == EST_PHASE_EARLY) {
			ok = r < 55 || !g.nlive ?
				     gen_get(&g, EST_PATH_MEMBLOCK) :
				     gen_put(&g, EST_PATH_MEMBLOCK);
		} else {
			ok = r < 50 || !g.nlive ? gen_get(&g, EST_PATH_BUDDY) :
						  gen_put(&g, EST_PATH_LATE);
		}
		if (!ok && g.nlive && head(&g) < n &&
		    g.s->phase != EST_PHASE_WINDOW) /* frames full */
			ok = gen_put(&g, EST_PATH_BUDDY);
	}
	free(g.busy);
	free(g.live);
	if (!ok) {
		synth_free(g.s);
		return NULL;
	}
	return g.s;
}

/* ---- running export ----------------------------------------------------- */

struct outcome {
	int rc;
	char *out, *err;
};

static struct outcome export(struct es_trace *t, const char *first, ...)
{
	char *argv[32];
	struct outcome r;
	va_list ap;
	int n = 0;

	argv[n++] = "export";
	va_start(ap, first);
	for (argv[n] = (char *)first; argv[n] && n < 30;
	     argv[++n] = va_arg(ap, char *))
		;
	va_end(ap);
	argv[n] = NULL;
	r.rc = es_command_str(t, n, argv, 0, &r.out, &r.err);
	return r;
}

static void done(struct outcome *r)
{
	es_free(r->out);
	es_free(r->err);
}

static struct es_trace *load(struct synth *s)
{
	struct es_trace *t = es_trace_new();

	assert_non_null(t);
	assert_int_equal(es_load_memory(t, s->mem, s->len, "boot"), 0);
	return t;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Export @t as SVG into FAKE_DIR/@name; returns the file's contents. */
static char *svg_of(struct es_trace *t, const char *name, size_t *len,
		    const char *o1, const char *o2)
{
	char path[512];
	struct outcome r;

	snprintf(path, sizeof(path), "%s/%s", FAKE_DIR, name);
	r = export(t, "--format", "svg", "-o", path, o1, o2, NULL);
	if (r.rc)
		fail_msg("export %s: exit %d: %s", name, r.rc, r.err);
	assert_string_equal(r.err, "");
	done(&r);
	return slurp(path, len);
}

/* ---- the SVG, read back ------------------------------------------------- */

struct box {
	double x0, y0, x1, y1;
	char s[160];
};

static double attr(const char *tag, const char *end, const char *name,
		   double dflt)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(tag, key);
	return p && p < end ? strtod(p + strlen(key), NULL) : dflt;
}

/*
 * Every <text> not rotated, as a box: EXP_EM wide a character, from 0.8
 * em above the baseline to 0.25 em below it, placed by its anchor.
 */
static size_t text_boxes(const char *svg, struct box *b, size_t max)
{
	const char *p = svg, *gt, *close;
	size_t n = 0, len, i;

	while ((p = strstr(p, "<text ")) && n < max) {
		double x, y, fs, w;

		gt = strchr(p, '>');
		close = strstr(p, "</text>");
		assert_non_null(gt);
		assert_non_null(close);
		if (memmem(p, (size_t)(gt - p), "transform=", 10)) {
			p = close;
			continue;
		}
		x = attr(p, gt, "x", 0);
		y = attr(p, gt, "y", 0);
		fs = attr(p, gt, "font-size", 11);
		for (len = 0, i = 0, p = gt + 1; p < close; p++) {
			if (*p == '&')
				p = strchr(p, ';');
			if (i < sizeof(b[n].s) - 1)
				b[n].s[i++] = *p == ';' ? '?' : *p;
			len++;
		}
		b[n].s[i] = '\0';
		w = (double)len * EXP_EM * fs;
		if (memmem(gt - 40 > svg ? gt - 40 : svg, 40,
			   "text-anchor=\"middle\"", 20))
			x -= w / 2;
		else if (memmem(gt - 40 > svg ? gt - 40 : svg, 40,
				"text-anchor=\"end\"", 17))
			x -= w;
		b[n].x0 = x;
		b[n].x1 = x + w;
		b[n].y0 = y - 0.8 * fs;
		b[n].y1 = y + 0.25 * fs;
		n++;
	}
	return n;
}

static void assert_no_overlap(const char *svg)
{
	static struct box b[4096];
	size_t n = text_boxes(svg, b, 4096), i, j;

	assert_true(n > 10);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (b[i].x0 < b[j].x1 && b[j].x0 < b[i].x1 &&
			    b[i].y0 < b[j].y1 && b[j].y0 < b[i].y1)
				fail_msg(
					"text '%s' (%.0f,%.0f-%.0f,%.0f) overlaps '%s' (%.0f,%.0f-%.0f,%.0f)",
					b[i].s, b[i].x0, b[i].y0, b[i].x1,
					b[i].y1, b[j].s, b[j].x0, b[j].y0,
					b[j].x1, b[j].y1);
}

static bool has_text(const char *svg, const char *s)
{
	char want[256];

	snprintf(want, sizeof(want), ">%s</text>", s);
	return strstr(svg, want) != NULL;
}

/* A legend line: @name, then @pages on the same baseline. */
static bool has_entry(const char *svg, const char *name, uint64_t pages)
{
	char want[256];
	const char *p, *q;

	snprintf(want, sizeof(want), ">%s</text>\n", name);
	for (p = strstr(svg, want); p; p = strstr(p + 1, want)) {
		snprintf(want, sizeof(want), ">%llu page%s</text>",
			 (unsigned long long)pages, pages == 1 ? "" : "s");
		q = strchr(p + 1, '\n');
		if (q && !strncmp(strstr(q, ">"), want, strlen(want)))
			return true;
		snprintf(want, sizeof(want), ">%s</text>\n", name);
	}
	return false;
}

/* Pages in view per cache, the way es_timeline() sees the runs. */
struct tally {
	struct {
		uint64_t cache;
		uint64_t pages;
		char name[ES_NAME_LEN];
	} c[256];
	size_t n;
	const char *cache; /* only runs of this cache count */
};

static int tally_pfn(uint64_t pfn, const struct es_run *runs, size_t nr,
		     void *arg)
{
	struct tally *t = arg;
	size_t i, k;

	(void)pfn;
	for (i = 0; i < nr; i++) {
		if (t->cache && strcmp(t->cache, runs[i].name))
			continue;
		for (k = 0; k < t->n && t->c[k].cache != runs[i].cache; k++)
			;
		if (k == t->n) {
			assert_true(t->n < 256);
			t->c[t->n].cache = runs[i].cache;
			memcpy(t->c[t->n].name, runs[i].name, ES_NAME_LEN);
			t->n++;
		}
		t->c[k].pages++;
	}
	return 0;
}

static int by_pages_desc(const void *a, const void *b)
{
	const uint64_t pa = *(const uint64_t *)a, pb = *(const uint64_t *)b;

	return pa < pb ? 1 : pa > pb ? -1 : 0;
}

static int count_error(const struct es_anomaly *a, void *arg)
{
	(void)a;
	(void)arg;
	return 0;
}

/* rsvg-convert's PNG of @svg next to it, when it is installed. */
static void render(const char *name, const char *png)
{
	char cmd[1200];

	if (system("command -v rsvg-convert >/dev/null 2>&1")) {
		print_message("rsvg-convert not installed: no %s\n", png);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rsvg-convert -o '%s/%s' '%s/%s'", FAKE_DIR,
		 png, FAKE_DIR, name);
	assert_int_equal(system(cmd), 0);
}

/* The SVG parses as XML (python3's parser) when python3 is there. */
static void well_formed(const char *name)
{
	char cmd[800];

	if (system("command -v python3 >/dev/null 2>&1"))
		return;
	snprintf(
		cmd, sizeof(cmd),
		"python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' '%s/%s'",
		FAKE_DIR, name);
	assert_int_equal(system(cmd), 0);
}

/* ---- tests -------------------------------------------------------------- */

/* Every cache of the view with pages in the legend, top first. */
static void assert_legend(struct es_trace *t, const char *svg,
			  const struct es_select *sel)
{
	struct tally *tl = calloc(1, sizeof(*tl));
	uint64_t pages[256], other_pages = 0, cut;
	char line[128];
	size_t i, own;

	assert_non_null(tl);
	tl->cache = sel->cache;
	assert_true(es_timeline(t, sel, tally_pfn, tl) >= 0);
	for (i = 0; i < tl->n; i++)
		pages[i] = tl->c[i].pages;
	qsort(pages, tl->n, sizeof(pages[0]), by_pages_desc);
	own = tl->n <= EXP_NR_COLORS ? tl->n : EXP_NR_COLORS - 1;
	cut = own < tl->n ? pages[own] : 0;
	for (i = 0; i < tl->n; i++) {
		bool in = has_entry(svg, tl->c[i].name, tl->c[i].pages);

		if ((tl->c[i].pages > cut || own == tl->n) && !in)
			fail_msg("no legend line for %s, %llu pages",
				 tl->c[i].name,
				 (unsigned long long)tl->c[i].pages);
		else if (tl->c[i].pages < cut)
			assert_false(in);
		if (i >= own)
			other_pages += pages[i];
	}
	if (own < tl->n) {
		snprintf(line, sizeof(line), "other: %zu caches", tl->n - own);
		if (!has_entry(svg, line, other_pages))
			fail_msg("no legend line '%s'", line);
	} else {
		assert_null(strstr(svg, ">other: "));
	}
	free(tl);
}

static void test_small(void **state)
{
	struct synth *s = gen_boot(50, 40);
	struct es_trace *t;
	size_t len;
	char *svg;
	struct es_select all = { 0 };

	(void)state;
	assert_non_null(s);
	t = load(s);
	svg = svg_of(t, "export-50.svg", &len, NULL, NULL);
	well_formed("export-50.svg");
	/* one bar per run, each with its tooltip */
	assert_non_null(strstr(svg, "one bar per run"));
	assert_non_null(strstr(svg, "<rect x="));
	assert_non_null(strstr(svg, "<title>kmalloc-64 pfn 0x"));
	assert_null(strstr(svg, "id=\"cells\""));
	assert_no_overlap(svg);
	assert_legend(t, svg, &all);
	render("export-50.svg", "export-50.png");
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

static void test_1e3(void **state)
{
	struct synth *s = gen_boot(1000, 40);
	struct es_trace *t;
	struct es_select all = { 0 };
	size_t len;
	char *svg;

	(void)state;
	assert_non_null(s);
	t = load(s);
	svg = svg_of(t, "export-1000.svg", &len, NULL, NULL);
	well_formed("export-1000.svg");
	assert_no_overlap(svg);
	assert_legend(t, svg, &all);
	render("export-1000.svg", "export-1000.png");
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

static void test_1e5(void **state)
{
	struct synth *s = gen_boot(100000, 40);
	struct es_trace *t;
	struct es_select all = { 0 };
	char line[64], *svg, *marks;
	size_t len;
	int errors;

	(void)state;
	assert_non_null(s);
	t = load(s);
	svg = svg_of(t, "export-100000.svg", &len, NULL, NULL);
	well_formed("export-100000.svg");
	assert_true(len <= MAX_SVG);
	assert_non_null(strstr(svg, "id=\"cells\""));
	assert_null(strstr(svg, "<title>kmalloc-64 pfn 0x"));
	assert_no_overlap(svg);
	assert_legend(t, svg, &all);
	/* the errors are counted and drawn, on top of the cells */
	errors = es_check(t, count_error, NULL);
	assert_true(errors >= 5);
	snprintf(line, sizeof(line), "errors: %d", errors);
	assert_true(has_text(svg, line));
	marks = strstr(svg, "<g id=\"anomalies\">");
	assert_non_null(marks);
	assert_true(marks > strstr(svg, "id=\"cells\""));
	assert_non_null(strstr(marks, "double_free seq "));
	assert_non_null(strstr(marks, "window_free seq "));
	assert_non_null(strstr(marks, "stroke=\"#d00\""));
	render("export-100000.svg", "export-100000.png");
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

/* export --format svg @opt @val: exit 2, one line with @what. */
static void refused(struct es_trace *t, const char *opt, const char *val,
		    const char *what)
{
	struct outcome r =
		export(t, "--format", "svg", "-o", "/dev/null", opt, val, NULL);

	assert_int_equal(r.rc, 2);
	if (!strstr(r.err, what) || strncmp(r.err, "earlyslab: export: ", 19) ||
	    strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
		fail_msg("want one line with '%s', got '%s'", what, r.err);
	done(&r);
}

/* A view: --seq, --pfn, --cache, --phase, and what is refused. */
static void test_view(void **state)
{
	struct synth *s = gen_boot(20000, 40);
	struct es_trace *t;
	struct es_select sel = { 0 };
	char want[80], *svg;
	size_t len;

	(void)state;
	assert_non_null(s);
	t = load(s);
	svg = svg_of(t, "seq.svg", &len, "--seq", "5000-5999");
	assert_true(has_text(svg, "sequence number (5000-5999)"));
	assert_no_overlap(svg);
	free(svg);

	svg = svg_of(t, "phase.svg", &len, "--phase", "window");
	snprintf(want, sizeof(want), "sequence number (%llu-%llu)",
		 (unsigned long long)win_lo, (unsigned long long)win_hi);
	assert_true(has_text(svg, want));
	snprintf(want, sizeof(want), "window_free seq %llu",
		 (unsigned long long)win_lo + 2);
	assert_non_null(strstr(svg, want));
	free(svg);

	svg = svg_of(t, "cache.svg", &len, "--cache", "dentry");
	sel.cache = "dentry";
	assert_legend(t, svg, &sel);
	assert_false(has_text(svg, "kmalloc-64"));
	free(svg);

	svg = svg_of(t, "pfn.svg", &len, "--pfn", "0x10000-0x1001f");
	assert_true(has_text(svg, "0x10000"));
	assert_null(strstr(svg, ">0x10020<"));
	assert_non_null(strstr(svg, "one bar per run"));
	memset(&sel, 0, sizeof(sel));
	sel.has_pfn = 1;
	sel.pfn_lo = 0x10000;
	sel.pfn_hi = 0x1001f;
	assert_legend(t, svg, &sel);
	free(svg);

	refused(t, "--seq", "9-3", "bad sequence range '9-3'");
	refused(t, "--seq", "30000-40000",
		"boot: no events in the sequence range");
	refused(t, "--phase", "nosuch", "bad phase list 'nosuch'");
	refused(t, "--pfn", "0x20-0x10", "bad pfn range '0x20-0x10'");
	refused(t, "--max-events", "10", "bad --max-events '10'");
	es_trace_free(t);
	synth_free(s);
}

/* Many events on few frames, every one an anomaly: still bounded. */
static void test_bounded(void **state)
{
	struct synth *s = synth_new(300000);
	struct es_trace *t;
	size_t len, i;
	char *svg;

	(void)state;
	assert_non_null(s);
	synth_phase(s, EST_PHASE_EARLY);
	for (i = 0; i < 299990; i++) {
		uint64_t pfn = 0x20000 + (i * 7919) % 3000;

		if (i % 3)
			synth_put(s, pfn, 0, EST_PATH_BUDDY, CACHE_B,
				  "kmalloc-64", CALLER_2);
		else
			synth_get(s, pfn, 0, EST_PATH_BUDDY,
				  CACHE_A + (i % 97) * 0x200, "c", CALLER_1);
	}
	t = load(s);
	svg = svg_of(t, "bounded.svg", &len, NULL, NULL);
	print_message("SVG of %zu events, every second an anomaly: %zu bytes\n",
		      i, len);
	assert_true(len <= MAX_SVG);
	assert_non_null(strstr(svg, "(first 200 with details on hover)"));
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

/*
 * Phases changing every few events (a hostile trace): names that would
 * collide are left out, with a note, and no text overlaps.
 */
static void test_phase_names(void **state)
{
	struct synth *s = synth_new(4000);
	struct es_trace *t;
	size_t len, i;
	char *svg;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 1000; i++) {
		synth_phase(s, (uint8_t)(1 + i % 4));
		synth_get(s, 0x40000 + i % 50, 0, EST_PATH_MEMBLOCK, CACHE_A,
			  "kmem_cache", CALLER_1);
		synth_put(s, 0x40000 + i % 50, 0, EST_PATH_MEMBLOCK, CACHE_A,
			  "kmem_cache", CALLER_2);
	}
	t = load(s);
	svg = svg_of(t, "phases.svg", &len, NULL, NULL);
	well_formed("phases.svg");
	assert_no_overlap(svg);
	assert_non_null(strstr(
		svg, "phase names left out where phases are too narrow"));
	assert_true(has_text(svg, "early"));
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

static yajl_val parse_json(const char *text);

/* The boot marks: instants on the phase track, dashed lines in the SVG. */
static void test_marks(void **state)
{
	struct synth *s = synth_new(64);
	struct est_record ev;
	struct es_trace *t;
	struct outcome r;
	size_t len, i;
	char *svg;

	(void)state;
	assert_non_null(s);
	synth_phase(s, EST_PHASE_EARLY);
	for (i = 0; i < 8; i++)
		synth_get(s, 0x40000 + i, 0, EST_PATH_MEMBLOCK, CACHE_A,
			  "kmem_cache", CALLER_1);
	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_MARK;
	ev.phase = EST_PHASE_EARLY;
	ev.arg = EST_MARK_PERCPU;
	synth_emit(s, &ev);
	synth_phase(s, EST_PHASE_UP);
	ev.phase = EST_PHASE_UP;
	ev.arg = EST_MARK_TRACE_INIT;
	synth_emit(s, &ev);
	synth_put(s, 0x40000, 0, EST_PATH_LATE, CACHE_A, "kmem_cache",
		  CALLER_2);
	t = load(s);
	r = export(t, "--format", "chrome-trace", "-o", "-", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "{\"name\":\"percpu\",\"cat\":\"mark\",\"ph\":\"i\""));
	assert_non_null(strstr(r.out, "{\"name\":\"trace_init\",\"cat\":\"mark\""));
	yajl_tree_free(parse_json(r.out));
	done(&r);
	svg = svg_of(t, "marks.svg", &len, NULL, NULL);
	well_formed("marks.svg");
	assert_non_null(strstr(svg, "<title>mark percpu, seq 9</title>"));
	assert_non_null(strstr(svg, "<title>mark trace_init, seq 11</title>"));
	free(svg);
	es_trace_free(t);

	/* a version 1 trace has no trace_init mark: none is drawn */
	s->hdr->version = 1;
	t = load(s);
	svg = svg_of(t, "marks1.svg", &len, NULL, NULL);
	assert_non_null(strstr(svg, "mark percpu"));
	assert_null(strstr(svg, "mark trace_init"));
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

/* A trace without events: an empty picture and an empty trace. */
static void test_empty(void **state)
{
	struct synth *s = synth_new(64);
	struct es_trace *t;
	struct outcome r;
	size_t len;
	char *svg;

	(void)state;
	assert_non_null(s);
	t = load(s);
	svg = svg_of(t, "empty.svg", &len, NULL, NULL);
	well_formed("empty.svg");
	assert_true(has_text(svg, "(no slab pages in view)"));
	free(svg);
	r = export(t, "--format", "chrome-trace", "-o", "-", NULL);
	assert_int_equal(r.rc, 0);
	yajl_tree_free(parse_json(r.out));
	done(&r);
	refused(t, "--seq", "0-10", "boot: no events in the trace");
	es_trace_free(t);
	synth_free(s);
}

/* 20000 caches: each in "other" but the first 15, linear in caches. */
static void test_many_caches(void **state)
{
	struct synth *s = synth_new(20001);
	struct es_trace *t;
	size_t len, i;
	char *svg;

	(void)state;
	assert_non_null(s);
	synth_phase(s, EST_PHASE_EARLY);
	for (i = 0; i < 20000; i++) {
		char name[ES_NAME_LEN];

		snprintf(name, sizeof(name), "c%zu", i % 100000);
		synth_get(s, 0x30000 + i * 2, i < 15 ? 1 : 0, EST_PATH_MEMBLOCK,
			  0xffff888010000000ULL + i * 0x200, name, CALLER_1);
	}
	t = load(s);
	svg = svg_of(t, "caches.svg", &len, NULL, NULL);
	assert_true(has_entry(svg, "c0", 2));
	assert_true(has_entry(svg, "c14", 2));
	assert_false(has_entry(svg, "c15", 1));
	assert_true(has_entry(svg, "other: 19985 caches", 19985));
	assert_no_overlap(svg);
	free(svg);
	es_trace_free(t);
	synth_free(s);
}

/* ---- Chrome trace ------------------------------------------------------- */

static yajl_val parse_json(const char *text)
{
	char ebuf[256];
	yajl_val v = yajl_tree_parse(text, ebuf, sizeof(ebuf));

	if (!v)
		fail_msg("not JSON: %s", ebuf);
	return v;
}

static const char *str_of(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

static long long int_of(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_number);

	assert_non_null(v);
	return YAJL_GET_INTEGER(v);
}

struct slice {
	long long pid, tid, ts, end;
};

static int by_track(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Tracks named, slices never overlapping on a thread; returns slices. */
static size_t check_trace(yajl_val doc, size_t *nevents)
{
	const char *tp[] = { "traceEvents", NULL };
	yajl_val ev = yajl_tree_get(doc, tp, yajl_t_array);
	size_t i, n, ns = 0, procs = 0, threads = 0;
	struct slice *sl;

	assert_non_null(ev);
	n = YAJL_GET_ARRAY(ev)->len;
	sl = calloc(n, sizeof(*sl));
	assert_non_null(sl);
	for (i = 0; i < n; i++) {
		yajl_val e = YAJL_GET_ARRAY(ev)->values[i];
		const char *ph = str_of(e, "ph"), *name = str_of(e, "name");

		assert_non_null(ph);
		assert_non_null(name);
		if (!strcmp(ph, "M")) {
			procs += !strcmp(name, "process_name");
			threads += !strcmp(name, "thread_name");
		} else if (!strcmp(ph, "X") && int_of(e, "pid") > 1) {
			sl[ns].pid = int_of(e, "pid");
			sl[ns].tid = int_of(e, "tid");
			sl[ns].ts = int_of(e, "ts");
			sl[ns].end = sl[ns].ts + int_of(e, "dur");
			ns++;
		}
	}
	assert_true(procs >= 2);
	assert_true(threads >= 3);
	qsort(sl, ns, sizeof(*sl), by_track);
	for (i = 1; i < ns; i++)
		if (sl[i].pid == sl[i - 1].pid && sl[i].tid == sl[i - 1].tid)
			assert_true(sl[i].ts >= sl[i - 1].end);
	free(sl);
	*nevents = n;
	return ns;
}

static void test_trace(void **state)
{
	struct synth *s = gen_boot(20000, 40);
	struct es_trace *t;
	struct outcome r;
	yajl_val doc;
	size_t n, nx, nx_small;
	const char *lo[] = { "otherData", "runs_left_out", NULL };
	const char *last[] = { "otherData", "seq_last", NULL };

	(void)state;
	assert_non_null(s);
	t = load(s);
	r = export(t, "--format", "chrome-trace", "-o", "-", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	doc = parse_json(r.out);
	nx = check_trace(doc, &n);
	assert_true(nx > 5000);
	assert_non_null(strstr(r.out, "\"process_name\""));
	assert_non_null(strstr(r.out, "node 0: pfn 0x10000-0x101ff"));
	assert_non_null(strstr(r.out, "\"pfn 0x10000\""));
	assert_int_equal(
		YAJL_GET_INTEGER(yajl_tree_get(doc, lo, yajl_t_number)), 0);
	yajl_tree_free(doc);
	done(&r);

	/* over the bound: a warning, a shorter window, at most the bound */
	r = export(t, "--format", "chrome-trace", "-o", "-", "--max-events",
		   "2000", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "earlyslab: export: warning: boot: "));
	assert_non_null(strstr(r.err, "narrow the view with --seq"));
	assert_int_equal(strchr(r.err, '\n') - r.err + 1, strlen(r.err));
	doc = parse_json(r.out);
	nx_small = check_trace(doc, &n);
	assert_true(n <= 2000);
	assert_true(nx_small > 300);
	assert_true(YAJL_GET_INTEGER(yajl_tree_get(doc, last, yajl_t_number)) <
		    19999);
	yajl_tree_free(doc);
	done(&r);

	/* the cycle clock: microseconds from the first event */
	r = export(t, "--format", "chrome-trace", "-o", "-", "--clock", "ts",
		   "--seq", "100-199", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_json(r.out);
	assert_non_null(strstr(
		r.out, "\"clock\":\"ts: cycles/1000 since the first event\""));
	assert_non_null(strstr(r.out, "\"seq_first\":100,\"seq_last\":199"));
	yajl_tree_free(doc);
	done(&r);

	/* a view */
	r = export(t, "--format", "chrome-trace", "-o", "-", "--cache",
		   "dentry", "--seq", "0-9999", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_json(r.out);
	assert_true(check_trace(doc, &n) < nx / 4);
	assert_null(strstr(r.out, "\"name\":\"kmalloc-64\""));
	assert_non_null(strstr(r.out, "\"name\":\"dentry\""));
	yajl_tree_free(doc);
	done(&r);
	es_trace_free(t);
	synth_free(s);
}

/* ---- main --------------------------------------------------------------- */

static int write_trace(const char *n, const char *path, const char *nc)
{
	uint64_t events, caches = 40;
	struct synth *s;

	if (es_parse_u64(n, &events) || events < 16 || events > 0xffffffffULL ||
	    (nc &&
	     (es_parse_u64(nc, &caches) || !caches || caches > 1000000))) {
		fprintf(stderr, "test_export: bad event or cache count\n");
		return 2;
	}
	s = gen_boot(events, (unsigned int)caches);
	if (!s || synth_write(s, path)) {
		fprintf(stderr, "test_export: %s: cannot write\n", path);
		synth_free(s);
		return 1;
	}
	synth_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_1e3),
		cmocka_unit_test(test_1e5),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_phase_names),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_many_caches),
		cmocka_unit_test(test_trace),
	};

	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--write"))
		return write_trace(argv[2], argv[3],
				   argc == 5 ? argv[4] : NULL);
	return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
