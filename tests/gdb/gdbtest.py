# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of the gdb command tests: find the kernel, the library and the
CLI, boot QEMU halted (through scripts/esboot.py), run gdb on a plan.

The kernel is build/kernel (`make kernel`) as soon as its vmlinux has the
symbol early_slab_trace; until then $EARLYSLAB_GDB_KERNEL may name another
kernel: a directory holding vmlinux and bzImage, or a kbuild output
directory.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402  pylint: disable=wrong-import-position

BUILD = esboot.BUILD
GDB_SCRIPT = ROOT / "gdb" / "earlyslab.py"
DRIVER = HERE / "gdb_driver.py"
LIB = BUILD / "lib" / "libearlyslab.so"
CLI = BUILD / "bin" / "earlyslab"
SYMBOL = "early_slab_trace"
BASE_APPEND = esboot.BASE_APPEND + " early_kmalloc_selftest"
TOPOLOGY = "smp2"
BOOT_TIMEOUT = 300


@dataclass
class Kernel:
    vmlinux: Path
    bzimage: Path
    lx_script: Path | None      # the kernel build's vmlinux-gdb.py
    origin: str


def has_symbol(vmlinux):
    smap = vmlinux.parent / "System.map"
    if smap.is_file() and smap.stat().st_mtime >= vmlinux.stat().st_mtime:
        text = smap.read_text(errors="replace")
    else:
        text = subprocess.run(["nm", str(vmlinux)], capture_output=True,
                              text=True, check=False).stdout
    return any(l.split()[-1:] == [SYMBOL] for l in text.splitlines())


def _objdir(kdir):
    ver = kdir / "VERSION"
    if ver.is_file():
        for line in ver.read_text().splitlines():
            if line.startswith("objdir="):
                return Path(line.split("=", 1)[1])
    return None


def _lx_script(kdir):
    for d in (_objdir(kdir), kdir, BUILD / "kernel-default-obj"):
        if d and (d / "vmlinux-gdb.py").is_file():
            return d / "vmlinux-gdb.py"
    return None


_kernel = None


def kernel():
    """The kernel under test, or pytest.fail with what to do."""
    global _kernel
    if _kernel is not None:
        return _kernel
    cands = [(BUILD / "kernel", "build/kernel")]
    env = os.environ.get("EARLYSLAB_GDB_KERNEL")
    if env:
        cands.append((Path(env), "$EARLYSLAB_GDB_KERNEL"))
    why = []
    for d, origin in cands:
        vm = d / "vmlinux"
        bz = next((p for p in (d / "bzImage", d / "arch/x86/boot/bzImage")
                   if p.is_file()), None)
        if not vm.is_file() or bz is None:
            why.append("%s: no vmlinux and bzImage" % d)
            continue
        if not has_symbol(vm):
            why.append("%s lacks %s (run 'make kernel' with the patch "
                       "series)" % (vm, SYMBOL))
            continue
        _kernel = Kernel(vm, bz, _lx_script(d), origin)
        return _kernel
    pytest.fail("no kernel with CONFIG_EARLY_SLAB_TRACE: " + "; ".join(why)
                + " (or set EARLYSLAB_GDB_KERNEL)", pytrace=False)
    return None


def ensure_tools():
    """libearlyslab.so and the CLI, built when missing."""
    if LIB.is_file() and CLI.is_file():
        return
    r = subprocess.run(["make", "-C", str(ROOT / "analyzers"),
                        "BUILD=%s" % BUILD], capture_output=True, text=True,
                       check=False)
    if r.returncode or not LIB.is_file() or not CLI.is_file():
        pytest.fail("make -C analyzers failed: %s"
                    % (r.stderr.strip().splitlines() or ["?"])[-1],
                    pytrace=False)


def requirements():
    for tool in ("gdb", "qemu-system-x86_64"):
        if not shutil.which(tool):
            pytest.fail("%s not found: run 'scripts/deps.sh boot'" % tool,
                        pytrace=False)
    if not esboot.INITRAMFS.is_file():
        pytest.fail("%s missing: run 'make initramfs'" % esboot.INITRAMFS,
                    pytrace=False)
    ensure_tools()


@dataclass
class Run:
    name: str
    outdir: Path
    serial: str
    gdb_log: str
    result: dict
    seconds: float

    def step(self, key):
        s = self.result["steps"].get(key)
        if s is None:
            pytest.fail("%s: step %s did not run (fatal: %s; gdb log: %s)"
                        % (self.name, key, self.result.get("fatal"),
                           self.outdir / "gdb.log"), pytrace=False)
        return s

    def out(self, key):
        s = self.step(key)
        if s.get("error"):
            pytest.fail("%s: %s: %s" % (self.name, s.get("cmd", key),
                                        s["error"]), pytrace=False)
        return s["out"]

    def error(self, key):
        return self.step(key).get("error")


def _fresh_dir(name):
    outdir = BUILD / "tests-gdb" / name
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    return outdir


def run_driver(name, steps, vmlinux=None, port=None, env=None, pre=(),
               lx_script=None, source=True, outdir=None, timeout=120):
    """gdb -batch with gdb_driver.py on @steps; returns a Run."""
    outdir = outdir or _fresh_dir(name)
    result = outdir / "result.json"
    plan = {"port": port, "result": str(result), "steps": list(steps)}
    (outdir / "plan.json").write_text(json.dumps(plan, indent=1))
    gcmd = ["gdb", "-q", "-batch", "-nx"]
    for c in pre:
        gcmd += ["-iex", c]
    if vmlinux:
        gcmd.append(str(vmlinux))
    if lx_script:
        gcmd += ["-ex", "source %s" % lx_script]
    if source:
        gcmd += ["-ex", "source %s" % GDB_SCRIPT]
    gcmd += ["-x", str(DRIVER)]
    (outdir / "gdb.cmd").write_text(" ".join(gcmd) + "\n")
    e = dict(os.environ, EARLYSLAB_TEST_PLAN=str(outdir / "plan.json"))
    e.update(env or {})
    t0 = time.monotonic()
    gdbp = None
    try:
        with open(outdir / "gdb.log", "wb") as glog:
            gdbp = subprocess.Popen(gcmd, stdin=subprocess.DEVNULL,
                                    stdout=glog, stderr=subprocess.STDOUT,
                                    env=e, cwd=str(outdir))
            try:
                gdbp.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
    finally:
        esboot._kill(gdbp)      # pylint: disable=protected-access
    res = json.loads(result.read_text()) if result.is_file() else \
        {"steps": {}, "order": [], "fatal": "gdb wrote no result"}
    serial = outdir / "serial.log"
    return Run(name, outdir,
               serial.read_text(errors="replace") if serial.is_file() else "",
               (outdir / "gdb.log").read_text(errors="replace"), res,
               time.monotonic() - t0)


class Guest:
    """QEMU halted at the reset vector with a gdb stub on a free port;
    killed by its PID."""

    def __init__(self, name, append="", hold=False):
        requirements()
        self.kernel = kernel()
        self.outdir = _fresh_dir(name)
        self.port = esboot.free_port()
        full = " ".join(x for x in (BASE_APPEND, append,
                                    "earlyslab.hold=1" if hold else "") if x)
        self.serial_log = self.outdir / "serial.log"
        cmd = esboot.qemu_command(self.kernel.bzimage, esboot.INITRAMFS,
                                  TOPOLOGY, full, self.serial_log, self.port)
        (self.outdir / "qemu.cmd").write_text(" ".join(cmd) + "\n")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(self.outdir / "qemu.log",
                                                 "wb"),
                                     stderr=subprocess.STDOUT)

    def kill(self):
        esboot._kill(self.proc)     # pylint: disable=protected-access

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def run_plan(name, steps, append="", hold=False, lx=True):
    """Boot halted, run the gdb plan against it, kill QEMU."""
    with Guest(name, append, hold) as g:
        k = g.kernel
        return run_driver(name, [{"op": "connect"}] + list(steps),
                          k.vmlinux, g.port,
                          lx_script=k.lx_script if lx else None,
                          outdir=g.outdir, timeout=BOOT_TIMEOUT)


def cli(*args):
    """Run the earlyslab CLI; (exit code, stdout, stderr)."""
    r = subprocess.run([str(CLI)] + [str(a) for a in args],
                       capture_output=True, text=True, check=False)
    return r.returncode, r.stdout, r.stderr


def no_file_keys(obj):
    """JSON output without the keys that name the input."""
    if isinstance(obj, dict):
        return {k: no_file_keys(v) for k, v in obj.items()
                if k not in ("file", "source", "buffer_addr", "phys_base")}
    if isinstance(obj, list):
        return [no_file_keys(v) for v in obj]
    return obj
