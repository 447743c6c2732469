// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: struct pages in a dump, to hold the trace against the
 * kernel's own state at the same moment (PG_slab and the slab's cache).
 *
 * The struct page of a pfn is at vmemmap + pfn * sizeof(struct page);
 * vmemmap_base is read from the dump (VMEMMAP_START if the kernel has no
 * such variable). The vmemmap is mapped by page tables, so in a QEMU dump
 * the address goes through init_top_pgt (4 or 5 levels, as
 * __pgtable_l5_enabled says); /proc/kcore maps it directly. Offsets and
 * flag numbers come from the vmlinux's DWARF (struct page, struct slab,
 * enum pageflags), never from constants.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <string.h>

#include "es_internal.h"

#define ES_VMEMMAP_START	0xffffea0000000000ULL
#define PTE_PRESENT		0x1ULL
#define PTE_PSE			0x80ULL
#define PTE_ADDR		0x000ffffffffff000ULL

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	if (!dwarf_attr(die, DW_AT_type, &a) || !dwarf_formref_die(&a, out))
		return false;
	while (dwarf_tag(out) == DW_TAG_typedef ||
	       dwarf_tag(out) == DW_TAG_const_type ||
	       dwarf_tag(out) == DW_TAG_volatile_type) {
		if (!dwarf_attr(out, DW_AT_type, &a) ||
		    !dwarf_formref_die(&a, out))
			return false;
	}
	return true;
}

/* Offset of member @name, looking into anonymous structs and unions. */
static int member_off(Dwarf_Die *type, const char *name, uint64_t base,
		      uint64_t *off)
{
	Dwarf_Die child, sub;
	Dwarf_Attribute a;
	Dwarf_Word loc;
	const char *n;

	if (dwarf_child(type, &child))
		return -1;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		loc = 0;
		if (dwarf_attr(&child, DW_AT_data_member_location, &a) &&
		    dwarf_formudata(&a, &loc))
			continue;	/* a location expression: not used here */
		n = dwarf_diename(&child);
		if (n && !strcmp(n, name)) {
			*off = base + loc;
			return 0;
		}
		if (!n && type_of(&child, &sub) &&
		    (dwarf_tag(&sub) == DW_TAG_structure_type ||
		     dwarf_tag(&sub) == DW_TAG_union_type) &&
		    !member_off(&sub, name, base + loc, off))
			return 0;
	} while (!dwarf_siblingof(&child, &child));
	return -1;
}

static bool complete(Dwarf_Die *die)
{
	return !dwarf_hasattr(die, DW_AT_declaration) &&
	       dwarf_hasattr(die, DW_AT_byte_size);
}

struct found {
	Dwarf_Die page, slab;
	bool have_page, have_slab;
	int pg_slab, pg_head;
};

static void enumerators(Dwarf_Die *en, struct found *f)
{
	Dwarf_Die child;
	Dwarf_Attribute a;
	Dwarf_Sword v;
	const char *n;

	if (dwarf_child(en, &child))
		return;
	do {
		n = dwarf_diename(&child);
		if (!n || !dwarf_attr(&child, DW_AT_const_value, &a) ||
		    dwarf_formsdata(&a, &v))
			continue;
		if (!strcmp(n, "PG_slab"))
			f->pg_slab = (int)v;
		else if (!strcmp(n, "PG_head"))
			f->pg_head = (int)v;
	} while (!dwarf_siblingof(&child, &child));
}

/* One pass over the compile units' top-level types. */
static void find_types(Dwarf *dw, struct found *f)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(dw, off + hsize, &cu) &&
		    !dwarf_child(&cu, &child)) {
			do {
				const char *n = dwarf_diename(&child);
				int tag = dwarf_tag(&child);

				if (!n)
					continue;
				if (tag == DW_TAG_structure_type &&
				    !f->have_page && !strcmp(n, "page") &&
				    complete(&child)) {
					f->page = child;
					f->have_page = true;
				} else if (tag == DW_TAG_structure_type &&
					   !f->have_slab && !strcmp(n, "slab") &&
					   complete(&child)) {
					f->slab = child;
					f->have_slab = true;
				} else if (tag == DW_TAG_enumeration_type &&
					   f->pg_slab < 0 &&
					   !strcmp(n, "pageflags")) {
					enumerators(&child, f);
				}
			} while (!dwarf_siblingof(&child, &child));
		}
		if (f->have_page && f->have_slab && f->pg_slab >= 0 &&
		    f->pg_head >= 0)
			break;
		off = next;
	}
}

static int layout(struct es_trace *t)
{
	struct es_page_layout *pl = &t->pl;
	struct found f = { .pg_slab = -1, .pg_head = -1 };
	Dwarf_Attribute a;
	Dwarf_Word size;
	Dwarf *dw;
	uint32_t l5 = 0;

	if (pl->done) {
		if (!pl->ok)
			es_set_error(t, "%s", pl->err);
		return pl->ok ? 0 : -1;
	}
	pl->done = true;
	dw = es_dwarf(t);
	if (!dw) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: no DWARF (build with CONFIG_DEBUG_INFO) to read struct page",
			 t->vmlinux);
		goto fail;
	}
	find_types(dw, &f);
	if (!f.have_page || !f.have_slab || f.pg_slab < 0) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: no %s in the DWARF", t->vmlinux,
			 !f.have_page ? "struct page" :
			 !f.have_slab ? "struct slab" : "enum pageflags PG_slab");
		goto fail;
	}
	if (!dwarf_attr(&f.page, DW_AT_byte_size, &a) ||
	    dwarf_formudata(&a, &size) || !size || size > 512 ||
	    member_off(&f.page, "flags", 0, &pl->off_flags) ||
	    member_off(&f.page, "_refcount", 0, &pl->off_refcount) ||
	    member_off(&f.page, "compound_head", 0,
		       &pl->off_compound_head) ||
	    member_off(&f.slab, "slab_cache", 0, &pl->off_slab_cache) ||
	    pl->off_flags + 8 > size || pl->off_refcount + 4 > size ||
	    pl->off_compound_head + 8 > size ||
	    pl->off_slab_cache + 8 > size) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: unexpected layout of struct page or struct slab",
			 t->vmlinux);
		goto fail;
	}
	pl->page_size = size;
	pl->pg_slab = f.pg_slab;
	pl->pg_head = f.pg_head;

	pl->vmemmap = ES_VMEMMAP_START;
	if (t->sym_vmemmap_base &&
	    es_read_kimg(t, t->sym_vmemmap_base, &pl->vmemmap,
			 sizeof(pl->vmemmap))) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: vmemmap_base is not in the dump", t->name);
		goto fail;
	}
	if (t->sym_l5 && !es_read_kimg(t, t->sym_l5, &l5, sizeof(l5)))
		pl->l5 = l5 != 0;
	if (t->source != ES_SRC_KCORE) {
		if (!t->sym_init_top_pgt) {
			snprintf(pl->err, sizeof(pl->err),
				 "%s: no symbol init_top_pgt to walk the page tables",
				 t->vmlinux);
			goto fail;
		}
		pl->pgd_pa = t->sym_init_top_pgt - ES_START_KERNEL_MAP +
			     t->phys_base;
	}
	pl->ok = true;
	return 0;
fail:
	es_set_error(t, "%s", pl->err);
	return -1;
}

/* Kernel virtual to guest physical through init_top_pgt. */
static int vtop(struct es_trace *t, uint64_t va, uint64_t *pa)
{
	static const int shifts[] = { 48, 39, 30, 21, 12 };
	const struct es_page_layout *pl = &t->pl;
	const int *sh = pl->l5 ? shifts : shifts + 1;
	int levels = pl->l5 ? 5 : 4, i;
	uint64_t table = pl->pgd_pa, e, addr, mask;

	for (i = 0; i < levels; i++) {
		if (es_core_read(t->core, table + ((va >> sh[i]) & 511) * 8,
				 false, &e, sizeof(e)) != sizeof(e) ||
		    !(e & PTE_PRESENT))
			return -1;
		addr = e & PTE_ADDR;
		if (sh[i] == 12 ||
		    ((sh[i] == 30 || sh[i] == 21) && (e & PTE_PSE))) {
			mask = (1ULL << sh[i]) - 1;
			*pa = (addr & ~mask) | (va & mask);
			return 0;
		}
		table = addr;
	}
	return -1;
}

/* Read kernel virtual memory (any mapping) from the dump. */
static int read_virt(struct es_trace *t, uint64_t va, void *dst, uint64_t len)
{
	uint64_t done = 0, pa, n;

	if (t->source == ES_SRC_KCORE)
		return es_core_read(t->core, va, true, dst, len) == len ? 0 :
									  -1;
	while (done < len) {
		n = ES_PAGE_SIZE - ((va + done) & (ES_PAGE_SIZE - 1));
		if (n > len - done)
			n = len - done;
		if (vtop(t, va + done, &pa) ||
		    es_core_read(t->core, pa, false, (char *)dst + done, n) != n)
			return -1;
		done += n;
	}
	return 0;
}

int es_read_page(struct es_trace *t, uint64_t pfn, struct es_page *pg)
{
	unsigned char buf[512];
	const struct es_page_layout *pl = &t->pl;
	uint32_t ref;

	memset(pg, 0, sizeof(*pg));
	pg->pfn = pfn;
	if (!t || !es_loaded(t))
		return -1;
	if (!t->core || !t->vmlinux) {
		es_set_error(t, "%s: struct pages need a --core dump and its --vmlinux",
			     t->name);
		return -1;
	}
	if (layout(t))
		return -1;
	pg->vaddr = pl->vmemmap + pfn * pl->page_size;
	if (pfn > (UINT64_MAX - pl->vmemmap) / pl->page_size ||
	    read_virt(t, pg->vaddr, buf, pl->page_size)) {
		es_set_error(t, "%s: struct page of pfn 0x%llx (0x%llx) is not in the dump",
			     t->name, (unsigned long long)pfn,
			     (unsigned long long)pg->vaddr);
		return -1;
	}
	memcpy(&pg->flags, buf + pl->off_flags, sizeof(pg->flags));
	memcpy(&pg->compound_head, buf + pl->off_compound_head,
	       sizeof(pg->compound_head));
	memcpy(&ref, buf + pl->off_refcount, sizeof(ref));
	pg->refcount = (int32_t)ref;
	pg->slab = pl->pg_slab < 64 && (pg->flags >> pl->pg_slab) & 1;
	pg->head = pl->pg_head >= 0 && pl->pg_head < 64 &&
		   (pg->flags >> pl->pg_head) & 1;
	pg->tail = pg->compound_head & 1;
	if (pg->slab)
		memcpy(&pg->slab_cache, buf + pl->off_slab_cache,
		       sizeof(pg->slab_cache));
	return 0;
}
