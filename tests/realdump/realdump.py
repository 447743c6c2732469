# SPDX-License-Identifier: GPL-2.0-only
"""Real dumps for the analyzer's integration tests, on every kernel of
KERNELS (6.12 with SLUB and 6.1 with SLAB).

Boots the kernel (smp2, 512 MiB) under gdb, halted at
kmem_cache_init_late, once per test module: each module names its
SCENARIO and KERNEL,

  clean   early_kmalloc_selftest
  window  early_kmalloc_selftest early_kmalloc_inject=window

At that halt gdb saves the raw early_slab_trace bytes and QEMU writes the
whole guest memory (`monitor dump-guest-memory`), both through
scripts/esboot.py. The checks themselves are
analyzers/tests/test_realdump.py, loaded once per scenario with its
ES_* environment pointing at these files (see analyzer_tests()).

Files, under build/realdump/KERNEL/SCENARIO/: trace-kmem_cache_init_late.bin
(kept: 320 KiB) and core-kmem_cache_init_late.elf (about 550 MB, deleted
when the scenario's tests are done, so at most one exists at a time).
"""

import importlib.util
import os
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

BUILD = esboot.BUILD
OUT = BUILD / "realdump"
CLI = BUILD / "bin" / "earlyslab"
ANALYZER_TESTS = ROOT / "analyzers" / "tests" / "test_realdump.py"
HALT = "kmem_cache_init_late"
TOPOLOGY = "smp2"
# The kernels the suite runs on: the allocator each one's trace must say
# it was written by, the function that makes the window free in its
# series, and the other build of the same series (for a wrong vmlinux).
KERNELS = {
    "6.12": {"allocator": "SLUB",
             "inject": "early_kmalloc_inject_window_free",
             "other": "debug-6.12"},
    "6.1": {"allocator": "SLAB",
            "inject": "early_kmalloc_inject_window_free",
            "other": "debug-6.1"},
}
BOOT_TIMEOUT = int(os.environ.get("EARLYSLAB_BOOT_TIMEOUT", "300"))

SCENARIOS = {
    "clean": "early_kmalloc_selftest",
    "window": "early_kmalloc_selftest early_kmalloc_inject=window",
}


@dataclass
class Dump:
    scenario: str
    kernel: str
    core: Path
    raw: Path
    vmlinux: Path
    boot: esboot.Boot


def paths(scenario, kernel):
    d = OUT / kernel / scenario
    return d, d / f"core-{HALT}.elf", d / f"trace-{HALT}.bin"


def kernel_files(kernel):
    """(bzImage, vmlinux, VERSION) of @kernel, or pytest.fail (one line)."""
    try:
        return esboot.kernel_files(kernel)
    except esboot.BootError as e:
        pytest.fail(str(e), pytrace=False)


def analyzer_tests(scenario, kernel):
    """The test functions of analyzers/tests/test_realdump.py, loaded as a
    module of its own whose ES_* inputs are this scenario's files on
    @kernel (they exist once the conftest's fixture has booted it)."""
    _, core, raw = paths(scenario, kernel)
    try:
        _, vmlinux, version = esboot.kernel_files(kernel)
    except esboot.BootError:
        vmlinux, version = BUILD / f"kernel-{kernel}" / "vmlinux", {}
    env = {"ES_CORE": str(core), "ES_RAW": str(raw),
           "ES_VMLINUX": str(vmlinux),
           "ES_EXPECT": scenario,
           "ES_INJECT_FUNC": KERNELS[kernel]["inject"]
           if scenario == "window" else "",
           "ES_ALLOCATOR": KERNELS[kernel]["allocator"],
           "ES_KERNEL_RELEASE": version.get("release", ""),
           "EARLYSLAB": str(CLI), "BUILD": str(BUILD)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location(
            f"analyzer_realdump_{scenario}_{kernel}", ANALYZER_TESTS)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {k: v for k, v in vars(mod).items()
            if k.startswith("test_") or k == "pytestmark"}


def build_analyzers():
    """make -C analyzers all (a no-op when up to date); one line on error."""
    r = subprocess.run(["make", "-C", str(ROOT / "analyzers"), "all",
                        f"BUILD={BUILD}"], capture_output=True, text=True,
                       check=False)
    if r.returncode or not CLI.is_file():
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        pytest.fail(f"make -C analyzers failed: {last}", pytrace=False)


def remove_cores():
    if OUT.is_dir():
        for core in OUT.glob("*/core-*.elf"):
            core.unlink()


def produce(scenario, kernel):
    """Boot SCENARIO on KERNEL halted at HALT; return a Dump or
    pytest.fail (one line)."""
    outdir, core, raw = paths(scenario, kernel)
    _, vmlinux, _ = kernel_files(kernel)
    build_analyzers()
    remove_cores()
    try:
        b = esboot.boot(kernel, TOPOLOGY, SCENARIOS[scenario],
                        stops=(HALT,), cores=(HALT,), outdir=outdir,
                        timeout=BOOT_TIMEOUT)
    except esboot.BootError as e:
        pytest.fail(str(e), pytrace=False)
    print(f"\n[realdump] {kernel} {scenario}: {b.summary()}")
    st = b.stop(HALT)
    if b.gdb.get("error"):
        pytest.fail(f"{kernel} {scenario}: gdb: {b.gdb['error']} "
                    f"({outdir / 'gdb.log'})", pytrace=False)
    if not st.get("halted"):
        pytest.fail(f"{kernel} {scenario}: gdb did not halt at {HALT}: "
                    f"{st or b.gdb}", pytrace=False)
    if not st.get("dump"):
        pytest.fail(f"{kernel} {scenario}: no raw trace at {HALT}: "
                    f"{st.get('dump_error')}", pytrace=False)
    if not st.get("core"):
        pytest.fail(f"{kernel} {scenario}: no core at {HALT}: "
                    f"{st.get('core_error')}", pytrace=False)
    print(f"[realdump] {kernel} {scenario}: {raw} ({raw.stat().st_size} "
          f"bytes), {core} ({core.stat().st_size} bytes)")
    return Dump(scenario, kernel, core, raw, vmlinux, b)


def copy_head(src, dst, nbytes):
    """The first NBYTES of SRC as DST (a truncated copy)."""
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        left = nbytes
        while left > 0:
            chunk = fi.read(min(left, 1 << 22))
            if not chunk:
                break
            fo.write(chunk)
            left -= len(chunk)


def cleanup(scenario, kernel):
    outdir, core, _ = paths(scenario, kernel)
    if core.exists():
        core.unlink()
    for extra in outdir.glob("bad-*"):
        if extra.is_dir():
            shutil.rmtree(extra)
        else:
            extra.unlink()


# ---- the tests every module runs on its dump -----------------------------

def test_selftest_passed(dump):
    """The boot the dump comes from ran the self-test and passed it."""
    assert "early_kmalloc: selftest PASS" in dump.boot.serial, \
        dump.boot.serial_log


def scenario_tests(scenario, kernel):
    """What a test module of SCENARIO on KERNEL runs: the analyzer's
    tests on its files, and on a clean boot the self-test's verdict."""
    tests = analyzer_tests(scenario, kernel)
    if scenario == "clean":
        tests["test_selftest_passed"] = test_selftest_passed
    return tests
