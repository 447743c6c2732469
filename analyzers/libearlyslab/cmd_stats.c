// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab stats: counts by phase, cache, order, node and path, from the
 * statistics engine (stats.c).
 */
#include <inttypes.h>
#include <stdio.h>

#include "es_cmd.h"

static struct es_count row(const struct es_stats *s, uint32_t tab, size_t i)
{
	struct es_count c = { 0 };

	es_stats_row(s, tab, i, &c);
	return c;
}

static struct es_count total(const struct es_stats *s, uint32_t which)
{
	struct es_count c = { 0 };

	es_stats_total(s, which, &c);
	return c;
}

/* name: { "count": n, "<unit>": m } entries of a table, zero rows left out */
static void json_cnt_map(struct es_out *o, const char *key,
			 const struct es_stats *s, uint32_t tab,
			 const char *unit)
{
	size_t i, n = es_stats_rows(tab);
	char b[32];

	jkey(o, key);
	jmap_open(o);
	for (i = 0; i < n; i++) {
		struct es_count c = row(s, tab, i);

		if (!c.count)
			continue;
		jkey(o, es_stats_key(tab, i, b, sizeof(b)));
		jmap_open(o);
		jk_u64(o, "count", c.count);
		jk_u64(o, unit, c.pages);
		jmap_close(o);
	}
	jmap_close(o);
}

/* events by type (from 1) or phase (from 0): the "other" row if non-zero */
static void json_events(struct es_out *o, const char *key,
			const struct es_stats *s, uint32_t tab, size_t from)
{
	size_t i, n = es_stats_rows(tab);
	char b[32];

	jkey(o, key);
	jmap_open(o);
	for (i = from; i < n; i++) {
		struct es_count c = row(s, tab, i);

		if (c.count || i + 1 < n)
			jk_u64(o, es_stats_key(tab, i, b, sizeof(b)), c.count);
	}
	jmap_close(o);
}

static void text_cnt_table(struct es_out *o, const char *title,
			   const struct es_stats *s, uint32_t tab)
{
	size_t i, n = es_stats_rows(tab);
	bool any = false;
	char b[32];

	for (i = 0; i < n; i++) {
		struct es_count c = row(s, tab, i);

		if (!c.count)
			continue;
		if (!any)
			es_out_printf(o, "%s\n", title);
		any = true;
		es_out_printf(o, "  %-16s %10" PRIu64 " %10" PRIu64 "\n",
			es_stats_key(tab, i, b, sizeof(b)), c.count, c.pages);
	}
}

static void text_events(struct es_out *o, const struct es_stats *s,
			uint32_t tab, size_t from)
{
	size_t i, n = es_stats_rows(tab);
	char b[32];

	for (i = from; i < n; i++) {
		struct es_count c = row(s, tab, i);

		if (c.count)
			es_out_printf(o, "  %-16s %10" PRIu64 "\n",
				es_stats_key(tab, i, b, sizeof(b)), c.count);
	}
}

static void csv_cnt_table(struct es_out *o, const char *group,
			  const struct es_stats *s, uint32_t tab)
{
	size_t i, n = es_stats_rows(tab);
	char b[32];

	for (i = 0; i < n; i++) {
		struct es_count c = row(s, tab, i);

		if (!c.count)
			continue;
		es_out_printf(o, "%s,", group);
		csv_field(o, false, es_stats_key(tab, i, b, sizeof(b)));
		es_out_printf(o, ",%" PRIu64 ",%" PRIu64 "\n", c.count, c.pages);
	}
}

static void csv_events(struct es_out *o, const char *group,
		       const struct es_stats *s, uint32_t tab, size_t from)
{
	size_t i, n = es_stats_rows(tab);
	char b[32];

	for (i = from; i < n; i++) {
		struct es_count c = row(s, tab, i);

		if (c.count)
			es_out_printf(o, "%s,%s,%" PRIu64 ",\n", group,
				es_stats_key(tab, i, b, sizeof(b)), c.count);
	}
}

static void json_cnt(struct es_out *o, const char *key, struct es_count c,
		     const char *unit)
{
	jkey(o, key);
	jmap_open(o);
	jk_u64(o, "count", c.count);
	jk_u64(o, unit, c.pages);
}

static void stats_json(struct es_out *o, const struct es_stats *s)
{
	const struct es_cache_stat *cs;
	size_t i;

	jmap_open(o);
	jkey(o, "events");
	jmap_open(o);
	jk_u64(o, "total", total(s, ES_SS_EVENTS).count);
	json_events(o, "by_type", s, ES_ST_EVENTS_BY_TYPE, 1);
	json_events(o, "by_phase", s, ES_ST_EVENTS_BY_PHASE, 0);
	jmap_close(o);

	json_cnt(o, "getpages", total(s, ES_SS_GETPAGES), "pages");
	json_cnt_map(o, "by_phase", s, ES_ST_GET_BY_PHASE, "pages");
	json_cnt_map(o, "by_path", s, ES_ST_GET_BY_PATH, "pages");
	json_cnt_map(o, "by_order", s, ES_ST_GET_BY_ORDER, "pages");
	json_cnt_map(o, "by_node", s, ES_ST_GET_BY_NODE, "pages");
	jk_u64(o, "node_mismatch", total(s, ES_SS_NODE_MISMATCH).count);
	jmap_close(o);

	json_cnt(o, "freepages", total(s, ES_SS_FREEPAGES), "pages");
	json_cnt_map(o, "by_phase", s, ES_ST_FREE_BY_PHASE, "pages");
	json_cnt_map(o, "by_path", s, ES_ST_FREE_BY_PATH, "pages");
	jmap_close(o);

	json_cnt(o, "skip", total(s, ES_SS_SKIP), "pages");
	jmap_close(o);

	json_cnt(o, "large", total(s, ES_SS_LARGE), "bytes");
	json_cnt_map(o, "by_path", s, ES_ST_LARGE_BY_PATH, "bytes");
	jmap_close(o);

	json_cnt(o, "large_free", total(s, ES_SS_LARGE_FREE), "pages");
	json_cnt_map(o, "by_path", s, ES_ST_LARGE_FREE_BY_PATH, "pages");
	jmap_close(o);

	jkey(o, "live");
	jmap_open(o);
	jk_u64(o, "slabs", total(s, ES_SS_LIVE).count);
	jk_u64(o, "pages", total(s, ES_SS_LIVE).pages);
	jk_u64(o, "early_pages", total(s, ES_SS_LIVE_EARLY).pages);
	jk_u64(o, "skipped_pages", total(s, ES_SS_SKIPPED_LIVE).pages);
	jk_u64(o, "large", total(s, ES_SS_LIVE_LARGE).count);
	jk_u64(o, "large_pages", total(s, ES_SS_LIVE_LARGE).pages);
	jmap_close(o);

	jkey(o, "caches");
	jarr_open(o);
	for (i = 0; (cs = es_stats_cache(s, i)); i++) {
		jmap_open(o);
		jk_hex(o, "cache", cs->cache);
		jk_str(o, "name", cs->name);
		jk_u64(o, "getpages", cs->getpages);
		jk_u64(o, "freepages", cs->freepages);
		jk_u64(o, "pages_allocated", cs->pages_in);
		jk_u64(o, "pages_freed", cs->pages_out);
		jk_u64(o, "live_slabs", cs->live_slabs);
		jk_u64(o, "live_pages", cs->live_pages);
		jmap_close(o);
	}
	jarr_close(o);
	jmap_close(o);
}

static void stats_csv(struct es_out *o, const struct es_stats *s)
{
	const struct es_cache_stat *cs;
	size_t i;

	es_out_puts(o, "group,key,count,pages\n");
	csv_events(o, "events_by_type", s, ES_ST_EVENTS_BY_TYPE, 1);
	csv_events(o, "events_by_phase", s, ES_ST_EVENTS_BY_PHASE, 0);
	csv_cnt_table(o, "getpages_by_phase", s, ES_ST_GET_BY_PHASE);
	csv_cnt_table(o, "getpages_by_path", s, ES_ST_GET_BY_PATH);
	csv_cnt_table(o, "getpages_by_order", s, ES_ST_GET_BY_ORDER);
	csv_cnt_table(o, "getpages_by_node", s, ES_ST_GET_BY_NODE);
	csv_cnt_table(o, "freepages_by_phase", s, ES_ST_FREE_BY_PHASE);
	csv_cnt_table(o, "freepages_by_path", s, ES_ST_FREE_BY_PATH);
	csv_cnt_table(o, "large_by_path", s, ES_ST_LARGE_BY_PATH);
	csv_cnt_table(o, "large_free_by_path", s, ES_ST_LARGE_FREE_BY_PATH);
	for (i = 0; (cs = es_stats_cache(s, i)); i++) {
		es_out_puts(o, "cache_getpages,");
		csv_field(o, false, cs->name);
		es_out_printf(o, ",%" PRIu64 ",%" PRIu64 "\n", cs->getpages,
			cs->pages_in);
		es_out_puts(o, "cache_freepages,");
		csv_field(o, false, cs->name);
		es_out_printf(o, ",%" PRIu64 ",%" PRIu64 "\n", cs->freepages,
			cs->pages_out);
		es_out_puts(o, "cache_live,");
		csv_field(o, false, cs->name);
		es_out_printf(o, ",%" PRIu64 ",%" PRIu64 "\n", cs->live_slabs,
			cs->live_pages);
	}
	es_out_printf(o, "live,all,%" PRIu64 ",%" PRIu64 "\n",
		total(s, ES_SS_LIVE).count, total(s, ES_SS_LIVE).pages);
	es_out_printf(o, "live,early,%" PRIu64 ",%" PRIu64 "\n",
		total(s, ES_SS_LIVE_EARLY).count,
		total(s, ES_SS_LIVE_EARLY).pages);
	es_out_printf(o, "live,large,%" PRIu64 ",%" PRIu64 "\n",
		total(s, ES_SS_LIVE_LARGE).count,
		total(s, ES_SS_LIVE_LARGE).pages);
}

static void stats_text(struct es_out *o, const struct es_stats *s)
{
	struct es_count get = total(s, ES_SS_GETPAGES);
	struct es_count freed = total(s, ES_SS_FREEPAGES);
	struct es_count skip = total(s, ES_SS_SKIP);
	struct es_count large = total(s, ES_SS_LARGE);
	struct es_count lfree = total(s, ES_SS_LARGE_FREE);
	struct es_count llive = total(s, ES_SS_LIVE_LARGE);
	struct es_count live = total(s, ES_SS_LIVE);
	uint64_t mismatch = total(s, ES_SS_NODE_MISMATCH).count;
	const struct es_cache_stat *cs;
	size_t i;

	es_out_printf(o, "events: %" PRIu64 "\n", total(s, ES_SS_EVENTS).count);
	text_events(o, s, ES_ST_EVENTS_BY_TYPE, 1);
	es_out_printf(o, "events by phase:\n");
	text_events(o, s, ES_ST_EVENTS_BY_PHASE, 0);
	es_out_printf(o, "getpages: %" PRIu64 " (%" PRIu64 " pages)    %10s %10s\n",
		get.count, get.pages, "count", "pages");
	text_cnt_table(o, " by phase:", s, ES_ST_GET_BY_PHASE);
	text_cnt_table(o, " by path:", s, ES_ST_GET_BY_PATH);
	text_cnt_table(o, " by order:", s, ES_ST_GET_BY_ORDER);
	text_cnt_table(o, " by node:", s, ES_ST_GET_BY_NODE);
	if (mismatch)
		es_out_printf(o, " node mismatches: %" PRIu64 "\n", mismatch);
	es_out_printf(o, "freepages: %" PRIu64 " (%" PRIu64 " pages)\n",
		freed.count, freed.pages);
	text_cnt_table(o, " by phase:", s, ES_ST_FREE_BY_PHASE);
	text_cnt_table(o, " by path:", s, ES_ST_FREE_BY_PATH);
	es_out_printf(o, "skip: %" PRIu64 " (%" PRIu64 " pages)\n", skip.count,
		skip.pages);
	if (large.count)
		es_out_printf(o, "large: %" PRIu64 " (%" PRIu64 " bytes, %" PRIu64
			" refused)\n", large.count, large.pages,
			row(s, ES_ST_LARGE_BY_PATH, EST_PATH_REFUSED).count);
	if (row(s, ES_ST_LARGE_BY_PATH, EST_PATH_MEMBLOCK).count)
		text_cnt_table(o, " by path:", s, ES_ST_LARGE_BY_PATH);
	if (lfree.count) {
		es_out_printf(o, "large_free: %" PRIu64 " (%" PRIu64
			" pages)\n", lfree.count, lfree.pages);
		text_cnt_table(o, " by path:", s, ES_ST_LARGE_FREE_BY_PATH);
	}
	es_out_printf(o, "live at end: %" PRIu64 " slabs, ",
		live.count - llive.count);
	if (llive.count)
		es_out_printf(o, "%" PRIu64 " large kmalloc%s (%" PRIu64
			" pages), ", llive.count, llive.count == 1 ? "" : "s",
			llive.pages);
	es_out_printf(o, "%" PRIu64 " pages (%" PRIu64 " early, %" PRIu64
		" skipped)\n", live.pages, total(s, ES_SS_LIVE_EARLY).pages,
		total(s, ES_SS_SKIPPED_LIVE).pages);
	if (es_stats_nr_caches(s))
		es_out_printf(o, "%-16s %-18s %8s %8s %8s %8s %8s\n", "CACHE",
			"KMEM_CACHE", "GETPAGES", "FREEPGS", "PG_IN", "PG_OUT",
			"PG_LIVE");
	for (i = 0; (cs = es_stats_cache(s, i)); i++) {
		char kc[24];

		snprintf(kc, sizeof(kc), "0x%" PRIx64, cs->cache);
		es_out_printf(o, "%-16s %-18s %8" PRIu64 " %8" PRIu64 " %8"
			PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
			cs->name[0] ? cs->name : "-", kc, cs->getpages,
			cs->freepages, cs->pages_in, cs->pages_out,
			cs->live_pages);
	}
}

static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	struct es_stats *s;
	struct es_out o;
	int r;

	(void)argc;
	(void)argv;
	if (!es_loaded(c->t))
		return fail_trace(c);
	s = es_stats_new();
	if (!s)
		return fail_code(c, ES_ERR_NOMEM, "out of memory");
	es_stats_set_cache(s, *(const char **)c->opts);
	if (es_stats_run(s, c->t)) {
		es_stats_free(s);
		return fail_trace(c);
	}
	r = es_cmd_open_out(c, &o);
	if (!r) {
		if (o.json)
			stats_json(&o, s);
		else if (o.csv)
			stats_csv(&o, s);
		else
			stats_text(&o, s);
		r = es_cmd_close_out(c, &o, 0);
	}
	es_stats_free(s);
	return r;
}

static int stats_opt(struct ctx *c, int id, const char *arg)
{
	if (id == OPT_CACHE)
		*(const char **)c->opts = arg;
	return 0;
}

static const struct option stats_opts[] = {
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ 0 }
};

const struct es_cmd es_cmdtab_stats = {
	.name = "stats",
	.fn = cmd_stats,
	.longopts = stats_opts,
	.opt = stats_opt,
	.opts_size = sizeof(const char *),
	.usage = "stats [--cache NAME|0xADDR] [-j|-p|--csv]\n"
		 "\tcounts by phase, cache, order, node and path (--cache: of\n"
		 "\tthe matching owners only)\n",
};
