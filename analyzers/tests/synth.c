// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helpers: synthetic buffers through the real writer, ELF cores, and
 * the stand-in vmlinux's symbols.
 */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synth.h"

#define START_KERNEL_MAP	0xffffffff80000000ULL
#define LOW_SIZE		0x1000ULL	/* guest RAM below the image */

struct synth *synth_new(uint32_t capacity)
{
	struct est_header init = EST_HEADER_INIT(capacity, EST_ALLOC_SLAB, 0x060100);
	struct synth *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->len = sizeof(struct est_header) +
		 (size_t)capacity * sizeof(struct est_record);
	s->mem = calloc(1, s->len);
	if (!s->mem) {
		free(s);
		return NULL;
	}
	s->hdr = s->mem;
	*s->hdr = init;
	s->ring = (struct est_record *)(s->hdr + 1);
	return s;
}

void synth_free(struct synth *s)
{
	if (!s)
		return;
	free(s->mem);
	free(s);
}

bool synth_emit(struct synth *s, const struct est_record *ev)
{
	return est_emit(s->hdr, s->ring, ev);
}

static void base(struct synth *s, struct est_record *ev, uint8_t type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->phase = s->phase;
	ev->cpu = s->cpu;
	ev->nid_req = EST_NO_NODE;
	ev->nid = 0;
	ev->ts = 1000;
}

bool synth_phase(struct synth *s, uint8_t phase)
{
	struct est_record ev;

	s->phase = phase;
	s->hdr->phase = phase;
	base(s, &ev, EST_EV_PHASE);
	ev.caller = CALLER_1;
	return synth_emit(s, &ev);
}

bool synth_slab_state(struct synth *s, uint64_t state)
{
	struct est_record ev;

	base(s, &ev, EST_EV_SLAB_STATE);
	ev.arg = state;
	return synth_emit(s, &ev);
}

static void pages_rec(struct synth *s, struct est_record *ev, uint8_t type,
		      uint64_t pfn, uint8_t order, uint8_t path,
		      uint64_t cache, const char *name, uint64_t caller)
{
	base(s, ev, type);
	ev->pfn = pfn;
	ev->order = order;
	ev->path = path;
	ev->cache = cache;
	ev->caller = caller;
	if ((type == EST_EV_GETPAGES || type == EST_EV_LARGE) &&
	    path == EST_PATH_MEMBLOCK)
		ev->flags = EST_RF_EARLY_PAGE;
	if (name)
		strncpy(ev->name, name, sizeof(ev->name) - 1);
}

static bool pages_ev(struct synth *s, uint8_t type, uint64_t pfn,
		     uint8_t order, uint8_t path, uint64_t cache,
		     const char *name, uint64_t caller, int16_t nid_req,
		     int16_t nid)
{
	struct est_record ev;

	pages_rec(s, &ev, type, pfn, order, path, cache, name, caller);
	ev.nid_req = nid_req;
	ev.nid = nid;
	return synth_emit(s, &ev);
}

bool synth_get(struct synth *s, uint64_t pfn, uint8_t order, uint8_t path,
	       uint64_t cache, const char *name, uint64_t caller)
{
	return pages_ev(s, EST_EV_GETPAGES, pfn, order, path, cache, name,
			caller, EST_NO_NODE, 0);
}

bool synth_get_node(struct synth *s, uint64_t pfn, uint8_t order,
		    uint8_t path, uint64_t cache, const char *name,
		    int16_t nid_req, int16_t nid)
{
	return pages_ev(s, EST_EV_GETPAGES, pfn, order, path, cache, name,
			CALLER_1, nid_req, nid);
}

bool synth_put(struct synth *s, uint64_t pfn, uint8_t order, uint8_t path,
	       uint64_t cache, const char *name, uint64_t caller)
{
	return pages_ev(s, EST_EV_FREEPAGES, pfn, order, path, cache, name,
			caller, EST_NO_NODE, 0);
}

bool synth_skip(struct synth *s, uint64_t pfn, uint64_t pages)
{
	struct est_record ev;

	base(s, &ev, EST_EV_SKIP);
	ev.pfn = pfn;
	ev.arg = pages;
	return synth_emit(s, &ev);
}

bool synth_large(struct synth *s, uint64_t bytes, uint8_t path)
{
	struct est_record ev;

	base(s, &ev, EST_EV_LARGE);
	ev.arg = bytes;
	ev.order = 2;
	ev.path = path;
	ev.caller = CALLER_1;
	return synth_emit(s, &ev);
}

bool synth_large_get(struct synth *s, uint64_t pfn, uint8_t order,
		     uint64_t bytes)
{
	struct est_record ev;

	pages_rec(s, &ev, EST_EV_LARGE, pfn, order, EST_PATH_MEMBLOCK, 0,
		  NULL, CALLER_1);
	ev.arg = bytes;
	return synth_emit(s, &ev);
}

bool synth_large_free(struct synth *s, uint64_t pfn, uint8_t order,
		      uint8_t path)
{
	return pages_ev(s, EST_EV_LARGE_FREE, pfn, order, path, 0, NULL,
			CALLER_2, EST_NO_NODE, 0);
}

bool synth_mark(struct synth *s, uint64_t mark)
{
	struct est_record ev;

	base(s, &ev, EST_EV_MARK);
	ev.arg = mark;
	return synth_emit(s, &ev);
}

void synth_torn(struct synth *s)
{
	struct est_record *rec = est_reserve(s->hdr, s->ring);

	if (rec)
		rec->type = EST_EV_GETPAGES;	/* half written */
}

void synth_pending(struct synth *s)
{
	atomic64_fetch_inc(&s->hdr->head);
}

void synth_bad(struct synth *s, uint64_t slot)
{
	s->ring[slot].seq = slot + 1000;
}

unsigned int synth_clean_boot(struct synth *s)
{
	uint64_t before = (uint64_t)atomic64_read(&s->hdr->head);

	synth_phase(s, EST_PHASE_EARLY);
	synth_slab_state(s, 1);
	synth_get(s, 0x1fff0, 0, EST_PATH_MEMBLOCK, CACHE_A, "kmem_cache",
		  CALLER_1);
	synth_get(s, 0x1ffe0, 1, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		  CALLER_1);
	synth_get(s, 0x1ffd0, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		  CALLER_1);
	synth_put(s, 0x1ffd0, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		  CALLER_2);
	synth_large(s, 16384, EST_PATH_REFUSED);
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x1fff0, 1);
	synth_skip(s, 0x1ffe0, 2);
	synth_phase(s, EST_PHASE_WINDOW);
	synth_get(s, 0x5000, 0, EST_PATH_BUDDY, CACHE_B, "kmalloc-64",
		  CALLER_1);
	synth_phase(s, EST_PHASE_UP);
	synth_slab_state(s, 3);
	synth_put(s, 0x1ffe0, 1, EST_PATH_LATE, CACHE_B, "kmalloc-64",
		  CALLER_2);
	synth_phase(s, EST_PHASE_FULL);
	synth_slab_state(s, 4);
	return (unsigned int)((uint64_t)atomic64_read(&s->hdr->head) - before);
}

int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	if (len && fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

int synth_write(const struct synth *s, const char *path)
{
	return write_file(path, s->mem, s->len);
}

int write_core(const char *path, const struct core_seg *segs, int nsegs)
{
	static const char note_name[8] = "QEMU";
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Nhdr nh;
	FILE *f = fopen(path, "wb");
	uint64_t off, data;
	int i;

	if (!f)
		return -1;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = (Elf64_Half)(nsegs + 1);
	fwrite(&eh, sizeof(eh), 1, f);

	/* one PT_NOTE, as QEMU writes (a "QEMU" note, no payload here) */
	off = sizeof(eh) + (uint64_t)(nsegs + 1) * sizeof(ph);
	memset(&ph, 0, sizeof(ph));
	ph.p_type = PT_NOTE;
	ph.p_offset = off;
	ph.p_filesz = sizeof(nh) + 8;
	fwrite(&ph, sizeof(ph), 1, f);
	/* data after the headers and the note, page-aligned */
	data = (off + sizeof(nh) + 8 + 4095) & ~4095ULL;
	off = data;
	for (i = 0; i < nsegs; i++) {
		memset(&ph, 0, sizeof(ph));
		ph.p_type = PT_LOAD;
		ph.p_flags = PF_R | PF_W | PF_X;
		ph.p_offset = off;
		ph.p_vaddr = segs[i].vaddr;
		ph.p_paddr = segs[i].paddr;
		ph.p_filesz = segs[i].len;
		ph.p_memsz = segs[i].len;
		fwrite(&ph, sizeof(ph), 1, f);
		off += (segs[i].len + 4095) & ~4095ULL;
	}
	nh.n_namesz = 5;
	nh.n_descsz = 0;
	nh.n_type = 0;
	fwrite(&nh, sizeof(nh), 1, f);
	fwrite(note_name, 1, 8, f);
	off = data;
	for (i = 0; i < nsegs; i++) {
		fseek(f, (long)off, SEEK_SET);
		fwrite(segs[i].data, 1, segs[i].len, f);
		off += (segs[i].len + 4095) & ~4095ULL;
	}
	return fclose(f) ? -1 : 0;
}

int fake_info(const char *vmlinux, struct fake_info *fi)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;
	int fd;

	memset(fi, 0, sizeof(*fi));
	elf_version(EV_CURRENT);
	fd = open(vmlinux, O_RDONLY);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t i;

		gelf_getshdr(scn, &sh);
		if (sh.sh_type == SHT_SYMTAB) {
			for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				const char *n;

				gelf_getsym(d, (int)i, &sym);
				n = elf_strptr(elf, sh.sh_link, sym.st_name);
				if (!n)
					continue;
				if (!strcmp(n, "early_slab_trace")) {
					fi->trace = sym.st_value;
					fi->trace_size = sym.st_size;
				} else if (!strcmp(n, "phys_base")) {
					fi->phys_base = sym.st_value;
				} else if (!strcmp(n, "fake_slab_alloc")) {
					fi->fn_alloc = sym.st_value;
				} else if (!strcmp(n, "fake_window_free")) {
					fi->fn_window = sym.st_value;
				} else if (!strcmp(n, "init_top_pgt")) {
					fi->init_top_pgt = sym.st_value;
				} else if (!strcmp(n, "vmemmap_base")) {
					fi->vmemmap_base = sym.st_value;
				} else if (!strncmp(n, "boot_kmem_cache.", 16)) {
					fi->boot_cache = sym.st_value;
				}
			}
		} else if (sh.sh_type == SHT_NOTE) {
			GElf_Nhdr nh;
			size_t noff, doff;

			if (gelf_getnote(d, 0, &nh, &noff, &doff) &&
			    nh.n_type == NT_GNU_BUILD_ID &&
			    nh.n_descsz <= sizeof(fi->build_id)) {
				memcpy(fi->build_id, (char *)d->d_buf + doff,
				       nh.n_descsz);
				fi->build_id_len = nh.n_descsz;
				fi->build_id_addr = sh.sh_addr + doff;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

static uint64_t pa(uint64_t va, uint64_t phys_base)
{
	return va - START_KERNEL_MAP + phys_base;
}

static const struct fake_page *g_pages;
static int g_npages;

void core_pages(const struct fake_page *pages, int n)
{
	g_pages = pages;
	g_npages = n;
}

#define VMEMMAP		0xffffea0000000000ULL
#define PT_BASE		0x100000ULL	/* page tables and 4K-mapped pages */
#define PT_SIZE		0x10000ULL
#define BIG_BASE	0x40000000ULL	/* 2M-mapped vmemmap */
#define PTE_P		0x3ULL		/* present, writable */
#define PTE_PSE		0x80ULL

/* Allocate a zeroed page in the page-table segment. */
static uint64_t pt_alloc(uint64_t *next)
{
	uint64_t p = *next;

	*next += 4096;
	return p;
}

static uint64_t *entry(unsigned char *img, uint64_t img_pa,
		       unsigned char *pt, uint64_t table_pa, unsigned int idx)
{
	if (table_pa >= PT_BASE && table_pa < PT_BASE + PT_SIZE)
		return (uint64_t *)(pt + (table_pa - PT_BASE)) + idx;
	return (uint64_t *)(img + (table_pa - img_pa)) + idx;
}

/*
 * struct pages behind vmemmap: the first 2M of vmemmap used goes through
 * 4K page tables, every other 2M region is one 2M (PSE) mapping.
 */
static int map_pages(unsigned char *img, uint64_t img_pa, uint64_t pgd_pa,
		     unsigned char *pt, unsigned char **big,
		     uint64_t *big_region)
{
	uint64_t next = PT_BASE, pdpt, pd, first_region = UINT64_MAX;
	uint64_t *e;
	int i;

	*big = NULL;
	*big_region = UINT64_MAX;
	pdpt = pt_alloc(&next);
	pd = pt_alloc(&next);
	*entry(img, img_pa, pt, pgd_pa, (VMEMMAP >> 39) & 511) = pdpt | PTE_P;
	*entry(img, img_pa, pt, pdpt, (VMEMMAP >> 30) & 511) = pd | PTE_P;
	for (i = 0; i < g_npages; i++) {
		uint64_t va = VMEMMAP + g_pages[i].pfn * 64;
		uint64_t region = (va >> 21) & 511, data_pa;
		unsigned char *data;

		if (first_region == UINT64_MAX)
			first_region = region;
		if (region == first_region) {
			uint64_t ptab;

			e = entry(img, img_pa, pt, pd, (unsigned int)region);
			if (!*e)
				*e = pt_alloc(&next) | PTE_P;
			ptab = *e & ~0xfffULL;
			e = entry(img, img_pa, pt, ptab, (va >> 12) & 511);
			if (!*e)
				*e = pt_alloc(&next) | PTE_P;
			if (next > PT_BASE + PT_SIZE)
				return -1;
			data_pa = (*e & ~0xfffULL) + (va & 0xfff);
			data = pt + (data_pa - PT_BASE);
		} else {
			if (*big_region == UINT64_MAX) {
				*big_region = region;
				*big = calloc(1, 2 << 20);
				if (!*big)
					return -1;
				*entry(img, img_pa, pt, pd,
				       (unsigned int)region) =
					BIG_BASE | PTE_P | PTE_PSE;
			}
			if (region != *big_region)
				return -1;	/* one 2M region is enough */
			data = *big + (va & ((2 << 20) - 1));
		}
		memcpy(data, &g_pages[i].flags, 8);		/* flags */
		memcpy(data + 24, &g_pages[i].slab_cache, 8);	/* slab_cache */
		data[52] = 1;					/* _refcount */
	}
	return 0;
}

int make_core(const char *path, const char *vmlinux, const struct synth *s,
	      uint64_t phys_base, unsigned int flags)
{
	struct fake_info fi;
	struct core_seg segs[4];
	unsigned char *low, *img, *pt = NULL, *big = NULL;
	uint64_t lo_va, hi_va, lo, len, big_region = UINT64_MAX;
	int ret, nsegs = 2;

	if (fake_info(vmlinux, &fi))
		return -1;
	lo_va = (flags & CORE_NO_BUILD_ID) ? fi.trace : fi.build_id_addr;
	hi_va = fi.phys_base + 8;
	if (fi.trace + s->len > hi_va)
		hi_va = fi.trace + s->len;
	if (g_npages && fi.init_top_pgt + 4096 > hi_va)
		hi_va = fi.init_top_pgt + 4096;
	if (g_npages && fi.vmemmap_base + 8 > hi_va)
		hi_va = fi.vmemmap_base + 8;
	lo_va &= ~4095ULL;
	hi_va = (hi_va + 4095) & ~4095ULL;
	len = hi_va - lo_va;
	lo = pa(lo_va, phys_base);

	img = calloc(1, len);
	low = calloc(1, LOW_SIZE);
	if (!img || !low) {
		free(img);
		free(low);
		return -1;
	}
	memset(low, 0x5a, LOW_SIZE);
	if (!(flags & CORE_NO_BUILD_ID)) {
		memcpy(img + (fi.build_id_addr - lo_va), fi.build_id,
		       fi.build_id_len);
		if (flags & CORE_BAD_BUILD_ID)
			img[fi.build_id_addr - lo_va] ^= 0xff;
	}
	memcpy(img + (fi.phys_base - lo_va), &phys_base, sizeof(phys_base));
	memcpy(img + (fi.trace - lo_va), s->mem, s->len);
	if (flags & CORE_STALE_COPY) {
		struct est_header h = EST_HEADER_INIT(4, EST_ALLOC_SLAB, 0x060100);

		memset(low + 0x400, 0, 64 + 4 * 80);
		memcpy(low + 0x400, &h, sizeof(h));
	}

	segs[0].paddr = 0;
	segs[0].vaddr = (flags & CORE_KCORE) ? 0xffff888000000000ULL : 0;
	segs[0].data = low;
	segs[0].len = LOW_SIZE;
	segs[1].paddr = lo;
	segs[1].vaddr = (flags & CORE_KCORE) ? lo_va : lo;
	segs[1].data = img;
	segs[1].len = len;
	if (g_npages && !(flags & CORE_KCORE)) {
		uint64_t vb = VMEMMAP;

		memcpy(img + (fi.vmemmap_base - lo_va), &vb, sizeof(vb));
		pt = calloc(1, PT_SIZE);
		if (!pt || map_pages(img, lo, pa(fi.init_top_pgt, phys_base),
				     pt, &big, &big_region)) {
			ret = -1;
			goto out;
		}
		segs[2].paddr = segs[2].vaddr = PT_BASE;
		segs[2].data = pt;
		segs[2].len = PT_SIZE;
		nsegs = 3;
		if (big) {
			segs[3].paddr = segs[3].vaddr = BIG_BASE;
			segs[3].data = big;
			segs[3].len = 2 << 20;
			nsegs = 4;
		}
	}
	ret = write_core(path, segs, nsegs);
	if (!ret && (flags & CORE_TRUNCATE)) {
		uint64_t size = 4096 + LOW_SIZE + len - 100;

		ret = truncate(path, (off_t)size);
	}
out:
	free(pt);
	free(big);
	free(img);
	free(low);
	return ret;
}
