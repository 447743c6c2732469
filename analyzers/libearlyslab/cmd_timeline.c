// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab timeline: per page frame, its runs of ownership.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_cmd.h"

/*
 * A run of order n shows up under each of its 1 << n frames, the same
 * every time: its JSON or text is made once (by yajl, for JSON) and the
 * same bytes written again for the other frames. yajl_gen_number() writes
 * its text as it is, after the separator and indentation of the place
 * (every run sits at the same depth of the document, so the bytes are the
 * same).
 */
#define TL_CACHE	256

struct tl_rendered {
	uint64_t pfn, alloc_seq, free_seq;
	uint32_t order, flags;
	char *text;
	size_t len, cap;
	bool valid;
};

struct tl_out {
	struct es_out *o;
	uint64_t npfn;
	struct tl_rendered *cache;	/* TL_CACHE of them, or NULL */
};

static struct tl_rendered *rendered(struct tl_out *d, const struct es_run *r)
{
	struct tl_rendered *c;
	uint64_t h;

	if (!d->cache)
		return NULL;
	h = (r->pfn * 0x9e3779b97f4a7c15ULL) ^ r->alloc_seq ^
	    (r->free_seq << 20);
	c = &d->cache[(h ^ (h >> 29)) % TL_CACHE];
	if (c->valid && c->pfn == r->pfn && c->alloc_seq == r->alloc_seq &&
	    c->free_seq == r->free_seq && c->order == r->order &&
	    c->flags == r->flags)
		return c;
	c->valid = false;
	c->pfn = r->pfn;
	c->alloc_seq = r->alloc_seq;
	c->free_seq = r->free_seq;
	c->order = r->order;
	c->flags = r->flags;
	return c;
}

/* Keep what the last @from bytes of output became, for the next frames. */
static void keep(struct tl_rendered *c, struct es_out *o, uint64_t from,
		 bool json)
{
	const char *s;
	size_t n;

	/* flushed meanwhile, or a single frame: nothing to keep */
	if (!c || from < o->flushed || c->order == 0)
		return;
	s = o->buf + (from - o->flushed);
	n = (size_t)(o->flushed + o->len - from);
	if (json) {
		/* after the separator and indentation, from the '{' on */
		const char *brace = memchr(s, '{', n);

		if (!brace)
			return;
		n -= (size_t)(brace - s);
		s = brace;
	}
	if (n > c->cap) {
		char *t = realloc(c->text, n);

		if (!t)
			return;
		c->text = t;
		c->cap = n;
	}
	memcpy(c->text, s, n);
	c->len = n;
	c->valid = true;
}

static void one_run(struct tl_out *d, const struct es_run *run)
{
	struct es_out *o = d->o;
	struct tl_rendered *c = rendered(d, run);
	uint64_t at = o->flushed + o->len;

	if (c && c->valid) {
		if (o->json)
			yajl_gen_number(o->g, c->text, c->len);
		else
			es_out_write(o, c->text, c->len);
		return;
	}
	if (o->json)
		es_emit_run(o, run);
	else
		es_fmt_run_text(o, run);
	keep(c, o, at, o->json);
}

static int timeline_pfn(uint64_t pfn, const struct es_run *runs, size_t n,
			void *arg)
{
	struct tl_out *d = arg;
	struct es_out *o = d->o;
	size_t i;

	d->npfn++;
	if (o->json) {
		jmap_open(o);
		jk_u64(o, "pfn", pfn);
		jkey(o, "runs");
		jarr_open(o);
		for (i = 0; i < n; i++)
			one_run(d, &runs[i]);
		jarr_close(o);
		jmap_close(o);
	} else if (o->csv) {
		for (i = 0; i < n; i++)
			es_fmt_run_csv(o, pfn, &runs[i]);
	} else {
		es_out_printf(o, "pfn 0x%" PRIx64 ": %zu run%s\n", pfn, n,
			n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			one_run(d, &runs[i]);
	}
	return es_out_error(o) ? -1 : 0;
}

static int timeline_opt(struct ctx *c, int id, const char *arg)
{
	struct es_select *sel = c->opts;

	switch (id) {
	case OPT_CACHE:
		sel->cache = arg;
		return 0;
	case OPT_PFN:
		if (es_parse_range(arg, &sel->pfn_lo, &sel->pfn_hi))
			return fail(c, "bad pfn range '%s' (expected PFN or FIRST-LAST)",
				    arg);
		sel->has_pfn = 1;
		return 0;
	}
	return 0;
}

/* timeline [PFN|A-B]: the range may also be the one argument */
static int cmd_timeline(struct ctx *c, int argc, char **argv)
{
	struct es_select *sel = c->opts;
	struct tl_out d = { 0 };
	struct es_out o;
	int r;

	if (argc > (sel->has_pfn ? 0 : 1))
		return fail(c, "unexpected argument '%s'",
			    argv[sel->has_pfn ? 0 : 1]);
	if (argc) {
		if (es_parse_range(argv[0], &sel->pfn_lo, &sel->pfn_hi))
			return fail(c, "bad pfn range '%s' (expected PFN or FIRST-LAST)",
				    argv[0]);
		sel->has_pfn = 1;
	}
	if (!es_loaded(c->t))
		return fail_trace(c);
	if ((r = es_cmd_open_out(c, &o)))
		return r;
	d.o = &o;
	if (o.json) {
		jmap_open(&o);
		jkey(&o, "pfns");
		jarr_open(&o);
	} else if (o.csv) {
		es_out_puts(&o, ES_RUN_CSV_HEADER);
	}
	d.cache = calloc(TL_CACHE, sizeof(*d.cache));
	r = es_timeline(c->t, sel, timeline_pfn, &d);
	if (d.cache) {
		size_t i;

		for (i = 0; i < TL_CACHE; i++)
			free(d.cache[i].text);
		free(d.cache);
	}
	if (o.json) {
		jarr_close(&o);
		jmap_close(&o);
	} else if (!o.csv && !r && !d.npfn) {
		es_out_printf(&o, "no page frame of the trace matches\n");
	}
	if (r < 0 && c->t->err[0] && strstr(c->t->err, "memory"))
		r = fail_trace(c);
	else if (r)
		r = fail_code(c, ES_ERR_IO, "write error");
	return es_cmd_close_out(c, &o, r);
}

static const struct option timeline_opts[] = {
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "pfn", required_argument, NULL, OPT_PFN },
	{ 0 }
};

const struct es_cmd es_cmdtab_timeline = {
	.name = "timeline",
	.fn = cmd_timeline,
	.longopts = timeline_opts,
	.opt = timeline_opt,
	.opts_size = sizeof(struct es_select),
	.max_args = INT_MAX,	/* checked here */
	.usage = "timeline [PFN|A-B] [--cache NAME] [-j|-p|--csv]\n"
		 "\tper page frame, its runs of ownership\n",
};
