// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: caller addresses to function+offset and file:line, from the
 * vmlinux through libdwfl (reported offline: a vmlinux is ET_EXEC, so its
 * addresses are the kernel's own). Callers are return addresses (_RET_IP_),
 * so function+offset is for the address itself, as the kernel's %pS prints
 * it, and the source line is looked up one byte earlier, at the call.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_internal.h"

#define ES_SYMCACHE	1024	/* direct-mapped; callers are few */

struct es_dwfl {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct es_symbol cache[ES_SYMCACHE];
	bool valid[ES_SYMCACHE];
};

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

void es_symbols_close(struct es_trace *t)
{
	if (!t->dwfl)
		return;
	if (t->dwfl->dwfl)
		dwfl_end(t->dwfl->dwfl);
	free(t->dwfl);
	t->dwfl = NULL;
	t->dwfl_failed = false;
}

static struct es_dwfl *symbols_open(struct es_trace *t)
{
	struct es_dwfl *d;

	if (t->dwfl || t->dwfl_failed)
		return t->dwfl;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto fail;
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl)
		goto fail;
	dwfl_report_begin(d->dwfl);
	d->mod = dwfl_report_offline(d->dwfl, "vmlinux", t->vmlinux, -1);
	if (!d->mod || dwfl_report_end(d->dwfl, NULL, NULL))
		goto fail;
	t->dwfl = d;
	return d;
fail:
	if (d && d->dwfl)
		dwfl_end(d->dwfl);
	free(d);
	t->dwfl_failed = true;
	return NULL;
}

/* The vmlinux's DWARF, for the struct layouts (NULL if none). */
struct Dwarf *es_dwarf(struct es_trace *t)
{
	struct es_dwfl *d;
	Dwarf_Addr bias;

	if (!t->vmlinux)
		return NULL;
	d = symbols_open(t);
	if (!d)
		return NULL;
	return dwfl_module_getdwarf(d->mod, &bias);
}

/* "/build/linux/mm/slab.c" -> "mm/slab.c" when the CU was built there. */
static const char *strip_comp_dir(Dwfl_Module *mod, uint64_t addr,
				  const char *file)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Attribute attr;
	const char *dir;
	size_t n;

	if (!cu || !dwarf_attr(cu, DW_AT_comp_dir, &attr))
		return file;
	dir = dwarf_formstring(&attr);
	if (!dir)
		return file;
	n = strlen(dir);
	if (n && !strncmp(file, dir, n) && file[n] == '/')
		return file + n + 1;
	return file;
}

int es_symbolize(struct es_trace *t, uint64_t addr, struct es_symbol *sym)
{
	struct es_dwfl *d;
	Dwfl_Module *mod;
	Dwfl_Line *line;
	GElf_Off off = 0;
	GElf_Sym gs;
	const char *name, *file;
	size_t slot = (size_t)(addr ^ (addr >> 12)) % ES_SYMCACHE;
	int lineno = 0;

	memset(sym, 0, sizeof(*sym));
	sym->addr = addr;
	if (!t || !t->vmlinux) {
		if (t)
			es_set_error(t, "no vmlinux to symbolize with");
		return -1;
	}
	d = symbols_open(t);
	if (!d) {
		es_set_error(t, "%s: cannot read symbols: %s", t->vmlinux,
			     dwfl_errmsg(-1));
		return -1;
	}
	if (d->valid[slot] && d->cache[slot].addr == addr) {
		*sym = d->cache[slot];
		return 0;
	}
	mod = addr ? dwfl_addrmodule(d->dwfl, addr) : NULL;
	if (mod) {
		name = dwfl_module_addrinfo(mod, addr, &off, &gs, NULL, NULL,
					    NULL);
		if (name) {
			snprintf(sym->func, sizeof(sym->func), "%s", name);
			sym->offset = off;
			sym->size = gs.st_size;
			sym->found = 1;
		}
		line = dwfl_module_getsrc(mod, addr - 1);
		if (line) {
			file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL,
					     NULL);
			if (file) {
				file = strip_comp_dir(mod, addr - 1, file);
				snprintf(sym->file, sizeof(sym->file), "%s",
					 file);
				sym->line = lineno;
			}
		}
	}
	d->cache[slot] = *sym;
	d->valid[slot] = true;
	return 0;
}

const char *es_format_caller(struct es_trace *t, uint64_t addr, char *buf,
			     size_t len)
{
	struct es_symbol s;

	if (t && t->vmlinux && !es_symbolize(t, addr, &s) && s.found) {
		if (s.size)
			snprintf(buf, len, "%s+0x%" PRIx64 "/0x%" PRIx64,
				 s.func, s.offset, s.size);
		else
			snprintf(buf, len, "%s+0x%" PRIx64, s.func, s.offset);
	} else {
		snprintf(buf, len, "0x%016" PRIx64, addr);
	}
	return buf;
}
