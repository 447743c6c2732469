# SPDX-License-Identifier: GPL-2.0-only
"""Real dumps for the analyzer's integration tests (issue 3, section 4).

Boots build/kernel (smp2, 512 MiB) under gdb, halted at
kmem_cache_init_late, once per scenario:

  clean   early_kmalloc_selftest
  window  early_kmalloc_selftest early_kmalloc_inject=window

At that halt gdb saves the raw early_slab_trace bytes and QEMU writes the
whole guest memory (`monitor dump-guest-memory`), both through
scripts/esboot.py. The checks themselves are
analyzers/tests/test_realdump.py, loaded once per scenario with its
ES_* environment pointing at these files (see analyzer_tests()).

Files, under build/realdump/SCENARIO/: trace-kmem_cache_init_late.bin
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
INJECT_FUNC = "early_kmalloc_inject_window_free"
BOOT_TIMEOUT = int(os.environ.get("EARLYSLAB_BOOT_TIMEOUT", "300"))

SCENARIOS = {
    "clean": "early_kmalloc_selftest",
    "window": "early_kmalloc_selftest early_kmalloc_inject=window",
}


@dataclass
class Dump:
    scenario: str
    core: Path
    raw: Path
    vmlinux: Path
    boot: esboot.Boot


def paths(scenario):
    d = OUT / scenario
    return d, d / f"core-{HALT}.elf", d / f"trace-{HALT}.bin"


def analyzer_tests(scenario):
    """The test functions of analyzers/tests/test_realdump.py, loaded as a
    module of its own whose ES_* inputs are this scenario's files (they
    exist once the conftest's fixture has booted the scenario)."""
    _, core, raw = paths(scenario)
    env = {"ES_CORE": str(core), "ES_RAW": str(raw),
           "ES_VMLINUX": str(BUILD / "kernel" / "vmlinux"),
           "ES_EXPECT": scenario,
           "ES_INJECT_FUNC": INJECT_FUNC if scenario == "window" else "",
           "EARLYSLAB": str(CLI), "BUILD": str(BUILD)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location(
            f"analyzer_realdump_{scenario}", ANALYZER_TESTS)
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


def produce(scenario):
    """Boot SCENARIO halted at HALT; return a Dump or pytest.fail (one
    line)."""
    outdir, core, raw = paths(scenario)
    try:
        _, vmlinux, _ = esboot.kernel_files("default")
    except esboot.BootError as e:
        pytest.fail(str(e), pytrace=False)
    build_analyzers()
    remove_cores()
    try:
        b = esboot.boot("default", TOPOLOGY, SCENARIOS[scenario],
                        stops=(HALT,), cores=(HALT,), outdir=outdir,
                        timeout=BOOT_TIMEOUT)
    except esboot.BootError as e:
        pytest.fail(str(e), pytrace=False)
    print(f"\n[realdump] {scenario}: {b.summary()}")
    st = b.stop(HALT)
    if b.gdb.get("error"):
        pytest.fail(f"{scenario}: gdb: {b.gdb['error']} "
                    f"({outdir / 'gdb.log'})", pytrace=False)
    if not st.get("halted"):
        pytest.fail(f"{scenario}: gdb did not halt at {HALT}: {st or b.gdb}",
                    pytrace=False)
    if not st.get("dump"):
        pytest.fail(f"{scenario}: no raw trace at {HALT}: "
                    f"{st.get('dump_error')}", pytrace=False)
    if not st.get("core"):
        pytest.fail(f"{scenario}: no core at {HALT}: {st.get('core_error')}",
                    pytrace=False)
    print(f"[realdump] {scenario}: {raw} ({raw.stat().st_size} bytes), "
          f"{core} ({core.stat().st_size} bytes)")
    return Dump(scenario, core, raw, vmlinux, b)


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


def cleanup(scenario):
    outdir, core, _ = paths(scenario)
    if core.exists():
        core.unlink()
    for extra in outdir.glob("bad-*"):
        if extra.is_dir():
            shutil.rmtree(extra)
        else:
            extra.unlink()
