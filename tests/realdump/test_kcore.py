# SPDX-License-Identifier: GPL-2.0-only
"""`earlyslab --core /proc/kcore` inside a running patched guest, on the
6.12 and the 6.1 kernel.

The early_slab_trace buffer is not __initdata, so after boot it is still in
the kernel image that /proc/kcore exposes. This test appends a second cpio
archive to the initramfs with build/bin/earlyslab, the shared libraries it
links against and a script that the test initramfs's /init runs before its
marker line; the guest then reads its own trace through /proc/kcore (the
symbol's address from /proc/kallsyms) and prints the results on the serial
console, between BEGIN and END lines, where the test reads them.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "scripts"))

import esboot  # noqa: E402  pylint: disable=wrong-import-position
import esharness  # noqa: E402  pylint: disable=wrong-import-position

BUILD = esboot.BUILD
CLI = BUILD / "bin" / "earlyslab"
OUT = BUILD / "realdump" / "kcore"
KMSG = re.compile(r"^\[\s*\d+\.\d+\] ")

RUN = """#!/bin/sh
# run by /init: read this kernel's early slab trace through /proc/kcore
E=/earlyslab-test/earlyslab
for cmd in "status -j" "check -j" "owners -j"; do
	echo "BEGIN $cmd"
	$E --core /proc/kcore $cmd
	echo "END $cmd rc=$?"
done
"""


def libraries(binary):
    """The shared objects ldd says the binary loads, with the loader."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True,
                         text=True, check=True).stdout
    libs = set()
    for line in out.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if m:
            libs.add(Path(m.group(1)))
    return sorted(libs)


def tools_initrd():
    """build/initramfs.cpio.gz followed by an archive with the tool."""
    stage = OUT / "stage"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "earlyslab-test").mkdir(parents=True)
    shutil.copy2(CLI, stage / "earlyslab-test" / "earlyslab")
    for lib in libraries(CLI):
        dest = stage / lib.relative_to("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib.resolve(), dest)
    run = stage / "earlyslab-test" / "run"
    run.write_text(RUN)
    run.chmod(0o755)
    names = sorted(str(p.relative_to(stage)) for p in stage.rglob("*"))
    extra = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc",
                            "-R", "0:0"], cwd=stage, check=True,
                           input="\n".join(names).encode(),
                           capture_output=True).stdout
    initrd = OUT / "initramfs-kcore.cpio"
    # The kernel unpacks concatenated archives, compressed or not; an
    # uncompressed one must start at a multiple of 4 (NULs are skipped).
    base = esboot.INITRAMFS.read_bytes()
    initrd.write_bytes(base + bytes(-len(base) % 4) + extra)
    return initrd


def sections(serial):
    """{command: (output, rc)} from the BEGIN/END blocks of the log."""
    found = {}
    for m in re.finditer(r"BEGIN (.+?)\r?\n(.*?)END \1 rc=(\d+)", serial,
                         flags=re.S):
        # kernel messages share the console: drop them
        out = "".join(line for line in m.group(2).splitlines(True)
                      if not KMSG.match(line))
        found[m.group(1)] = (out, int(m.group(3)))
    return found


# kernel -> the allocator its trace names (format version 2)
KERNELS = {"6.12": "SLUB", "6.1": "SLAB"}


@pytest.fixture(scope="module", params=list(KERNELS))
def guest(request):
    if not CLI.is_file():
        pytest.fail(f"{CLI} missing: run 'make -C analyzers'")
    out = OUT / request.param
    out.mkdir(parents=True, exist_ok=True)
    try:
        b = esboot.boot(request.param, "smp2", "early_kmalloc_selftest",
                        outdir=out, initrd=tools_initrd())
    except esboot.BootError as e:
        pytest.fail(str(e), pytrace=False)
    assert b.reached_marker, f"guest did not reach the marker: {b.serial_log}"
    return b, sections(b.serial), request.param


def test_status_through_kcore(guest):
    _, found, kernel = guest
    out, rc = found["status -j"]
    assert rc == 0, out
    st = json.loads(out)
    fmt = esharness.header_constants()
    assert st["magic_ok"] and int(st["magic"], 16) == fmt["EST_MAGIC"]
    assert st["version"] == fmt["EST_VERSION"]
    assert st["allocator"] == KERNELS[kernel]
    assert st["phase"] == "full"    # kmem_cache_init_late() has run
    assert st["lost"] == 0 and st["torn"] == 0 and st["pending"] == 0
    assert st["committed"] == st["slots"] > 0


def test_check_clean_through_kcore(guest):
    _, found, _ = guest
    out, rc = found["check -j"]
    assert rc == 0, out
    assert json.loads(out)["anomalies"] == []


def test_owners_through_kcore(guest):
    _, found, _ = guest
    out, rc = found["owners -j"]
    assert rc == 0, out
    owners = json.loads(out)
    assert owners, "no early slab page is still owned after boot"
    for o in owners:
        assert o["pfn"] % (1 << o["order"]) == 0
        assert o["cache"]
