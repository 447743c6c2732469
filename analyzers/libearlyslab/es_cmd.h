/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libearlyslab: the commands of earlyslab(8), one file each (cmd_*.c),
 * run by the dispatcher in cmd.c. A command describes itself with a
 * struct es_cmd: its options (the dispatcher parses them together with
 * the ones every command has, in one getopt_long loop), a handler for
 * them, and the function that runs it.
 */
#ifndef ES_CMD_H
#define ES_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "es_out.h"

struct ctx {
	struct es_trace *t;
	FILE *out;
	FILE *err;
	const char *cmd;
	bool json, pretty, csv;
	void *opts;		/* the command's options, es_cmd.opts_size */
	int code;		/* enum es_errcode of the error printed */
};

/* Option ids above the characters; unique across the commands. */
enum { OPT_TYPE = 256, OPT_CACHE, OPT_PFN, OPT_PHASE, OPT_ALL, OPT_SORT,
	OPT_CULL, OPT_KIND, OPT_FORMAT, OPT_CLOCK, OPT_ERRORS, OPT_VERIFY };

struct es_cmd {
	const char *name;
	/*
	 * Runs the command. With @longopts, argv holds only the arguments
	 * left after the options (argc of them, at most @max_args);
	 * without, the whole command line from the command name on, for
	 * the command to parse.
	 */
	int (*fn)(struct ctx *c, int argc, char **argv);
	/* the command's own options, { 0 }-terminated, or NULL */
	const struct option *longopts;
	/* one of them was given: 0 or the exit code */
	int (*opt)(struct ctx *c, int id, const char *arg);
	size_t opts_size;
	int max_args;
	const char *usage;
};

extern const struct es_cmd es_cmdtab_status, es_cmdtab_dump,
	es_cmdtab_timeline, es_cmdtab_owners, es_cmdtab_check,
	es_cmdtab_stats, es_cmdtab_export;

/* One line on the error stream, exit code 2: a usage error. */
int es_cmd_fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with another enum es_errcode. */
int es_cmd_fail_code(struct ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The trace's own error (es_error(), es_error_code()), exit code 2. */
int es_cmd_fail_trace(struct ctx *c);
void es_cmd_usage(FILE *f, const char *cmd);

#define fail(c, ...)		es_cmd_fail((c), __VA_ARGS__)
#define fail_code(c, code, ...)	es_cmd_fail_code((c), (code), __VA_ARGS__)
#define fail_trace(c)		es_cmd_fail_trace(c)
#define usage_of(f, cmd)	es_cmd_usage((f), (cmd))

int es_cmd_open_out(struct ctx *c, struct es_out *o);
int es_cmd_close_out(struct ctx *c, struct es_out *o, int ret);

/* "A" or "A-B", decimal or 0x-hex; -1 if malformed. */
int es_parse_range(const char *s, uint64_t *lo, uint64_t *hi);
/* "getpages,freepages" -> bit mask, with @lookup giving each name's bit */
int es_cmd_parse_names(struct ctx *c, const char *what, const char *list,
		       int (*lookup)(const char *), const char *valid,
		       uint32_t *mask);

#endif /* ES_CMD_H */
