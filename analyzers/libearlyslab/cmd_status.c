// SPDX-License-Identifier: GPL-2.0-only
/*
 * earlyslab status: header fields, slot states, events by type, last phase.
 */
#include <inttypes.h>
#include <stdio.h>

#include "es_cmd.h"

static int cmd_status(struct ctx *c, int argc, char **argv)
{
	struct es_status st;
	struct es_out o;
	char kver[32];
	uint32_t i;
	int r;

	(void)argc;
	(void)argv;
	if (es_get_status(c->t, &st))
		return fail_trace(c);
	if ((r = es_cmd_open_out(c, &o)))
		return r;
	es_kernel_version_name(st.kernel_version, kver, sizeof(kver));
	if (o.json) {
		jmap_open(&o);
		jk_str(&o, "file", c->t->name);
		jk_str(&o, "source", es_source_name(st.source));
		jk_hex(&o, "magic", st.magic);
		jk_bool(&o, "magic_ok", st.magic == EST_MAGIC);
		jk_u64(&o, "version", st.version);
		jk_str(&o, "allocator", es_allocator_name(st.allocator));
		jk_str(&o, "kernel_version", kver);
		jk_u64(&o, "kernel_version_code", st.kernel_version);
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
		es_out_printf(&o, "field,value\n");
		es_out_printf(&o, "magic,0x%" PRIx64 "\nversion,%u\nallocator,%s\n"
			"kernel_version,%s\nheader_size,%u\n"
			"record_size,%u\nflags,0x%x\ncapacity,%u\nhead,%" PRIu64
			"\nlost,%" PRIu64 "\nphase,%s\nlast_phase,%s\nslots,%"
			PRIu64 "\ncommitted,%" PRIu64 "\ntorn,%" PRIu64
			"\npending,%" PRIu64 "\nbad,%" PRIu64 "\n",
			st.magic, st.version, es_allocator_name(st.allocator),
			kver, st.header_size, st.record_size,
			st.flags, st.capacity, st.head, st.lost,
			es_phase_name(st.phase), es_phase_name(st.last_phase),
			st.slots, st.committed, st.torn, st.pending, st.bad);
		for (i = 1; i < EST_EV_MAX; i++)
			es_out_printf(&o, "%s,%" PRIu64 "\n", es_type_name(i),
				st.by_type[i]);
	} else {
		es_out_printf(&o, "file          %s (%s)\n", c->t->name,
			es_source_name(st.source));
		if (st.source == ES_SRC_KCORE)
			es_out_printf(&o, "address       virt 0x%" PRIx64 "\n",
				st.buffer_addr);
		else if (st.source == ES_SRC_CORE && c->t->vmlinux)
			es_out_printf(&o, "address       phys 0x%" PRIx64
				" (phys_base 0x%" PRIx64 ")\n",
				st.buffer_addr, st.phys_base);
		else if (st.source == ES_SRC_CORE)
			es_out_printf(&o, "address       phys 0x%" PRIx64
				" (found by its header)\n", st.buffer_addr);
		es_out_printf(&o, "magic         0x%016" PRIx64 " (%s)\n", st.magic,
			st.magic == EST_MAGIC ? "ok" : "bad");
		es_out_printf(&o, "version       %u (trace format)\n", st.version);
		es_out_printf(&o, "allocator     %s\n",
			es_allocator_name(st.allocator));
		es_out_printf(&o, "kernel        %s\n", kver);
		es_out_printf(&o, "sizes         header %u, record %u\n",
			st.header_size, st.record_size);
		es_out_printf(&o, "capacity      %u records%s\n", st.capacity,
			st.flags & EST_F_KEEP_OLDEST ? " (keep-oldest)" : "");
		es_out_printf(&o, "head          %" PRIu64 "\n", st.head);
		es_out_printf(&o, "lost          %" PRIu64 "\n", st.lost);
		es_out_printf(&o, "phase         %s (last reached: %s)\n",
			es_phase_name(st.phase), es_phase_name(st.last_phase));
		es_out_printf(&o, "slots         %" PRIu64 ": %" PRIu64
			" committed, %" PRIu64 " torn, %" PRIu64
			" pending, %" PRIu64 " bad\n", st.slots,
			st.committed, st.torn, st.pending, st.bad);
		es_out_printf(&o, "events       ");
		for (i = 1; i < EST_EV_MAX; i++)
			es_out_printf(&o, " %s %" PRIu64 "%s", es_type_name(i),
				st.by_type[i], i + 1 < EST_EV_MAX ? "," : "");
		if (st.by_type[0])
			es_out_printf(&o, ", other %" PRIu64, st.by_type[0]);
		es_out_putc(&o, '\n');
	}
	return es_cmd_close_out(c, &o, 0);
}

static const struct option status_opts[] = { { 0 } };

const struct es_cmd es_cmdtab_status = {
	.name = "status",
	.fn = cmd_status,
	.longopts = status_opts,
	.usage = "status [-j|-p|--csv]\n"
		 "\theader fields (format version, allocator and kernel that\n"
		 "\twrote the trace), slot states, events by type, last phase\n",
};
