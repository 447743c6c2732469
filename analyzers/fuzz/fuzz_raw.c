// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the raw buffer parser: the header check, slot
 * decoding and everything built on it (every command, JSON and text).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "earlyslab.h"

static void cmd(struct es_trace *t, int argc, char **argv, unsigned int fl)
{
	char *out = NULL, *err = NULL;

	es_command_str(t, argc, argv, fl, &out, &err);
	es_free(out);
	es_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *status[] = { "status" };
	static char *dump[] = { "dump", "--all" };
	static char *check[] = { "check" };
	static char *owners[] = { "owners", "--cull", "cache,order" };
	static char *timeline[] = { "timeline" };
	static char *stats[] = { "stats" };
	static char *svg[] = { "export", "--format", "svg", "-o", "-" };
	static char *ct[] = { "export", "--format", "chrome-trace", "-o", "-" };
	static const struct {
		char **argv;
		int argc;
	} cmds[] = {
		{ status, 1 }, { dump, 2 }, { check, 1 }, { owners, 3 },
		{ timeline, 1 }, { stats, 1 }, { svg, 5 }, { ct, 5 },
	};
	struct es_trace *t = es_trace_new();
	unsigned int fl = ((size >> 3) & 1) ? ES_OUT_JSON : 0;

	/*
	 * One command per input, chosen by its size (check is one of them:
	 * every command runs the same decoder and engine).
	 */
	if (t && !es_load_memory(t, data, size, "fuzz"))
		cmd(t, cmds[size & 7].argc, cmds[size & 7].argv, fl);
	es_trace_free(t);
	return 0;
}
