# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of the gdb command tests, on the shared harness
(scripts/esharness): the kernel under test, QEMU halted with a gdb stub,
gdb in batch mode on a plan of steps.

Every test module runs on each kernel of KERNELS (6.12 with SLUB, 6.1
with SLAB): conftest.py selects one at a time (select()), and the modules
keep one boot per kernel. A kernel is build/kernel-NAME (`make kernel`,
`make kernel SERIES=6.1`) as soon as its vmlinux has the symbol
early_slab_trace; until then $EARLYSLAB_GDB_KERNEL may name another
kernel: a directory holding vmlinux and bzImage, or a kbuild output
directory.
"""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402  pylint: disable=wrong-import-position
import esharness  # noqa: E402  pylint: disable=wrong-import-position

BUILD = esharness.BUILD
GDB_SCRIPT = esharness.GDB_SCRIPT
STEPS = HERE / "gdb_steps.py"
LIB = esharness.LIB
CLI = esharness.CLI
SYMBOL = esharness.SYMBOL
BASE_APPEND = esboot.BASE_APPEND + " early_kmalloc_selftest"
TOPOLOGY = "smp2"
BOOT_TIMEOUT = 300

# The kernels every module runs on, the default one first.
KERNELS = ("6.12", "6.1")
# The function of each series that frees a slab page in the window.
INJECT_FUNC = {"6.12": "early_kmalloc_inject_window_free",
               "6.1": "early_kmalloc_inject_window_free"}

_current = KERNELS[0]
_kernels = {}


def select(name):
    """Run what follows on the kernel @name of KERNELS."""
    global _current
    _current = name


def current():
    """The name of the kernel under test ("6.12", "6.1")."""
    return _current


def kernel():
    """The kernel under test, or pytest.fail with what to do."""
    if _current not in _kernels:
        try:
            _kernels[_current] = esharness.trace_kernel(_current)
        except esharness.BootError as e:
            pytest.fail(str(e), pytrace=False)
    return _kernels[_current]


_tools_checked = False


def ensure_tools():
    """libearlyslab.so and the CLI, up to date (make -C analyzers)."""
    global _tools_checked
    if _tools_checked:
        return
    try:
        esharness.ensure_tools()
    except esharness.BootError as e:
        pytest.fail(str(e), pytrace=False)
    _tools_checked = True


def requirements():
    for tool in ("gdb", "qemu-system-x86_64"):
        if not shutil.which(tool):
            pytest.fail("%s not found: run 'scripts/deps.sh boot'" % tool,
                        pytrace=False)
    if not esharness.INITRAMFS.is_file():
        pytest.fail("%s missing: run 'make initramfs'" % esharness.INITRAMFS,
                    pytrace=False)
    ensure_tools()


@dataclass
class Run:
    """What gdb did with a plan: step records by key."""
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


def fresh_dir(name):
    outdir = BUILD / "tests-gdb" / _current / name
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    return outdir


def run_driver(name, steps, vmlinux=None, port=None, env=None, pre=(),
               lx_script=None, source=True, outdir=None, timeout=120,
               serial_log=None):
    """gdb -batch on the plan @steps; returns a Run."""
    outdir = outdir or fresh_dir(name)
    g = esharness.run_gdb(name, steps, outdir, vmlinux, port, env, pre,
                          lx_script, source, timeout, kill_at_end=True)
    serial = Path(serial_log) if serial_log else outdir / "serial.log"
    return Run(name, outdir,
               serial.read_text(errors="replace") if serial.is_file() else "",
               g.log, g.result, g.seconds)


class Guest(esharness.Qemu):
    """QEMU halted at the reset vector with a gdb stub on a free port,
    the self-test on; killed by its PID."""

    def __init__(self, name, append="", hold=False):
        requirements()
        full = " ".join(x for x in (BASE_APPEND, append,
                                    "earlyslab.hold=1" if hold else "") if x)
        super().__init__(kernel(), full, fresh_dir(name), TOPOLOGY)


def run_plan(name, steps, append="", hold=False, lx=True):
    """Boot halted, run the gdb plan against it, kill QEMU."""
    with Guest(name, append, hold) as g:
        k = g.kernel
        return run_driver(name, [{"op": "connect", "required": True}]
                          + list(steps), k.vmlinux, g.port,
                          lx_script=k.lx_script if lx else None,
                          outdir=g.outdir, timeout=BOOT_TIMEOUT)


def call_step(key, func, **args):
    """A plan step running func(**args) of gdb_steps.py inside gdb."""
    return {"op": "call", "key": key, "file": str(STEPS), "func": func,
            "args": args}


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
