// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the commands of earlyslab(8). They live in the library so
 * that every front end (the CLI, the gdb commands through ctypes) takes the
 * same options and prints the same output.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_out.h"

struct ctx {
	struct es_trace *t;
	FILE *out;
	FILE *err;
	const char *cmd;
	bool json, pretty, csv;
};

static int fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One line on stderr, exit code 2. */
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "earlyslab: %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return 2;
}

static int fail_trace(struct ctx *c)
{
	fprintf(c->err, "earlyslab: %s\n", es_error(c->t));
	return 2;
}

#define COMMON_LONGOPTS					\
	{ "json", no_argument, NULL, 'j' },		\
	{ "pretty", no_argument, NULL, 'p' },		\
	{ "csv", no_argument, NULL, 'C' },		\
	{ "help", no_argument, NULL, 'h' }

#define COMMON_SHORTOPTS	"+:jph"

enum { OPT_TYPE = 256, OPT_CACHE, OPT_PFN, OPT_PHASE, OPT_ALL, OPT_SORT,
	OPT_CULL, OPT_KIND, OPT_FORMAT, OPT_CLOCK, OPT_ERRORS, OPT_VERIFY };

static void usage_of(FILE *f, const char *cmd);

/*
 * Handle the options every command has; returns 0 if @opt was one, -1 if
 * not, 1 for --help (already printed).
 */
static int common_opt(struct ctx *c, int opt)
{
	switch (opt) {
	case 'j':
		c->json = true;
		return 0;
	case 'p':
		c->pretty = true;
		c->json = true;
		return 0;
	case 'C':
		c->csv = true;
		return 0;
	case 'h':
		usage_of(c->out, c->cmd);
		return 1;
	}
	return -1;
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

static int open_out(struct ctx *c, struct es_out *o)
{
	if (es_out_open(o, c->t, c->out, c->err, c->json, c->pretty, c->csv))
		return fail(c, "out of memory");
	return 0;
}

static int close_out(struct ctx *c, struct es_out *o, int ret)
{
	if (es_out_close(o) && !ret)
		return fail(c, "write error");
	return ret;
}

/* "A" or "A-B", decimal or 0x-hex. */
static int parse_range(const char *s, uint64_t *lo, uint64_t *hi)
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

/* "getpages,freepages" -> bit mask, with @lookup giving each name's bit. */
static int parse_names(struct ctx *c, const char *what, const char *list,
		       int (*lookup)(const char *), const char *valid,
		       uint32_t *mask)
{
	char *dup = strdup(list), *tok, *save = NULL;
	int v;

	if (!dup)
		return fail(c, "out of memory");
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

#define TYPE_NAMES	"getpages, freepages, skip, phase, slab_state, large"
#define PHASE_NAMES	"boot, early, free_all, window, up, full"

static const char *node_text(char *b, size_t n, int32_t nid, int32_t req)
{
	if (req == EST_NO_NODE)
		snprintf(b, n, "%d/-", nid);
	else
		snprintf(b, n, "%d/%d", nid, req);
	return b;
}

static const char *source_name(uint32_t s)
{
	switch (s) {
	case ES_SRC_RAW:
		return "raw";
	case ES_SRC_CORE:
		return "core";
	case ES_SRC_KCORE:
		return "kcore";
	case ES_SRC_MEMORY:
		return "memory";
	}
	return "none";
}

/* SLAB's enum slab_state in 6.1 */
static const char *slab_state_name(uint64_t v)
{
	static const char *const names[] = {
		"DOWN", "PARTIAL", "PARTIAL_NODE", "UP", "FULL"
	};

	return v < 5 ? names[v] : "?";
}

/* ---- status ------------------------------------------------------------- */

static int cmd_status(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS, { 0 } };
	struct es_status st;
	struct es_out o;
	int opt, r;
	uint32_t i;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1)
		if ((r = common_opt(c, opt)))
			return r > 0 ? 0 : bad_opt(c, argv, opt);
	if (optind < argc)
		return fail(c, "unexpected argument '%s'", argv[optind]);
	if (es_get_status(c->t, &st))
		return fail_trace(c);
	if ((r = open_out(c, &o)))
		return r;
	if (o.json) {
		jmap_open(&o);
		jk_str(&o, "file", c->t->name);
		jk_str(&o, "source", source_name(st.source));
		jk_hex(&o, "magic", st.magic);
		jk_bool(&o, "magic_ok", st.magic == EST_MAGIC);
		jk_u64(&o, "version", st.version);
		jk_u64(&o, "header_size", st.header_size);
		jk_u64(&o, "record_size", st.record_size);
		jk_hex(&o, "flags", st.flags);
		jk_bool(&o, "keep_oldest", st.flags & EST_F_KEEP_OLDEST);
		jk_u64(&o, "capacity", st.capacity);
		jk_u64(&o, "head", st.head);
		jk_u64(&o, "lost", st.lost);
		jk_str(&o, "phase", es_phase_name(st.phase));
		jk_str(&o, "last_phase", es_phase_name(st.last_phase));
		jk_u64(&o, "slots", st.slots);
		jk_u64(&o, "committed", st.committed);
		jk_u64(&o, "torn", st.torn);
		jk_u64(&o, "pending", st.pending);
		jk_u64(&o, "bad", st.bad);
		jkey(&o, "by_type");
		jmap_open(&o);
		for (i = 1; i < EST_EV_MAX; i++)
			jk_u64(&o, es_type_name(i), st.by_type[i]);
		jk_u64(&o, "other", st.by_type[0]);
		jmap_close(&o);
		jk_bool(&o, "complete", es_trace_complete(c->t));
		if (st.source == ES_SRC_CORE || st.source == ES_SRC_KCORE) {
			jk_hex(&o, "buffer_addr", st.buffer_addr);
			if (st.source == ES_SRC_CORE && c->t->vmlinux)
				jk_hex(&o, "phys_base", st.phys_base);
		}
		jk_u64(&o, "first_ts", st.first_ts);
		jk_u64(&o, "last_ts", st.last_ts);
		jmap_close(&o);
	} else if (o.csv) {
		fprintf(o.f, "field,value\n");
		fprintf(o.f, "magic,0x%" PRIx64 "\nversion,%u\nheader_size,%u\n"
			"record_size,%u\nflags,0x%x\ncapacity,%u\nhead,%" PRIu64
			"\nlost,%" PRIu64 "\nphase,%s\nlast_phase,%s\nslots,%"
			PRIu64 "\ncommitted,%" PRIu64 "\ntorn,%" PRIu64
			"\npending,%" PRIu64 "\nbad,%" PRIu64 "\n",
			st.magic, st.version, st.header_size, st.record_size,
			st.flags, st.capacity, st.head, st.lost,
			es_phase_name(st.phase), es_phase_name(st.last_phase),
			st.slots, st.committed, st.torn, st.pending, st.bad);
		for (i = 1; i < EST_EV_MAX; i++)
			fprintf(o.f, "%s,%" PRIu64 "\n", es_type_name(i),
				st.by_type[i]);
	} else {
		fprintf(o.f, "file          %s (%s)\n", c->t->name,
			source_name(st.source));
		if (st.source == ES_SRC_KCORE)
			fprintf(o.f, "address       virt 0x%" PRIx64 "\n",
				st.buffer_addr);
		else if (st.source == ES_SRC_CORE && c->t->vmlinux)
			fprintf(o.f, "address       phys 0x%" PRIx64
				" (phys_base 0x%" PRIx64 ")\n",
				st.buffer_addr, st.phys_base);
		else if (st.source == ES_SRC_CORE)
			fprintf(o.f, "address       phys 0x%" PRIx64
				" (found by its header)\n", st.buffer_addr);
		fprintf(o.f, "magic         0x%016" PRIx64 " (%s)\n", st.magic,
			st.magic == EST_MAGIC ? "ok" : "bad");
		fprintf(o.f, "version       %u\n", st.version);
		fprintf(o.f, "sizes         header %u, record %u\n",
			st.header_size, st.record_size);
		fprintf(o.f, "capacity      %u records%s\n", st.capacity,
			st.flags & EST_F_KEEP_OLDEST ? " (keep-oldest)" : "");
		fprintf(o.f, "head          %" PRIu64 "\n", st.head);
		fprintf(o.f, "lost          %" PRIu64 "\n", st.lost);
		fprintf(o.f, "phase         %s (last reached: %s)\n",
			es_phase_name(st.phase), es_phase_name(st.last_phase));
		fprintf(o.f, "slots         %" PRIu64 ": %" PRIu64
			" committed, %" PRIu64 " torn, %" PRIu64
			" pending, %" PRIu64 " bad\n", st.slots,
			st.committed, st.torn, st.pending, st.bad);
		fprintf(o.f, "events       ");
		for (i = 1; i < EST_EV_MAX; i++)
			fprintf(o.f, " %s %" PRIu64 "%s", es_type_name(i),
				st.by_type[i], i + 1 < EST_EV_MAX ? "," : "");
		if (st.by_type[0])
			fprintf(o.f, ", other %" PRIu64, st.by_type[0]);
		fputc('\n', o.f);
	}
	return close_out(c, &o, 0);
}

/* ---- dump --------------------------------------------------------------- */

static void emit_event_json(struct es_out *o, const struct es_event *ev)
{
	jmap_open(o);
	jk_u64(o, "seq", ev->seq);
	if (ev->status != ES_SLOT_OK) {
		jk_str(o, "status", es_slot_name(ev->status));
		jmap_close(o);
		return;
	}
	jk_str(o, "type", es_type_name(ev->type));
	jk_str(o, "phase", es_phase_name(ev->phase));
	jk_u64(o, "order", ev->order);
	jk_str(o, "path", es_path_name(ev->path));
	jk_int(o, "nid_req", ev->nid_req);
	jk_int(o, "nid", ev->nid);
	jk_u64(o, "cpu", ev->cpu);
	jk_u64(o, "flags", ev->flags);
	jk_bool(o, "early", ev->flags & EST_RF_EARLY_PAGE);
	jk_u64(o, "pfn", ev->pfn);
	jk_hex(o, "cache", ev->cache);
	jk_str(o, "name", ev->name);
	jk_caller(o, "caller", ev->caller);
	jk_u64(o, "ts", ev->ts);
	jk_u64(o, "arg", ev->arg);
	if (ev->type >= EST_EV_MAX || !ev->type)
		jk_u64(o, "type_value", ev->type);
	jmap_close(o);
}

static void emit_event_csv(struct es_out *o, const struct es_event *ev)
{
	char buf[512];

	csv_u64(o, false, ev->seq);
	if (ev->status != ES_SLOT_OK) {
		csv_field(o, true, es_slot_name(ev->status));
		fputs(",,,,,,,,,,,,,,,\n", o->f);
		return;
	}
	csv_field(o, true, "ok");
	csv_field(o, true, es_type_name(ev->type));
	csv_field(o, true, es_phase_name(ev->phase));
	csv_u64(o, true, ev->order);
	csv_field(o, true, es_path_name(ev->path));
	csv_int(o, true, ev->nid_req);
	csv_int(o, true, ev->nid);
	csv_u64(o, true, ev->cpu);
	csv_u64(o, true, ev->flags);
	csv_hex(o, true, ev->pfn);
	csv_hex(o, true, ev->cache);
	csv_field(o, true, ev->name);
	csv_hex(o, true, ev->caller);
	csv_field(o, true, o->t->vmlinux ?
		  es_format_caller(o->t, ev->caller, buf, sizeof(buf)) : "");
	csv_u64(o, true, ev->ts);
	csv_u64(o, true, ev->arg);
	fputc('\n', o->f);
}

static void emit_event_text(struct es_out *o, const struct es_event *ev)
{
	char node[32], pfn[24], ord[8], extra[64], caller[512];
	const char *path;

	if (ev->status != ES_SLOT_OK) {
		fprintf(o->f, "%8" PRIu64 "  (%s slot: %s)\n", ev->seq,
			es_slot_name(ev->status),
			ev->status == ES_SLOT_TORN ? "writer interrupted" :
			ev->status == ES_SLOT_PENDING ? "reserved, not written" :
			"wrong sequence number or state");
		return;
	}
	extra[0] = '\0';
	switch (ev->type) {
	case EST_EV_PHASE:
		snprintf(extra, sizeof(extra), "[-> %s]",
			 es_phase_name(ev->phase));
		break;
	case EST_EV_SLAB_STATE:
		snprintf(extra, sizeof(extra), "[slab_state=%s(%" PRIu64 ")]",
			 slab_state_name(ev->arg), ev->arg);
		break;
	case EST_EV_SKIP:
		snprintf(extra, sizeof(extra), "[pages=%" PRIu64 "]",
			 ev->arg ? ev->arg : (uint64_t)1 << (ev->order & 63));
		break;
	case EST_EV_LARGE:
		snprintf(extra, sizeof(extra), "[size=%" PRIu64 "]", ev->arg);
		break;
	case EST_EV_NOPAGES:
		snprintf(extra, sizeof(extra), "[%s]",
			 ev->arg == EST_NOPAGES_MEMBLOCK ? "memblock exhausted" :
			 ev->arg == EST_NOPAGES_TABLE ? "early slab table full" :
			 "unknown reason");
		break;
	case EST_EV_MARK:
		snprintf(extra, sizeof(extra), "[%s]",
			 ev->arg == EST_MARK_PERCPU ? "per-CPU switch" :
			 "unknown mark");
		break;
	case EST_EV_GETPAGES:
		if (ev->flags & EST_RF_EARLY_PAGE)
			snprintf(extra, sizeof(extra), "[early page]");
		break;
	}
	if (es_event_pages(ev) || ev->type == EST_EV_GETPAGES ||
	    ev->type == EST_EV_FREEPAGES) {
		snprintf(pfn, sizeof(pfn), "0x%" PRIx64, ev->pfn);
		snprintf(ord, sizeof(ord), "%u", ev->order);
	} else {
		strcpy(pfn, "-");
		strcpy(ord, "-");
	}
	path = ev->path ? es_path_name(ev->path) : "-";
	if (ev->type == EST_EV_PHASE || ev->type == EST_EV_SLAB_STATE ||
	    ev->type == EST_EV_MARK)
		strcpy(node, "-");
	else
		node_text(node, sizeof(node), ev->nid, ev->nid_req);
	fprintf(o->f, "%8" PRIu64 " %3u %-8s %-10s %-12s %3s %-8s %-6s %-16s %s%s%s\n",
		ev->seq, ev->cpu, es_phase_name(ev->phase),
		es_type_name(ev->type), pfn, ord, path, node,
		ev->name[0] ? ev->name : "-",
		ev->caller ? caller_text(o, ev->caller, caller,
					 sizeof(caller), false) : "-",
		extra[0] ? " " : "", extra);
}

struct dump_ctx {
	struct es_out *o;
	uint64_t n;
};

static int dump_one(const struct es_event *ev, void *arg)
{
	struct dump_ctx *d = arg;

	if (d->o->json)
		emit_event_json(d->o, ev);
	else if (d->o->csv)
		emit_event_csv(d->o, ev);
	else
		emit_event_text(d->o, ev);
	d->n++;
	return ferror(d->o->f) ? -1 : 0;
}

static int cmd_dump(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		COMMON_LONGOPTS,
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "pfn", required_argument, NULL, OPT_PFN },
		{ "phase", required_argument, NULL, OPT_PHASE },
		{ "all", no_argument, NULL, OPT_ALL },
		{ 0 }
	};
	struct es_filter f = { 0 };
	struct dump_ctx d = { 0 };
	struct es_out o;
	int opt, r;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1) {
		switch (opt) {
		case OPT_TYPE:
			if ((r = parse_names(c, "type", optarg,
					     es_type_from_name, TYPE_NAMES,
					     &f.types)))
				return r;
			break;
		case OPT_PHASE:
			if ((r = parse_names(c, "phase", optarg,
					     es_phase_from_name, PHASE_NAMES,
					     &f.phases)))
				return r;
			break;
		case OPT_CACHE:
			f.cache = optarg;
			break;
		case OPT_PFN:
			if (parse_range(optarg, &f.pfn_lo, &f.pfn_hi))
				return fail(c, "bad pfn range '%s' (expected PFN or FIRST-LAST)",
					    optarg);
			f.has_pfn = 1;
			break;
		case OPT_ALL:
			f.all_slots = 1;
			break;
		default:
			if ((r = common_opt(c, opt)))
				return r > 0 ? 0 : bad_opt(c, argv, opt);
		}
	}
	if (optind < argc)
		return fail(c, "unexpected argument '%s'", argv[optind]);
	if (!es_loaded(c->t))
		return fail_trace(c);
	if ((r = open_out(c, &o)))
		return r;
	d.o = &o;
	if (o.json)
		jarr_open(&o);
	else if (o.csv)
		fprintf(o.f, "seq,status,type,phase,order,path,nid_req,nid,cpu,flags,pfn,cache,name,caller,caller_sym,ts,arg\n");
	else
		fprintf(o.f, "%8s %3s %-8s %-10s %-12s %3s %-8s %-6s %-16s %s\n",
			"SEQ", "CPU", "PHASE", "EVENT", "PFN", "ORD", "PATH",
			"NID/RQ", "CACHE", "CALLER");
	r = es_foreach_event(c->t, &f, dump_one, &d);
	if (o.json)
		jarr_close(&o);
	r = close_out(c, &o, r ? fail(c, "write error") : 0);
	return r;
}

/* ---- runs (timeline, owners) -------------------------------------------- */

static const char *run_state(const struct es_run *run)
{
	if (run->flags & ES_RUN_LIVE)
		return "live";
	if (run->flags & ES_RUN_REPLACED)
		return "replaced";
	if (run->flags & ES_RUN_NO_ALLOC)
		return "free_only";
	return "freed";
}

void es_emit_run(struct es_out *o, const struct es_run *run)
{
	bool freed = run->free_seq != ES_NO_SEQ;

	jmap_open(o);
	jk_u64(o, "pfn", run->pfn);
	jk_u64(o, "order", run->order);
	jk_u64(o, "pages", 1ULL << run->order);
	jk_hex(o, "cache", run->cache);
	jk_str(o, "name", run->name);
	jk_int(o, "node", run->nid);
	jk_int(o, "nid_req", run->nid_req);
	jk_str(o, "state", run_state(run));
	jk_bool(o, "early", run->flags & ES_RUN_EARLY);
	jk_bool(o, "skipped", run->flags & ES_RUN_SKIPPED);
	jk_seq(o, "alloc_seq", run->alloc_seq);
	if (run->alloc_seq != ES_NO_SEQ) {
		jk_str(o, "alloc_phase", es_phase_name(run->alloc_phase));
		jk_str(o, "alloc_path", es_path_name(run->alloc_path));
		jk_caller(o, "alloc_caller", run->alloc_caller);
		jk_u64(o, "alloc_ts", run->alloc_ts);
	}
	jk_seq(o, "free_seq", run->free_seq);
	if (freed) {
		jk_str(o, "free_phase", es_phase_name(run->free_phase));
		jk_str(o, "free_path", es_path_name(run->free_path));
		jk_caller(o, "free_caller", run->free_caller);
		jk_u64(o, "free_ts", run->free_ts);
	}
	jmap_close(o);
}

static void run_text(struct es_out *o, const struct es_run *run)
{
	char a[24], b[24], seqs[64], node[32], ca[512], cf[512];

	if (run->alloc_seq == ES_NO_SEQ)
		strcpy(a, "?");
	else
		snprintf(a, sizeof(a), "%" PRIu64, run->alloc_seq);
	if (run->free_seq == ES_NO_SEQ)
		b[0] = '\0';
	else
		snprintf(b, sizeof(b), "%" PRIu64, run->free_seq);
	snprintf(seqs, sizeof(seqs), "%s-%s", a, b);
	fprintf(o->f, "  seq %-15s %-16s order %u pfn 0x%" PRIx64 " node %s",
		seqs, run->name[0] ? run->name : "-", run->order, run->pfn,
		node_text(node, sizeof(node), run->nid, run->nid_req));
	if (run->alloc_seq != ES_NO_SEQ)
		fprintf(o->f, "  got %s/%s%s by %s", es_phase_name(run->alloc_phase),
			es_path_name(run->alloc_path),
			run->flags & ES_RUN_SKIPPED ? " skipped" : "",
			caller_text(o, run->alloc_caller, ca, sizeof(ca), false));
	if (run->free_seq != ES_NO_SEQ)
		fprintf(o->f, "  freed %s/%s by %s",
			es_phase_name(run->free_phase),
			es_path_name(run->free_path),
			caller_text(o, run->free_caller, cf, sizeof(cf), false));
	else
		fprintf(o->f, "  %s", run_state(run));
	fputc('\n', o->f);
}

static void run_csv(struct es_out *o, uint64_t pfn, const struct es_run *run)
{
	char buf[512];

	csv_hex(o, false, pfn);
	csv_hex(o, true, run->pfn);
	csv_u64(o, true, run->order);
	csv_hex(o, true, run->cache);
	csv_field(o, true, run->name);
	csv_int(o, true, run->nid);
	csv_int(o, true, run->nid_req);
	csv_field(o, true, run_state(run));
	if (run->alloc_seq == ES_NO_SEQ)
		csv_field(o, true, "");
	else
		csv_u64(o, true, run->alloc_seq);
	csv_field(o, true, es_phase_name(run->alloc_phase));
	csv_field(o, true, es_path_name(run->alloc_path));
	csv_field(o, true, es_format_caller(o->t, run->alloc_caller, buf,
					    sizeof(buf)));
	if (run->free_seq == ES_NO_SEQ) {
		fputs(",,,,", o->f);
	} else {
		csv_u64(o, true, run->free_seq);
		csv_field(o, true, es_phase_name(run->free_phase));
		csv_field(o, true, es_path_name(run->free_path));
		csv_field(o, true, es_format_caller(o->t, run->free_caller,
						    buf, sizeof(buf)));
	}
	fputc('\n', o->f);
}

#define RUN_CSV_HEADER "pfn,slab_pfn,order,cache,name,node,nid_req,state,alloc_seq,alloc_phase,alloc_path,alloc_caller,free_seq,free_phase,free_path,free_caller\n"

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
			run_csv(o, pfn, &runs[i]);
	} else {
		fprintf(o->f, "pfn 0x%" PRIx64 ": %zu run%s\n", pfn, n,
			n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			run_text(o, &runs[i]);
	}
	return ferror(o->f) ? -1 : 0;
}

static int cmd_timeline(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		COMMON_LONGOPTS,
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "pfn", required_argument, NULL, OPT_PFN },
		{ 0 }
	};
	struct es_select sel = { 0 };
	struct tl_out d = { 0 };
	struct es_out o;
	int opt, r;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1) {
		switch (opt) {
		case OPT_CACHE:
			sel.cache = optarg;
			break;
		case OPT_PFN:
			if (parse_range(optarg, &sel.pfn_lo, &sel.pfn_hi))
				return fail(c, "bad pfn range '%s' (expected PFN or FIRST-LAST)",
					    optarg);
			sel.has_pfn = 1;
			break;
		default:
			if ((r = common_opt(c, opt)))
				return r > 0 ? 0 : bad_opt(c, argv, opt);
		}
	}
	if (optind < argc) {
		if (sel.has_pfn || optind + 1 < argc)
			return fail(c, "unexpected argument '%s'",
				    argv[optind + (sel.has_pfn ? 0 : 1)]);
		if (parse_range(argv[optind], &sel.pfn_lo, &sel.pfn_hi))
			return fail(c, "bad pfn range '%s' (expected PFN or FIRST-LAST)",
				    argv[optind]);
		sel.has_pfn = 1;
	}
	if (!es_loaded(c->t))
		return fail_trace(c);
	if ((r = open_out(c, &o)))
		return r;
	d.o = &o;
	if (o.json) {
		jmap_open(&o);
		jkey(&o, "pfns");
		jarr_open(&o);
	} else if (o.csv) {
		fputs(RUN_CSV_HEADER, o.f);
	}
	r = es_timeline(c->t, &sel, timeline_pfn, &d);
	if (o.json) {
		jarr_close(&o);
		jmap_close(&o);
	} else if (!o.csv && !r && !d.npfn) {
		fprintf(o.f, "no page frame of the trace matches\n");
	}
	if (r < 0 && c->t->err[0] && strstr(c->t->err, "memory"))
		r = fail_trace(c);
	else if (r)
		r = fail(c, "write error");
	return close_out(c, &o, r);
}

/* ---- owners ------------------------------------------------------------- */

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

enum vstate { V_NONE, V_OK, V_NOT_SLAB, V_OTHER_CACHE, V_UNREADABLE };

static const char *const vstate_names[] = {
	[V_NONE] = "-", [V_OK] = "ok", [V_NOT_SLAB] = "not_slab",
	[V_OTHER_CACHE] = "other_cache", [V_UNREADABLE] = "unreadable",
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
		return fail(c, "out of memory");
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

		fputs(i ? ", " : ": ", o->f);
		switch (cull[i].key) {
		case K_CACHE:
			fprintf(o->f, "cache %s (0x%" PRIx64 ")",
				r->name[0] ? r->name : "-", r->cache);
			break;
		case K_ORDER:
			fprintf(o->f, "order %u", r->order);
			break;
		case K_NODE:
			fprintf(o->f, "node %d", r->nid);
			break;
		case K_CALLER:
			fprintf(o->f, "caller %s",
				caller_text(o, r->alloc_caller, buf,
					    sizeof(buf), true));
			break;
		case K_PHASE:
			fprintf(o->f, "phase %s", es_phase_name(r->alloc_phase));
			break;
		case K_PATH:
			fprintf(o->f, "path %s", es_path_name(r->alloc_path));
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
	fputc('\n', o->f);
}

static void owner_csv(struct es_out *o, const struct es_run *r)
{
	char buf[512];

	csv_hex(o, false, r->pfn);
	csv_u64(o, true, r->order);
	csv_u64(o, true, 1ULL << r->order);
	csv_hex(o, true, r->cache);
	csv_field(o, true, r->name);
	csv_int(o, true, r->nid);
	csv_int(o, true, r->nid_req);
	csv_u64(o, true, r->alloc_seq);
	csv_field(o, true, es_phase_name(r->alloc_phase));
	csv_field(o, true, es_path_name(r->alloc_path));
	csv_u64(o, true, !!(r->flags & ES_RUN_EARLY));
	csv_u64(o, true, !!(r->flags & ES_RUN_SKIPPED));
	csv_field(o, true, es_format_caller(o->t, r->alloc_caller, buf,
					    sizeof(buf)));
	fputc('\n', o->f);
}

static void owner_json(struct es_out *o, const struct group *g)
{
	const struct es_run *r = &g->run;

	jmap_open(o);
	jk_u64(o, "pfn", r->pfn);
	jk_u64(o, "order", r->order);
	jk_u64(o, "pages", 1ULL << r->order);
	jk_hex(o, "cache", r->cache);
	jk_str(o, "name", r->name);
	jk_int(o, "node", r->nid);
	jk_int(o, "nid_req", r->nid_req);
	jk_u64(o, "alloc_seq", r->alloc_seq);
	jk_str(o, "phase", es_phase_name(r->alloc_phase));
	jk_str(o, "path", es_path_name(r->alloc_path));
	jk_bool(o, "early", r->flags & ES_RUN_EARLY);
	jk_bool(o, "skipped", r->flags & ES_RUN_SKIPPED);
	jk_caller(o, "caller", r->alloc_caller);
	if (g->v != V_NONE) {
		jk_bool(o, "verified", g->v == V_OK);
		jk_str(o, "verify", vstate_names[g->v]);
		if (g->v != V_UNREADABLE) {
			jkey(o, "page");
			jmap_open(o);
			jk_hex(o, "flags", g->pg.flags);
			jk_bool(o, "pg_slab", g->pg.slab);
			jk_hex(o, "slab_cache", g->pg.slab_cache);
			jk_int(o, "refcount", g->pg.refcount);
			jmap_close(o);
		}
	}
	jmap_close(o);
}

/* Hold each owner against its struct page in the dump; count mismatches. */
static int verify_owners(struct ctx *c, struct owners_vec *ov,
			 uint64_t *bad)
{
	size_t i;

	*bad = 0;
	for (i = 0; i < ov->nr; i++) {
		struct group *g = &ov->v[i];

		if (es_read_page(c->t, g->run.pfn, &g->pg)) {
			/* no layout at all is an input error */
			if (c->t->pl.done && !c->t->pl.ok)
				return fail_trace(c);
			g->v = V_UNREADABLE;
		} else if (!g->pg.slab) {
			g->v = V_NOT_SLAB;
		} else if (g->pg.slab_cache != g->run.cache) {
			g->v = V_OTHER_CACHE;
		} else {
			g->v = V_OK;
		}
		*bad += g->v != V_OK;
	}
	return 0;
}

static int cmd_owners(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		COMMON_LONGOPTS,
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "cull", required_argument, NULL, OPT_CULL },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ 0 }
	};
	static const char sort_valid[] =
		"pfn, order, cache, node, seq, caller, phase, path, pages, count";
	static const char cull_valid[] =
		"cache, order, node, caller, phase, path";
	struct sortkey sort[K_MAX], cull[K_MAX];
	int nsort = 0, ncull = 0, opt, r;
	struct owners_vec ov = { 0 };
	const char *cache = NULL;
	uint64_t pages = 0, bad = 0;
	bool verify = false;
	struct es_out o;
	size_t i, j, n;
	char buf[512], node[32];

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1) {
		switch (opt) {
		case OPT_SORT:
			if ((r = parse_keys(c, "sort", optarg, sort, &nsort,
					    true, sort_valid)))
				return r;
			break;
		case OPT_CULL:
			if ((r = parse_keys(c, "cull", optarg, cull, &ncull,
					    false, cull_valid)))
				return r;
			break;
		case OPT_CACHE:
			cache = optarg;
			break;
		case OPT_VERIFY:
			verify = true;
			break;
		default:
			if ((r = common_opt(c, opt)))
				return r > 0 ? 0 : bad_opt(c, argv, opt);
		}
	}
	if (optind < argc)
		return fail(c, "unexpected argument '%s'", argv[optind]);
	if (verify && ncull)
		return fail(c, "--verify lists slabs one by one: not with --cull");
	if (!es_loaded(c->t))
		return fail_trace(c);
	if (verify && (!c->t->core || !c->t->vmlinux))
		return fail(c, "--verify needs --core and --vmlinux (struct pages are read from the dump)");
	r = es_owners(c->t, owners_collect, &ov);
	if (r) {
		free(ov.v);
		return r < 0 && c->t->err[0] ? fail_trace(c) :
					       fail(c, "out of memory");
	}
	/* --cache */
	for (i = j = 0; i < ov.nr; i++)
		if (es_cache_match(cache, ov.v[i].run.cache, ov.v[i].run.name))
			ov.v[j++] = ov.v[i];
	ov.nr = j;
	for (i = 0; i < ov.nr; i++)
		pages += ov.v[i].pages;
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

	if ((r = open_out(c, &o))) {
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
			fputs("count,pages", o.f);
			for (i = 0; i < (size_t)ncull; i++)
				fprintf(o.f, ",%s", okey_names[cull[i].key]);
			fputc('\n', o.f);
		} else {
			fputs("pfn,order,pages,cache,name,node,nid_req,alloc_seq,phase,path,early,skipped,caller\n",
			      o.f);
		}
		for (i = 0; i < n; i++) {
			if (ncull)
				group_csv(&o, &ov.v[i], cull, ncull);
			else
				owner_csv(&o, &ov.v[i].run);
		}
	} else if (ncull) {
		for (i = 0; i < n; i++) {
			fprintf(o.f, "%" PRIu64 " time%s, %" PRIu64 " page%s",
				ov.v[i].count, ov.v[i].count == 1 ? "" : "s",
				ov.v[i].pages, ov.v[i].pages == 1 ? "" : "s");
			group_key_text(&o, &ov.v[i], cull, ncull);
			fputc('\n', o.f);
		}
		fprintf(o.f, "%zu slab%s, %" PRIu64 " page%s still owned\n",
			ov.nr, ov.nr == 1 ? "" : "s", pages,
			pages == 1 ? "" : "s");
	} else {
		fprintf(o.f, "%-12s %3s %-6s %-16s %-18s %8s %-8s %-8s %s%s\n",
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
			fprintf(o.f, "%-12s %3u %-6s %-16s %-18s %8" PRIu64
				" %-8s %-8s %s%s\n", pfn, rr->order,
				node_text(node, sizeof(node), rr->nid,
					  rr->nid_req),
				rr->name[0] ? rr->name : "-", kc, rr->alloc_seq,
				es_phase_name(rr->alloc_phase),
				es_path_name(rr->alloc_path), vs,
				caller_text(&o, rr->alloc_caller, buf,
					    sizeof(buf), false));
		}
		fprintf(o.f, "%zu slab%s, %" PRIu64 " page%s still owned\n",
			ov.nr, ov.nr == 1 ? "" : "s", pages,
			pages == 1 ? "" : "s");
		if (verify)
			fprintf(o.f, "%" PRIu64 " of %zu agree with their struct page in the dump (PG_slab, slab_cache)\n",
				(uint64_t)ov.nr - bad, ov.nr);
	}
	free(ov.v);
	/* like check: 1 when the dump disagrees with the trace */
	return close_out(c, &o, bad ? 1 : 0);
}

/* ---- check -------------------------------------------------------------- */

struct check_out {
	struct es_out *o;
	uint32_t kinds;		/* 0 = all */
	bool errors_only;
	uint64_t shown_err, shown_warn;
};

static int check_one(const struct es_anomaly *a, void *arg)
{
	struct check_out *d = arg;
	struct es_out *o = d->o;
	char buf[512], seq[24], pfn[24];

	if (d->kinds && !(d->kinds & (1U << a->kind)))
		return 0;
	if (d->errors_only && a->severity != ES_SEV_ERROR)
		return 0;
	if (a->severity == ES_SEV_ERROR)
		d->shown_err++;
	else
		d->shown_warn++;
	if (o->json) {
		jmap_open(o);
		jk_str(o, "kind", es_kind_name(a->kind));
		jk_str(o, "severity", es_severity_name(a->severity));
		jk_seq(o, "seq", a->seq);
		jkey(o, "pfn");
		if (a->pfn == ES_NO_PFN)
			jnull(o);
		else
			ju64(o, a->pfn);
		jk_hex(o, "cache", a->cache);
		jk_str(o, "name", a->name);
		jk_caller(o, "caller", a->caller);
		jk_seq(o, "other_seq", a->other_seq);
		jk_u64(o, "order", a->order);
		jk_str(o, "phase", es_phase_name(a->phase));
		jk_u64(o, "count", a->count);
		jk_str(o, "detail", a->detail);
		jmap_close(o);
	} else if (o->csv) {
		csv_field(o, false, es_kind_name(a->kind));
		csv_field(o, true, es_severity_name(a->severity));
		if (a->seq == ES_NO_SEQ)
			csv_field(o, true, "");
		else
			csv_u64(o, true, a->seq);
		if (a->pfn == ES_NO_PFN)
			csv_field(o, true, "");
		else
			csv_hex(o, true, a->pfn);
		csv_hex(o, true, a->cache);
		csv_field(o, true, a->name);
		csv_hex(o, true, a->caller);
		csv_field(o, true, o->t->vmlinux ?
			  caller_text(o, a->caller, buf, sizeof(buf), true) : "");
		if (a->other_seq == ES_NO_SEQ)
			csv_field(o, true, "");
		else
			csv_u64(o, true, a->other_seq);
		csv_field(o, true, a->detail);
		fputc('\n', o->f);
	} else {
		if (a->seq == ES_NO_SEQ)
			strcpy(seq, "-");
		else
			snprintf(seq, sizeof(seq), "%" PRIu64, a->seq);
		if (a->pfn == ES_NO_PFN)
			strcpy(pfn, "-");
		else
			snprintf(pfn, sizeof(pfn), "0x%" PRIx64, a->pfn);
		fprintf(o->f, "%-7s %-16s seq %-8s pfn %-10s", 
			es_severity_name(a->severity), es_kind_name(a->kind),
			seq, pfn);
		if (a->cache || a->name[0])
			fprintf(o->f, " %s (0x%" PRIx64 ")",
				a->name[0] ? a->name : "-", a->cache);
		if (a->caller)
			fprintf(o->f, " by %s",
				caller_text(o, a->caller, buf, sizeof(buf),
					    true));
		fprintf(o->f, ": %s\n", a->detail);
	}
	return ferror(o->f) ? -1 : 0;
}

static int kind_from_name(const char *name)
{
	int k;

	for (k = 0; k < ES_K_MAX; k++)
		if (!strcmp(name, es_kind_name((uint32_t)k)))
			return k;
	return -1;
}

static int cmd_check(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		COMMON_LONGOPTS,
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "errors", no_argument, NULL, OPT_ERRORS },
		{ 0 }
	};
	struct check_out d = { 0 };
	struct es_status st;
	struct es_out o;
	int opt, r, errors;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1) {
		switch (opt) {
		case OPT_KIND:
			if ((r = parse_names(c, "kind", optarg, kind_from_name,
					     "window_free, double_free, free_unallocated, overlap, order_mismatch, cache_mismatch, missed_skip, spurious_skip, bad_record, node_mismatch, lost_events, torn_record, pending_record",
					     &d.kinds)))
				return r;
			break;
		case OPT_ERRORS:
			d.errors_only = true;
			break;
		default:
			if ((r = common_opt(c, opt)))
				return r > 0 ? 0 : bad_opt(c, argv, opt);
		}
	}
	if (optind < argc)
		return fail(c, "unexpected argument '%s'", argv[optind]);
	if (es_get_status(c->t, &st))
		return fail_trace(c);
	if ((r = open_out(c, &o)))
		return r;
	d.o = &o;
	if (o.json) {
		jmap_open(&o);
		jk_str(&o, "file", c->t->name);
		jkey(&o, "anomalies");
		jarr_open(&o);
	} else if (o.csv) {
		fputs("kind,severity,seq,pfn,cache,name,caller,caller_sym,other_seq,detail\n",
		      o.f);
	}
	errors = es_check(c->t, check_one, &d);
	if (o.json) {
		jarr_close(&o);
		jk_u64(&o, "errors", d.shown_err);
		jk_u64(&o, "warnings", d.shown_warn);
		jk_u64(&o, "events", st.committed);
		jk_bool(&o, "complete", es_trace_complete(c->t));
		jmap_close(&o);
	} else if (!o.csv && errors >= 0) {
		fprintf(o.f, "%" PRIu64 " error%s, %" PRIu64 " warning%s in %"
			PRIu64 " events%s\n", d.shown_err,
			d.shown_err == 1 ? "" : "s", d.shown_warn,
			d.shown_warn == 1 ? "" : "s", st.committed,
			es_trace_complete(c->t) ? "" :
			" (trace incomplete: see status)");
	}
	if (errors < 0) {
		close_out(c, &o, 2);
		return c->t->err[0] ? fail_trace(c) : fail(c, "write error");
	}
	return close_out(c, &o, d.shown_err ? 1 : 0);
}

/* ---- stats -------------------------------------------------------------- */

#define NR_NODE_SLOTS	66	/* nid -1..63, then "other" */

struct cache_stat {
	uint64_t cache;
	char name[ES_NAME_LEN];
	uint64_t getpages, freepages, pages_in, pages_out;
	uint64_t live_slabs, live_pages;
	bool used;
};

struct cnt {
	uint64_t count, pages;
};

struct stats {
	uint64_t total;
	uint64_t by_type[EST_EV_MAX + 1];
	uint64_t by_phase[EST_PHASE_MAX + 1];
	struct cnt get, freed, skip, large;
	struct cnt get_phase[EST_PHASE_MAX + 1], free_phase[EST_PHASE_MAX + 1];
	struct cnt get_path[EST_PATH_MAX + 1], free_path[EST_PATH_MAX + 1];
	struct cnt large_path[EST_PATH_MAX + 1];
	struct cnt get_order[ES_MAX_ORDER + 2];
	struct cnt get_node[NR_NODE_SLOTS];
	uint64_t node_mismatch;
	struct cnt live, live_early, skipped_live;
	struct cache_stat *caches;
	size_t ccap, cnr;
	bool oom;
};

static size_t idx(uint32_t v, uint32_t max)
{
	return v < max ? v : max;
}

static size_t node_idx(int32_t nid)
{
	return nid >= -1 && nid < NR_NODE_SLOTS - 2 ? (size_t)(nid + 1) :
						     NR_NODE_SLOTS - 1;
}

static struct cache_stat *cache_get(struct stats *s, uint64_t cache,
				    const char *name)
{
	size_t i, ncap;

	if (s->ccap && s->cnr * 10 < s->ccap * 7) {
		for (i = (size_t)(cache * 0x9e3779b97f4a7c15ULL >> 20) &
			 (s->ccap - 1);
		     s->caches[i].used; i = (i + 1) & (s->ccap - 1))
			if (s->caches[i].cache == cache)
				return &s->caches[i];
		s->caches[i].used = true;
		s->caches[i].cache = cache;
		memcpy(s->caches[i].name, name, ES_NAME_LEN);
		s->cnr++;
		return &s->caches[i];
	}
	/* grow and retry */
	{
		struct cache_stat *old = s->caches, *n;
		size_t ocap = s->ccap;

		ncap = ocap ? ocap * 2 : 64;
		n = calloc(ncap, sizeof(*n));
		if (!n) {
			s->oom = true;
			return NULL;
		}
		s->caches = n;
		s->ccap = ncap;
		s->cnr = 0;
		for (i = 0; i < ocap; i++) {
			struct cache_stat *cs;

			if (!old[i].used)
				continue;
			cs = cache_get(s, old[i].cache, old[i].name);
			*cs = old[i];
		}
		free(old);
	}
	return cache_get(s, cache, name);
}

static void add(struct cnt *c, uint64_t pages)
{
	c->count++;
	c->pages += pages;
}

static int stats_event(struct es_replay *r, const struct es_event *ev)
{
	struct stats *s = r->arg;
	struct cache_stat *cs;
	uint64_t pages;

	if (ev->status != ES_SLOT_OK)
		return 0;
	s->total++;
	s->by_type[idx(ev->type, EST_EV_MAX)]++;
	s->by_phase[idx(ev->phase, EST_PHASE_MAX)]++;
	pages = es_event_pages(ev);
	switch (ev->type) {
	case EST_EV_GETPAGES:
		add(&s->get, pages);
		add(&s->get_phase[idx(ev->phase, EST_PHASE_MAX)], pages);
		add(&s->get_path[idx(ev->path, EST_PATH_MAX)], pages);
		add(&s->get_order[idx(ev->order, ES_MAX_ORDER + 1)], pages);
		add(&s->get_node[node_idx(ev->nid)], pages);
		if (ev->nid_req != EST_NO_NODE && ev->nid_req != ev->nid)
			s->node_mismatch++;
		cs = cache_get(s, ev->cache, ev->name);
		if (cs) {
			cs->getpages++;
			cs->pages_in += pages;
		}
		break;
	case EST_EV_FREEPAGES:
		add(&s->freed, pages);
		add(&s->free_phase[idx(ev->phase, EST_PHASE_MAX)], pages);
		add(&s->free_path[idx(ev->path, EST_PATH_MAX)], pages);
		cs = cache_get(s, ev->cache, ev->name);
		if (cs) {
			cs->freepages++;
			cs->pages_out += pages;
		}
		break;
	case EST_EV_SKIP:
		add(&s->skip, pages);
		break;
	case EST_EV_LARGE:
		s->large.count++;
		s->large.pages += ev->arg;
		s->large_path[idx(ev->path, EST_PATH_MAX)].count++;
		s->large_path[idx(ev->path, EST_PATH_MAX)].pages += ev->arg;
		break;
	}
	return s->oom ? -1 : 0;
}

static int stats_live(struct es_replay *r, const struct es_run *run)
{
	struct stats *s = r->arg;
	struct cache_stat *cs;
	uint64_t pages = 1ULL << run->order;

	add(&s->live, pages);
	if (run->flags & ES_RUN_EARLY)
		add(&s->live_early, pages);
	if (run->flags & ES_RUN_SKIPPED)
		add(&s->skipped_live, pages);
	cs = cache_get(s, run->cache, run->name);
	if (cs) {
		cs->live_slabs++;
		cs->live_pages += pages;
	}
	return s->oom ? -1 : 0;
}

static int cmp_cache_stat(const void *a, const void *b)
{
	const struct cache_stat *x = a, *y = b;
	int r;

	if (x->pages_in != y->pages_in)
		return x->pages_in > y->pages_in ? -1 : 1;
	r = strcmp(x->name, y->name);
	return r ? r : cmp_u(x->cache, y->cache);
}

static const char *node_key(char *b, size_t n, size_t i)
{
	if (i == NR_NODE_SLOTS - 1)
		snprintf(b, n, "other");
	else if (i == 0)
		snprintf(b, n, "none");
	else
		snprintf(b, n, "%zu", i - 1);
	return b;
}

/* name: { "count": n, "pages": m } entries of a table, zero rows left out */
static void json_cnt_map(struct es_out *o, const char *key,
			 const struct cnt *tab, size_t n,
			 const char *(*name)(char *, size_t, size_t))
{
	char b[32];
	size_t i;

	jkey(o, key);
	jmap_open(o);
	for (i = 0; i < n; i++) {
		if (!tab[i].count)
			continue;
		jkey(o, name(b, sizeof(b), i));
		jmap_open(o);
		jk_u64(o, "count", tab[i].count);
		jk_u64(o, "pages", tab[i].pages);
		jmap_close(o);
	}
	jmap_close(o);
}

static const char *phase_key(char *b, size_t n, size_t i)
{
	snprintf(b, n, "%s", es_phase_name((uint32_t)i));
	return b;
}

static const char *path_key(char *b, size_t n, size_t i)
{
	snprintf(b, n, "%s", es_path_name((uint32_t)i));
	return b;
}

static const char *order_key(char *b, size_t n, size_t i)
{
	if (i > ES_MAX_ORDER)
		snprintf(b, n, "other");
	else
		snprintf(b, n, "%zu", i);
	return b;
}

static void text_cnt_table(struct es_out *o, const char *title,
			   const struct cnt *tab, size_t n,
			   const char *(*name)(char *, size_t, size_t))
{
	char b[32];
	size_t i;
	bool any = false;

	for (i = 0; i < n; i++) {
		if (!tab[i].count)
			continue;
		if (!any)
			fprintf(o->f, "%s\n", title);
		any = true;
		fprintf(o->f, "  %-16s %10" PRIu64 " %10" PRIu64 "\n",
			name(b, sizeof(b), i), tab[i].count, tab[i].pages);
	}
}

static void csv_cnt_table(struct es_out *o, const char *group,
			  const struct cnt *tab, size_t n,
			  const char *(*name)(char *, size_t, size_t))
{
	char b[32];
	size_t i;

	for (i = 0; i < n; i++) {
		if (!tab[i].count)
			continue;
		fprintf(o->f, "%s,", group);
		csv_field(o, false, name(b, sizeof(b), i));
		fprintf(o->f, ",%" PRIu64 ",%" PRIu64 "\n", tab[i].count,
			tab[i].pages);
	}
}

static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = { COMMON_LONGOPTS, { 0 } };
	static const struct es_replay_ops ops = {
		.event = stats_event,
		.run_live = stats_live,
	};
	struct stats *s;
	struct cache_stat *cs = NULL;
	struct es_out o;
	size_t i, n = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, lo, NULL)) != -1)
		if ((r = common_opt(c, opt)))
			return r > 0 ? 0 : bad_opt(c, argv, opt);
	if (optind < argc)
		return fail(c, "unexpected argument '%s'", argv[optind]);
	if (!es_loaded(c->t))
		return fail_trace(c);
	s = calloc(1, sizeof(*s));
	if (!s)
		return fail(c, "out of memory");
	r = es_replay_run(c->t, &ops, s, 0, UINT64_MAX);
	if (r || s->oom) {
		free(s->caches);
		free(s);
		return r < 0 && c->t->err[0] ? fail_trace(c) :
					       fail(c, "out of memory");
	}
	if (s->cnr) {
		cs = malloc(s->cnr * sizeof(*cs));
		if (!cs) {
			free(s->caches);
			free(s);
			return fail(c, "out of memory");
		}
		for (i = 0; i < s->ccap; i++)
			if (s->caches[i].used)
				cs[n++] = s->caches[i];
		qsort(cs, n, sizeof(*cs), cmp_cache_stat);
	}
	if ((r = open_out(c, &o)))
		goto out;
	if (o.json) {
		jmap_open(&o);
		jkey(&o, "events");
		jmap_open(&o);
		jk_u64(&o, "total", s->total);
		jkey(&o, "by_type");
		jmap_open(&o);
		for (i = 1; i <= EST_EV_MAX; i++)
			if (s->by_type[i] || i < EST_EV_MAX)
				jk_u64(&o, i < EST_EV_MAX ? es_type_name((uint32_t)i) :
				       "other", s->by_type[i]);
		jmap_close(&o);
		jkey(&o, "by_phase");
		jmap_open(&o);
		for (i = 0; i <= EST_PHASE_MAX; i++)
			if (s->by_phase[i] || i < EST_PHASE_MAX)
				jk_u64(&o, i < EST_PHASE_MAX ? es_phase_name((uint32_t)i) :
				       "other", s->by_phase[i]);
		jmap_close(&o);
		jmap_close(&o);

		jkey(&o, "getpages");
		jmap_open(&o);
		jk_u64(&o, "count", s->get.count);
		jk_u64(&o, "pages", s->get.pages);
		json_cnt_map(&o, "by_phase", s->get_phase, EST_PHASE_MAX + 1,
			     phase_key);
		json_cnt_map(&o, "by_path", s->get_path, EST_PATH_MAX + 1,
			     path_key);
		json_cnt_map(&o, "by_order", s->get_order, ES_MAX_ORDER + 2,
			     order_key);
		json_cnt_map(&o, "by_node", s->get_node, NR_NODE_SLOTS,
			     node_key);
		jk_u64(&o, "node_mismatch", s->node_mismatch);
		jmap_close(&o);

		jkey(&o, "freepages");
		jmap_open(&o);
		jk_u64(&o, "count", s->freed.count);
		jk_u64(&o, "pages", s->freed.pages);
		json_cnt_map(&o, "by_phase", s->free_phase, EST_PHASE_MAX + 1,
			     phase_key);
		json_cnt_map(&o, "by_path", s->free_path, EST_PATH_MAX + 1,
			     path_key);
		jmap_close(&o);

		jkey(&o, "skip");
		jmap_open(&o);
		jk_u64(&o, "count", s->skip.count);
		jk_u64(&o, "pages", s->skip.pages);
		jmap_close(&o);

		jkey(&o, "large");
		jmap_open(&o);
		jk_u64(&o, "count", s->large.count);
		jk_u64(&o, "bytes", s->large.pages);
		jkey(&o, "by_path");
		jmap_open(&o);
		for (i = 0; i <= EST_PATH_MAX; i++) {
			if (!s->large_path[i].count)
				continue;
			jkey(&o, es_path_name((uint32_t)i));
			jmap_open(&o);
			jk_u64(&o, "count", s->large_path[i].count);
			jk_u64(&o, "bytes", s->large_path[i].pages);
			jmap_close(&o);
		}
		jmap_close(&o);
		jmap_close(&o);

		jkey(&o, "live");
		jmap_open(&o);
		jk_u64(&o, "slabs", s->live.count);
		jk_u64(&o, "pages", s->live.pages);
		jk_u64(&o, "early_pages", s->live_early.pages);
		jk_u64(&o, "skipped_pages", s->skipped_live.pages);
		jmap_close(&o);

		jkey(&o, "caches");
		jarr_open(&o);
		for (i = 0; i < n; i++) {
			jmap_open(&o);
			jk_hex(&o, "cache", cs[i].cache);
			jk_str(&o, "name", cs[i].name);
			jk_u64(&o, "getpages", cs[i].getpages);
			jk_u64(&o, "freepages", cs[i].freepages);
			jk_u64(&o, "pages_allocated", cs[i].pages_in);
			jk_u64(&o, "pages_freed", cs[i].pages_out);
			jk_u64(&o, "live_slabs", cs[i].live_slabs);
			jk_u64(&o, "live_pages", cs[i].live_pages);
			jmap_close(&o);
		}
		jarr_close(&o);
		jmap_close(&o);
	} else if (o.csv) {
		fputs("group,key,count,pages\n", o.f);
		for (i = 1; i <= EST_EV_MAX; i++)
			if (s->by_type[i])
				fprintf(o.f, "events_by_type,%s,%" PRIu64 ",\n",
					i < EST_EV_MAX ? es_type_name((uint32_t)i) :
					"other", s->by_type[i]);
		for (i = 0; i <= EST_PHASE_MAX; i++)
			if (s->by_phase[i])
				fprintf(o.f, "events_by_phase,%s,%" PRIu64 ",\n",
					i < EST_PHASE_MAX ? es_phase_name((uint32_t)i) :
					"other", s->by_phase[i]);
		csv_cnt_table(&o, "getpages_by_phase", s->get_phase,
			      EST_PHASE_MAX + 1, phase_key);
		csv_cnt_table(&o, "getpages_by_path", s->get_path,
			      EST_PATH_MAX + 1, path_key);
		csv_cnt_table(&o, "getpages_by_order", s->get_order,
			      ES_MAX_ORDER + 2, order_key);
		csv_cnt_table(&o, "getpages_by_node", s->get_node,
			      NR_NODE_SLOTS, node_key);
		csv_cnt_table(&o, "freepages_by_phase", s->free_phase,
			      EST_PHASE_MAX + 1, phase_key);
		csv_cnt_table(&o, "freepages_by_path", s->free_path,
			      EST_PATH_MAX + 1, path_key);
		for (i = 0; i < n; i++) {
			fputs("cache_getpages,", o.f);
			csv_field(&o, false, cs[i].name);
			fprintf(o.f, ",%" PRIu64 ",%" PRIu64 "\n",
				cs[i].getpages, cs[i].pages_in);
			fputs("cache_freepages,", o.f);
			csv_field(&o, false, cs[i].name);
			fprintf(o.f, ",%" PRIu64 ",%" PRIu64 "\n",
				cs[i].freepages, cs[i].pages_out);
			fputs("cache_live,", o.f);
			csv_field(&o, false, cs[i].name);
			fprintf(o.f, ",%" PRIu64 ",%" PRIu64 "\n",
				cs[i].live_slabs, cs[i].live_pages);
		}
		fprintf(o.f, "live,all,%" PRIu64 ",%" PRIu64 "\n",
			s->live.count, s->live.pages);
		fprintf(o.f, "live,early,%" PRIu64 ",%" PRIu64 "\n",
			s->live_early.count, s->live_early.pages);
	} else {
		fprintf(o.f, "events: %" PRIu64 "\n", s->total);
		for (i = 1; i <= EST_EV_MAX; i++)
			if (s->by_type[i])
				fprintf(o.f, "  %-16s %10" PRIu64 "\n",
					i < EST_EV_MAX ? es_type_name((uint32_t)i) :
					"other", s->by_type[i]);
		fprintf(o.f, "events by phase:\n");
		for (i = 0; i <= EST_PHASE_MAX; i++)
			if (s->by_phase[i])
				fprintf(o.f, "  %-16s %10" PRIu64 "\n",
					i < EST_PHASE_MAX ? es_phase_name((uint32_t)i) :
					"other", s->by_phase[i]);
		fprintf(o.f, "getpages: %" PRIu64 " (%" PRIu64 " pages)    %10s %10s\n",
			s->get.count, s->get.pages, "count", "pages");
		text_cnt_table(&o, " by phase:", s->get_phase,
			       EST_PHASE_MAX + 1, phase_key);
		text_cnt_table(&o, " by path:", s->get_path, EST_PATH_MAX + 1,
			       path_key);
		text_cnt_table(&o, " by order:", s->get_order,
			       ES_MAX_ORDER + 2, order_key);
		text_cnt_table(&o, " by node:", s->get_node, NR_NODE_SLOTS,
			       node_key);
		if (s->node_mismatch)
			fprintf(o.f, " node mismatches: %" PRIu64 "\n",
				s->node_mismatch);
		fprintf(o.f, "freepages: %" PRIu64 " (%" PRIu64 " pages)\n",
			s->freed.count, s->freed.pages);
		text_cnt_table(&o, " by phase:", s->free_phase,
			       EST_PHASE_MAX + 1, phase_key);
		text_cnt_table(&o, " by path:", s->free_path,
			       EST_PATH_MAX + 1, path_key);
		fprintf(o.f, "skip: %" PRIu64 " (%" PRIu64 " pages)\n",
			s->skip.count, s->skip.pages);
		if (s->large.count)
			fprintf(o.f, "large: %" PRIu64 " (%" PRIu64 " bytes, %" PRIu64
				" refused)\n", s->large.count, s->large.pages,
				s->large_path[EST_PATH_REFUSED].count);
		fprintf(o.f, "live at end: %" PRIu64 " slabs, %" PRIu64
			" pages (%" PRIu64 " early, %" PRIu64 " skipped)\n",
			s->live.count, s->live.pages, s->live_early.pages,
			s->skipped_live.pages);
		if (n)
			fprintf(o.f, "%-16s %-18s %8s %8s %8s %8s %8s\n",
				"CACHE", "KMEM_CACHE", "GETPAGES", "FREEPGS",
				"PG_IN", "PG_OUT", "PG_LIVE");
		for (i = 0; i < n; i++) {
			char kc[24];

			snprintf(kc, sizeof(kc), "0x%" PRIx64, cs[i].cache);
			fprintf(o.f, "%-16s %-18s %8" PRIu64 " %8" PRIu64 " %8"
				PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
				cs[i].name[0] ? cs[i].name : "-", kc,
				cs[i].getpages, cs[i].freepages, cs[i].pages_in,
				cs[i].pages_out, cs[i].live_pages);
		}
	}
	r = close_out(c, &o, 0);
out:
	free(cs);
	free(s->caches);
	free(s);
	return r;
}

/* ---- export (export.c) -------------------------------------------------- */

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

/* ---- dispatch ----------------------------------------------------------- */

struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{ "status", cmd_status,
	  "status [-j|-p|--csv]\n"
	  "\theader fields, slot states, events by type, last phase\n" },
	{ "dump", cmd_dump,
	  "dump [--type T,..] [--cache NAME|0xADDR] [--pfn A[-B]] [--phase P,..] [--all] [-j|-p|--csv]\n"
	  "\tevents in sequence order (--all: also torn, pending, bad slots)\n" },
	{ "timeline", cmd_timeline,
	  "timeline [PFN|A-B] [--cache NAME] [-j|-p|--csv]\n"
	  "\tper page frame, its runs of ownership\n" },
	{ "owners", cmd_owners,
	  "owners [--sort [+|-]KEY,..] [--cull KEY,..] [--cache NAME] [--verify] [-j|-p|--csv]\n"
	  "\tslab pages still owned at the end of the trace\n"
	  "\t--verify: against PG_slab and slab_cache of the dump's struct pages\n"
	  "\tsort keys: pfn order cache node seq caller phase path pages count\n"
	  "\tcull keys: cache order node caller phase path\n" },
	{ "check", cmd_check,
	  "check [--kind K,..] [--errors] [-j|-p|--csv]\n"
	  "\tanomalies; exit status 1 if any is an error\n" },
	{ "stats", cmd_stats,
	  "stats [-j|-p|--csv]\n"
	  "\tcounts by phase, cache, order, node and path\n" },
	{ "export", cmd_export,
	  "export --format svg|chrome-trace -o FILE [--clock seq|ts]\n"
	  "\tSVG timeline or Chrome/Perfetto trace JSON ('-o -': stdout)\n" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_of(FILE *f, const char *cmd)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, cmd))
			fprintf(f, "usage: earlyslab [--vmlinux F] (--core F | --raw F) %s",
				commands[i].usage);
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
		fprintf(f, "  %s", commands[i].usage);
	fprintf(f, "\nexit status: 0 fine, 1 check found an error, 2 usage or input error\n");
}

int es_command(struct es_trace *t, int argc, char *const argv[],
	       unsigned int out_flags, FILE *out, FILE *err)
{
	const struct command *cmd = NULL;
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
	if (argc < 1 || !argv || !argv[0]) {
		fprintf(c.err, "earlyslab: no command (status, dump, timeline, owners, check, stats, export)\n");
		return 2;
	}
	len = strlen(argv[0]);
	for (i = 0; i < NR_COMMANDS; i++) {
		if (!strcmp(commands[i].name, argv[0])) {
			cmd = &commands[i];
			break;
		}
		if (len && !strncmp(commands[i].name, argv[0], len)) {
			if (cmd) {
				fprintf(c.err, "earlyslab: ambiguous command '%s'\n",
					argv[0]);
				return 2;
			}
			cmd = &commands[i];
		}
	}
	if (!cmd) {
		fprintf(c.err, "earlyslab: unknown command '%s' (status, dump, timeline, owners, check, stats, export)\n",
			argv[0]);
		return 2;
	}
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
	ret = cmd->fn(&c, argc, av);
	free(av);
	fflush(c.out);
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
