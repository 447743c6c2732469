# SPDX-License-Identifier: GPL-2.0-only
#
# earlyslab: top-level targets. Each one installs the Debian packages it
# needs (scripts/deps.sh; root or sudo) and builds what it uses.

BUILD ?= $(CURDIR)/build
PYTHON ?= /usr/bin/python3
# The kernel series of make kernel, kernel-debug, kernel-kasan and demo:
# 6.12 (SLUB, the default) or 6.1 (SLAB); kernel-patch/$(SERIES)/.
SERIES ?= 6.12
export BUILD PYTHON SERIES

# Kernel builds already use every core; keep the targets sequential.
.NOTPARALLEL:

.PHONY: all tools install help deps kernel kernel-debug kernel-kasan kernels \
	initramfs test boot-test checkpatch demo bench clean

# A plain make builds the tools (the earlyslab command and libearlyslab);
# the kernels are make kernels.
all: tools

tools:
	@bash scripts/deps.sh tools
	$(MAKE) -C analyzers BUILD=$(BUILD)

# PREFIX=/usr/local DESTDIR=: the command, the library with its header and
# earlyslab.pc, the man page, the gdb commands and bash completion.
PREFIX ?= /usr/local
install: tools
	$(MAKE) -C analyzers BUILD=$(BUILD) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) install

help:
	@echo "make              the earlyslab command and libearlyslab (build/bin, build/lib)"
	@echo "make install      PREFIX=/usr/local DESTDIR=: command, library, header, earlyslab.pc, man page, gdb commands, completion"
	@echo "make demo         boot the 6.12 kernel under gdb, catch a window free, analyse a dump"
	@echo "                  (SERIES=6.1: on the 6.1 kernel)"
	@echo "make test         build everything and run every test suite"
	@echo "make kernel       build/kernel-6.12/{bzImage,vmlinux,VERSION} (Linux 6.12, SLUB)"
	@echo "                  SERIES=6.1: build/kernel-6.1/... (Linux 6.1, SLAB)"
	@echo "make kernel-debug build/kernel-debug-6.12/... (DEBUG_VM, DEBUG_PAGEALLOC, SLUB_DEBUG, ...)"
	@echo "                  SERIES=6.1: build/kernel-debug-6.1/..."
	@echo "make kernel-kasan build/kernel-kasan-6.12/... (generic KASAN)"
	@echo "                  SERIES=6.1: build/kernel-kasan-6.1/..."
	@echo "make kernels      all six: 6.12, debug-6.12, kasan-6.12, 6.1, debug-6.1, kasan-6.1"
	@echo "make initramfs    build/initramfs.cpio.gz (busybox)"
	@echo "make boot-test    only the QEMU boot matrix (pytest tests/boot)"
	@echo "make checkpatch   checkpatch.pl --strict over kernel-patch/6.12 and kernel-patch/6.1"
	@echo "make bench        make -C bench"
	@echo "make deps         install every package the targets use"
	@echo "make clean        rm -rf build"

deps:
	@bash scripts/deps.sh all

kernel:
	@bash scripts/deps.sh kernel
	@bash scripts/build-kernel.sh $(SERIES) default

kernel-debug:
	@bash scripts/deps.sh kernel
	@bash scripts/build-kernel.sh $(SERIES) debug

# Only a series with a kasan.config fragment has a KASAN kernel.
kernel-kasan:
	$(if $(wildcard kernel-patch/$(SERIES)/kasan.config),,$(error no KASAN kernel for SERIES=$(SERIES): kernel-patch/$(SERIES)/kasan.config does not exist))
	@bash scripts/deps.sh kernel
	@bash scripts/build-kernel.sh $(SERIES) kasan

kernels:
	@bash scripts/deps.sh kernel
	@for k in 6.12 debug-6.12 kasan-6.12 6.1 debug-6.1 kasan-6.1; do \
		bash scripts/build-kernel.sh $$k || exit 1; done

initramfs:
	@bash scripts/deps.sh boot
	@bash scripts/mkinitramfs.sh

test:
	@bash scripts/run-tests.sh

boot-test: kernels initramfs
	@bash scripts/deps.sh boot tools tests
	$(PYTHON) -m pytest -p no:cacheprovider -v -s -rfE tests/boot

checkpatch:
	@bash scripts/deps.sh kernel
	@bash scripts/checkpatch.sh

demo:
	@bash scripts/demo.sh

bench:
	@if [ -f bench/Makefile ]; then $(MAKE) -C bench; \
	else echo "bench: no bench/Makefile yet"; fi

clean:
	rm -rf $(BUILD)
