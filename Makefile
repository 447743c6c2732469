# SPDX-License-Identifier: GPL-2.0-only
#
# earlyslab: top-level targets. Each one installs the Debian packages it
# needs (scripts/deps.sh; root or sudo) and builds what it uses.

BUILD ?= $(CURDIR)/build
PYTHON ?= /usr/bin/python3
export BUILD PYTHON

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
	@echo "make demo         boot the patched kernel under gdb, catch a window free, analyse a dump"
	@echo "make test         build everything and run every test suite"
	@echo "make kernel       build/kernel/{bzImage,vmlinux} (default config)"
	@echo "make kernel-debug build/kernel-debug/... (DEBUG_VM, DEBUG_PAGEALLOC, ...)"
	@echo "make kernel-kasan build/kernel-kasan/... (KASAN)"
	@echo "make kernels      all three"
	@echo "make initramfs    build/initramfs.cpio.gz (busybox)"
	@echo "make boot-test    only the QEMU boot matrix (pytest tests/boot)"
	@echo "make checkpatch   checkpatch.pl --strict over kernel-patch/series"
	@echo "make bench        make -C bench"
	@echo "make deps         install every package the targets use"
	@echo "make clean        rm -rf build"

deps:
	@bash scripts/deps.sh all

kernel:
	@bash scripts/deps.sh kernel
	@bash scripts/build-kernel.sh default

kernel-debug:
	@bash scripts/deps.sh kernel
	@bash scripts/build-kernel.sh debug

kernel-kasan:
	@bash scripts/deps.sh kernel
	@bash scripts/build-kernel.sh kasan

kernels: kernel kernel-debug kernel-kasan

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
