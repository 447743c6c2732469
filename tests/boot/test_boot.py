# SPDX-License-Identifier: GPL-2.0-only
"""Boot matrix: 2 kernels (default, debug) x 3 topologies, plus one boot
of the default kernel without the self-test.

Every boot runs under gdb: it halts at kmem_cache_init_late (the early
phase is over, slab is UP) and again at rest_init (after
kmem_cache_init_late has written the FULL phase marker), dumping the
early_slab_trace buffer at both stops; then the guest runs on to the
initramfs marker and powers off. Each boot happens once; the tests below
look at its serial log, the gdb record and the two dumps.

The dumps are decoded by the earlyslab command (`earlyslab --raw FILE
status --json` and `dump --json`), the one decoder of the trace format;
it is built (make -C analyzers all) before the first dump is read.

Needs build/kernel, build/kernel-debug and build/initramfs.cpio.gz
(`make test` builds them).
"""

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402

SELFTEST = "early_kmalloc_selftest"
SELFTEST_PASS = "early_kmalloc: selftest PASS"
HALT = "kmem_cache_init_late"   # early phase over, FULL not yet marked
LATE = "rest_init"              # after kmem_cache_init_late: FULL marked
EARLY_PHASES = ["early", "free_all", "window", "up"]
# The format's sizes (tracepoints/early_slab_trace.h, version 1).
FORMAT_VERSION, HEADER_SIZE, RECORD_SIZE = 1, 64, 80
CLI = esboot.BUILD / "bin" / "earlyslab"
BOOT_TIMEOUT = int(os.environ.get("EARLYSLAB_BOOT_TIMEOUT", "120"))

MATRIX = [(k, t, True) for k in ("default", "debug")
          for t in ("smp1", "smp2", "numa2")]
CASES = MATRIX + [("default", "smp2", False)]


def case_id(case):
    k, t, selftest = case
    return f"{k}-{t}" + ("" if selftest else "-noselftest")


_boots = {}


def get_boot(case):
    """Boot CASE once per test session; fail (not error) on set-up problems."""
    if case not in _boots:
        k, t, selftest = case
        try:
            _boots[case] = esboot.boot(
                k, t, SELFTEST if selftest else "", stops=(HALT, LATE),
                outdir=esboot.BUILD / "boot" / case_id(case),
                timeout=BOOT_TIMEOUT)
            print(f"\n[boot] {_boots[case].summary()}")
        except esboot.BootError as e:
            _boots[case] = e
    b = _boots[case]
    if isinstance(b, esboot.BootError):
        pytest.fail(str(b), pytrace=False)
    return b


class TraceError(Exception):
    """earlyslab refused a dump: its one-line message."""


_cli_built = []


def build_cli():
    """make -C analyzers all, once per session (a no-op when up to date)."""
    if _cli_built:
        return
    r = subprocess.run(["make", "-C", str(ROOT / "analyzers"), "all",
                        f"BUILD={esboot.BUILD}"], capture_output=True,
                       text=True, check=False)
    if r.returncode or not CLI.is_file():
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        pytest.fail(f"make -C analyzers failed: {last}", pytrace=False)
    _cli_built.append(True)


def earlyslab(path, *args):
    """`earlyslab --raw PATH ARGS --json`, parsed; TraceError on exit != 0."""
    p = subprocess.run([str(CLI), "--raw", str(path)] + list(args)
                       + ["--json"], capture_output=True, text=True,
                       check=False)
    if p.returncode:
        raise TraceError((p.stderr.strip().splitlines() or
                          [f"exit {p.returncode}"])[0])
    return json.loads(p.stdout)


class Trace:
    """A dump as the earlyslab command decodes it: .status (status --json)
    and .records (dump --json: the committed records in sequence order)."""

    def __init__(self, path):
        self.status = earlyslab(path, "status")
        self.records = earlyslab(path, "dump")

    def of_type(self, name, path=None):
        return [r for r in self.records if r["type"] == name
                and (path is None or r["path"] == path)]

    def phases_marked(self):
        """Phases that have a phase marker record, in order."""
        return [r["phase"] for r in self.of_type("phase")]

    def counts(self):
        by_type = collections.Counter(r["type"] for r in self.records)
        by_phase = collections.Counter(r["phase"] for r in self.records)
        by_path = collections.Counter(f"{r['type']}/{r['path']}"
                                      for r in self.records
                                      if r["type"] in ("getpages",
                                                       "freepages"))
        return by_type, by_phase, by_path


def get_trace(b, func):
    st = b.stop(func)
    if not st.get("halted"):
        pytest.fail(f"gdb did not halt at {func}: {st or b.gdb}", pytrace=False)
    if not st.get("dump"):
        pytest.fail(f"no trace dump at {func}: {st.get('dump_error')} "
                    "(kernel without the earlyslab patches?)", pytrace=False)
    build_cli()
    try:
        return Trace(st["dump"])
    except TraceError as e:
        pytest.fail(str(e), pytrace=False)


params = pytest.mark.parametrize("case", CASES, ids=case_id)
params_selftest = pytest.mark.parametrize("case", MATRIX, ids=case_id)


@params
def test_reaches_init(case):
    b = get_boot(case)
    assert not b.timed_out, f"timed out after {b.seconds:.0f} s: {b.serial_log}"
    assert b.reached_marker, f"no {esboot.MARKER} in {b.serial_log}"
    cpus, mem, nodes = esboot.TOPOLOGIES[case[1]]
    info = b.init_info()
    assert info.get("cpus") == str(cpus), info
    assert info.get("nodes") == str(nodes), info
    assert 0 < int(info.get("memtotal_kb", 0)) <= mem * 1024, info


@params
def test_serial_clean(case):
    b = get_boot(case)
    bad = b.bad_lines()
    assert not bad, f"{b.serial_log}:\n" + "\n".join(bad[:20])


@params
def test_gdb_halts(case):
    b = get_boot(case)
    assert b.gdb.get("connected"), b.gdb
    assert not b.gdb.get("error"), b.gdb["error"]
    _, _, version = esboot.kernel_files(case[0])
    for func in (HALT, LATE):
        st = b.stop(func)
        assert st.get("halted"), f"not halted at {func}: {st}"
        assert st.get("release") == version.get("release"), st
        # kmem_cache_init_late() moves slab_state from UP to FULL.
        expect = "UP" if func == HALT else "FULL"
        assert st.get("slab_state") == expect, st
    assert b.gdb.get("detached"), b.gdb


@params_selftest
def test_selftest_pass(case):
    b = get_boot(case)
    if SELFTEST_PASS not in b.serial:
        pytest.fail(f"no '{SELFTEST_PASS}' in {b.serial_log}", pytrace=False)


# What shows that the debug kernel's options are really in effect.
DEBUG_EVIDENCE = {
    "debug_pagealloc=on": "debug: unmapping init",
    "DEFERRED_STRUCT_PAGE_INIT": "deferred pages initialised",
}


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "debug"],
                         ids=case_id)
def test_debug_options_active(case):
    b = get_boot(case)
    missing = [k for k, v in DEBUG_EVIDENCE.items() if v not in b.serial]
    if missing:
        pytest.fail(f"no sign of {', '.join(missing)} in {b.serial_log}",
                    pytrace=False)


def check_integrity(t):
    h = t.status
    assert h["magic_ok"], h
    assert h["version"] == FORMAT_VERSION, h
    assert h["header_size"] == HEADER_SIZE, h
    assert h["record_size"] == RECORD_SIZE, h
    assert h["lost"] == 0, f"{h['lost']} events lost (capacity {h['capacity']})"
    assert h["head"] <= h["capacity"], h
    assert h["torn"] == 0, f"{h['torn']} torn slots"
    assert h["pending"] == 0, f"{h['pending']} pending slots"
    assert h["bad"] == 0, f"{h['bad']} bad slots"
    assert h["committed"] == h["head"] == len(t.records), h
    assert [r["seq"] for r in t.records] == list(range(h["head"]))


@params
def test_trace_integrity(case):
    b = get_boot(case)
    for func in (HALT, LATE):
        check_integrity(get_trace(b, func))


@params
def test_trace_events(case):
    b = get_boot(case)
    t = get_trace(b, HALT)
    by_type, by_phase, by_path = t.counts()
    print(f"\n[trace] {case_id(case)} at {HALT}: types {dict(by_type)} "
          f"phases {dict(by_phase)} pages {dict(by_path)}")
    assert t.of_type("getpages", "memblock"), "no getpages from memblock"
    if case[2]:
        assert t.of_type("freepages", "memblock"), \
            "no freepages back to memblock (the self-test frees early pages)"
    assert t.of_type("skip"), "no skip: memblock_free_all skipped no slab page"
    marked = t.phases_marked()
    for p in EARLY_PHASES:
        assert p in marked, f"no phase {p} marker (markers: {marked})"
    # full is written by kmem_cache_init_late itself: not there yet.
    assert "full" not in marked, marked
    assert t.status["phase"] == "up", t.status


@params
def test_trace_full_marker(case):
    b = get_boot(case)
    t = get_trace(b, LATE)
    marked = t.phases_marked()
    assert marked[-1:] == ["full"], f"last phase marker is not full: {marked}"
    assert t.status["phase"] == "full", t.status


@params
def test_trace_pages(case):
    b = get_boot(case)
    cpus, mem, nodes = esboot.TOPOLOGIES[case[1]]
    max_pfn = mem * 1024 * 1024 // 4096
    t = get_trace(b, LATE)
    pages = t.of_type("getpages") + t.of_type("freepages")
    assert pages, "no page events"
    for r in pages + t.of_type("skip"):
        assert 0 < r["pfn"] < max_pfn, r
    for r in pages:
        assert r["pfn"] % (1 << r["order"]) == 0, r
        assert 0 <= r["nid"] < nodes, r
        assert r["cpu"] < cpus, r
