// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab export: an SVG timeline or Chrome/Perfetto trace JSON, written
 * by export.c; this command parses its own options there.
 */
#include <stdio.h>

#include "es_cmd.h"

static int cmd_export(struct ctx *c, int argc, char **argv)
{
	struct es_out o;
	int r;

	if (es_out_open(&o, c->t, c->out, c->err, false, false, false))
		return fail(c, "out of memory");
	r = es_cmd_export(&o, argc, argv);
	if (r == 1) {		/* --help */
		usage_of(c->out, c->cmd);
		r = 0;
	}
	es_out_close(&o);
	return r;
}

const struct es_cmd es_cmdtab_export = {
	.name = "export",
	.fn = cmd_export,
	.usage = "export --format svg|chrome-trace -o FILE [--pfn A[-B]] [--cache NAME|0xADDR] [--phase P,..] [--seq A[-B]] [--clock seq|ts] [--max-events N]\n"
		 "\tSVG picture or Chrome/Perfetto trace JSON of a view ('-o -': stdout)\n",
};
