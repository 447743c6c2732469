// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: where the buffer comes from.
 *
 * - a raw file: the buffer's bytes, mapped;
 * - a QEMU dump-guest-memory ELF core: PT_LOAD p_paddr is guest-physical;
 *   early_slab_trace lives in the kernel image, at
 *   va - __START_KERNEL_map + phys_base, and phys_base is itself read from
 *   the dump (it is the value stored at its own translated address);
 * - /proc/kcore (or a dump with kernel-virtual PT_LOADs): by p_vaddr;
 * - bytes handed over by the caller (gdb).
 *
 * A vmlinux gives the symbol addresses; its GNU build-id note, which the
 * kernel keeps in memory, is compared with the dump's copy so that a
 * vmlinux from another build is refused instead of decoding garbage.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "es_internal.h"

#define ES_PHYS_ALIGN	(2ULL << 20)	/* CONFIG_PHYSICAL_ALIGN on x86_64 */
#define ES_SCAN_CHUNK	(1U << 20)

struct es_trace *es_trace_new(void)
{
	struct es_trace *t = calloc(1, sizeof(*t));

	if (t)
		t->source = ES_SRC_NONE;
	return t;
}

static void drop_source(struct es_trace *t)
{
	t->err[0] = '\0';
	if (t->map)
		munmap(t->map, t->map_len);
	t->map = NULL;
	t->map_len = 0;
	free(t->copy);
	t->copy = NULL;
	es_core_close(t->core);
	t->core = NULL;
	memset(&t->pl, 0, sizeof(t->pl));
	free(t->name);
	t->name = NULL;
	t->buf = NULL;
	t->buf_len = 0;
	t->nslots = 0;
	t->buffer_addr = 0;
	t->phys_base = 0;
	t->counted = false;
	t->source = ES_SRC_NONE;
}

void es_trace_free(struct es_trace *t)
{
	if (!t)
		return;
	drop_source(t);
	es_symbols_close(t);
	free(t->vmlinux);
	free(t);
}

static int set_name(struct es_trace *t, const char *name)
{
	free(t->name);
	t->name = strdup(name ? name : "(buffer)");
	if (!t->name) {
		es_set_error(t, "out of memory");
		return -1;
	}
	return 0;
}

/* Read the whole of a non-regular file (a pipe) into memory. */
static int slurp(int fd, unsigned char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > (SIZE_MAX >> 2))
				goto fail;
			nb = realloc(b, cap * 2);
			if (!nb)
				goto fail;
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*out = b;
	*len = n;
	return 0;
fail:
	free(b);
	return -1;
}

int es_load_raw(struct es_trace *t, const char *path)
{
	struct stat st;
	bool std_in;
	int fd, saved;

	if (!t)
		return -1;
	drop_source(t);
	if (!path) {
		es_set_error(t, "no raw file name");
		return -1;
	}
	std_in = !strcmp(path, "-");
	if (std_in)
		path = "(stdin)";
	if (set_name(t, path))
		return -1;
	fd = std_in ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		es_set_error(t, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		es_set_error(t, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		es_set_error(t, "%s: is a directory", path);
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		if (!st.st_size) {
			es_set_error(t, "%s: empty file", path);
			close(fd);
			return -1;
		}
		t->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			      fd, 0);
		saved = errno;
		if (t->map == MAP_FAILED) {
			t->map = NULL;
			es_set_error(t, "%s: cannot map: %s", path,
				     strerror(saved));
			close(fd);
			return -1;
		}
		t->map_len = (size_t)st.st_size;
	} else {
		size_t len;

		if (slurp(fd, &t->copy, &len)) {
			es_set_error(t, "%s: read error: %s", path,
				     strerror(errno));
			close(fd);
			return -1;
		}
		if (!len) {
			es_set_error(t, "%s: empty file", path);
			close(fd);
			return -1;
		}
		t->map_len = len;
	}
	close(fd);
	t->source = ES_SRC_RAW;
	if (es_attach_buffer(t, t->map ? t->map : t->copy, t->map_len)) {
		const unsigned char *b = t->map ? t->map : t->copy;

		if (t->map_len >= 4 && !memcmp(b, ELFMAG, SELFMAG) &&
		    strlen(t->err) + 40 < sizeof(t->err))
			strcat(t->err, "; an ELF file: use --core");
		return -1;
	}
	return 0;
}

int es_load_memory(struct es_trace *t, const void *buf, size_t len,
		   const char *name)
{
	if (!t)
		return -1;
	drop_source(t);
	if (set_name(t, name))
		return -1;
	if (!buf || !len) {
		es_set_error(t, "%s: empty (no trace header)", t->name);
		return -1;
	}
	t->copy = malloc(len);
	if (!t->copy) {
		es_set_error(t, "%s: out of memory (%zu bytes)", t->name, len);
		return -1;
	}
	memcpy(t->copy, buf, len);
	t->source = ES_SRC_MEMORY;
	return es_attach_buffer(t, t->copy, len);
}

/* ---- vmlinux ------------------------------------------------------------ */

static void elf_init(void)
{
	static int done;

	if (!done) {
		elf_version(EV_CURRENT);
		done = 1;
	}
}

static void read_build_id(struct es_trace *t, Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4) ||
			    !nh.n_descsz || nh.n_descsz > sizeof(t->build_id))
				continue;
			memcpy(t->build_id, (char *)d->d_buf + doff,
			       nh.n_descsz);
			t->build_id_len = nh.n_descsz;
			t->build_id_addr = sh.sh_addr + doff;
			return;
		}
	}
}

int es_set_vmlinux(struct es_trace *t, const char *path)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	bool have_symtab = false, found = false;
	Elf *elf;
	int fd;

	if (!t)
		return -1;
	t->err[0] = '\0';
	if (!path) {
		es_set_error(t, "no vmlinux file name");
		return -1;
	}
	es_symbols_close(t);
	free(t->vmlinux);
	t->vmlinux = NULL;
	t->have_phys_base = false;
	t->sym_init_top_pgt = 0;
	t->sym_vmemmap_base = 0;
	t->sym_l5 = 0;
	memset(&t->pl, 0, sizeof(t->pl));
	t->build_id_len = 0;
	elf_init();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		es_set_error(t, "%s: %s", path, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		es_set_error(t, "%s: not an ELF file (give the vmlinux, not a bzImage)",
			     path);
		goto fail;
	}
	if (eh.e_type == ET_CORE) {
		es_set_error(t, "%s: an ELF core, not a vmlinux (dumps go to --core)",
			     path);
		goto fail;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		es_set_error(t, "%s: not an executable ELF file (give the vmlinux)",
			     path);
		goto fail;
	}
	if (eh.e_machine != EM_X86_64) {
		es_set_error(t, "%s: not an x86_64 vmlinux (e_machine %u)",
			     path, eh.e_machine);
		goto fail;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		have_symtab = true;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)i, &s))
				break;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name)
				continue;
			if (!strcmp(name, "early_slab_trace")) {
				t->sym_trace = s.st_value;
				t->sym_trace_size = s.st_size;
				found = true;
			} else if (!strcmp(name, "phys_base")) {
				t->sym_phys_base = s.st_value;
				t->have_phys_base = true;
			} else if (!strcmp(name, "init_top_pgt")) {
				t->sym_init_top_pgt = s.st_value;
			} else if (!strcmp(name, "vmemmap_base")) {
				t->sym_vmemmap_base = s.st_value;
			} else if (!strcmp(name, "__pgtable_l5_enabled")) {
				t->sym_l5 = s.st_value;
			}
		}
	}
	if (!have_symtab) {
		es_set_error(t, "%s: no symbol table (a stripped vmlinux?)", path);
		goto fail;
	}
	if (!found) {
		es_set_error(t,
			     "%s: no symbol early_slab_trace (kernel built without CONFIG_EARLY_SLAB_TRACE?)",
			     path);
		goto fail;
	}
	read_build_id(t, elf);
	elf_end(elf);
	close(fd);
	t->vmlinux = strdup(path);
	if (!t->vmlinux) {
		es_set_error(t, "out of memory");
		return -1;
	}
	return 0;
fail:
	if (elf)
		elf_end(elf);
	close(fd);
	t->have_phys_base = false;
	return -1;
}

/* ---- ELF cores ---------------------------------------------------------- */

/*
 * Copy up to @len bytes at @addr (physical, or virtual if @virt), going on
 * into adjacent segments; returns how many bytes were contiguous.
 */
uint64_t es_core_read(struct es_core *c, uint64_t addr, bool virt,
			  void *dst, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t a = addr + done, base, off, n;
		ssize_t r;
		size_t i;

		if (a < addr)
			break;
		for (i = 0; i < c->nr; i++) {
			base = virt ? c->segs[i].vaddr : c->segs[i].paddr;
			if ((virt && base < ES_KERNEL_HALF) ||
			    (!virt && base == ES_NO_PADDR))
				continue;
			if (a >= base && a - base < c->segs[i].filesz)
				break;
		}
		if (i == c->nr)
			break;
		off = a - base;
		n = c->segs[i].filesz - off;
		if (n > len - done)
			n = len - done;
		if (!dst) {
			done += n;
			continue;
		}
		if (n > (1U << 30))
			n = 1U << 30;
		r = pread(c->fd, (char *)dst + done, (size_t)n,
			  (off_t)(c->segs[i].offset + off));
		if (r <= 0)
			break;
		done += (uint64_t)r;
	}
	return done;
}

static int core_open(struct es_trace *t, struct es_core *c, const char *path)
{
	struct stat st;
	GElf_Ehdr eh;
	size_t phnum, i;
	unsigned char id[8];
	bool regular;
	Elf *elf = NULL;
	ssize_t r;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path) {
		c->fd = -1;
		es_set_error(t, "out of memory");
		return -1;
	}
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		es_set_error(t, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(c->fd, &st)) {
		es_set_error(t, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		es_set_error(t, "%s: is a directory", path);
		return -1;
	}
	regular = S_ISREG(st.st_mode) && strcmp(path, "/proc/kcore");
	if (regular && !st.st_size) {
		es_set_error(t, "%s: empty file", path);
		return -1;
	}
	r = pread(c->fd, id, sizeof(id), 0);
	if (r < (ssize_t)SELFMAG || memcmp(id, ELFMAG, SELFMAG)) {
		if (r == (ssize_t)sizeof(id) &&
		    !memcmp(id, &(uint64_t){ EST_MAGIC }, sizeof(id)))
			es_set_error(t, "%s: not an ELF file (a raw trace buffer: use --raw)",
				     path);
		else
			es_set_error(t, "%s: not an ELF file", path);
		return -1;
	}
	elf_init();
	elf = elf_begin(c->fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		es_set_error(t, "%s: unreadable ELF header (%s)", path,
			     elf_errmsg(-1));
		goto fail;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		es_set_error(t, "%s: not a 64-bit little-endian ELF core", path);
		goto fail;
	}
	if (eh.e_type != ET_CORE) {
		es_set_error(t, "%s: not an ELF core file (e_type %u; a vmlinux goes to --vmlinux)",
			     path, eh.e_type);
		goto fail;
	}
	if (elf_getphdrnum(elf, &phnum)) {
		es_set_error(t, "%s: truncated core: unreadable program headers (%s)",
			     path, elf_errmsg(-1));
		goto fail;
	}
	if (regular && (eh.e_phoff > (uint64_t)st.st_size ||
			(uint64_t)phnum * eh.e_phentsize >
			(uint64_t)st.st_size - eh.e_phoff)) {
		es_set_error(t, "%s: truncated core: program headers end past the file (%lld bytes)",
			     path, (long long)st.st_size);
		goto fail;
	}
	c->segs = calloc(phnum ? phnum : 1, sizeof(*c->segs));
	if (!c->segs) {
		es_set_error(t, "%s: out of memory", path);
		goto fail;
	}
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			es_set_error(t, "%s: truncated core: unreadable program header %zu (%s)",
				     path, i, elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		if (ph.p_offset + ph.p_filesz < ph.p_offset ||
		    (ph.p_paddr != ES_NO_PADDR &&
		     ph.p_paddr + ph.p_filesz < ph.p_paddr) ||
		    (ph.p_vaddr + ph.p_filesz < ph.p_vaddr &&
		     ph.p_vaddr + ph.p_filesz != 0)) {
			es_set_error(t, "%s: corrupt core: segment %zu wraps around",
				     path, i);
			goto fail;
		}
		if (regular && ph.p_offset + ph.p_filesz > (uint64_t)st.st_size) {
			es_set_error(t, "%s: truncated core: segment %zu (phys 0x%llx) ends at byte %llu, the file has %lld",
				     path, i, (unsigned long long)ph.p_paddr,
				     (unsigned long long)(ph.p_offset +
							  ph.p_filesz),
				     (long long)st.st_size);
			goto fail;
		}
		c->segs[c->nr].vaddr = ph.p_vaddr;
		c->segs[c->nr].paddr = ph.p_paddr;
		c->segs[c->nr].offset = ph.p_offset;
		c->segs[c->nr].filesz = ph.p_filesz;
		if (ph.p_vaddr >= ES_KERNEL_HALF && ph.p_vaddr != ph.p_paddr)
			c->kvirt = true;
		if (ph.p_paddr != ES_NO_PADDR &&
		    ph.p_paddr + ph.p_filesz > c->max_paddr)
			c->max_paddr = ph.p_paddr + ph.p_filesz;
		c->nr++;
	}
	if (!c->nr) {
		es_set_error(t, "%s: ELF core without memory (no PT_LOAD with data)",
			     path);
		goto fail;
	}
	elf_end(elf);
	return 0;
fail:
	if (elf)
		elf_end(elf);
	return -1;
}

void es_core_close(struct es_core *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->segs);
	free(c->path);
	free(c);
}

/* Physical address of a kernel-image virtual address. */
static uint64_t kimg_pa(struct es_trace *t, uint64_t va)
{
	return va - ES_START_KERNEL_MAP + t->phys_base;
}

int es_read_kimg(struct es_trace *t, uint64_t va, void *dst, uint64_t len)
{
	bool virt = t->source == ES_SRC_KCORE;

	if (!t->core)
		return -1;
	return es_core_read(t->core, virt ? va : kimg_pa(t, va), virt, dst,
			    len) == len ? 0 : -1;
}

/*
 * Find phys_base: the value stored at phys_base's own physical address is
 * phys_base. Try 0 (nokaslr) first, then every CONFIG_PHYSICAL_ALIGN step
 * that puts phys_base inside a segment of the dump; prefer a candidate
 * under which early_slab_trace holds the magic.
 */
static bool phys_base_fits(struct es_trace *t, struct es_core *c, uint64_t p,
			   uint64_t *first_ok)
{
	uint64_t v, magic;

	if (es_core_read(c, t->sym_phys_base - ES_START_KERNEL_MAP + p, false,
		      &v, sizeof(v)) != sizeof(v) || v != p)
		return false;
	if (*first_ok == UINT64_MAX)
		*first_ok = p;
	return es_core_read(c, t->sym_trace - ES_START_KERNEL_MAP + p, false,
			 &magic, sizeof(magic)) == sizeof(magic) &&
	       magic == EST_MAGIC;
}

static void find_phys_base(struct es_trace *t, struct es_core *c)
{
	uint64_t off, first_ok = UINT64_MAX, steps = 0;
	size_t i;

	t->phys_base = 0;
	if (!t->have_phys_base)
		return;
	if (phys_base_fits(t, c, 0, &first_ok))
		return;
	off = t->sym_phys_base - ES_START_KERNEL_MAP;
	for (i = 0; i < c->nr; i++) {
		const struct es_seg *sg = &c->segs[i];
		uint64_t p, end = sg->paddr + sg->filesz;

		if (sg->paddr == ES_NO_PADDR || end <= off)
			continue;
		p = sg->paddr > off ? sg->paddr - off : 0;
		p = (p + ES_PHYS_ALIGN - 1) & ~(ES_PHYS_ALIGN - 1);
		if (!p)
			p = ES_PHYS_ALIGN;	/* 0 was tried first */
		for (; p + off < end && p + off >= p && steps < (1U << 16);
		     p += ES_PHYS_ALIGN, steps++) {
			if (phys_base_fits(t, c, p, &first_ok)) {
				t->phys_base = p;
				return;
			}
		}
	}
	if (first_ok != UINT64_MAX)
		t->phys_base = first_ok;
}

static void hex(char *dst, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(dst + 2 * i, "%02x", b[i]);
	dst[2 * n] = '\0';
}

/* A vmlinux from another build has another build-id: refuse it. */
static int check_build_id(struct es_trace *t, struct es_core *c, bool virt)
{
	unsigned char got[sizeof(t->build_id)];
	char want_s[2 * sizeof(t->build_id) + 1], got_s[sizeof(want_s)];
	uint64_t addr;

	if (!t->build_id_len || !t->build_id_addr)
		return 0;
	addr = virt ? t->build_id_addr : kimg_pa(t, t->build_id_addr);
	if (es_core_read(c, addr, virt, got, t->build_id_len) !=
	    t->build_id_len)
		return 0;	/* not in the dump: nothing to compare */
	if (!memcmp(got, t->build_id, t->build_id_len))
		return 0;
	hex(want_s, t->build_id, t->build_id_len);
	hex(got_s, got, t->build_id_len);
	es_set_error(t, "%s: build-id %s does not match the dump %s (%s): a vmlinux from another build",
		     t->vmlinux, want_s, c->path, got_s);
	return -1;
}

/* Address of early_slab_trace from /proc/kallsyms (for /proc/kcore). */
static int kallsyms_lookup(uint64_t *addr)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		if (!strcmp(name, "early_slab_trace")) {
			*addr = a;
			ret = a ? 0 : -2;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Without a vmlinux: look for valid headers, 8-byte aligned, in guest
 * memory. A stale copy of the initial .data left by the decompressor may
 * hold a second, empty header; prefer the one that has events.
 */
static int scan_for_header(struct es_trace *t, struct es_core *c,
			   uint64_t *found)
{
	uint64_t cand[2] = { 0, 0 }, best = UINT64_MAX, csize = 0;
	unsigned int ncand = 0, nbusy = 0;
	unsigned char *chunk;
	size_t i;

	for (i = 0; i < c->nr; i++)
		if (c->segs[i].filesz > csize)
			csize = c->segs[i].filesz;
	if (csize > ES_SCAN_CHUNK)
		csize = ES_SCAN_CHUNK;
	chunk = malloc(csize ? csize : 1);
	if (!chunk) {
		es_set_error(t, "%s: out of memory", c->path);
		return -1;
	}
	for (i = 0; i < c->nr; i++) {
		const struct es_seg *s = &c->segs[i];
		uint64_t off;

		if (s->paddr == ES_NO_PADDR)
			continue;

		for (off = 0; off < s->filesz; off += csize) {
			uint64_t n = s->filesz - off, j, pa0;
			ssize_t r;

			if (n > csize)
				n = csize;
			r = pread(c->fd, chunk, (size_t)n,
				  (off_t)(s->offset + off));
			if (r <= 0)
				break;
			pa0 = s->paddr + off;
			for (j = (8 - (pa0 & 7)) & 7; j + 8 <= (uint64_t)r;
			     j += 8) {
				struct est_header h;
				uint64_t pa = pa0 + j, avail;
				uint64_t m;

				memcpy(&m, chunk + j, sizeof(m));
				if (m != EST_MAGIC)
					continue;
				if (es_core_read(c, pa, false, &h, sizeof(h)) !=
				    sizeof(h))
					continue;
				avail = es_core_read(c, pa, false, NULL,
						  UINT64_MAX - pa);
				if (est_check_header(&h, avail) != EST_HDR_OK)
					continue;
				if (ncand < 2)
					cand[ncand] = pa;
				ncand++;
				if (h.head.counter > 0) {
					nbusy++;
					best = pa;
				}
			}
		}
	}
	free(chunk);
	if (ncand == 1) {
		*found = cand[0];
		return 0;
	}
	if (ncand > 1 && nbusy == 1) {
		*found = best;
		return 0;
	}
	if (!ncand)
		es_set_error(t, "%s: no early_slab_trace header found in the dump (give --vmlinux; dumped before the kernel ran?)",
			     c->path);
	else
		es_set_error(t, "%s: %u early_slab_trace headers found (phys 0x%llx, 0x%llx, ...): give --vmlinux",
			     c->path, ncand, (unsigned long long)cand[0],
			     (unsigned long long)cand[1]);
	return -1;
}

/* Copy the buffer at @addr out of the core and validate it. */
static int core_take_buffer(struct es_trace *t, struct es_core *c,
			    uint64_t addr, bool virt)
{
	struct est_header h;
	uint64_t avail, need, got;
	char where[256];
	char *name;

	avail = es_core_read(c, addr, virt, NULL, UINT64_MAX - addr);
	if (!avail) {
		es_set_error(t, "%s: early_slab_trace (%s 0x%llx) is not in the dump",
			     c->path, virt ? "virt" : "phys",
			     (unsigned long long)addr);
		return -1;
	}
	memset(&h, 0, sizeof(h));
	got = es_core_read(c, addr, virt, &h, sizeof(h));
	need = sizeof(h);
	if (got == sizeof(h) && est_check_header(&h, UINT64_MAX) == EST_HDR_OK)
		need = (uint64_t)h.header_size +
		       (uint64_t)h.capacity * h.record_size;
	if (need > avail)
		need = avail;
	t->copy = malloc(need ? need : 1);
	if (!t->copy) {
		es_set_error(t, "%s: out of memory", c->path);
		return -1;
	}
	got = es_core_read(c, addr, virt, t->copy, need);
	t->buffer_addr = addr;
	snprintf(where, sizeof(where), "%s (early_slab_trace at %s 0x%llx)",
		 c->path, virt ? "virt" : "phys", (unsigned long long)addr);
	name = t->name;
	t->name = where;
	if (es_attach_buffer(t, t->copy, got)) {
		t->name = name;
		if (t->hdr.magic != EST_MAGIC && t->vmlinux &&
		    strlen(t->err) + 80 < sizeof(t->err))
			strcat(t->err, "; a vmlinux from another build, or dumped before the kernel ran?");
		return -1;
	}
	t->name = name;
	if (t->vmlinux && t->sym_trace_size && t->buf_len > t->sym_trace_size) {
		es_set_error(t, "%s: the header announces %llu bytes but early_slab_trace is %llu bytes in %s: a vmlinux from another build?",
			     c->path, (unsigned long long)t->buf_len,
			     (unsigned long long)t->sym_trace_size, t->vmlinux);
		t->buf = NULL;
		return -1;
	}
	return 0;
}

int es_load_core(struct es_trace *t, const char *path)
{
	struct es_core *c;
	uint64_t addr = 0;
	bool virt = false;
	int ret = -1;

	if (!t)
		return -1;
	drop_source(t);
	if (!path) {
		es_set_error(t, "no core file name");
		return -1;
	}
	if (set_name(t, path))
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c) {
		es_set_error(t, "%s: out of memory", path);
		return -1;
	}
	if (core_open(t, c, path))
		goto out;

	if (t->vmlinux) {
		if (c->kvirt && es_core_read(c, t->sym_trace, true, NULL, 1)) {
			virt = true;
			addr = t->sym_trace;
		} else {
			find_phys_base(t, c);
			addr = kimg_pa(t, t->sym_trace);
		}
		if (check_build_id(t, c, virt))
			goto out;
	} else if (c->kvirt) {
		/* the running kernel's own symbols fit only its own kcore */
		int r = strcmp(path, "/proc/kcore") ? -1 :
						      kallsyms_lookup(&addr);

		if (r == -2) {
			es_set_error(t, "%s: /proc/kallsyms hides addresses (kptr_restrict): give --vmlinux",
				     path);
			goto out;
		}
		if (r || !es_core_read(c, addr, true, NULL, 1)) {
			es_set_error(t, "%s: kernel-virtual core and no --vmlinux: cannot place early_slab_trace",
				     path);
			goto out;
		}
		virt = true;
	} else {
		if (scan_for_header(t, c, &addr))
			goto out;
	}
	t->source = virt ? ES_SRC_KCORE : ES_SRC_CORE;
	ret = core_take_buffer(t, c, addr, virt);
out:
	if (ret) {
		es_core_close(c);
		free(t->copy);
		t->copy = NULL;
		t->buf = NULL;
		t->source = ES_SRC_NONE;
	} else {
		t->core = c;	/* kept for reading struct pages */
	}
	return ret;
}
