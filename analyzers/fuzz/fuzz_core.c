// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the ELF core parser: the input is written to a
 * memfd and opened as a dump, with the tests' stand-in vmlinux (buffer at
 * the symbol, phys_base and build-id read from the dump) or without it
 * (the dump is searched for a header), depending on the input's size.
 * Whatever buffer is found is then decoded and checked, and for some
 * inputs struct pages are looked up through the dump's page tables.
 *
 * The vmlinux is read once, into a trace kept for the whole run: each
 * input with it is loaded into that trace (es_load_core() drops the last
 * source, not the vmlinux), so that an execution costs the dump's parse,
 * not the vmlinux's ELF and DWARF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "earlyslab.h"

#ifndef FUZZ_VMLINUX
#define FUZZ_VMLINUX "fake_vmlinux"
#endif

static struct es_trace *with_vmlinux;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	with_vmlinux = es_trace_new();
	if (!with_vmlinux || es_set_vmlinux(with_vmlinux, FUZZ_VMLINUX)) {
		fprintf(stderr, "fuzz_core: cannot load %s\n", FUZZ_VMLINUX);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_trace *t = (size & 1) ? with_vmlinux : es_trace_new();
	struct es_status st;
	char path[64];
	int fd = memfd_create("core", MFD_CLOEXEC);

	if (fd < 0 || !t)
		goto out;
	if (size && write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (es_load_core(t, path))
		goto out;
	/* what was found must decode (the commands are fuzz_raw's job) */
	es_get_status(t, &st);
	es_check(t, NULL, NULL);
	/* and some inputs walk the page tables to struct pages */
	if ((size & 7) == 7) {
		struct es_page pg;

		es_read_page(t, 0x5000, &pg);
		es_read_page(t, st.head, &pg);
	}
out:
	if (fd >= 0)
		close(fd);
	if (t != with_vmlinux)
		es_trace_free(t);
	return 0;
}
