// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab timeline: per page frame, its runs of ownership.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "es_cmd.h"

struct tl_out {
	struct es_out *o;
	uint64_t npfn;
};

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
			es_emit_run(o, &runs[i]);
		jarr_close(o);
		jmap_close(o);
	} else if (o->csv) {
		for (i = 0; i < n; i++)
			es_fmt_run_csv(o, pfn, &runs[i]);
	} else {
		es_out_printf(o, "pfn 0x%" PRIx64 ": %zu run%s\n", pfn, n,
			n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			es_fmt_run_text(o, &runs[i]);
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
	r = es_timeline(c->t, sel, timeline_pfn, &d);
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
