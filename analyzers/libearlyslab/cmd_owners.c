// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab owners: slab pages still owned at the end of the trace,
 * sorted and grouped (page_owner_sort's --sort and --cull), optionally held
 * against the dump's struct pages.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_cmd.h"

enum okey { K_PFN, K_ORDER, K_CACHE, K_NODE, K_SEQ, K_CALLER, K_PHASE,
	    K_PATH, K_PAGES, K_COUNT, K_MAX };

static const char *const okey_names[K_MAX] = {
	[K_PFN] = "pfn", [K_ORDER] = "order", [K_CACHE] = "cache",
	[K_NODE] = "node", [K_SEQ] = "seq", [K_CALLER] = "caller",
	[K_PHASE] = "phase", [K_PATH] = "path", [K_PAGES] = "pages",
	[K_COUNT] = "count",
};

struct sortkey {
	int key;
	int dir;	/* 1 ascending, -1 descending */
};

enum vstate {
	V_NONE, V_OK, V_NOT_SLAB, V_OTHER_CACHE, V_UNREADABLE, V_COMPOUND,
	V_SLAB
};

static const char *const vstate_names[] = {
	[V_NONE] = "-", [V_OK] = "ok", [V_NOT_SLAB] = "not_slab",
	[V_OTHER_CACHE] = "other_cache", [V_UNREADABLE] = "unreadable",
	[V_COMPOUND] = "compound", [V_SLAB] = "slab",
};

struct group {
	struct es_run run;	/* the first run of the group */
	uint64_t count;
	uint64_t pages;
	struct es_page pg;	/* owners --verify */
	enum vstate v;
};

static struct {
	const struct sortkey *keys;
	int nkeys;
} sort_by;

static void owner_json(struct es_out *o, const struct group *g)
{
	es_fmt_owner_json(o, &g->run, g->v == V_UNREADABLE ? NULL : &g->pg,
			  g->v == V_NONE ? NULL : vstate_names[g->v]);
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_key(const struct group *x, const struct group *y, int key)
{
	int r;

	switch (key) {
	case K_PFN:
		return cmp_u(x->run.pfn, y->run.pfn);
	case K_ORDER:
		return cmp_u(x->run.order, y->run.order);
	case K_CACHE:
		r = strcmp(x->run.name, y->run.name);
		return r ? r : cmp_u(x->run.cache, y->run.cache);
	case K_NODE:
		return x->run.nid < y->run.nid ? -1 : x->run.nid > y->run.nid;
	case K_SEQ:
		return cmp_u(x->run.alloc_seq, y->run.alloc_seq);
	case K_CALLER:
		return cmp_u(x->run.alloc_caller, y->run.alloc_caller);
	case K_PHASE:
		return cmp_u(x->run.alloc_phase, y->run.alloc_phase);
	case K_PATH:
		return cmp_u(x->run.alloc_path, y->run.alloc_path);
	case K_PAGES:
		return cmp_u(x->pages, y->pages);
	case K_COUNT:
		return cmp_u(x->count, y->count);
	}
	return 0;
}

static int cmp_groups(const void *a, const void *b)
{
	int i, r;

	for (i = 0; i < sort_by.nkeys; i++) {
		r = cmp_key(a, b, sort_by.keys[i].key);
		if (r)
			return r * sort_by.keys[i].dir;
	}
	return cmp_u(((const struct group *)a)->run.pfn,
		     ((const struct group *)b)->run.pfn);
}

static int parse_keys(struct ctx *c, const char *opt, const char *list,
		      struct sortkey *keys, int *n, bool signs,
		      const char *valid)
{
	char *dup = strdup(list), *tok, *save = NULL;
	int k;

	if (!dup)
		return fail_code(c, ES_ERR_NOMEM, "out of memory");
	*n = 0;
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int dir = 1;

		if (signs && (*tok == '+' || *tok == '-')) {
			dir = *tok == '-' ? -1 : 1;
			tok++;
		}
		for (k = 0; k < K_MAX; k++)
			if (!strcmp(tok, okey_names[k]) && strstr(valid, tok))
				break;
		if (k == K_MAX || *n >= K_MAX) {
			fail(c, "unknown %s key '%s' (expected %s)", opt, tok,
			     valid);
			free(dup);
			return 2;
		}
		keys[*n].key = k;
		keys[*n].dir = dir;
		(*n)++;
	}
	free(dup);
	if (!*n)
		return fail(c, "empty %s list", opt);
	return 0;
}

struct owners_vec {
	struct group *v;
	size_t nr, cap;
};

static int owners_collect(const struct es_run *run, void *arg)
{
	struct owners_vec *ov = arg;

	if (ov->nr == ov->cap) {
		size_t ncap = ov->cap ? ov->cap * 2 : 64;
		struct group *n = realloc(ov->v, ncap * sizeof(*n));

		if (!n)
			return -1;
		ov->v = n;
		ov->cap = ncap;
	}
	memset(&ov->v[ov->nr], 0, sizeof(ov->v[ov->nr]));
	ov->v[ov->nr].run = *run;
	ov->v[ov->nr].count = 1;
	ov->v[ov->nr].pages = 1ULL << run->order;
	ov->nr++;
	return 0;
}

static void group_key_text(struct es_out *o, const struct group *g,
			   const struct sortkey *cull, int ncull)
{
	char buf[512];
	int i;

	for (i = 0; i < ncull; i++) {
		const struct es_run *r = &g->run;

		es_out_puts(o, i ? ", " : ": ");
		switch (cull[i].key) {
		case K_CACHE:
			es_out_printf(o, "cache %s (0x%" PRIx64 ")",
				r->name[0] ? r->name : "-", r->cache);
			break;
		case K_ORDER:
			es_out_printf(o, "order %u", r->order);
			break;
		case K_NODE:
			es_out_printf(o, "node %d", r->nid);
			break;
		case K_CALLER:
			es_out_printf(o, "caller %s",
				caller_text(o, r->alloc_caller, buf,
					    sizeof(buf), true));
			break;
		case K_PHASE:
			es_out_printf(o, "phase %s", es_phase_name(r->alloc_phase));
			break;
		case K_PATH:
			es_out_printf(o, "path %s", es_path_name(r->alloc_path));
			break;
		}
	}
}

static void group_key_json(struct es_out *o, const struct group *g,
			   const struct sortkey *cull, int ncull)
{
	const struct es_run *r = &g->run;
	int i;

	for (i = 0; i < ncull; i++) {
		switch (cull[i].key) {
		case K_CACHE:
			jk_hex(o, "cache", r->cache);
			jk_str(o, "name", r->name);
			break;
		case K_ORDER:
			jk_u64(o, "order", r->order);
			break;
		case K_NODE:
			jk_int(o, "node", r->nid);
			break;
		case K_CALLER:
			jk_caller(o, "caller", r->alloc_caller);
			break;
		case K_PHASE:
			jk_str(o, "phase", es_phase_name(r->alloc_phase));
			break;
		case K_PATH:
			jk_str(o, "path", es_path_name(r->alloc_path));
			break;
		}
	}
}

static void group_csv(struct es_out *o, const struct group *g,
		      const struct sortkey *cull, int ncull)
{
	const struct es_run *r = &g->run;
	char buf[512];
	int k;

	csv_u64(o, false, g->count);
	csv_u64(o, true, g->pages);
	for (k = 0; k < ncull; k++) {
		switch (cull[k].key) {
		case K_CACHE:
			csv_field(o, true, r->name);
			break;
		case K_ORDER:
			csv_u64(o, true, r->order);
			break;
		case K_NODE:
			csv_int(o, true, r->nid);
			break;
		case K_CALLER:
			csv_field(o, true, es_format_caller(o->t, r->alloc_caller,
							    buf, sizeof(buf)));
			break;
		case K_PHASE:
			csv_field(o, true, es_phase_name(r->alloc_phase));
			break;
		case K_PATH:
			csv_field(o, true, es_path_name(r->alloc_path));
			break;
		}
	}
	es_out_putc(o, '\n');
}

/* The verdict of es_verify_run()'s problems, the gravest first. */
static enum vstate verdict(uint32_t problems)
{
	if (problems & ES_PC_UNREADABLE)
		return V_UNREADABLE;
	if (problems & ES_PC_NOT_SLAB)
		return V_NOT_SLAB;
	if (problems & ES_PC_SLAB)
		return V_SLAB;	/* a large kmalloc's frames are a slab */
	if (problems & (ES_PC_CACHE | ES_PC_NAME))
		return V_OTHER_CACHE;
	if (problems)
		return V_COMPOUND;	/* head, order, tails or refcount */
	return V_OK;
}

/*
 * Hold each owner against its struct pages with es_verify_run(), the one
 * definition of agreement (gdb's crosscheck uses it too); count mismatches.
 */
static int verify_owners(struct ctx *c, struct owners_vec *ov,
			 uint64_t *bad)
{
	struct es_page_check pc;
	size_t i;

	*bad = 0;
	for (i = 0; i < ov->nr; i++) {
		struct group *g = &ov->v[i];

		if (es_verify_run(c->t, &g->run, &pc) < 0) {
			/* no layout at all is an input error */
			if (c->t->pl.done && !c->t->pl.ok)
				return fail_trace(c);
			g->v = V_UNREADABLE;
		} else {
			g->pg = pc.page;
			g->v = verdict(pc.problems);
		}
		*bad += g->v != V_OK;
	}
	return 0;
}

static const char sort_valid[] =
	"pfn, order, cache, node, seq, caller, phase, path, pages, count";
static const char cull_valid[] = "cache, order, node, caller, phase, path";

struct owners_opts {
	struct sortkey sort[K_MAX], cull[K_MAX];
	int nsort, ncull;
	const char *cache;
	bool verify;
};

static int owners_opt(struct ctx *c, int id, const char *arg)
{
	struct owners_opts *p = c->opts;

	switch (id) {
	case OPT_SORT:
		return parse_keys(c, "sort", arg, p->sort, &p->nsort, true,
				  sort_valid);
	case OPT_CULL:
		return parse_keys(c, "cull", arg, p->cull, &p->ncull, false,
				  cull_valid);
	case OPT_CACHE:
		p->cache = arg;
		return 0;
	case OPT_VERIFY:
		p->verify = true;
		return 0;
	}
	return 0;
}

/* "3 slabs, 7 pages still owned", large kmallocs counted apart */
static void owned_line(struct es_out *o, size_t nslabs, size_t nlarge,
		       uint64_t pages)
{
	es_out_printf(o, "%zu slab%s, ", nslabs, nslabs == 1 ? "" : "s");
	if (nlarge)
		es_out_printf(o, "%zu large kmalloc%s, ", nlarge,
			nlarge == 1 ? "" : "s");
	es_out_printf(o, "%" PRIu64 " page%s still owned\n", pages,
		pages == 1 ? "" : "s");
}

static int cmd_owners(struct ctx *c, int argc, char **argv)
{
	struct owners_opts *p = c->opts;
	struct sortkey *sort = p->sort, *cull = p->cull;
	int nsort = p->nsort, ncull = p->ncull, r;
	struct owners_vec ov = { 0 };
	const char *cache = p->cache;
	uint64_t pages = 0, bad = 0;
	size_t nlarge = 0;
	bool verify = p->verify;
	struct es_out o;
	size_t i, j, n;
	char buf[512], node[32];

	(void)argc;
	(void)argv;
	if (verify && ncull)
		return fail(c, "--verify lists slabs one by one: not with --cull");
	if (!es_loaded(c->t))
		return fail_trace(c);
	if (verify && !es_has_memory(c->t))
		return fail_code(c, ES_ERR_NEEDS, "--verify needs --core (or a live guest) and --vmlinux: struct pages are read from memory");
	r = es_owners(c->t, owners_collect, &ov);
	if (r) {
		free(ov.v);
		return r < 0 && c->t->err[0] ? fail_trace(c) :
					       fail_code(c, ES_ERR_NOMEM, "out of memory");
	}
	/* --cache */
	for (i = j = 0; i < ov.nr; i++)
		if (es_cache_match(cache, ov.v[i].run.cache, ov.v[i].run.name))
			ov.v[j++] = ov.v[i];
	ov.nr = j;
	for (i = 0; i < ov.nr; i++) {
		pages += ov.v[i].pages;
		nlarge += !!(ov.v[i].run.flags & ES_RUN_LARGE);
	}
	if (verify && (r = verify_owners(c, &ov, &bad))) {
		free(ov.v);
		return r;
	}

	n = ov.nr;
	if (ncull) {
		/* group equal cull keys, then order groups (most first) */
		sort_by.keys = cull;
		sort_by.nkeys = ncull;
		if (ov.nr)
			qsort(ov.v, ov.nr, sizeof(*ov.v), cmp_groups);
		for (i = 0, n = 0; i < ov.nr; i++) {
			int k;

			for (k = 0; n && k < ncull; k++)
				if (cmp_key(&ov.v[n - 1], &ov.v[i], cull[k].key))
					break;
			if (n && k == ncull) {
				ov.v[n - 1].count++;
				ov.v[n - 1].pages += ov.v[i].pages;
			} else {
				ov.v[n++] = ov.v[i];
			}
		}
		if (!nsort) {
			sort[0].key = K_COUNT;
			sort[0].dir = -1;
			sort[1].key = K_PAGES;
			sort[1].dir = -1;
			nsort = 2;
		}
	} else if (!nsort) {
		sort[0].key = K_PFN;
		sort[0].dir = 1;
		nsort = 1;
	}
	sort_by.keys = sort;
	sort_by.nkeys = nsort;
	if (n)
		qsort(ov.v, n, sizeof(*ov.v), cmp_groups);

	if ((r = es_cmd_open_out(c, &o))) {
		free(ov.v);
		return r;
	}
	if (o.json) {
		jarr_open(&o);
		for (i = 0; i < n; i++) {
			if (!ncull) {
				owner_json(&o, &ov.v[i]);
				continue;
			}
			jmap_open(&o);
			jk_u64(&o, "count", ov.v[i].count);
			jk_u64(&o, "pages", ov.v[i].pages);
			group_key_json(&o, &ov.v[i], cull, ncull);
			jmap_close(&o);
		}
		jarr_close(&o);
	} else if (o.csv) {
		if (ncull) {
			es_out_puts(&o, "count,pages");
			for (i = 0; i < (size_t)ncull; i++)
				es_out_printf(&o, ",%s", okey_names[cull[i].key]);
			es_out_putc(&o, '\n');
		} else {
			es_out_puts(&o, "pfn,order,pages,cache,name,node,nid_req,alloc_seq,phase,path,early,skipped,caller\n");
		}
		for (i = 0; i < n; i++) {
			if (ncull)
				group_csv(&o, &ov.v[i], cull, ncull);
			else
				es_fmt_owner_csv(&o, &ov.v[i].run);
		}
	} else if (ncull) {
		for (i = 0; i < n; i++) {
			es_out_printf(&o, "%" PRIu64 " time%s, %" PRIu64 " page%s",
				ov.v[i].count, ov.v[i].count == 1 ? "" : "s",
				ov.v[i].pages, ov.v[i].pages == 1 ? "" : "s");
			group_key_text(&o, &ov.v[i], cull, ncull);
			es_out_putc(&o, '\n');
		}
		owned_line(&o, ov.nr - nlarge, nlarge, pages);
	} else {
		es_out_printf(&o, "%-12s %3s %-6s %-16s %-18s %8s %-8s %-8s %s%s\n",
			"PFN", "ORD", "NID/RQ", "CACHE", "KMEM_CACHE", "SEQ",
			"PHASE", "PATH", verify ? "PAGE        " : "", "CALLER");
		for (i = 0; i < n; i++) {
			const struct es_run *rr = &ov.v[i].run;
			char pfn[24], kc[24], vs[16] = "";

			snprintf(pfn, sizeof(pfn), "0x%" PRIx64, rr->pfn);
			snprintf(kc, sizeof(kc), "0x%" PRIx64, rr->cache);
			if (verify)
				snprintf(vs, sizeof(vs), "%-12s ",
					 vstate_names[ov.v[i].v]);
			es_out_printf(&o, "%-12s %3u %-6s %-16s %-18s %8" PRIu64
				" %-8s %-8s %s%s\n", pfn, rr->order,
				es_fmt_node(node, sizeof(node), rr->nid,
					  rr->nid_req),
				rr->name[0] ? rr->name : "-", kc, rr->alloc_seq,
				es_phase_name(rr->alloc_phase),
				es_path_name(rr->alloc_path), vs,
				caller_text(&o, rr->alloc_caller, buf,
					    sizeof(buf), false));
		}
		owned_line(&o, ov.nr - nlarge, nlarge, pages);
		if (verify && nlarge)
			es_out_printf(&o, "%" PRIu64 " of %zu agree with their struct page in the dump (slab mark, slab_cache; large kmalloc: compound page, no slab mark)\n",
				(uint64_t)ov.nr - bad, ov.nr);
		else if (verify)
			es_out_printf(&o, "%" PRIu64 " of %zu agree with their struct page in the dump (slab mark, slab_cache)\n",
				(uint64_t)ov.nr - bad, ov.nr);
	}
	free(ov.v);
	/* like check: 1 when the dump disagrees with the trace */
	return es_cmd_close_out(c, &o, bad ? 1 : 0);
}

static const struct option owners_opts[] = {
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "cull", required_argument, NULL, OPT_CULL },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ 0 }
};

const struct es_cmd es_cmdtab_owners = {
	.name = "owners",
	.fn = cmd_owners,
	.longopts = owners_opts,
	.opt = owners_opt,
	.opts_size = sizeof(struct owners_opts),
	.usage = "owners [--sort [+|-]KEY,..] [--cull KEY,..] [--cache NAME] [--verify] [-j|-p|--csv]\n"
		 "\tslab pages still owned at the end of the trace\n"
		 "\t--verify: against the struct pages in memory (es_verify_run())\n"
		 "\tsort keys: pfn order cache node seq caller phase path pages count\n"
		 "\tcull keys: cache order node caller phase path\n",
};
