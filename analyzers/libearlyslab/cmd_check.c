// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab check: the anomalies of the trace, in sequence order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "es_cmd.h"

struct check_out {
	struct es_out *o;
	uint32_t kinds;		/* 0 = all */
	bool errors_only;
	uint64_t shown_err, shown_warn;
};

static int check_one(const struct es_anomaly *a, void *arg)
{
	struct check_out *d = arg;

	if (d->kinds && !(d->kinds & (1U << a->kind)))
		return 0;
	if (d->errors_only && a->severity != ES_SEV_ERROR)
		return 0;
	if (a->severity == ES_SEV_ERROR)
		d->shown_err++;
	else
		d->shown_warn++;
	return es_fmt_anomaly(d->o, a);
}

static int kind_from_name(const char *name)
{
	int k;

	for (k = 0; k < ES_K_MAX; k++)
		if (!strcmp(name, es_kind_name((uint32_t)k)))
			return k;
	return -1;
}

static int check_opt(struct ctx *c, int id, const char *arg)
{
	struct check_out *d = c->opts;

	switch (id) {
	case OPT_KIND:
		return es_cmd_parse_names(c, "kind", arg, kind_from_name,
					  "window_free, double_free, free_unallocated, overlap, order_mismatch, cache_mismatch, missed_skip, spurious_skip, bad_record, node_mismatch, lost_events, torn_record, pending_record",
					  &d->kinds);
	case OPT_ERRORS:
		d->errors_only = true;
		return 0;
	}
	return 0;
}

static int cmd_check(struct ctx *c, int argc, char **argv)
{
	struct check_out *pd = c->opts, d = *pd;
	struct es_status st;
	struct es_out o;
	int r, errors;

	(void)argc;
	(void)argv;
	if (!es_loaded(c->t))
		return fail_trace(c);
	if ((r = es_cmd_open_out(c, &o)))
		return r;
	d.o = &o;
	if (o.json) {
		jmap_open(&o);
		jk_str(&o, "file", c->t->name);
		jkey(&o, "anomalies");
		jarr_open(&o);
	} else if (o.csv) {
		es_out_puts(&o, "kind,severity,seq,pfn,cache,name,caller,caller_sym,other_seq,detail\n");
	}
	/* one pass: the replay counts the slots for es_get_status() */
	errors = es_check(c->t, check_one, &d);
	if (errors >= 0 && es_get_status(c->t, &st))
		errors = -1;
	if (o.json) {
		jarr_close(&o);
		jk_u64(&o, "errors", d.shown_err);
		jk_u64(&o, "warnings", d.shown_warn);
		/* the exit code's: every kind, whatever --kind shows */
		jk_u64(&o, "trace_errors", errors > 0 ? (uint64_t)errors : 0);
		jk_u64(&o, "events", st.committed);
		jk_bool(&o, "complete", es_trace_complete(c->t));
		jmap_close(&o);
	} else if (!o.csv && errors >= 0) {
		es_out_printf(&o, "%" PRIu64 " error%s, %" PRIu64 " warning%s in %"
			PRIu64 " events%s", d.shown_err,
			d.shown_err == 1 ? "" : "s", d.shown_warn,
			d.shown_warn == 1 ? "" : "s", st.committed,
			es_trace_complete(c->t) ? "" :
			" (trace incomplete: see status)");
		if ((uint64_t)errors > d.shown_err)
			es_out_printf(&o, "; %" PRIu64 " error%s of other kinds not shown",
				      (uint64_t)errors - d.shown_err,
				      (uint64_t)errors - d.shown_err == 1 ?
				      "" : "s");
		es_out_putc(&o, '\n');
	}
	if (errors < 0) {
		es_cmd_close_out(c, &o, 2);
		return c->t->err[0] ? fail_trace(c) : fail_code(c, ES_ERR_IO, "write error");
	}
	/* the whole trace decides, not what --kind shows */
	return es_cmd_close_out(c, &o, errors > 0 ? 1 : 0);
}

static const struct option check_opts[] = {
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "errors", no_argument, NULL, OPT_ERRORS },
	{ 0 }
};

const struct es_cmd es_cmdtab_check = {
	.name = "check",
	.fn = cmd_check,
	.longopts = check_opts,
	.opt = check_opt,
	.opts_size = sizeof(struct check_out),
	.usage = "check [--kind K,..] [--errors] [-j|-p|--csv]\n"
		 "\tanomalies; exit status 1 if the trace has an error of any kind\n"
		 "\t(--kind and --errors choose what is shown, not the exit status)\n",
};
