// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: how events, runs of ownership, owners and anomalies are
 * written as text, CSV and JSON; shared by the commands and by export.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "es_out.h"

const char *es_fmt_node(char *b, size_t n, int32_t nid, int32_t req)
{
	if (req == EST_NO_NODE)
		snprintf(b, n, "%d/-", nid);
	else
		snprintf(b, n, "%d/%d", nid, req);
	return b;
}

const char *es_source_name(uint32_t s)
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
	case ES_SRC_READER:
		return "reader";
	}
	return "none";
}

/*
 * enum slab_state of the allocator that wrote the trace: SLAB's in 6.1,
 * SLUB's (no PARTIAL_NODE) in 6.12. A version 1 trace is SLAB's.
 */
static const char *slab_state_name(const struct es_trace *t, uint64_t v)
{
	static const char *const slab[] = {
		"DOWN", "PARTIAL", "PARTIAL_NODE", "UP", "FULL"
	};
	static const char *const slub[] = { "DOWN", "PARTIAL", "UP", "FULL" };

	if (t->hdr.version >= 2 && t->hdr.allocator == EST_ALLOC_SLUB)
		return v < 4 ? slub[v] : "?";
	return v < 5 ? slab[v] : "?";
}

/* What a mark says, in the dump's text. */
static const char *mark_text(uint64_t mark)
{
	switch (mark) {
	case EST_MARK_PERCPU:
		return "per-CPU switch";
	case EST_MARK_TRACE_INIT:
		return "trace_init";
	case EST_MARK_DEFERRED_DONE:
		return "deferred init done";
	case EST_MARK_MEMBLOCK_DISCARD:
		return "memblock_discard";
	case EST_MARK_ACPI_PROBE:
		return "early ACPI probe";
	case EST_MARK_ACPI_PROBE_END:
		return "early ACPI probe done";
	}
	return "unknown mark";
}

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
	if (ev->type == EST_EV_MARK)
		jk_str(o, "mark", es_mark_name((uint32_t)ev->arg));
	else if (ev->type == EST_EV_SLAB_STATE)
		jk_str(o, "slab_state", slab_state_name(o->t, ev->arg));
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
		es_out_puts(o, ",,,,,,,,,,,,,,,\n");
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
	es_out_putc(o, '\n');
}

static void emit_event_text(struct es_out *o, const struct es_event *ev)
{
	char node[32], pfn[24], ord[8], extra[64], caller[512];
	const char *path;

	if (ev->status != ES_SLOT_OK) {
		es_out_printf(o, "%8" PRIu64 "  (%s slot: %s)\n", ev->seq,
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
			 slab_state_name(o->t, ev->arg), ev->arg);
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
		snprintf(extra, sizeof(extra), "[%s]", mark_text(ev->arg));
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
		es_fmt_node(node, sizeof(node), ev->nid, ev->nid_req);
	es_out_printf(o, "%8" PRIu64 " %3u %-8s %-10s %-12s %3s %-8s %-6s %-16s %s%s%s\n",
		ev->seq, ev->cpu, es_phase_name(ev->phase),
		es_type_name(ev->type), pfn, ord, path, node,
		ev->name[0] ? ev->name : "-",
		ev->caller ? caller_text(o, ev->caller, caller,
					 sizeof(caller), false) : "-",
		extra[0] ? " " : "", extra);
}

void es_fmt_event(struct es_out *o, const struct es_event *ev)
{
	if (o->json)
		emit_event_json(o, ev);
	else if (o->csv)
		emit_event_csv(o, ev);
	else
		emit_event_text(o, ev);
}

void es_fmt_event_header(struct es_out *o)
{
	if (o->csv)
		es_out_printf(o, "seq,status,type,phase,order,path,nid_req,nid,cpu,flags,pfn,cache,name,caller,caller_sym,ts,arg\n");
	else if (!o->json)
		es_out_printf(o, "%8s %3s %-8s %-10s %-12s %3s %-8s %-6s %-16s %s\n",
			"SEQ", "CPU", "PHASE", "EVENT", "PFN", "ORD", "PATH",
			"NID/RQ", "CACHE", "CALLER");
}

const char *es_run_state(const struct es_run *run)
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
	jk_str(o, "state", es_run_state(run));
	jk_bool(o, "early", run->flags & ES_RUN_EARLY);
	jk_bool(o, "skipped", run->flags & ES_RUN_SKIPPED);
	jk_bool(o, "large", run->flags & ES_RUN_LARGE);
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

void es_fmt_run_text(struct es_out *o, const struct es_run *run)
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
	es_out_printf(o, "  seq %-15s %-16s order %u pfn 0x%" PRIx64 " node %s",
		seqs, run->name[0] ? run->name : "-", run->order, run->pfn,
		es_fmt_node(node, sizeof(node), run->nid, run->nid_req));
	if (run->alloc_seq != ES_NO_SEQ)
		es_out_printf(o, "  got %s/%s%s by %s", es_phase_name(run->alloc_phase),
			es_path_name(run->alloc_path),
			run->flags & ES_RUN_SKIPPED ? " skipped" : "",
			caller_text(o, run->alloc_caller, ca, sizeof(ca), false));
	if (run->free_seq != ES_NO_SEQ)
		es_out_printf(o, "  freed %s/%s by %s",
			es_phase_name(run->free_phase),
			es_path_name(run->free_path),
			caller_text(o, run->free_caller, cf, sizeof(cf), false));
	else
		es_out_printf(o, "  %s", es_run_state(run));
	es_out_putc(o, '\n');
}

void es_fmt_run_csv(struct es_out *o, uint64_t pfn, const struct es_run *run)
{
	char buf[512];

	csv_hex(o, false, pfn);
	csv_hex(o, true, run->pfn);
	csv_u64(o, true, run->order);
	csv_hex(o, true, run->cache);
	csv_field(o, true, run->name);
	csv_int(o, true, run->nid);
	csv_int(o, true, run->nid_req);
	csv_field(o, true, es_run_state(run));
	if (run->alloc_seq == ES_NO_SEQ)
		csv_field(o, true, "");
	else
		csv_u64(o, true, run->alloc_seq);
	csv_field(o, true, es_phase_name(run->alloc_phase));
	csv_field(o, true, es_path_name(run->alloc_path));
	csv_field(o, true, es_format_caller(o->t, run->alloc_caller, buf,
					    sizeof(buf)));
	if (run->free_seq == ES_NO_SEQ) {
		es_out_puts(o, ",,,,");
	} else {
		csv_u64(o, true, run->free_seq);
		csv_field(o, true, es_phase_name(run->free_phase));
		csv_field(o, true, es_path_name(run->free_path));
		csv_field(o, true, es_format_caller(o->t, run->free_caller,
						    buf, sizeof(buf)));
	}
	es_out_putc(o, '\n');
}

void es_fmt_owner_csv(struct es_out *o, const struct es_run *r)
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
	es_out_putc(o, '\n');
}

void es_fmt_owner_json(struct es_out *o, const struct es_run *r,
		       const struct es_page *pg, const char *verify)
{

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
	jk_bool(o, "large", r->flags & ES_RUN_LARGE);
	jk_caller(o, "caller", r->alloc_caller);
	if (verify) {
		jk_bool(o, "verified", !strcmp(verify, "ok"));
		jk_str(o, "verify", verify);
		if (pg) {
			jkey(o, "page");
			jmap_open(o);
			jk_hex(o, "flags", pg->flags);
			/* the kernel's slab mark; pg_slab: its name on 6.1 */
			jk_bool(o, "slab", pg->slab);
			jk_str(o, "slab_mark", es_slab_mark_name(o->t->pl.mark));
			jk_bool(o, "pg_slab", pg->slab);
			jk_hex(o, "slab_cache", pg->slab_cache);
			jk_int(o, "refcount", pg->refcount);
			jmap_close(o);
		}
	}
	jmap_close(o);
}

int es_fmt_anomaly(struct es_out *o, const struct es_anomaly *a)
{
	char buf[512], seq[24], pfn[24];

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
		es_out_putc(o, '\n');
	} else {
		if (a->seq == ES_NO_SEQ)
			strcpy(seq, "-");
		else
			snprintf(seq, sizeof(seq), "%" PRIu64, a->seq);
		if (a->pfn == ES_NO_PFN)
			strcpy(pfn, "-");
		else
			snprintf(pfn, sizeof(pfn), "0x%" PRIx64, a->pfn);
		es_out_printf(o, "%-7s %-16s seq %-8s pfn %-10s", 
			es_severity_name(a->severity), es_kind_name(a->kind),
			seq, pfn);
		if (a->cache || a->name[0])
			es_out_printf(o, " %s (0x%" PRIx64 ")",
				a->name[0] ? a->name : "-", a->cache);
		if (a->caller)
			es_out_printf(o, " by %s",
				caller_text(o, a->caller, buf, sizeof(buf),
					    true));
		es_out_printf(o, ": %s\n", a->detail);
	}
	return es_out_error(o) ? -1 : 0;
}
