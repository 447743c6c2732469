// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: struct pages in a dump, to hold the trace against the
 * kernel's own state at the same moment (the slab mark and the slab's
 * cache).
 *
 * Each kernel marks a slab page in its own way, found in its DWARF: Linux
 * 6.1 sets PG_slab of enum pageflags in page->flags; from 6.10 on the slab
 * is a page type, PGTY_slab of enum pagetype in the top byte of
 * page->page_type (the word shared with _mapcount). A kernel whose DWARF
 * has enum pagetype with PGTY_slab is read the second way. The compound
 * order is page[1].compound_order on 6.1 and the low byte of
 * folio->_flags_1 (page[1].flags) on 6.12.
 *
 * The struct page of a pfn is at vmemmap + pfn * sizeof(struct page);
 * vmemmap_base is read from the dump (VMEMMAP_START if the kernel has no
 * such variable). The vmemmap is mapped by page tables, so in a QEMU dump
 * the address goes through init_top_pgt (4 or 5 levels, as
 * __pgtable_l5_enabled says); /proc/kcore maps it directly. Offsets and
 * flag numbers come from the vmlinux's DWARF (struct page, struct slab,
 * struct folio, enum pageflags, enum pagetype), never from constants.
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
	Dwarf_Die page, slab, cache, folio;
	bool have_page, have_slab, have_cache, have_folio;
	bool have_flags, have_types;
	int pg_slab, pg_head, nr_flags, pgty_slab;
	struct es_page_layout *pl;
};

/* "PG_slab" -> "slab" into @dst, when @n begins with @prefix. */
static bool strip(char *dst, size_t len, const char *n, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (strncmp(n, prefix, pl))
		return false;
	snprintf(dst, len, "%s", n + pl);
	return true;
}

/* The enumerators of enum pageflags or enum pagetype. */
static void enumerators(Dwarf_Die *en, struct found *f, bool types)
{
	struct es_page_layout *pl = f->pl;
	Dwarf_Die child;
	Dwarf_Attribute a;
	Dwarf_Sword v;
	const char *n;

	if (dwarf_child(en, &child))
		return;
	do {
		Dwarf_Word u;

		n = dwarf_diename(&child);
		if (!n || !dwarf_attr(&child, DW_AT_const_value, &a))
			continue;
		/* a one-byte form may read as signed: 0xf5 is no -11 here */
		if (types && !dwarf_formudata(&a, &u))
			v = (Dwarf_Sword)(u & 0xffffffffU);
		else if (dwarf_formsdata(&a, &v))
			continue;
		if (types) {
			/* 0x00-0xef are mapcounts; types are in the top byte */
			if (v < 0xf0 || v > 0xff)
				continue;
			if (!pl->type_name[v - 0xf0][0])
				strip(pl->type_name[v - 0xf0],
				      sizeof(pl->type_name[0]), n, "PGTY_");
			if (!strcmp(n, "PGTY_slab"))
				f->pgty_slab = (int)v;
			continue;
		}
		if (!strcmp(n, "__NR_PAGEFLAGS"))
			f->nr_flags = (int)v;
		else if (v >= 0 && v < 64 && !pl->flag_name[v][0])
			/* the first name of a bit is its own; aliases follow */
			strip(pl->flag_name[v], sizeof(pl->flag_name[0]), n,
			      "PG_");
		if (!strcmp(n, "PG_slab"))
			f->pg_slab = (int)v;
		else if (!strcmp(n, "PG_head"))
			f->pg_head = (int)v;
	} while (!dwarf_siblingof(&child, &child));
	if (types)
		f->have_types = true;
	else
		f->have_flags = true;
}

static void take(Dwarf_Die *die, const char *name, const char *want,
		 Dwarf_Die *dst, bool *have)
{
	if (!*have && !strcmp(name, want) && complete(die)) {
		*dst = *die;
		*have = true;
	}
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
				if (tag == DW_TAG_structure_type) {
					take(&child, n, "page", &f->page,
					     &f->have_page);
					take(&child, n, "slab", &f->slab,
					     &f->have_slab);
					take(&child, n, "kmem_cache", &f->cache,
					     &f->have_cache);
					take(&child, n, "folio", &f->folio,
					     &f->have_folio);
				} else if (tag == DW_TAG_enumeration_type &&
					   !f->have_flags &&
					   !strcmp(n, "pageflags")) {
					enumerators(&child, f, false);
				} else if (tag == DW_TAG_enumeration_type &&
					   !f->have_types &&
					   !strcmp(n, "pagetype")) {
					enumerators(&child, f, true);
				}
			} while (!dwarf_siblingof(&child, &child));
		}
		/*
		 * PG_slab left enum pageflags when the slab page type came:
		 * a kernel with PG_slab has no enum pagetype to look for.
		 */
		if (f->have_page && f->have_slab && f->have_cache &&
		    f->have_flags &&
		    (f->pg_slab >= 0 || (f->have_types && f->have_folio)))
			break;
		off = next;
	}
}

static bool has_member(Dwarf_Die *type, const char *name)
{
	uint64_t off;

	return !member_off(type, name, 0, &off);
}

/* The allocator whose struct kmem_cache this is (0: neither). */
static uint32_t allocator_of(struct found *f)
{
	if (!f->have_cache)
		return EST_ALLOC_UNKNOWN;
	if (has_member(&f->cache, "cpu_slab"))
		return EST_ALLOC_SLUB;
	if (has_member(&f->cache, "cpu_cache"))
		return EST_ALLOC_SLAB;
	return EST_ALLOC_UNKNOWN;
}

/*
 * How the kernel marks slab pages, and where the compound order is:
 * 0, or -1 with pl->err set.
 */
static int slab_mark(struct es_trace *t, struct found *f)
{
	struct es_page_layout *pl = &t->pl;
	uint64_t off;

	if (f->pg_slab < 0 && f->pgty_slab >= 0) {
		if (member_sized(&f->page, "page_type", &pl->off_page_type,
				 &pl->size_page_type) ||
		    pl->size_page_type != 4) {
			snprintf(pl->err, sizeof(pl->err),
				 "%s: enum pagetype but no 32-bit page->page_type in the DWARF",
				 t->vmlinux);
			return -1;
		}
		pl->mark = ES_SLAB_MARK_PAGE_TYPE;
		pl->pgty_slab = f->pgty_slab;
		/* folio->_flags_1 is page[1].flags: the order in its low byte */
		if (f->have_folio &&
		    !member_off(&f->folio, "_flags_1", 0, &off) &&
		    off >= pl->page_size && off < 2 * pl->page_size) {
			pl->off_compound_order = off - pl->page_size;
			pl->size_compound_order = 1;
		}
		return 0;
	}
	if (f->pg_slab < 0) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: no slab mark in the DWARF (neither enum pagetype PGTY_slab nor enum pageflags PG_slab)",
			 t->vmlinux);
		return -1;
	}
	pl->mark = ES_SLAB_MARK_PG_SLAB;
	pl->pg_slab = f->pg_slab;
	if (member_sized(&f->page, "compound_order", &pl->off_compound_order,
			 &pl->size_compound_order) ||
	    pl->size_compound_order > 8 ||
	    pl->off_compound_order + pl->size_compound_order > pl->page_size)
		pl->size_compound_order = 0;
	/* the word _mapcount and page_type share, shown as a mapcount */
	if (member_sized(&f->page, "_mapcount", &pl->off_page_type,
			 &pl->size_page_type) || pl->size_page_type != 4)
		pl->size_page_type = 0;
	return 0;
}

/* A version 2 trace says which allocator wrote it: the vmlinux must agree. */
static int agree(struct es_trace *t)
{
	struct es_page_layout *pl = &t->pl;
	uint32_t want = t->loaded && t->hdr.version >= 2 ? t->hdr.allocator : 0;
	char kver[32];

	if (!want || !pl->allocator || want == pl->allocator)
		return 0;
	snprintf(pl->err, sizeof(pl->err),
		 "%s: a %s kernel (%s), but %s was written by %s %s: a vmlinux of another kernel",
		 t->vmlinux, es_allocator_name(pl->allocator),
		 pl->mark == ES_SLAB_MARK_PAGE_TYPE ? "slab page type" :
						      "PG_slab",
		 t->name, es_allocator_name(want),
		 es_kernel_version_name(t->hdr.kernel_version, kver,
					sizeof(kver)));
	pl->errcode = ES_ERR_MISMATCH;
	return -1;
}

/* The DWARF part of the layout, once per vmlinux: 0 or -1 (pl->err). */
static int layout_dwarf(struct es_trace *t)
{
	struct es_page_layout *pl = &t->pl;
	struct found f = { .pg_slab = -1, .pg_head = -1, .nr_flags = -1,
			   .pgty_slab = -1, .pl = pl };
	Dwarf_Attribute a;
	Dwarf_Word size;
	Dwarf *dw;

	if (pl->dwarf_done)
		return pl->dwarf_ok ? 0 : -1;
	pl->dwarf_done = true;
	pl->errcode = ES_ERR_INPUT;
	dw = es_dwarf(t);
	if (!dw) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: no DWARF (build with CONFIG_DEBUG_INFO) to read struct page",
			 t->vmlinux);
		return -1;
	}
	find_types(dw, &f);
	if (!f.have_page || !f.have_slab) {
		snprintf(pl->err, sizeof(pl->err), "%s: no %s in the DWARF",
			 t->vmlinux,
			 !f.have_page ? "struct page" : "struct slab");
		return -1;
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
		return -1;
	}
	pl->page_size = size;
	pl->pg_head = f.pg_head;
	pl->nr_flags = f.nr_flags > 0 && f.nr_flags <= 64 ? f.nr_flags : 0;
	if (slab_mark(t, &f))
		return -1;
	if (pl->off_page_type + pl->size_page_type > size)
		pl->size_page_type = 0;
	pl->allocator = allocator_of(&f);
	/* no SLAB kernel has the slab page type (SLAB left in 6.8) */
	if (!pl->allocator && pl->mark == ES_SLAB_MARK_PAGE_TYPE)
		pl->allocator = EST_ALLOC_SLUB;
	pl->have_cache_name = f.have_cache &&
			      !member_off(&f.cache, "name", 0,
					  &pl->off_cache_name);
	pl->dwarf_ok = true;
	return 0;
}

int es_kernel_info(struct es_trace *t, uint32_t *slab_mark,
		   uint32_t *allocator)
{
	struct es_page_layout *pl;

	if (slab_mark)
		*slab_mark = ES_SLAB_MARK_UNKNOWN;
	if (allocator)
		*allocator = EST_ALLOC_UNKNOWN;
	if (!t)
		return -1;
	pl = &t->pl;
	if (!t->vmlinux) {
		es_set_error_code(t, ES_ERR_NEEDS, "%s: no vmlinux given",
				  t->name ? t->name : "(trace)");
		return -1;
	}
	if (layout_dwarf(t) || agree(t)) {
		es_set_error_code(t, pl->errcode, "%s", pl->err);
		return -1;
	}
	if (slab_mark)
		*slab_mark = pl->mark;
	if (allocator)
		*allocator = pl->allocator;
	return 0;
}

static int layout(struct es_trace *t)
{
	struct es_page_layout *pl = &t->pl;

	if (pl->done) {
		if (!pl->ok)
			es_set_error_code(t, pl->errcode, "%s", pl->err);
		return pl->ok ? 0 : -1;
	}
	pl->done = true;
	if (layout_dwarf(t) || agree(t))
		goto fail;
	pl->vmemmap = ES_VMEMMAP_START;
	if (t->sym_vmemmap_base &&
	    es_read_mem(t, t->sym_vmemmap_base, &pl->vmemmap,
			sizeof(pl->vmemmap))) {
		snprintf(pl->err, sizeof(pl->err),
			 "%s: vmemmap_base is not in the dump", t->name);
		pl->errcode = ES_ERR_INPUT;
		goto fail;
	}
	pl->ok = true;
	return 0;
fail:
	es_set_error_code(t, pl->errcode, "%s", pl->err);
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

static uint64_t load_le(const unsigned char *p, uint64_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return v;
}

/* The names of the bits set in @flags, "|" between them, into @buf. */
static void flag_names(const struct es_page_layout *pl, uint64_t flags,
		       char *buf, size_t len)
{
	size_t n = 0;
	int b;

	buf[0] = '\0';
	for (b = 0; b < pl->nr_flags && n < len; b++) {
		char bit[16];
		const char *name = pl->flag_name[b];

		if (!(flags >> b & 1))
			continue;
		if (!name[0]) {
			snprintf(bit, sizeof(bit), "bit%d", b);
			name = bit;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "",
				      name);
	}
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
	pg->head = pl->pg_head >= 0 && pl->pg_head < 64 &&
		   (pg->flags >> pl->pg_head) & 1;
	pg->tail = pg->compound_head & 1;
	pg->page_type = pl->size_page_type ?
		(uint32_t)load_le(buf + pl->off_page_type, 4) : UINT32_MAX;
	if (pl->mark == ES_SLAB_MARK_PAGE_TYPE) {
		/* page_type_has_type(): below PGTY_mapcount_underflow << 24 */
		pg->typed = (int32_t)pg->page_type < (int32_t)0xff000000;
		pg->slab = pg->typed &&
			   pg->page_type >> 24 == (uint32_t)pl->pgty_slab;
		if (pg->typed && pg->page_type >> 24 >= 0xf0)
			snprintf(pg->type_name, sizeof(pg->type_name), "%s",
				 pl->type_name[(pg->page_type >> 24) - 0xf0]);
	} else {
		pg->slab = pl->pg_slab < 64 && (pg->flags >> pl->pg_slab) & 1;
	}
	pg->mapcount = pg->typed ? 0 : (int32_t)pg->page_type + 1;
	if (pg->slab)
		memcpy(&pg->slab_cache, buf + pl->off_slab_cache,
		       sizeof(pg->slab_cache));
	flag_names(pl, pg->flags, pg->flag_names, sizeof(pg->flag_names));
}

/* The compound order kept in the first tail page, @tail1 (0 if none). */
static uint32_t tail_order(const struct es_page_layout *pl,
			   const unsigned char *tail1)
{
	if (!pl->size_compound_order)
		return 0;
	return (uint32_t)load_le(tail1 + pl->off_compound_order,
				 pl->size_compound_order);
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
	unsigned char buf[1024];
	uint64_t va;

	if (page_prep(t, pfn, pg) ||
	    read_pages(t, pfn, 1, buf, &pg->vaddr))
		return -1;
	decode_page(&t->pl, buf, pg);
	pg->head_pfn = pfn;
	if (pg->tail) {
		uint64_t h = pg->compound_head - 1;

		if (h >= t->pl.vmemmap && !((h - t->pl.vmemmap) % t->pl.page_size))
			pg->head_pfn = (h - t->pl.vmemmap) / t->pl.page_size;
	}
	/* a head page's order is in its first tail: not an error if not */
	if (pg->head && !read_pages(t, pfn + 1, 1, buf, &va))
		pg->order = tail_order(&t->pl, buf);
	/* 6.12: the first tail's flags are folio->_flags_1, the order below */
	if (pg->tail && pg->head_pfn + 1 == pfn &&
	    t->pl.size_compound_order &&
	    t->pl.off_compound_order == t->pl.off_flags)
		flag_names(&t->pl,
			   pg->flags & ~((1ULL << (8 * t->pl.size_compound_order)) - 1),
			   pg->flag_names, sizeof(pg->flag_names));
	t->err[0] = '\0';
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

/*
 * SLUB's kmem_cache_init() takes its first slabs for two static caches,
 * boot_kmem_cache and boot_kmem_cache_node (.init.data), then bootstrap()
 * copies each into a cache of its own and points every slab's slab_cache
 * at the copy. The trace names the static one: whether @cache is it.
 */
static bool slub_boot_cache(struct es_trace *t, uint64_t cache)
{
	static const char *const names[] = { "boot_kmem_cache",
					      "boot_kmem_cache_node" };
	struct es_symbol sym;
	size_t i, n;

	if (t->pl.allocator != EST_ALLOC_SLUB ||
	    es_symbolize(t, cache, &sym) || !sym.found || sym.offset)
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		/* a function-local static: "boot_kmem_cache.5" */
		if (!strncmp(sym.func, names[i], n) &&
		    (!sym.func[n] || sym.func[n] == '.'))
			return true;
	}
	return false;
}

int es_verify_run(struct es_trace *t, const struct es_run *run,
		  struct es_page_check *pc)
{
	const struct es_page_layout *pl = &t->pl;
	uint64_t nr, i, head, ch;
	unsigned char *buf;
	struct es_page *pg = &pc->page;
	char name[ES_NAME_LEN];
	bool large;

	memset(pc, 0, sizeof(*pc));
	pc->bad_tail_pfn = ES_NO_PFN;
	if (!run || page_prep(t, run ? run->pfn : 0, pg))
		return -1;
	large = run->flags & ES_RUN_LARGE;
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
	if (large && pg->slab && pl->mark == ES_SLAB_MARK_PAGE_TYPE)
		add_problem(pc, ES_PC_SLAB,
			    "a slab page (page_type 0x%08x), trace says large kmalloc",
			    pg->page_type);
	else if (large && pg->slab)
		add_problem(pc, ES_PC_SLAB,
			    "PG_slab set (flags 0x%llx), trace says large kmalloc",
			    (unsigned long long)pg->flags);
	else if (!large && !pg->slab && pl->mark == ES_SLAB_MARK_PAGE_TYPE)
		add_problem(pc, ES_PC_NOT_SLAB,
			    "not a slab page (page_type 0x%08x)", pg->page_type);
	else if (!large && !pg->slab)
		add_problem(pc, ES_PC_NOT_SLAB, "PG_slab clear (flags 0x%llx)",
			    (unsigned long long)pg->flags);
	if (run->order && pl->pg_head >= 0 && !pg->head)
		add_problem(pc, ES_PC_NO_HEAD,
			    "PG_head clear on an order-%u %s (flags 0x%llx)",
			    run->order, large ? "large kmalloc" : "slab",
			    (unsigned long long)pg->flags);
	if (run->order && pl->size_compound_order) {
		uint32_t v = tail_order(pl, buf + pl->page_size);

		pc->compound_order = v;
		pg->order = v;
		if (v != run->order)
			add_problem(pc, ES_PC_ORDER,
				    "compound order %u, trace says %u", v,
				    run->order);
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
	/* a large kmalloc has no cache to compare */
	if (!pg->slab || large)
		return pc->problems ? 1 : 0;
	if (pl->have_cache_name && pg->slab_cache) {
		uint64_t p = 0;

		if (!es_read_mem(t, pg->slab_cache + pl->off_cache_name, &p,
				 sizeof(p)) && p)
			read_string(t, p, pc->live_name, sizeof(pc->live_name));
	}
	es_sanitize(name, run->name, sizeof(name));
	if (pg->slab_cache != run->cache && pc->live_name[0] && name[0] &&
	    !strncmp(pc->live_name, name, strlen(name)) &&
	    slub_boot_cache(t, run->cache))
		return pc->problems ? 1 : 0;	/* moved there by bootstrap() */
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
