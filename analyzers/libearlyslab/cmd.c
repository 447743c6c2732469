// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the commands of earlyslab(8). They live in the library so
 * that every front end (the CLI, the gdb commands through ctypes) takes the
 * same options and prints the same output.
 *
 * This file is the dispatcher (bpftool's way): a table of commands, each
 * in its own cmd_*.c, and one option parser for all of them, built from
 * the options every command has and the command's own.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_cmd.h"

static const struct es_cmd *const commands[] = {
	&es_cmdtab_status,   &es_cmdtab_dump,  &es_cmdtab_timeline,
	&es_cmdtab_owners,   &es_cmdtab_check, &es_cmdtab_stats,
	&es_cmdtab_export,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The options of every command. */
static const struct option common_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "csv", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
};

#define NR_COMMON	(sizeof(common_longopts) / sizeof(common_longopts[0]))
#define COMMON_SHORTOPTS	"+:jph"

static int vfail(struct ctx *c, int code, const char *fmt, va_list ap)
{
	fprintf(c->err, "earlyslab: %s: ", c->cmd);
	vfprintf(c->err, fmt, ap);
	fputc('\n', c->err);
	if (!c->code)
		c->code = code;
	return 2;
}

int es_cmd_fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(c, ES_ERR_USAGE, fmt, ap);
	va_end(ap);
	return r;
}

int es_cmd_fail_code(struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(c, code, fmt, ap);
	va_end(ap);
	return r;
}

int es_cmd_fail_trace(struct ctx *c)
{
	fprintf(c->err, "earlyslab: %s\n", es_error(c->t));
	if (!c->code)
		c->code = es_error_code(c->t);
	return 2;
}

int es_cmd_open_out(struct ctx *c, struct es_out *o)
{
	if (es_out_open(o, c->t, c->out, c->err, c->json, c->pretty, c->csv))
		return fail_code(c, ES_ERR_NOMEM, "out of memory");
	return 0;
}

int es_cmd_close_out(struct ctx *c, struct es_out *o, int ret)
{
	if (es_out_close(o) && !ret)
		return fail_code(c, ES_ERR_IO, "write error");
	return ret;
}

int es_parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	const char *dash = strchr(s, '-');

	if (!dash)
		return es_parse_u64(s, lo) || (*hi = *lo, 0);
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (es_parse_u64(buf, lo) || es_parse_u64(dash + 1, hi) || *hi < *lo)
		return -1;
	return 0;
}

int es_cmd_parse_names(struct ctx *c, const char *what, const char *list,
		       int (*lookup)(const char *), const char *valid,
		       uint32_t *mask)
{
	char *dup = strdup(list), *tok, *save = NULL;
	int v;

	if (!dup)
		return fail_code(c, ES_ERR_NOMEM, "out of memory");
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = lookup(tok);
		if (v < 0 || v >= 32) {
			fail(c, "unknown %s '%s' (expected %s)", what, tok,
			     valid);
			free(dup);
			return 2;
		}
		*mask |= 1U << v;
	}
	free(dup);
	if (!*mask)
		return fail(c, "empty %s list", what);
	return 0;
}

static int bad_opt(struct ctx *c, char **argv, int opt)
{
	if (opt == ':')
		return fail(c, "option '%s' needs an argument",
			    argv[optind - 1]);
	if (optopt && optopt < 256)
		return fail(c, "unknown option '-%c' (see earlyslab %s --help)",
			    optopt, c->cmd);
	return fail(c, "unknown option '%s' (see earlyslab %s --help)",
		    argv[optind - 1], c->cmd);
}

/*
 * The one option parser: the common options and @cmd's own in one
 * getopt_long table. Returns 0 with *@first at the first argument after
 * the options, 1 after --help (printed), or an exit code.
 */
static int parse_opts(struct ctx *c, const struct es_cmd *cmd, int argc,
		      char **argv, int *first)
{
	struct option *lo;
	size_t n = 0, i;
	int opt, r = 0;

	while (cmd->longopts[n].name)
		n++;
	lo = calloc(NR_COMMON + n + 1, sizeof(*lo));
	if (!lo)
		return fail_code(c, ES_ERR_NOMEM, "out of memory");
	for (i = 0; i < NR_COMMON; i++)
		lo[i] = common_longopts[i];
	for (i = 0; i < n; i++)
		lo[NR_COMMON + i] = cmd->longopts[i];
	while (!r && (opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo,
					NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'p':
			c->pretty = true;
			c->json = true;
			break;
		case 'C':
			c->csv = true;
			break;
		case 'h':
			usage_of(c->out, c->cmd);
			r = 1;
			break;
		default:
			if (opt >= 256 && cmd->opt)
				r = cmd->opt(c, opt, optarg);
			else
				r = bad_opt(c, argv, opt);
		}
	}
	free(lo);
	*first = optind;
	return r;
}

void es_cmd_usage(FILE *f, const char *cmd)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, cmd))
			fprintf(f, "usage: earlyslab [--vmlinux F] (--core F | --raw F) %s",
				commands[i]->usage);
}

void es_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: earlyslab [--vmlinux FILE] (--core FILE | --raw FILE) [-j|-p] COMMAND [options]\n"
		"\n"
		"  --raw FILE      the early_slab_trace buffer's bytes (as saved by gdb)\n"
		"  --core FILE     a QEMU dump-guest-memory ELF core, or /proc/kcore\n"
		"  --vmlinux FILE  the kernel's vmlinux: buffer address, build-id, symbols\n"
		"  -j, --json      JSON output; -p, --pretty: indented JSON\n"
		"  --csv           CSV output for tables\n"
		"\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %s", commands[i]->usage);
	fprintf(f, "\nexit status: 0 fine, 1 check found an error, 2 usage or input error\n");
}

static int run_cmd(struct ctx *c, const struct es_cmd *cmd, int argc,
		   char **argv)
{
	int first = 0, r;

	if (!cmd->longopts)
		return cmd->fn(c, argc, argv);
	if (cmd->opts_size) {
		c->opts = calloc(1, cmd->opts_size);
		if (!c->opts)
			return fail_code(c, ES_ERR_NOMEM, "out of memory");
	}
	r = parse_opts(c, cmd, argc, argv, &first);
	if (r == 1)
		r = 0;
	else if (!r && argc - first > cmd->max_args)
		r = fail(c, "unexpected argument '%s'",
			 argv[first + cmd->max_args]);
	else if (!r)
		r = cmd->fn(c, argc - first, argv + first);
	free(c->opts);
	c->opts = NULL;
	return r;
}

static int dispatch(struct es_trace *t, int argc, char *const argv[],
		    unsigned int out_flags, FILE *out, FILE *err, int *code)
{
	const struct es_cmd *cmd = NULL;
	struct ctx c;
	char **av;
	size_t i, len;
	int ret;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.out = out ? out : stdout;
	c.err = err ? err : stderr;
	c.json = out_flags & (ES_OUT_JSON | ES_OUT_PRETTY);
	c.pretty = out_flags & ES_OUT_PRETTY;
	c.csv = out_flags & ES_OUT_CSV;
	*code = ES_ERR_USAGE;
	if (argc < 1 || !argv || !argv[0]) {
		fprintf(c.err, "earlyslab: no command (status, dump, timeline, owners, check, stats, export)\n");
		return 2;
	}
	len = strlen(argv[0]);
	for (i = 0; i < NR_COMMANDS; i++) {
		if (!strcmp(commands[i]->name, argv[0])) {
			cmd = commands[i];
			break;
		}
		if (len && !strncmp(commands[i]->name, argv[0], len)) {
			if (cmd) {
				fprintf(c.err, "earlyslab: ambiguous command '%s'\n",
					argv[0]);
				return 2;
			}
			cmd = commands[i];
		}
	}
	if (!cmd) {
		fprintf(c.err, "earlyslab: unknown command '%s' (status, dump, timeline, owners, check, stats, export)\n",
			argv[0]);
		return 2;
	}
	*code = ES_ERR_NOMEM;
	if (!t) {
		fprintf(c.err, "earlyslab: out of memory\n");
		return 2;
	}
	c.cmd = cmd->name;
	/* getopt permutes: work on a copy the caller does not see */
	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av) {
		fprintf(c.err, "earlyslab: out of memory\n");
		return 2;
	}
	for (i = 0; i < (size_t)argc; i++)
		av[i] = argv[i];
	optind = 0;
	opterr = 0;
	ret = run_cmd(&c, cmd, argc, av);
	free(av);
	fflush(c.out);
	*code = c.code ? c.code : ES_ERR_USAGE;
	return ret;
}

/* -j, --json, -p or --pretty, before the command or among its options */
static unsigned int json_flags(int argc, char *const argv[],
			       unsigned int out_flags)
{
	int i;

	for (i = 1; i < argc && argv && argv[i]; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			out_flags |= ES_OUT_JSON;
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			out_flags |= ES_OUT_JSON | ES_OUT_PRETTY;
	}
	return out_flags & (ES_OUT_JSON | ES_OUT_PRETTY);
}

/*
 * Under JSON output, an error is JSON too (bpftool's way): the one line
 * the command would print goes to the output as {"error": ..., "code": ...}
 * and nothing to the error stream; the exit code stays 2. Either way the
 * trace's es_error() and es_error_code() then tell what went wrong.
 */
int es_command(struct es_trace *t, int argc, char *const argv[],
	       unsigned int out_flags, FILE *out, FILE *err)
{
	unsigned int jf = json_flags(argc, argv, out_flags);
	FILE *cap, *eout = err ? err : stderr;
	char *ebuf = NULL, *msg, *nl;
	size_t elen = 0;
	int ret, code;

	cap = open_memstream(&ebuf, &elen);
	ret = dispatch(t, argc, argv, out_flags, out, cap ? cap : eout,
		       &code);
	if (!cap)
		return ret;
	fclose(cap);
	if (ret == 2 && elen) {
		msg = ebuf;
		if (!strncmp(msg, "earlyslab: ", 11))
			msg += 11;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		/* a command that printed the trace's error itself */
		if (code == ES_ERR_USAGE && t && t->err[0] &&
		    !strcmp(msg, t->err))
			code = es_error_code(t);
		if (t)
			es_set_error_code(t, code, "%s", msg);
		/* stdout refusing the JSON (a write error): say it anyway */
		if (!jf || es_error_json(out ? out : stdout, msg, code, jf))
			fprintf(eout, "earlyslab: %s\n", msg);
	} else if (elen) {
		fwrite(ebuf, 1, elen, eout);
	}
	free(ebuf);
	return ret;
}

int es_command_str(struct es_trace *t, int argc, char *const argv[],
		   unsigned int out_flags, char **out, char **err)
{
	size_t olen = 0, elen = 0;
	FILE *fo, *fe;
	int ret;

	*out = NULL;
	*err = NULL;
	fo = open_memstream(out, &olen);
	fe = open_memstream(err, &elen);
	if (!fo || !fe) {
		if (fo)
			fclose(fo);
		if (fe)
			fclose(fe);
		free(*out);
		free(*err);
		*out = NULL;
		*err = NULL;
		return 2;
	}
	ret = es_command(t, argc, argv, out_flags, fo, fe);
	fclose(fo);
	fclose(fe);
	return ret;
}
