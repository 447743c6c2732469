// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkseeds VMLINUX RAWDIR COREDIR - seed corpora for the fuzzers: small
 * raw buffers and ELF cores of synthetic traces (a clean boot, each
 * anomaly, wrapped, torn, pending, large kmallocs from memblock and the
 * early ACPI probe, and the same records in a version 2 trace, where
 * they are bad), written with the real writer.
 */
#include <stdio.h>

#include "synth.h"

static int put(const char *dir, const char *name, struct synth *s)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return synth_write(s, path);
}

/*
 * fuzz_core picks its mode from the input's size: an even size searches
 * the dump, an odd one uses the vmlinux, and size % 8 == 7 also walks the
 * page tables. Write each core twice: as is, and padded to % 8 == 7.
 */
static int core(const char *vmlinux, const char *dir, const char *name,
		struct synth *s, unsigned long long phys_base,
		unsigned int flags)
{
	char path[4096];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (make_core(path, vmlinux, s, phys_base, flags))
		return -1;
	snprintf(path, sizeof(path), "%s/%s-vm", dir, name);
	if (make_core(path, vmlinux, s, phys_base, flags))
		return -1;
	f = fopen(path, "ab");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	for (size = ftell(f); size % 8 != 7; size++)
		fputc(0, f);
	return fclose(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct synth *s;
	int ret = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: mkseeds VMLINUX RAWDIR COREDIR\n");
		return 2;
	}

	s = synth_new(32);
	synth_clean_boot(s);
	ret |= put(argv[2], "clean.bin", s);
	ret |= core(argv[1], argv[3], "clean.core", s, 0, 0);
	ret |= core(argv[1], argv[3], "kaslr.core", s, 0x2000000, 0);
	ret |= core(argv[1], argv[3], "kcore.core", s, 0, CORE_KCORE);
	ret |= core(argv[1], argv[3], "stale.core", s, 0, CORE_STALE_COPY);
	{
		/* struct pages behind 4K page tables (one 2M region) */
		static const struct fake_page pages[] = {
			{ 0x5000, FAKE_PG_SLAB, CACHE_B },
			{ 0x5001, 0, 0 },
		};

		core_pages(pages, 2);
		ret |= core(argv[1], argv[3], "pages.core", s, 0, 0);
		core_pages(NULL, 0);
	}
	synth_put(s, 0x1fff0, 0, EST_PATH_WINDOW, CACHE_A, "kmem_cache",
		  CALLER_2);
	synth_put(s, 0x1fff0, 0, EST_PATH_BUDDY, CACHE_A, "kmem_cache",
		  CALLER_2);
	synth_torn(s);
	synth_pending(s);
	ret |= put(argv[2], "anomalies.bin", s);
	synth_free(s);

	s = synth_new(8);
	synth_phase(s, EST_PHASE_EARLY);
	while (synth_get(s, 0x100, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
			 CALLER_1))
		;
	synth_get(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "kmalloc-64",
		  CALLER_1);
	ret |= put(argv[2], "wrapped.bin", s);
	synth_free(s);

	/* format version 3: large kmallocs owning frames, the ACPI marks */
	s = synth_new(16);
	synth_phase(s, EST_PHASE_EARLY);
	synth_mark(s, EST_MARK_ACPI_PROBE);
	synth_get(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "Acpi-State",
		  CALLER_1);
	synth_put(s, 0x200, 0, EST_PATH_MEMBLOCK, CACHE_B, "Acpi-State",
		  CALLER_2);
	synth_mark(s, EST_MARK_ACPI_PROBE_END);
	synth_large_get(s, 0x400, 2, 16384);
	synth_large_free(s, 0x400, 2, EST_PATH_MEMBLOCK);
	synth_large_get(s, 0x800, 3, 20000);
	synth_phase(s, EST_PHASE_FREE_ALL);
	synth_skip(s, 0x800, 8);
	synth_phase(s, EST_PHASE_UP);
	synth_large_free(s, 0x800, 3, EST_PATH_LATE);
	synth_large_free(s, 0x800, 3, EST_PATH_LATE);
	ret |= put(argv[2], "large.bin", s);
	s->hdr->version = 2;
	ret |= put(argv[2], "large-v2.bin", s);
	synth_free(s);

	s = synth_new(4);
	ret |= put(argv[2], "empty.bin", s);
	synth_free(s);
	return ret ? 1 : 0;
}
