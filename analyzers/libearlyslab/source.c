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

	if (t) {
		t->source = ES_SRC_NONE;
		t->raw_fd = -1;
	}
	return t;
}

static void drop_source(struct es_trace *t)
{
	t->err[0] = '\0';
	free(t->recs);
	t->recs = NULL;
	free(t->win);
	t->win = NULL;
	t->win_first = t->win_nr = t->win_slots = 0;
	if (t->raw_fd >= 0)
		close(t->raw_fd);
	t->raw_fd = -1;
	t->raw_size = 0;
	t->io_failed = false;
	es_core_close(t->core);
	t->core = NULL;
	/* what the vmlinux's DWARF says stays; what the source says goes */
	t->pl.done = t->pl.ok = false;
	t->pl.vmemmap = 0;
	free(t->name);
	t->name = NULL;
	t->loaded = false;
	t->rd = t->trace_rd = NULL;
	t->rd_ctx = t->trace_ctx = NULL;
	t->trace_addr = t->trace_avail = 0;
	t->nslots = 0;
	t->settled = 0;
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

int es_read_mem(struct es_trace *t, uint64_t va, void *dst, uint64_t len)
{
	if (!t->rd)
		return -EFAULT;
	if (!len)
		return 0;
	if (va + len < va || len > SIZE_MAX)
		return -EFAULT;
	return t->rd(t->rd_ctx, va, dst, (size_t)len);
}

/* The first slot from @from on that is not committed (nslots if none). */
static uint64_t first_unsettled(struct es_trace *t, uint64_t from)
{
	const uint32_t rs = t->hdr.record_size;
	uint64_t i;

	for (i = from; i < t->nslots; i++) {
		struct est_record rec;

		memcpy(&rec, t->recs + i * rs, sizeof(rec));
		if (est_slot_status(&rec, i) != EST_SLOT_OK)
			break;
	}
	return i;
}

static const char *errno_str(int r)
{
	return strerror(r < 0 ? -r : EFAULT);
}

/* Records [from, n) of the trace at t->trace_addr into t->recs. */
static int read_records(struct es_trace *t, uint64_t from, uint64_t n)
{
	const uint32_t rs = t->hdr.record_size;
	uint64_t bytes = n * rs, addr;
	unsigned char *nr;
	int r;

	if (bytes > SIZE_MAX) {
		es_set_error(t, "%s: %llu records do not fit in memory",
			     t->name, (unsigned long long)n);
		return -1;
	}
	nr = realloc(t->recs, bytes ? (size_t)bytes : 1);
	if (!nr) {
		es_set_error(t, "%s: out of memory (%llu records)", t->name,
			     (unsigned long long)n);
		return -1;
	}
	t->recs = nr;
	if (from >= n)
		return 0;
	addr = t->trace_addr + t->hdr.header_size + from * rs;
	r = t->trace_rd(t->trace_ctx, addr, t->recs + from * rs,
			(size_t)((n - from) * rs));
	if (r) {
		es_set_error(t, "%s: cannot read records %llu..%llu at 0x%llx: %s",
			     t->name, (unsigned long long)from,
			     (unsigned long long)n - 1,
			     (unsigned long long)addr, errno_str(r));
		return -1;
	}
	return 0;
}

static int read_header(struct es_trace *t, struct est_header *h)
{
	int r;

	memset(h, 0, sizeof(*h));
	if (t->trace_avail < sizeof(*h))
		return es_check_hdr(t, h, t->trace_avail);
	r = t->trace_rd(t->trace_ctx, t->trace_addr, h, sizeof(*h));
	if (r) {
		es_set_error(t, "%s: cannot read the trace header at 0x%llx: %s",
			     t->name, (unsigned long long)t->trace_addr,
			     errno_str(r));
		return -1;
	}
	return 0;
}

/*
 * Load the trace at @addr through @fn, @avail bytes being readable there:
 * the header, then the committed slots, nothing else.
 */
static int load_via(struct es_trace *t, es_read_fn fn, void *ctx,
		    uint64_t addr, uint64_t avail)
{
	struct est_header h;

	t->trace_rd = fn;
	t->trace_ctx = ctx;
	t->trace_addr = addr;
	t->trace_avail = avail;
	if (read_header(t, &h) || es_check_hdr(t, &h, avail))
		return -1;
	t->nslots = est_nr_slots(&t->hdr);
	if (read_records(t, 0, t->nslots))
		return -1;
	t->settled = first_unsettled(t, 0);
	t->buffer_addr = addr;
	t->counted = false;
	t->loaded = true;
	return 0;
}

static int64_t refresh_raw(struct es_trace *t);
static int check_build_id(struct es_trace *t, const char *what,
			  const char *where);

int64_t es_refresh(struct es_trace *t)
{
	struct est_header h;
	uint64_t old_n, from;

	if (!es_loaded(t))
		return -1;
	t->err[0] = '\0';
	if (t->raw_fd >= 0)
		return refresh_raw(t);
	if (!t->trace_rd) {
		es_set_error(t, "%s: a copy of the buffer: nothing to read again",
			     t->name);
		return -1;
	}
	if (read_header(t, &h))
		return -1;
	old_n = t->nslots;
	from = t->settled;
	if (h.magic != t->hdr.magic || h.version != t->hdr.version ||
	    h.header_size != t->hdr.header_size ||
	    h.record_size != t->hdr.record_size ||
	    h.capacity != t->hdr.capacity ||
	    h.head.counter < t->hdr.head.counter) {
		/* another buffer, or the guest started over */
		old_n = 0;
		from = 0;
	}
	if (es_check_hdr(t, &h, t->trace_avail))
		return -1;
	t->nslots = est_nr_slots(&t->hdr);
	if (from > t->nslots)
		from = 0;
	if (read_records(t, from, t->nslots)) {
		t->nslots = from;
		t->settled = from;
		return -1;
	}
	t->settled = first_unsettled(t, from);
	t->counted = false;
	return (int64_t)(t->nslots - old_n);
}

int es_load_reader(struct es_trace *t, es_read_fn fn, void *ctx,
		   const char *name)
{
	char err[sizeof(t->err)];
	uint64_t avail;

	if (!t)
		return -1;
	drop_source(t);
	if (set_name(t, name ? name : "(reader)"))
		return -1;
	if (!fn) {
		es_set_error(t, "%s: no read function", t->name);
		return -1;
	}
	if (!t->vmlinux) {
		es_set_error(t, "%s: reading memory needs a vmlinux first (the trace symbol and struct layouts)",
			     t->name);
		return -1;
	}
	avail = t->sym_trace_size ? t->sym_trace_size : UINT64_MAX;
	t->source = ES_SRC_READER;
	t->rd = fn;
	t->rd_ctx = ctx;
	if (load_via(t, fn, ctx, t->sym_trace, avail) ||
	    check_build_id(t, "the memory of", t->name)) {
		if (t->hdr.magic != EST_MAGIC && !t->io_failed &&
		    strstr(t->err, "bad magic") &&
		    strlen(t->err) + 80 < sizeof(t->err))
			strcat(t->err, "; a vmlinux from another build, or read before the kernel wrote its header?");
		memcpy(err, t->err, sizeof(err));
		drop_source(t);
		set_name(t, name ? name : "(reader)");
		memcpy(t->err, err, sizeof(err));
		return -1;
	}
	return 0;
}

int es_has_memory(struct es_trace *t)
{
	if (!t)
		return 0;
	if (!es_loaded(t))
		return 0;
	if (!t->rd || !t->vmlinux) {
		es_set_error(t, "%s: struct pages need a --core dump and its --vmlinux",
			     t->name);
		return 0;
	}
	return 1;
}

/* ---- raw files and bytes handed over ------------------------------------ */

struct mem_src {
	const unsigned char *buf;
	size_t len;
};

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem_src *m = ctx;

	if (addr > m->len || len > m->len - addr)
		return -EFAULT;
	memcpy(buf, m->buf + addr, len);
	return 0;
}

int es_load_memory(struct es_trace *t, const void *buf, size_t len,
		   const char *name)
{
	struct mem_src m = { buf, len };
	int ret;

	if (!t)
		return -1;
	drop_source(t);
	if (set_name(t, name))
		return -1;
	if (!buf || !len) {
		es_set_error(t, "%s: empty (no trace header)", t->name);
		return -1;
	}
	t->source = ES_SRC_MEMORY;
	ret = load_via(t, mem_read, &m, 0, len);
	/* the caller's bytes are not kept: nothing to read again */
	t->trace_rd = NULL;
	t->trace_ctx = NULL;
	t->buffer_addr = 0;
	if (ret)
		t->loaded = false;
	return ret;
}

/* Read exactly @len bytes (less only at the end of the input). */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len) {
		r = read(fd, (char *)buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/* Read and drop @n bytes: 0, -1 on a read error, 1 at the end of input. */
static int discard(int fd, uint64_t n, uint64_t *got)
{
	unsigned char skip[1 << 16];
	ssize_t r;

	for (; n; n -= (uint64_t)r) {
		r = read_full(fd, skip, n < sizeof(skip) ? n : sizeof(skip));
		if (r < 0)
			return -1;
		if (!r)
			return 1;
		*got += (uint64_t)r;
	}
	return 0;
}

/*
 * The most a pipe is read for: 4 GiB, three times the largest buffer of
 * 80-byte records est_check_header() accepts. More is a header that lies.
 */
#define ES_STREAM_MAX	(4ULL << 30)

/* A pipe, a FIFO or a character device: header, records, the rest. */
static int load_stream(struct es_trace *t, int fd)
{
	struct est_header h;
	uint64_t need, got, bytes, have = 0;
	ssize_t r;
	int d;

	memset(&h, 0, sizeof(h));
	r = read_full(fd, &h, sizeof(h));
	if (r < 0)
		goto io;
	got = (uint64_t)r;
	/* everything but the length first: nothing more is read if bad */
	if (es_check_hdr(t, &h, got < sizeof(h) ? got : UINT64_MAX))
		return -1;
	need = (uint64_t)h.header_size + (uint64_t)h.capacity * h.record_size;
	if (need > ES_STREAM_MAX) {
		es_set_error(t, "%s: the header announces %llu bytes, more than a pipe is read for (%llu): save it to a file",
			     t->name, (unsigned long long)need,
			     (unsigned long long)ES_STREAM_MAX);
		return -1;
	}
	t->nslots = est_nr_slots(&t->hdr);
	/* the rest of the header */
	if ((d = discard(fd, h.header_size - sizeof(h), &got)))
		goto bad;
	/* the committed slots, kept; grown as they come, not as announced */
	bytes = t->nslots * h.record_size;
	while (have < bytes) {
		uint64_t step = bytes - have, cap = have ? have : ES_WINDOW_BYTES;
		unsigned char *nr;

		if (step > cap)
			step = cap;
		nr = realloc(t->recs, (size_t)(have + step));
		if (!nr) {
			es_set_error(t, "%s: out of memory", t->name);
			return -1;
		}
		t->recs = nr;
		r = read_full(fd, t->recs + have, (size_t)step);
		if (r < 0)
			goto io;
		have += (uint64_t)r;
		got += (uint64_t)r;
		if ((uint64_t)r < step)
			goto short_input;
	}
	if (!t->recs && !(t->recs = malloc(1))) {
		es_set_error(t, "%s: out of memory", t->name);
		return -1;
	}
	/* the slots never written: read, to stop exactly at the end */
	if ((d = discard(fd, need - got, &got)))
		goto bad;
	return 0;
bad:
	if (d > 0)
		goto short_input;
io:
	es_set_error(t, "%s: read error: %s", t->name, strerror(errno));
	return -1;
short_input:
	return es_check_hdr(t, &h, got) ? -1 : 0;
}

static int file_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct es_trace *t = ctx;
	size_t n = 0;
	ssize_t r;

	while (n < len) {
		r = pread(t->raw_fd, (char *)buf + n, len - n,
			  (off_t)(addr + n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -EFAULT;
		n += (size_t)r;
	}
	return 0;
}

/* A regular file: the header now, the records a window at a time. */
static int load_file(struct es_trace *t, int fd, uint64_t size)
{
	struct est_header h;

	t->raw_fd = fd;
	t->raw_size = size;
	t->trace_rd = file_read;
	t->trace_ctx = t;
	t->trace_addr = 0;
	t->trace_avail = size;
	if (read_header(t, &h) || es_check_hdr(t, &h, size))
		return -1;
	t->nslots = est_nr_slots(&t->hdr);
	t->win_slots = ES_WINDOW_BYTES / t->hdr.record_size;
	/* a small trace needs no more window than it has slots */
	if (t->win_slots > t->nslots)
		t->win_slots = t->nslots;
	if (!t->win_slots)
		t->win_slots = 1;
	t->win = malloc(t->win_slots * t->hdr.record_size);
	if (!t->win) {
		es_set_error(t, "%s: out of memory", t->name);
		return -1;
	}
	return 0;
}

static int64_t refresh_raw(struct es_trace *t)
{
	struct est_header h;
	struct stat st;
	uint64_t old_n = t->nslots;

	if (!fstat(t->raw_fd, &st))
		t->trace_avail = t->raw_size = (uint64_t)st.st_size;
	if (read_header(t, &h) || es_check_hdr(t, &h, t->trace_avail))
		return -1;
	t->nslots = est_nr_slots(&t->hdr);
	t->win_nr = 0;
	t->io_failed = false;
	t->counted = false;
	return t->nslots >= old_n ? (int64_t)(t->nslots - old_n) :
				    (int64_t)t->nslots;
}

int es_load_raw(struct es_trace *t, const char *path)
{
	struct stat st;
	bool std_in;
	int fd, ret;

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
	fd = std_in ? fcntl(0, F_DUPFD_CLOEXEC, 0) :
		      open(path, O_RDONLY | O_CLOEXEC);
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
	t->source = ES_SRC_RAW;
	if (S_ISREG(st.st_mode)) {
		if (!st.st_size) {
			es_set_error(t, "%s: empty file", path);
			close(fd);
			return -1;
		}
		ret = load_file(t, fd, (uint64_t)st.st_size);
	} else {
		ret = load_stream(t, fd);
		close(fd);
	}
	if (ret) {
		unsigned char m[SELFMAG];

		if (t->hdr.magic != EST_MAGIC &&
		    !memcmp(memcpy(m, &t->hdr, SELFMAG), ELFMAG, SELFMAG) &&
		    strlen(t->err) + 40 < sizeof(t->err))
			strcat(t->err, "; an ELF file: use --core");
		if (t->raw_fd >= 0)
			close(t->raw_fd);
		t->raw_fd = -1;
		t->source = ES_SRC_NONE;
		return -1;
	}
	t->settled = 0;
	t->loaded = true;
	return 0;
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
	struct stat st;
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
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		es_set_error(t, "%s: %s (give the vmlinux file)", path,
			     S_ISDIR(st.st_mode) ? "is a directory" :
						   "not a regular file");
		close(fd);
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

static uint64_t seg_base(const struct es_seg *sg, bool virt)
{
	return virt ? sg->vaddr : sg->paddr;
}

/* End of a segment, saturated (a segment may end at 2^64). */
static uint64_t seg_end(const struct es_seg *sg, bool virt)
{
	uint64_t b = seg_base(sg, virt);

	return b + sg->filesz < b ? UINT64_MAX : b + sg->filesz;
}

static bool seg_in(const struct es_seg *sg, bool virt)
{
	uint64_t b = seg_base(sg, virt);

	return virt ? b >= ES_KERNEL_HALF : b != ES_NO_PADDR;
}

static bool idx_virt;

static int cmp_seg(const void *a, const void *b)
{
	uint64_t x = seg_base(*(struct es_seg *const *)a, idx_virt);
	uint64_t y = seg_base(*(struct es_seg *const *)b, idx_virt);

	return x < y ? -1 : x > y;
}

/* Sort the segments of one address space and merge them into spans. */
static int build_index(struct es_core *c, struct es_segidx *ix, bool virt)
{
	size_t i, n = 0;

	ix->by = calloc(c->nr ? c->nr : 1, sizeof(*ix->by));
	ix->maxend = calloc(c->nr ? c->nr : 1, sizeof(*ix->maxend));
	ix->spans = calloc(c->nr ? c->nr : 1, sizeof(*ix->spans));
	if (!ix->by || !ix->maxend || !ix->spans)
		return -1;
	for (i = 0; i < c->nr; i++)
		if (seg_in(&c->segs[i], virt))
			ix->by[n++] = &c->segs[i];
	ix->nr = n;
	idx_virt = virt;
	qsort(ix->by, n, sizeof(*ix->by), cmp_seg);
	for (i = 0; i < n; i++) {
		uint64_t b = seg_base(ix->by[i], virt), e = seg_end(ix->by[i], virt);
		struct es_span *last = ix->nspans ? &ix->spans[ix->nspans - 1] :
						    NULL;

		ix->maxend[i] = i && ix->maxend[i - 1] > e ? ix->maxend[i - 1] : e;
		if (last && b <= last->end) {
			if (e > last->end)
				last->end = e;
		} else {
			ix->spans[ix->nspans].start = b;
			ix->spans[ix->nspans].end = e;
			ix->nspans++;
		}
	}
	return 0;
}

static void free_index(struct es_segidx *ix)
{
	free(ix->by);
	free(ix->maxend);
	free(ix->spans);
	memset(ix, 0, sizeof(*ix));
}

/* The segment holding @a, or NULL: a binary search, then back over the
 * few segments that start earlier and still reach @a. */
static const struct es_seg *seg_at(const struct es_segidx *ix, uint64_t a,
				   bool virt)
{
	size_t lo = 0, hi = ix->nr, i;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (seg_base(ix->by[m], virt) <= a)
			lo = m + 1;
		else
			hi = m;
	}
	for (i = lo; i-- > 0;) {
		if (ix->maxend[i] <= a)
			break;
		if (a - seg_base(ix->by[i], virt) < ix->by[i]->filesz)
			return ix->by[i];
	}
	return NULL;
}

/* How many bytes from @a on are covered without a hole. */
static uint64_t span_avail(const struct es_segidx *ix, uint64_t a)
{
	size_t lo = 0, hi = ix->nspans;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (ix->spans[m].start <= a)
			lo = m + 1;
		else
			hi = m;
	}
	if (!lo || a >= ix->spans[lo - 1].end)
		return 0;
	return ix->spans[lo - 1].end - a;
}

/*
 * Copy up to @len bytes at @addr (physical, or virtual if @virt), going on
 * into adjacent segments; returns how many bytes were contiguous. Without
 * @dst, only counts them.
 */
uint64_t es_core_read(struct es_core *c, uint64_t addr, bool virt,
		      void *dst, uint64_t len)
{
	const struct es_segidx *ix = virt ? &c->virt : &c->phys;
	uint64_t done = 0;

	if (!dst) {
		uint64_t n = span_avail(ix, addr);

		return n < len ? n : len;
	}
	while (done < len) {
		uint64_t a = addr + done, off, n;
		const struct es_seg *sg;
		ssize_t r;

		if (a < addr)
			break;
		sg = seg_at(ix, a, virt);
		if (!sg)
			break;
		off = a - seg_base(sg, virt);
		n = sg->filesz - off;
		if (n > len - done)
			n = len - done;
		if (n > (1U << 30))
			n = 1U << 30;
		r = pread(c->fd, (char *)dst + done, (size_t)n,
			  (off_t)(sg->offset + off));
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
	if (!S_ISREG(st.st_mode)) {
		es_set_error(t, "%s: not a regular file: a core is read at its segments' offsets (save it to a file first)",
			     path);
		return -1;
	}
	regular = strcmp(path, "/proc/kcore");
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
	if (!eh.e_phnum || !eh.e_phoff) {
		es_set_error(t, "%s: ELF core with no program headers (no memory in it)",
			     path);
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
	if (build_index(c, &c->phys, false) || build_index(c, &c->virt, true)) {
		es_set_error(t, "%s: out of memory", path);
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
	free_index(&c->phys);
	free_index(&c->virt);
	free(c->segs);
	free(c->path);
	free(c);
}

/* Physical address of a kernel-image virtual address. */
static uint64_t kimg_pa(struct es_trace *t, uint64_t va)
{
	return va - ES_START_KERNEL_MAP + t->phys_base;
}

#define ES_KIMG_SPAN	(1ULL << 30)	/* KERNEL_IMAGE_SIZE with KASLR */
#define PTE_PRESENT	0x1ULL
#define PTE_PSE		0x80ULL
#define PTE_ADDR	0x000ffffffffff000ULL

/* Kernel virtual to guest physical through init_top_pgt. */
static int core_vtop(const struct es_core *c, uint64_t va, uint64_t *pa)
{
	static const int shifts[] = { 48, 39, 30, 21, 12 };
	const int *sh = c->l5 ? shifts : shifts + 1;
	int levels = c->l5 ? 5 : 4, i;
	uint64_t table = c->pgd_pa, e, addr, mask;

	if (!c->pgd_pa)
		return -1;
	for (i = 0; i < levels; i++) {
		if (es_core_read((struct es_core *)c,
				 table + ((va >> sh[i]) & 511) * 8, false, &e,
				 sizeof(e)) != sizeof(e) ||
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

/* es_read_fn of a QEMU core: the kernel image by phys_base, the rest by
 * the page tables. */
static int qemu_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	struct es_core *c = ctx;
	uint64_t done = 0, pa, n;

	if (va >= ES_START_KERNEL_MAP && va - ES_START_KERNEL_MAP < ES_KIMG_SPAN)
		return es_core_read(c, va - ES_START_KERNEL_MAP + c->phys_base,
				    false, buf, len) == len ? 0 : -EFAULT;
	while (done < len) {
		n = ES_PAGE_SIZE - ((va + done) & (ES_PAGE_SIZE - 1));
		if (n > len - done)
			n = len - done;
		if (core_vtop(c, va + done, &pa) ||
		    es_core_read(c, pa, false, (char *)buf + done, n) != n)
			return -EFAULT;
		done += n;
	}
	return 0;
}

/* es_read_fn of /proc/kcore and of QEMU cores read by physical address. */
static int kcore_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	return es_core_read(ctx, va, true, buf, len) == len ? 0 : -EFAULT;
}

static int phys_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return es_core_read(ctx, pa, false, buf, len) == len ? 0 : -EFAULT;
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
static int check_build_id(struct es_trace *t, const char *what,
			  const char *where)
{
	unsigned char got[sizeof(t->build_id)];
	char want_s[2 * sizeof(t->build_id) + 1], got_s[sizeof(want_s)];

	if (!t->build_id_len || !t->build_id_addr)
		return 0;
	if (es_read_mem(t, t->build_id_addr, got, t->build_id_len))
		return 0;	/* not in the dump: nothing to compare */
	if (!memcmp(got, t->build_id, t->build_id_len))
		return 0;
	hex(want_s, t->build_id, t->build_id_len);
	hex(got_s, got, t->build_id_len);
	es_set_error(t, "%s: build-id %s does not match %s %s (%s): a vmlinux from another build",
		     t->vmlinux, want_s, what, where, got_s);
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
	uint64_t cand[2] = { 0, 0 }, best = UINT64_MAX;
	unsigned int ncand = 0, nbusy = 0;
	unsigned char *chunk;
	size_t i;

	chunk = malloc(ES_SCAN_CHUNK);
	if (!chunk) {
		es_set_error(t, "%s: out of memory", c->path);
		return -1;
	}
	/*
	 * Over the union of the segments, in address order: every address
	 * is looked at once however the segments overlap, and each read
	 * finds its segment by a binary search.
	 */
	for (i = 0; i < c->phys.nspans; i++) {
		const struct es_span *sp = &c->phys.spans[i];
		uint64_t pa0 = (sp->start + 7) & ~7ULL;

		for (; pa0 >= sp->start && pa0 + 8 <= sp->end &&
		       pa0 + 8 > pa0;) {
			uint64_t n = sp->end - pa0, j, got;

			if (n > ES_SCAN_CHUNK)
				n = ES_SCAN_CHUNK;
			got = es_core_read(c, pa0, false, chunk, n);
			if (got < 8)
				break;
			for (j = 0; j + 8 <= got; j += 8) {
				struct est_header h;
				uint64_t pa = pa0 + j, m;

				memcpy(&m, chunk + j, sizeof(m));
				if (m != EST_MAGIC)
					continue;
				if (es_core_read(c, pa, false, &h, sizeof(h)) !=
				    sizeof(h) ||
				    est_check_header(&h, sp->end - pa) != EST_HDR_OK)
					continue;
				if (ncand < 2)
					cand[ncand] = pa;
				ncand++;
				if (h.head.counter > 0) {
					nbusy++;
					best = pa;
				}
			}
			if (got < n)
				break;
			pa0 += got & ~7ULL;
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
		es_set_error(t, "%s: %u early_slab_trace headers found (phys 0x%llx, 0x%llx%s): give --vmlinux",
			     c->path, ncand, (unsigned long long)cand[0],
			     (unsigned long long)cand[1],
			     ncand > 2 ? ", ..." : "");
	return -1;
}

/* Read the buffer at @addr out of the core and validate it. */
static int core_take_buffer(struct es_trace *t, struct es_core *c,
			    uint64_t addr, bool virt)
{
	uint64_t avail;
	char where[256];
	char *name;
	int ret;

	avail = es_core_read(c, addr, virt, NULL, UINT64_MAX - addr);
	if (!avail) {
		es_set_error(t, "%s: early_slab_trace (%s 0x%llx) is not in the dump",
			     c->path, virt ? "virt" : "phys",
			     (unsigned long long)addr);
		return -1;
	}
	snprintf(where, sizeof(where), "%s (early_slab_trace at %s 0x%llx)",
		 c->path, virt ? "virt" : "phys", (unsigned long long)addr);
	name = t->name;
	t->name = where;
	ret = load_via(t, virt ? kcore_read : phys_read, c, addr, avail);
	t->name = name;
	if (ret) {
		if (t->hdr.magic != EST_MAGIC && t->vmlinux &&
		    strlen(t->err) + 80 < sizeof(t->err))
			strcat(t->err, "; a vmlinux from another build, or dumped before the kernel ran?");
		return -1;
	}
	if (t->vmlinux && t->sym_trace_size &&
	    (uint64_t)t->hdr.header_size +
	    (uint64_t)t->hdr.capacity * t->hdr.record_size > t->sym_trace_size) {
		es_set_error(t, "%s: the header announces %llu bytes but early_slab_trace is %llu bytes in %s: a vmlinux from another build?",
			     c->path,
			     (unsigned long long)((uint64_t)t->hdr.header_size +
						  (uint64_t)t->hdr.capacity *
						  t->hdr.record_size),
			     (unsigned long long)t->sym_trace_size, t->vmlinux);
		t->loaded = false;
		return -1;
	}
	return 0;
}

/* How the kernel's virtual memory is reached in this dump. */
static void core_setup_virt(struct es_trace *t, struct es_core *c, bool virt)
{
	uint32_t l5 = 0;

	t->rd_ctx = c;
	if (virt) {
		t->rd = kcore_read;
		return;
	}
	t->rd = qemu_read;
	c->phys_base = t->phys_base;
	if (t->sym_init_top_pgt)
		c->pgd_pa = kimg_pa(t, t->sym_init_top_pgt);
	if (t->sym_l5 && !es_read_mem(t, t->sym_l5, &l5, sizeof(l5)))
		c->l5 = l5 != 0;
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
		core_setup_virt(t, c, virt);
		if (check_build_id(t, "the dump", c->path))
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
		core_setup_virt(t, c, virt);
	} else {
		if (scan_for_header(t, c, &addr))
			goto out;
		core_setup_virt(t, c, virt);
	}
	t->source = virt ? ES_SRC_KCORE : ES_SRC_CORE;
	ret = core_take_buffer(t, c, addr, virt);
out:
	if (ret) {
		char err[sizeof(t->err)];

		memcpy(err, t->err, sizeof(err));
		es_core_close(c);
		drop_source(t);
		set_name(t, path);
		memcpy(t->err, err, sizeof(err));
	} else {
		t->core = c;	/* kept for reading struct pages */
	}
	return ret;
}
