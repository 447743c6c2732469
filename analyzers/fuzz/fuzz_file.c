// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the readers of a trace: a regular raw file (read a
 * window at a time), a pipe (read header, records and the announced rest,
 * then no more), and a memory reader (es_load_reader() then es_refresh(),
 * as gdb reads a halted guest), chosen by the input's size. What is read
 * is then decoded and checked. The memory reader's trace, with the
 * vmlinux, is made once and reused (es_load_reader() drops the last
 * source, not the vmlinux).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "earlyslab.h"

#ifndef FUZZ_VMLINUX
#define FUZZ_VMLINUX "fake_vmlinux"
#endif

/* The input as kernel memory from the first address read on. */
struct fuzz_mem {
	const uint8_t *data;
	size_t size;
	uint64_t base;
	int calls;
};

static int fuzz_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fuzz_mem *m = ctx;

	if (!m->calls++)
		m->base = addr;
	if (addr < m->base || addr - m->base > m->size ||
	    len > m->size - (addr - m->base))
		return -EFAULT;
	memcpy(buf, m->data + (addr - m->base), len);
	return 0;
}

static int load_file(struct es_trace *t, const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("raw", MFD_CLOEXEC), ret = -1;

	if (fd < 0)
		return -1;
	if (!size || write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ret = es_load_raw(t, path);
	}
	close(fd);
	return ret;
}

static int load_pipe(struct es_trace *t, const uint8_t *data, size_t size)
{
	char path[64];
	int p[2], ret = -1;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	/* the whole input fits: written before it is read */
	if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) >= (int)size &&
	    (!size || write(p[1], data, size) == (ssize_t)size)) {
		close(p[1]);
		p[1] = -1;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		ret = es_load_raw(t, path);
	}
	if (p[1] >= 0)
		close(p[1]);
	close(p[0]);
	return ret;
}

static struct es_trace *with_vmlinux;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	with_vmlinux = es_trace_new();
	if (!with_vmlinux || es_set_vmlinux(with_vmlinux, FUZZ_VMLINUX)) {
		fprintf(stderr, "fuzz_file: cannot load %s\n", FUZZ_VMLINUX);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dump[] = { "dump", "--all" };
	struct fuzz_mem m = { data, size, 0, 0 };
	struct es_trace *t = (size & 3) >= 2 ? with_vmlinux : es_trace_new();
	struct es_status st;
	char *out = NULL, *err = NULL;
	int r = -1;

	if (!t)
		return 0;
	switch (size & 3) {
	case 0:
		r = load_file(t, data, size);
		break;
	case 1:
		r = load_pipe(t, data, size);
		break;
	default:
		r = es_load_reader(t, fuzz_read, &m, "fuzz");
		if (!r && (size & 3) == 3) {
			/* the guest went on: a second look at the same bytes */
			m.size = size / 2 > 64 ? size / 2 : size;
			es_refresh(t);
		}
		break;
	}
	if (!r) {
		es_get_status(t, &st);
		es_check(t, NULL, NULL);
		if (size & 4) {
			es_command_str(t, 2, dump, (size & 8) ? ES_OUT_JSON : 0,
				       &out, &err);
			es_free(out);
			es_free(err);
		}
	}
	if (t != with_vmlinux)
		es_trace_free(t);
	return 0;
}
