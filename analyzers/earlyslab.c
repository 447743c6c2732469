// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab - read the kernel's early_slab_trace from a raw buffer, a QEMU
 * ELF dump or /proc/kcore, and show what the slab allocator did with page
 * frames during early boot. See earlyslab(8).
 *
 *   earlyslab [--vmlinux F] (--core F | --raw F) [-j|-p] COMMAND [options]
 *
 * The commands themselves are in libearlyslab (es_command()), shared with
 * the gdb front end; this file only finds the input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earlyslab.h"

#define EARLYSLAB_VERSION	"1.0"

/* ES_OUT_JSON/PRETTY if -j, --json, -p or --pretty is anywhere: errors
 * are then JSON on stdout, as the commands' are */
static unsigned int json_errors;

static int error_line(const char *msg, int code)
{
	if (!json_errors || es_error_json(stdout, msg, code, json_errors))
		fprintf(stderr, "earlyslab: %s\n", msg);
	return 2;
}

static int usage_error(const char *fmt, const char *arg)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), fmt, arg);

	if (n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n,
			 " (see earlyslab --help)");
	return error_line(msg, ES_ERR_USAGE);
}

/*
 * Take one of the input options out of argv wherever it is: they may be
 * written before or after the command. Returns 1 if argv[*i] was one
 * (and consumed it), 0 if not, -1 on a missing value.
 */
static int take_input_opt(int argc, char **argv, int *i, const char **vmlinux,
			  const char **core, const char **raw,
			  const char **bad)
{
	static const struct {
		const char *name;
		int which;
	} opts[] = { { "--vmlinux", 0 }, { "--core", 1 }, { "--raw", 2 } };
	const char **dst[3] = { vmlinux, core, raw };
	const char *a = argv[*i];
	size_t k, n;

	for (k = 0; k < 3; k++) {
		n = strlen(opts[k].name);
		if (strncmp(a, opts[k].name, n))
			continue;
		if (a[n] == '=') {
			*dst[opts[k].which] = a + n + 1;
			return 1;
		}
		if (a[n])
			continue;
		if (*i + 1 >= argc) {
			*bad = a;
			return -1;
		}
		*dst[opts[k].which] = argv[++*i];
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *vmlinux = NULL, *core = NULL, *raw = NULL, *bad = NULL;
	unsigned int flags = 0;
	struct es_trace *t;
	char **av;
	int ac = 0, i, opt, ret, help = 0;

	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av)
		return error_line("out of memory", ES_ERR_NOMEM);
	av[ac++] = argv[0];
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json_errors |= ES_OUT_JSON;
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			json_errors |= ES_OUT_JSON | ES_OUT_PRETTY;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				av[ac++] = argv[i++];
			break;
		}
		ret = take_input_opt(argc, argv, &i, &vmlinux, &core, &raw,
				     &bad);
		if (ret < 0) {
			free(av);
			return usage_error("option '%s' needs a file name",
					   bad);
		}
		if (!ret)
			av[ac++] = argv[i];
	}
	av[ac] = NULL;

	opterr = 0;
	while ((opt = getopt_long(ac, av, "+jphV", lo, NULL)) != -1) {
		switch (opt) {
		case 'j':
			flags |= ES_OUT_JSON;
			break;
		case 'p':
			flags |= ES_OUT_JSON | ES_OUT_PRETTY;
			break;
		case 'C':
			flags |= ES_OUT_CSV;
			break;
		case 'h':
			es_usage(stdout);
			free(av);
			return 0;
		case 'V':
			printf("earlyslab %s (trace format %d)\n",
			       EARLYSLAB_VERSION, 1);
			free(av);
			return 0;
		default:
			ret = usage_error("unknown option '%s'",
					  av[optind - 1]);
			free(av);
			return ret;
		}
	}
	if (optind >= ac) {
		free(av);
		return usage_error("%s", "no command (status, dump, timeline, owners, check, stats, export)");
	}
	for (i = optind; i < ac; i++)
		if (!strcmp(av[i], "-h") || !strcmp(av[i], "--help"))
			help = 1;

	t = es_trace_new();
	if (!t) {
		free(av);
		return error_line("out of memory", ES_ERR_NOMEM);
	}
	ret = 0;
	if (!help) {
		if (core && raw)
			ret = usage_error("%s", "give only one of --core and --raw");
		else if (!core && !raw)
			ret = usage_error("%s", "no trace: give --raw FILE or --core FILE");
		else if (vmlinux && es_set_vmlinux(t, vmlinux))
			ret = 2;
		else if (core && es_load_core(t, core))
			ret = 2;
		else if (raw && es_load_raw(t, raw))
			ret = 2;
		if (ret == 2 && (core || raw) && !(core && raw))
			error_line(es_error(t), es_error_code(t));
	}
	if (!ret)
		ret = es_command(t, ac - optind, av + optind, flags, stdout,
				 stderr);
	es_trace_free(t);
	free(av);
	return ret;
}
