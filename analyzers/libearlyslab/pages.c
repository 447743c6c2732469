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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_internal.h"

#define ES_VMEMMAP_START	0xffffea0000000000ULL

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
static int member_at(Dwarf_Die *type, const char *name, uint64_t base,
		     uint64_t *off, Dwarf_Die *member);

static int member_off(Dwarf_Die *type, const char *name, uint64_t base,
		      uint64_t *off)
{
	Dwarf_Die m;

	return member_at(type, name, base, off, &m);
}

/* Offset and size of member @name (size 0 if unknown). */
static int member_sized(Dwarf_Die *type, const char *name, uint64_t *off,
			uint64_t *size)
{
	Dwarf_Die m, mt;
	Dwarf_Word sz;

	*size = 0;
	if (member_at(type, name, 0, off, &m))
		return -1;
	if (type_of(&m, &mt) && dwarf_aggregate_size(&mt, &sz) == 0)
		*size = sz;
	return 0;
}

static int member_at(Dwarf_Die *type, const char *name, uint64_t base,
		     uint64_t *off, Dwarf_Die *member)
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
			*member = child;
			return 0;
		}
		if (!n && type_of(&child, &sub) &&
		    (dwarf_tag(&sub) == DW_TAG_structure_type ||
		     dwarf_tag(&sub) == DW_TAG_union_type) &&
		    !member_at(&sub, name, base + loc, off, member))
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
	Dwarf_Die page, slab, cache;
	bool have_page, have_slab, have_cache;
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
				} else if (tag == DW_TAG_structure_type &&
					   !f->have_cache &&
					   !strcmp(n, "kmem_cache") &&
					   complete(&child)) {
					f->cache = child;
					f->have_cache = true;
				} else if (tag == DW_TAG_enumeration_type &&
					   f->pg_slab < 0 &&
					   !strcmp(n, "pageflags")) {
					enumerators(&child, f);
				}
			} while (!dwarf_siblingof(&child, &child));
		}
		if (f->have_page && f->have_slab && f->have_cache &&
		    f->pg_slab >= 0 && f->pg_head >= 0)
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
	/* both optional: a kernel without them is checked without them */
	if (member_sized(&f.page, "compound_order", &pl->off_compound_order,
			 &pl->size_compound_order) ||
	    pl->size_compound_order > 8 ||
	    pl->off_compound_order + pl->size_compound_order > size)
		pl->size_compound_order = 0;
	pl->have_cache_name = f.have_cache &&
			      !member_off(&f.cache, "name", 0,
					  &pl->off_cache_name);

	pl->vmemmap = ES_VMEMMAP_START;
	if (t->sym_vmemmap_base &&
	    es_read_mem(t, t->sym_vmemmap_base, &pl->vmemmap,
			sizeof(pl->vmemmap))) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: vmemmap_base is not in the dump", t->name);
		goto fail;
	}
	pl->ok = true;
	return 0;
fail:
	es_set_error(t, "%s", pl->err);
	return -1;
}

/* The struct pages of @n frames from @pfn on into @buf. */
static int read_pages(struct es_trace *t, uint64_t pfn, uint64_t n,
		      unsigned char *buf, uint64_t *vaddr)
{
	const struct es_page_layout *pl = &t->pl;

	*vaddr = pl->vmemmap + pfn * pl->page_size;
	if (pfn > (UINT64_MAX - pl->vmemmap) / pl->page_size - n ||
	    es_read_mem(t, *vaddr, buf, n * pl->page_size)) {
		es_set_error(t, "%s: struct page of pfn 0x%llx (0x%llx) is not in the dump",
			     t->name, (unsigned long long)pfn,
			     (unsigned long long)*vaddr);
		return -1;
	}
	return 0;
}

static void decode_page(const struct es_page_layout *pl,
			const unsigned char *buf, struct es_page *pg)
{
	uint32_t ref;

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
}

static int page_prep(struct es_trace *t, uint64_t pfn, struct es_page *pg)
{
	memset(pg, 0, sizeof(*pg));
	pg->pfn = pfn;
	if (!t || !es_has_memory(t))
		return -1;
	return layout(t);
}

int es_read_page(struct es_trace *t, uint64_t pfn, struct es_page *pg)
{
	unsigned char buf[512];

	if (page_prep(t, pfn, pg) ||
	    read_pages(t, pfn, 1, buf, &pg->vaddr))
		return -1;
	decode_page(&t->pl, buf, pg);
	return 0;
}

/* The NUL-terminated string at @va (at most @len - 1 bytes of it). */
static int read_string(struct es_trace *t, uint64_t va, char *dst,
		       size_t len)
{
	size_t done = 0;

	dst[0] = '\0';
	while (done + 1 < len) {
		/* never across a page: the next one may not be mapped */
		size_t n = ES_PAGE_SIZE - ((va + done) & (ES_PAGE_SIZE - 1));

		if (n > len - 1 - done)
			n = len - 1 - done;
		if (es_read_mem(t, va + done, dst + done, n))
			break;
		dst[done + n] = '\0';
		if (memchr(dst + done, '\0', n))
			return 0;
		done += n;
	}
	return done ? 0 : -1;
}

static void add_problem(struct es_page_check *pc, uint32_t bit,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_problem(struct es_page_check *pc, uint32_t bit,
			const char *fmt, ...)
{
	size_t n = strlen(pc->detail);
	va_list ap;

	pc->problems |= bit;
	if (n && n + 2 < sizeof(pc->detail)) {
		strcpy(pc->detail + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(pc->detail + n, sizeof(pc->detail) - n, fmt, ap);
	va_end(ap);
}

int es_verify_run(struct es_trace *t, const struct es_run *run,
		  struct es_page_check *pc)
{
	const struct es_page_layout *pl = &t->pl;
	uint64_t nr, i, head, ch;
	unsigned char *buf;
	struct es_page *pg = &pc->page;
	char name[ES_NAME_LEN];

	memset(pc, 0, sizeof(*pc));
	pc->bad_tail_pfn = ES_NO_PFN;
	if (!run || page_prep(t, run ? run->pfn : 0, pg))
		return -1;
	if (!es_order_ok(run->order)) {
		add_problem(pc, ES_PC_ORDER, "implausible order %u",
			    run->order);
		return 1;
	}
	nr = 1ULL << run->order;
	buf = malloc(nr * pl->page_size);
	if (!buf) {
		es_set_error(t, "%s: out of memory", t->name);
		return -1;
	}
	if (read_pages(t, run->pfn, nr, buf, &pg->vaddr)) {
		add_problem(pc, ES_PC_UNREADABLE, "%s", es_error(t));
		free(buf);
		return 1;
	}
	decode_page(pl, buf, pg);
	if (pg->tail)
		add_problem(pc, ES_PC_TAIL,
			    "head page is a tail page (compound_head 0x%llx)",
			    (unsigned long long)pg->compound_head);
	if (!pg->slab)
		add_problem(pc, ES_PC_NOT_SLAB, "PG_slab clear (flags 0x%llx)",
			    (unsigned long long)pg->flags);
	if (run->order && pl->pg_head >= 0 && !pg->head)
		add_problem(pc, ES_PC_NO_HEAD,
			    "PG_head clear on an order-%u slab (flags 0x%llx)",
			    run->order, (unsigned long long)pg->flags);
	if (run->order && pl->size_compound_order) {
		uint64_t v = 0;

		memcpy(&v, buf + pl->page_size + pl->off_compound_order,
		       pl->size_compound_order);
		pc->compound_order = (uint32_t)v;
		if (v != run->order)
			add_problem(pc, ES_PC_ORDER,
				    "compound_order %llu, trace says %u",
				    (unsigned long long)v, run->order);
	}
	head = pg->vaddr | 1;
	for (i = 1; i < nr; i++) {
		memcpy(&ch, buf + i * pl->page_size + pl->off_compound_head,
		       sizeof(ch));
		if (ch != head) {
			pc->bad_tail_pfn = run->pfn + i;
			pc->bad_tail_head = ch;
			add_problem(pc, ES_PC_TAIL_LINK,
				    "tail pfn 0x%llx: compound_head 0x%llx, expected 0x%llx",
				    (unsigned long long)(run->pfn + i),
				    (unsigned long long)ch,
				    (unsigned long long)head);
			break;
		}
	}
	free(buf);
	if (pg->refcount < 1)
		add_problem(pc, ES_PC_REFCOUNT, "refcount %d", pg->refcount);
	if (!pg->slab)
		return pc->problems ? 1 : 0;
	if (pl->have_cache_name && pg->slab_cache) {
		uint64_t p = 0;

		if (!es_read_mem(t, pg->slab_cache + pl->off_cache_name, &p,
				 sizeof(p)) && p)
			read_string(t, p, pc->live_name, sizeof(pc->live_name));
	}
	es_sanitize(name, run->name, sizeof(name));
	if (pg->slab_cache != run->cache)
		add_problem(pc, ES_PC_CACHE,
			    "slab_cache 0x%llx (%s), trace says 0x%llx (%s)",
			    (unsigned long long)pg->slab_cache,
			    pc->live_name[0] ? pc->live_name : "?",
			    (unsigned long long)run->cache,
			    name[0] ? name : "-");
	else if (pc->live_name[0] && name[0] &&
		 strncmp(pc->live_name, name, strlen(name)))
		add_problem(pc, ES_PC_NAME, "cache name '%s', trace says '%s'",
			    pc->live_name, name);
	return pc->problems ? 1 : 0;
}
