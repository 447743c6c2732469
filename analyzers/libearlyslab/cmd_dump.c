// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab dump: the events in sequence order, filtered.
 */
#include <stdio.h>

#include "es_cmd.h"

#define PHASE_NAMES	"boot, early, free_all, window, up, full"

struct dump_ctx {
	struct es_out *o;
	uint64_t n;
};

static int dump_one(const struct es_event *ev, void *arg)
{
	struct dump_ctx *d = arg;

	es_fmt_event(d->o, ev);
	d->n++;
	return es_out_error(d->o) ? -1 : 0;
}

/* "getpages, freepages, ...": every event type, as es_type_name() has it */
static const char *type_names(void)
{
	static char buf[256];
	size_t n = 0;
	uint32_t i;

	if (buf[0])
		return buf;
	for (i = 1; i < EST_EV_MAX && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i > 1 ? ", " : "", es_type_name(i));
	return buf;
}

static int dump_opt(struct ctx *c, int id, const char *arg)
{
	struct es_filter *f = c->opts;

	switch (id) {
	case OPT_TYPE:
		return es_cmd_parse_names(c, "type", arg, es_type_from_name,
					  type_names(), &f->types);
	case OPT_PHASE:
		return es_cmd_parse_names(c, "phase", arg, es_phase_from_name,
					  PHASE_NAMES, &f->phases);
	case OPT_CACHE:
		f->cache = arg;
		return 0;
	case OPT_PFN:
		if (es_parse_range(arg, &f->pfn_lo, &f->pfn_hi))
			return fail(c, "bad pfn range '%s' (expected PFN or FIRST-LAST)",
				    arg);
		f->has_pfn = 1;
		return 0;
	case OPT_ALL:
		f->all_slots = 1;
		return 0;
	}
	return 0;
}

static int cmd_dump(struct ctx *c, int argc, char **argv)
{
	struct dump_ctx d = { 0 };
	struct es_out o;
	int r;

	(void)argc;
	(void)argv;
	if (!es_loaded(c->t))
		return fail_trace(c);
	if ((r = es_cmd_open_out(c, &o)))
		return r;
	d.o = &o;
	if (o.json)
		jarr_open(&o);
	else
		es_fmt_event_header(&o);
	r = es_foreach_event(c->t, c->opts, dump_one, &d);
	if (o.json)
		jarr_close(&o);
	r = es_cmd_close_out(c, &o, r ? fail_code(c, ES_ERR_IO, "write error") : 0);
	return r;
}

static const struct option dump_opts[] = {
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "pfn", required_argument, NULL, OPT_PFN },
	{ "phase", required_argument, NULL, OPT_PHASE },
	{ "all", no_argument, NULL, OPT_ALL },
	{ 0 }
};

const struct es_cmd es_cmdtab_dump = {
	.name = "dump",
	.fn = cmd_dump,
	.longopts = dump_opts,
	.opt = dump_opt,
	.opts_size = sizeof(struct es_filter),
	.usage = "dump [--type T,..] [--cache NAME|0xADDR] [--pfn A[-B]] [--phase P,..] [--all] [-j|-p|--csv]\n"
		 "\tevents in sequence order (--all: also torn, pending, bad slots)\n",
};
