# SPDX-License-Identifier: GPL-2.0-only
"""Where things are: the tree, the build directory, the kernels built by
scripts/build-kernel.sh (vmlinux, bzImage and their VERSION stamp), the
initramfs, the earlyslab library and CLI.

The VERSION file is read by gdb/earlyslab_gdb/kbuild.py, the one reader of
it (the gdb auto-load hook uses it too).
"""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build"))
INITRAMFS = BUILD / "initramfs.cpio.gz"
GDB_DIR = ROOT / "gdb"
GDB_SCRIPT = GDB_DIR / "earlyslab.py"
LIB = BUILD / "lib" / "libearlyslab.so"
CLI = BUILD / "bin" / "earlyslab"
SYMBOL = "early_slab_trace"
# What every boot gets on its command line, and the line the test
# initramfs prints once userspace runs.
BASE_APPEND = "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 nokaslr"
MARKER = "EARLYSLAB-INIT-OK"

if str(GDB_DIR) not in sys.path:
    sys.path.insert(0, str(GDB_DIR))

from earlyslab_gdb import kbuild  # noqa: E402  pylint: disable=wrong-import-position

# The kernels of scripts/build-kernel.sh SERIES VARIANT: the patch series
# (kernel-patch/SERIES/), the configuration variant, the directory they are
# installed in, the make command that builds them and the kernel arguments
# every boot of them gets. "6.12" is the project's default kernel.
DEBUG_APPEND = "debug_pagealloc=on page_poison=1"
KERNELS = {
    "6.12": {"series": "6.12", "variant": "default",
             "dir": BUILD / "kernel-6.12", "append": "",
             "make": "kernel"},
    "debug-6.12": {"series": "6.12", "variant": "debug",
                   "dir": BUILD / "kernel-debug-6.12",
                   "append": DEBUG_APPEND + " slab_debug",
                   "make": "kernel-debug"},
    "kasan-6.12": {"series": "6.12", "variant": "kasan",
                   "dir": BUILD / "kernel-kasan-6.12", "append": "",
                   "make": "kernel-kasan"},
    "6.1": {"series": "6.1", "variant": "default",
            "dir": BUILD / "kernel-6.1", "append": "",
            "make": "kernel SERIES=6.1"},
    "debug-6.1": {"series": "6.1", "variant": "debug",
                  "dir": BUILD / "kernel-debug-6.1", "append": DEBUG_APPEND,
                  "make": "kernel-debug SERIES=6.1"},
    "kasan-6.1": {"series": "6.1", "variant": "kasan",
                  "dir": BUILD / "kernel-kasan-6.1", "append": "",
                  "make": "kernel-kasan SERIES=6.1"},
}
DEFAULT_KERNEL = "6.12"


class BootError(Exception):
    """An expected failure: reported as one line, never as a traceback."""


@dataclass
class Kernel:
    name: str
    dir: Path
    vmlinux: Path
    bzimage: Path
    version: dict = field(default_factory=dict)
    origin: str = ""

    @property
    def append(self):
        return KERNELS.get(self.name, {}).get("append", "")

    @property
    def series(self):
        """The patch series (kernel-patch/SERIES/) the kernel is built from."""
        return KERNELS.get(self.name, {}).get("series", "")

    @property
    def objdir(self):
        o = self.version.get("objdir")
        return Path(o) if o else None

    @property
    def lx_script(self):
        """The kernel build's vmlinux-gdb.py (the lx- commands), or None."""
        p = kbuild.lx_script(str(self.vmlinux),
                             [str(BUILD / f"kernel-{self.name}-obj")])
        return Path(p) if p else None


def kernel(name=DEFAULT_KERNEL):
    """A kernel of scripts/build-kernel.sh; BootError when not built."""
    if name not in KERNELS:
        raise BootError(f"unknown kernel '{name}' ({', '.join(KERNELS)})")
    d = KERNELS[name]["dir"]
    bz, vm, ver = d / "bzImage", d / "vmlinux", d / "VERSION"
    for f in (bz, vm, ver):
        if not f.is_file():
            raise BootError(f"{f} missing: run 'make {KERNELS[name]['make']}'")
    return Kernel(name, d, vm, bz, kbuild.read_version(str(ver)),
                  f"build/{d.name}")


def has_symbol(vmlinux, symbol=SYMBOL):
    """Whether @vmlinux defines @symbol (System.map when fresh, else nm)."""
    vmlinux = Path(vmlinux)
    smap = vmlinux.parent / "System.map"
    if smap.is_file() and smap.stat().st_mtime >= vmlinux.stat().st_mtime:
        text = smap.read_text(errors="replace")
    else:
        text = subprocess.run(["nm", str(vmlinux)], capture_output=True,
                              text=True, check=False).stdout
    return any(l.split()[-1:] == [symbol] for l in text.splitlines())


def trace_kernel(name=DEFAULT_KERNEL):
    """The kernel to run the gdb commands against: the kernel @name of
    KERNELS (build/kernel-6.12 by default) once its vmlinux has
    early_slab_trace, else $EARLYSLAB_GDB_KERNEL (a directory with vmlinux
    and bzImage, or a kbuild output directory). BootError saying what to
    do otherwise."""
    if name not in KERNELS:
        raise BootError(f"unknown kernel '{name}' ({', '.join(KERNELS)})")
    d = KERNELS[name]["dir"]
    cands = [(d, f"build/{d.name}")]
    env = os.environ.get("EARLYSLAB_GDB_KERNEL")
    if env:
        cands.append((Path(env), "$EARLYSLAB_GDB_KERNEL"))
    why = []
    for d, origin in cands:
        vm = d / "vmlinux"
        bz = next((p for p in (d / "bzImage", d / "arch/x86/boot/bzImage")
                   if p.is_file()), None)
        if not vm.is_file() or bz is None:
            why.append(f"{d}: no vmlinux and bzImage")
            continue
        if not has_symbol(vm):
            why.append(f"{vm} lacks {SYMBOL} (run 'make "
                       f"{KERNELS[name]['make']}' with the patch series)")
            continue
        return Kernel(name, d, vm, bz, kbuild.read_version(str(d)),
                      origin)
    raise BootError(f"no kernel with CONFIG_EARLY_SLAB_TRACE: "
                    f"{'; '.join(why)} (or set EARLYSLAB_GDB_KERNEL)")


def header_constants(header=ROOT / "tracepoints" / "early_slab_trace.h"):
    """{name: value} of the numeric #defines of the trace format's header,
    through the C preprocessor (cc -dM -E), for tests that need a value
    of the format: never typed by hand."""
    r = subprocess.run(["cc", "-dM", "-E", "-x", "c", str(header)],
                       capture_output=True, text=True, check=False)
    if r.returncode:
        raise BootError(f"cc -dM -E {header}: "
                        f"{(r.stderr.strip().splitlines() or ['?'])[-1]}")
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1].startswith(("EST_", "ES_")):
            v = parts[2].split("/*")[0].strip().strip("()")
            v = v.rstrip("ULul") if v[:1].isdigit() else v
            try:
                out[parts[1]] = int(v, 0)
            except ValueError:
                pass
    return out


def ensure_tools():
    """libearlyslab.so and the CLI, built with make -C analyzers when
    missing or stale (make decides); BootError with its last line."""
    r = subprocess.run(["make", "-C", str(ROOT / "analyzers"), "all",
                        f"BUILD={BUILD}"], capture_output=True, text=True,
                       check=False)
    if r.returncode or not LIB.is_file() or not CLI.is_file():
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        raise BootError(f"make -C analyzers failed: {last}")
