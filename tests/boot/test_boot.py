# SPDX-License-Identifier: GPL-2.0-only
"""Boot matrix: the six kernels (6.12, debug-6.12, kasan-6.12, 6.1,
debug-6.1, kasan-6.1) x every topology of scripts/esboot.py (smp1, smp2, numa2,
numa2-cpuonly, numa2-cpuonly-boot, numa3, big), all with the self-test,
plus three boots of each series' default kernel on smp2: one without the
self-test, one ("options") with the boot options slab_max_order=0,
slab_nomerge, init_on_alloc=1 and init_on_free=1, and one with
early_kmalloc=off.

Every boot runs under gdb: it halts at kmem_cache_init_late (the early
phase is over, slab is UP) and again at rest_init (after
kmem_cache_init_late has written the FULL phase marker), dumping the
early_slab_trace buffer at both stops; then the guest runs on to the
initramfs marker and powers off. Each boot happens once; the tests below
look at its serial log, the gdb record and the two dumps.

The dumps are decoded by the earlyslab command (`earlyslab --raw FILE
status --json` and `dump --json`), the one decoder of the trace format;
it is built (make -C analyzers all) before the first dump is read.

Needs build/kernel-*/ and build/initramfs.cpio.gz (`make test` builds
them). One kernel: -k 'debug-6.12-'; one boot: -k '[6.12-smp2]'.
"""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402

SELFTEST = "early_kmalloc_selftest"
SELFTEST_PASS = "early_kmalloc: selftest PASS"
# Printed after free_initmem(): a cache created and destroyed once the
# init memory is gone.
AFTER_INIT_PASS = "early_kmalloc: selftest after init PASS"
AFTER_INIT_FAIL = "early_kmalloc: selftest after init FAIL"
# What caches created early got: the page order of a 1500-byte cache,
# whether two identical caches were merged into one, and whether
# init_on_alloc and init_on_free were in force.
EARLY_CACHES = re.compile(r"early_kmalloc: selftest: early caches: "
                          r"ekm_order order=(\d+) ekm_merge merged=(\d+) "
                          r"init_on_alloc=(\d+) init_on_free=(\d+)")
SELFTEST_LINE = re.compile(r"early_kmalloc: selftest (PASS|FAIL)\b.*")
HALT = "kmem_cache_init_late"   # early phase over, FULL not yet marked
LATE = "rest_init"              # after kmem_cache_init_late: FULL marked
EARLY_PHASES = ["early", "free_all", "window", "up"]


def format_values(*exprs):
    """The values of C expressions (integers) over
    tracepoints/early_slab_trace.h, as the C compiler computes them."""
    body = "".join(f'printf("%lld\\n", (long long)({e}));' for e in exprs)
    prog = ('#include <stddef.h>\n#include <stdio.h>\n'
            '#include "early_slab_trace.h"\n'
            f'int main(void) {{ {body} return 0; }}\n')
    with tempfile.TemporaryDirectory() as d:
        exe = Path(d) / "values"
        subprocess.run(["cc", "-I", str(ROOT / "tracepoints"), "-x", "c",
                        "-", "-o", str(exe)], input=prog, text=True,
                       check=True)
        out = subprocess.run([str(exe)], capture_output=True, text=True,
                             check=True).stdout
    return tuple(int(v) for v in out.split())


# The format's version, sizes, header fields and enum values, from the
# header itself.
(FORMAT_VERSION, HEADER_SIZE, RECORD_SIZE, ALLOCATOR_OFFSET,
 KERNEL_VERSION_OFFSET, ALLOC_SLAB, ALLOC_SLUB, MARK_PERCPU,
 MARK_TRACE_INIT, NOPAGES_TABLE) = format_values(
     "EST_VERSION", "sizeof(struct est_header)", "sizeof(struct est_record)",
     "offsetof(struct est_header, allocator)",
     "offsetof(struct est_header, kernel_version)",
     "EST_ALLOC_SLAB", "EST_ALLOC_SLUB", "EST_MARK_PERCPU",
     "EST_MARK_TRACE_INIT", "EST_NOPAGES_TABLE")
# The allocator each series patches.
SERIES_ALLOCATOR = {"6.1": ALLOC_SLAB, "6.12": ALLOC_SLUB}
CLI = esboot.BUILD / "bin" / "earlyslab"
BOOT_TIMEOUT = int(os.environ.get("EARLYSLAB_BOOT_TIMEOUT", "120"))


@dataclass(frozen=True)
class Case:
    """One boot: kernel, topology, extra kernel arguments, and a name
    suffix for the boots that are not plain self-test boots."""
    kernel: str
    topology: str
    append: str = SELFTEST
    variant: str = ""

    @property
    def series(self):
        return esboot.KERNELS[self.kernel]["series"]

    @property
    def flavour(self):
        """default, debug or kasan"""
        return esboot.KERNELS[self.kernel]["variant"]

    @property
    def selftest(self):
        return SELFTEST in self.append.split()

    @property
    def topo(self):
        return esboot.TOPOLOGIES[self.topology]

    @property
    def timeout(self):
        # memory is set up page by page under TCG: allow more for big RAM
        return BOOT_TIMEOUT * (1 + self.topo.mem // 2048)


MATRIX = [Case(k, t) for k in esboot.KERNELS for t in esboot.TOPOLOGIES]
# The default kernel of each series, on smp2.
DEFAULT_KERNELS = [k for k, v in esboot.KERNELS.items()
                   if v["variant"] == "default"]
NOSELFTEST = [Case(k, "smp2", "", "noselftest") for k in DEFAULT_KERNELS]
OPTIONS = [Case(k, "smp2", f"{SELFTEST} slab_max_order=0 slab_nomerge "
                "init_on_alloc=1 init_on_free=1", "options")
           for k in DEFAULT_KERNELS]
# early_kmalloc=off: slab starts in mm_init() as without the series.
OFF = [Case(k, "smp2", "early_kmalloc=off", "off") for k in DEFAULT_KERNELS]
CASES = MATRIX + NOSELFTEST + OPTIONS + OFF
# The boots whose trace has early kmalloc events.
TRACE_CASES = [c for c in CASES if c not in OFF]
SELFTEST_CASES = [c for c in CASES if c.selftest]


def case_id(case):
    return f"{case.kernel}-{case.topology}" + \
        (f"-{case.variant}" if case.variant else "")


# Expected "early caches" values (order, merged, init_on_alloc,
# init_on_free) per boot. On 6.1, 512 MiB is above 32 MiB, so SLAB's
# slab_max_order is 1 and a 1500-byte cache gets order-1 slabs; on 6.12
# SLUB gives it order 3 (slub_max_order, PAGE_ALLOC_COSTLY_ORDER). Slab
# merging is on (SLAB_MERGE_DEFAULT=y), so the two identical caches
# become one, except where the caches carry debug flags (slab_debug) or
# KASAN keeps them apart (kasan_never_merge()). slab_max_order=0,
# slab_nomerge, init_on_alloc=1 and init_on_free=1 must already hold for
# the caches created early.
EARLY_CACHES_EXPECTED = {
    "6.1-smp2": (1, 1, 0, 0),
    "kasan-6.1-smp2": (1, 0, 0, 0),
    "6.1-smp2-options": (0, 0, 1, 1),
    "6.12-smp2": (3, 1, 0, 0),
    "debug-6.12-smp2": (3, 0, 0, 0),
    "kasan-6.12-smp2": (3, 0, 0, 0),
    "6.12-smp2-options": (0, 0, 1, 1),
}
EARLY_CACHES_CASES = [c for c in CASES if case_id(c) in EARLY_CACHES_EXPECTED]


def _strip_time(line):
    return re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line.strip())


def serial_find(b, pattern):
    """The first serial line that matches PATTERN, without its printk
    time stamp, or None."""
    for line in b.serial.splitlines():
        if pattern.search(line):
            return _strip_time(line)
    return None


def early_caches(b):
    """(order, merged, init_on_alloc, init_on_free) from the self-test's
    "early caches" line, or None."""
    m = EARLY_CACHES.search(b.serial)
    return tuple(int(g) for g in m.groups()) if m else None


def early_caches_text(v):
    return "order=%d merged=%d init_on_alloc=%d init_on_free=%d" % v


def boot_report(case, b):
    """One line about a boot: time, marker, self-test lines, first bad
    serial line."""
    if isinstance(b, esboot.BootError):
        return f"{case_id(case)}: not booted: {b}"
    parts = [f"{case_id(case)}: {b.seconds:.1f} s, "
             + ("reached init" if b.reached_marker else "did NOT reach init")
             + (" (timeout)" if b.timed_out else "")
             + (" (kernel panic)" if b.panicked else "")]
    if case.selftest:
        parts.append(serial_find(b, SELFTEST_LINE) or "no self-test line")
        after = serial_find(b, re.compile("selftest after init (PASS|FAIL)"))
        parts.append(after or "no after-init line")
        ec = early_caches(b)
        parts.append(f"early caches {early_caches_text(ec)}" if ec
                     else "no early caches line")
    bad = b.bad_lines()
    if bad:
        parts.append(f"first bad line: {_strip_time(bad[0])}")
    return "; ".join(parts)


_boots = {}


def boot_reports():
    """boot_report() of every boot of this session, in boot order."""
    return [boot_report(c, b) for c, b in _boots.items()]


def boot_seconds():
    """Seconds spent booting in this session."""
    return sum(b.seconds for b in _boots.values()
               if not isinstance(b, esboot.BootError))


def get_boot(case):
    """Boot CASE once per test session; fail (not error) on set-up problems."""
    if case not in _boots:
        try:
            _boots[case] = esboot.boot(
                case.kernel, case.topology, case.append, stops=(HALT, LATE),
                outdir=esboot.BUILD / "boot" / case_id(case),
                timeout=case.timeout)
        except esboot.BootError as e:
            _boots[case] = e
        print(f"\n[boot] {boot_report(case, _boots[case])}")
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


def fail_if_panicked(b):
    """A guest that panicked is killed before gdb has written its record."""
    if b.panicked:
        bad = b.bad_lines()
        pytest.fail("kernel panic before the gdb stops were done"
                    + (f": {_strip_time(bad[0])}" if bad else "")
                    + f" ({b.serial_log})", pytrace=False)


def get_trace(b, func):
    fail_if_panicked(b)
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
params_trace = pytest.mark.parametrize("case", TRACE_CASES, ids=case_id)
params_selftest = pytest.mark.parametrize("case", SELFTEST_CASES, ids=case_id)


@params
def test_reaches_init(case):
    b = get_boot(case)
    assert not b.timed_out, f"timed out after {b.seconds:.0f} s: {b.serial_log}"
    assert not b.panicked, f"kernel panic: {b.serial_log}"
    assert b.reached_marker, f"no {esboot.MARKER} in {b.serial_log}"
    t = case.topo
    info = b.init_info()
    assert info.get("cpus") == str(t.cpus), info
    # CPU-only nodes are online: they are in /sys/devices/system/node too
    assert info.get("nodes") == str(t.nodes), info
    assert 0 < int(info.get("memtotal_kb", 0)) <= t.mem * 1024, info


@params
def test_serial_clean(case):
    b = get_boot(case)
    bad = b.bad_lines()
    assert not bad, f"{b.serial_log}:\n" + "\n".join(bad[:20])


def _in_ranges(pfn, npages, ranges):
    """Whether page frames [pfn, pfn + npages) lie in one of RANGES (byte
    ranges)."""
    return _inside(pfn << 12, (pfn + npages) << 12, ranges)


def _pfn_ranges(ranges):
    """Byte ranges as page frame ranges, for messages."""
    return ", ".join(f"pfn {s >> 12:#x}-{e >> 12:#x}" for s, e in ranges)


def _byte_ranges(ranges):
    return ", ".join(f"{s:#x}-{e:#x}" for s, e in ranges)


def _inside(s, e, ranges):
    return any(lo <= s and e <= hi for lo, hi in ranges)


E820_USABLE = re.compile(r"BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] "
                         r"usable")
SRAT_MEM = re.compile(r"ACPI: SRAT: Node (\d+) PXM \d+ "
                      r"\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]")
HOLE_640K = (0xa0000, 0x100000)


@params
def test_memory_map(case):
    """The guest's e820 map and SRAT are what the topology says: the RAM
    ranges (above 4 GiB from 4 GiB up) and each node's part of them."""
    b = get_boot(case)
    topo = case.topo
    usable = [(int(s, 16), int(e, 16) + 1)
              for s, e in E820_USABLE.findall(b.serial)]
    assert usable, f"no BIOS-e820 usable lines in {b.serial_log}"
    ram = topo.ram_ranges()
    for s, e in usable:
        assert _inside(s, e, ram), \
            f"e820 usable {s:#x}-{e:#x} outside RAM {_byte_ranges(ram)}"
    assert max(e for _, e in usable) > ram[-1][0], \
        f"no usable RAM in the top range {ram[-1][0]:#x}-{ram[-1][1]:#x}"
    if topo.nodes == 1:
        return
    srat = collections.defaultdict(list)
    for nid, s, e in SRAT_MEM.findall(b.serial):
        srat[int(nid)].append((int(s, 16), int(e, 16) + 1))
    assert srat, f"no 'ACPI: SRAT: Node' lines in {b.serial_log}"
    for n in topo.per_node:
        ranges = topo.node_ranges(n.nid)
        for s, e in srat.get(n.nid, []):
            assert _inside(s, e, ranges), \
                f"SRAT node {n.nid} {s:#x}-{e:#x} not in " \
                f"{_byte_ranges(ranges)}"
        hole = sum(max(0, min(e, HOLE_640K[1]) - max(s, HOLE_640K[0]))
                   for s, e in ranges)
        size = sum(e - s for s, e in srat.get(n.nid, []))
        assert size == (n.mem << 20) - hole, \
            f"SRAT gives node {n.nid} {size >> 20} MiB, expected {n.mem}"


SRAT_CPU = re.compile(r"SRAT: PXM \d+ -> APIC (0x[0-9a-f]+) -> Node (\d+)$",
                      re.M)
# x86's smpboot line for the secondary CPUs of one node, "#N" per CPU
SMPBOOT_NODE = re.compile(r"\.\.\.\. node\s+#(\d+), CPUs:((?:\s+#\d+)+)\s*$",
                          re.M)


def cpu_nodes_srat(b, topo):
    """{APIC id: node} from the SRAT lines (6.1 prints them), and the
    expected map."""
    got = {int(a, 16): int(n) for a, n in SRAT_CPU.findall(b.serial)}
    bits = (topo.cores - 1).bit_length()
    want = {(c // topo.cores) << bits | c % topo.cores: n.nid
            for n in topo.per_node for c in n.cpus}
    return "'SRAT: PXM .. -> APIC .. -> Node'", got, want


def cpu_nodes_smpboot(b, topo):
    """{CPU: node} of the secondary CPUs from the smpboot lines (6.12
    has the SRAT ones at debug level only), and the expected map."""
    got = {int(c): int(nid) for nid, cpus in SMPBOOT_NODE.findall(b.serial)
           for c in re.findall(r"#(\d+)", cpus)}
    want = {c: n.nid for n in topo.per_node for c in n.cpus if c}
    return "'.... node  #N, CPUs: #C'", got, want


# Where each series' console says which node a CPU is on.
CPU_NODES = {"6.1": cpu_nodes_srat, "6.12": cpu_nodes_smpboot}


@pytest.mark.parametrize("case", [c for c in CASES if c.topo.nodes > 1],
                         ids=case_id)
def test_cpu_nodes(case):
    """Every CPU is on the node of its socket."""
    b = get_boot(case)
    what, got, want = CPU_NODES[case.series](b, case.topo)
    assert got, f"no {what} lines in {b.serial_log}"
    assert got == want, f"CPU -> node: {got}, expected {want}"


# slab_state at rest_init: SLAB's kmem_cache_init_late() moves it from UP
# to FULL; SLUB's does not, slab_sysfs_init() (an initcall, after
# rest_init) does.
SLAB_STATE_AT_LATE = {"6.1": "FULL", "6.12": "UP"}


@params
def test_gdb_halts(case):
    b = get_boot(case)
    fail_if_panicked(b)
    assert b.gdb.get("connected"), b.gdb
    assert not b.gdb.get("error"), b.gdb["error"]
    _, _, version = esboot.kernel_files(case.kernel)
    for func in (HALT, LATE):
        st = b.stop(func)
        assert st.get("halted"), f"not halted at {func}: {st}"
        assert st.get("release") == version.get("release"), st
        expect = "UP" if func == HALT else SLAB_STATE_AT_LATE[case.series]
        assert st.get("slab_state") == expect, st
    assert b.gdb.get("detached"), b.gdb


@params_selftest
def test_selftest_pass(case):
    b = get_boot(case)
    if SELFTEST_PASS not in b.serial:
        pytest.fail(f"no '{SELFTEST_PASS}' in {b.serial_log}"
                    + (f" ({serial_find(b, SELFTEST_LINE)})"
                       if serial_find(b, SELFTEST_LINE) else ""),
                    pytrace=False)


@params_selftest
def test_selftest_after_init(case):
    """A cache created and destroyed after free_initmem() (freed init
    memory must not be touched then)."""
    b = get_boot(case)
    fail = serial_find(b, re.compile(re.escape(AFTER_INIT_FAIL)))
    if fail:
        pytest.fail(f"{b.serial_log}: {fail}", pytrace=False)
    if AFTER_INIT_PASS not in b.serial:
        pytest.fail(f"no '{AFTER_INIT_PASS}' in {b.serial_log}", pytrace=False)


@params_selftest
def test_selftest_early_caches_line(case):
    b = get_boot(case)
    ec = early_caches(b)
    if ec is None:
        pytest.fail(f"no 'early_kmalloc: selftest: early caches:' line in "
                    f"{b.serial_log}", pytrace=False)
    assert ec[1] in (0, 1), serial_find(b, EARLY_CACHES)


@pytest.mark.parametrize("case", EARLY_CACHES_CASES, ids=case_id)
def test_slab_options_reach_early_caches(case):
    """slab_max_order= and slab_nomerge are parsed before the first
    caches are created: the early caches follow them."""
    b = get_boot(case)
    want = EARLY_CACHES_EXPECTED[case_id(case)]
    got = early_caches(b)
    if got is None:
        pytest.fail(f"no 'early caches' line in {b.serial_log}, expected "
                    f"{early_caches_text(want)}", pytrace=False)
    if got != want:
        pytest.fail(f"{early_caches_text(got)}, expected "
                    f"{early_caches_text(want)} (append: {case.append})",
                    pytrace=False)


# What shows that the debug kernel's options are really in effect.
DEBUG_EVIDENCE = {
    "debug_pagealloc=on": "debug: unmapping init",
    "DEFERRED_STRUCT_PAGE_INIT": "deferred pages initialised",
}


@pytest.mark.parametrize("case", [c for c in CASES if c.flavour == "debug"],
                         ids=case_id)
def test_debug_options_active(case):
    b = get_boot(case)
    missing = [k for k, v in DEBUG_EVIDENCE.items() if v not in b.serial]
    if missing:
        pytest.fail(f"no sign of {', '.join(missing)} in {b.serial_log}",
                    pytrace=False)


@pytest.mark.parametrize("case", [c for c in CASES if c.flavour == "kasan"],
                         ids=case_id)
def test_kasan_active(case):
    """KASAN is on from kasan_init(), before early kmalloc starts: the
    self-test's checks of given-back slabs and every early allocation
    ran under it."""
    b = get_boot(case)
    if "kasan: KernelAddressSanitizer initialized" not in b.serial:
        pytest.fail(f"KASAN did not start in {b.serial_log}", pytrace=False)


# The 6.12 KASAN kernel also has memory allocation profiling with its
# debug checks (kernel-patch/6.12/kasan.config), page_ext's one user there.
PROFILING_EVIDENCE = re.compile(r"allocated \d+ bytes of page_ext")


@pytest.mark.parametrize("case", [c for c in CASES if c.flavour == "kasan"
                                  and c.series == "6.12"], ids=case_id)
def test_alloc_profiling_active(case):
    """page_ext was set up for the allocation tags: early slab pages
    handed to the buddy allocator after that must have their tag cleared
    (MEM_ALLOC_PROFILING_DEBUG warns otherwise, which the serial check of
    every boot catches)."""
    b = get_boot(case)
    if not PROFILING_EVIDENCE.search(b.serial):
        pytest.fail(f"no page_ext for allocation profiling in {b.serial_log}",
                    pytrace=False)


def header_fields(path):
    """(allocator, kernel_version) of the trace header in the dump PATH,
    at the offsets the C compiler gives them."""
    raw = Path(path).read_bytes()[:HEADER_SIZE]
    return (int.from_bytes(raw[ALLOCATOR_OFFSET:ALLOCATOR_OFFSET + 2],
                           "little"),
            int.from_bytes(raw[KERNEL_VERSION_OFFSET:
                               KERNEL_VERSION_OFFSET + 4], "little"))


def version_code(release):
    """LINUX_VERSION_CODE of a kernel release such as 6.12.118+."""
    nums = [int(x) for x in re.findall(r"\d+", release)[:3]]
    a, b, c = (nums + [0, 0, 0])[:3]
    return (a << 16) + (b << 8) + min(c, 255)


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
def test_trace_header_writer(case):
    """The header says which allocator and which kernel wrote the trace."""
    b = get_boot(case)
    get_trace(b, LATE)
    _, _, version = esboot.kernel_files(case.kernel)
    alloc, kver = header_fields(b.stop(LATE)["dump"])
    assert alloc == SERIES_ALLOCATOR[case.series], \
        f"allocator {alloc}, expected {SERIES_ALLOCATOR[case.series]}"
    want = version_code(version.get("release", ""))
    assert kver == want, \
        f"kernel_version {kver:#x}, expected {want:#x} " \
        f"(release {version.get('release')})"


@params_trace
def test_trace_events(case):
    b = get_boot(case)
    t = get_trace(b, HALT)
    by_type, by_phase, by_path = t.counts()
    print(f"\n[trace] {case_id(case)} at {HALT}: types {dict(by_type)} "
          f"phases {dict(by_phase)} pages {dict(by_path)}")
    assert t.of_type("getpages", "memblock"), "no getpages from memblock"
    if case.selftest:
        assert t.of_type("freepages", "memblock"), \
            "no freepages back to memblock (the self-test frees early pages)"
    assert t.of_type("skip"), "no skip: memblock_free_all skipped no slab page"
    marked = t.phases_marked()
    for p in EARLY_PHASES:
        assert p in marked, f"no phase {p} marker (markers: {marked})"
    # full is written by kmem_cache_init_late itself: not there yet.
    assert "full" not in marked, marked
    assert t.status["phase"] == "up", t.status


@params_trace
def test_check_clean(case):
    """No boot of the matrix injects a window free: `earlyslab check` of
    the trace at rest_init finds no error and exits 0 (warnings, such as
    node mismatches on a CPU-only boot node, are allowed), and the kernel
    counted no free in the mem_init window. The early phase's own work
    (rebuilding the caches at the second kmem_cache_init(), say) must not
    free early slab pages inside the window."""
    b = get_boot(case)
    get_trace(b, LATE)
    p = subprocess.run([str(CLI), "--raw", str(b.stop(LATE)["dump"]),
                        "check", "--json"], capture_output=True, text=True,
                       check=False)
    try:
        res = json.loads(p.stdout)
    except ValueError:
        pytest.fail(f"earlyslab check: exit {p.returncode}: "
                    f"{p.stderr.strip()}", pytrace=False)
    errors = [a for a in res["anomalies"] if a.get("severity") == "error"]
    assert p.returncode == 0 and not errors, \
        f"check: exit {p.returncode}, {res['errors']} error(s), first: " \
        f"{errors[:1]}"
    line = serial_find(b, re.compile(r"(\d+) freed in the mem_init window"))
    if line:
        n = re.search(r"(\d+) freed in the mem_init window", line)[1]
        assert n == "0", f"the kernel counted window frees: {line}"


@params_trace
def test_trace_full_marker(case):
    b = get_boot(case)
    t = get_trace(b, LATE)
    marked = t.phases_marked()
    assert marked[-1:] == ["full"], f"last phase marker is not full: {marked}"
    assert t.status["phase"] == "full", t.status


@params_trace
def test_trace_pages(case):
    b = get_boot(case)
    topo = case.topo
    t = get_trace(b, LATE)
    pages = t.of_type("getpages") + t.of_type("freepages")
    assert pages, "no page events"
    ram = topo.ram_ranges()
    for r in pages + t.of_type("skip"):
        # below max_pfn and not in the hole below 4 GiB
        assert 0 < r["pfn"] < topo.max_pfn, r
        assert _in_ranges(r["pfn"], 1, ram), \
            f"pfn {r['pfn']:#x} not in RAM ({_pfn_ranges(ram)}): {r}"
    for r in pages:
        assert r["pfn"] % (1 << r["order"]) == 0, r
        assert _in_ranges(r["pfn"], 1 << r["order"], ram), r
        assert 0 <= r["nid"] < topo.nodes, r
        assert r["cpu"] < topo.cpus, r


@params_trace
def test_trace_nodes(case):
    """Slab pages belong to nodes that have memory (a CPU-only node owns
    none), and lie in that node's part of the RAM."""
    b = get_boot(case)
    topo = case.topo
    t = get_trace(b, LATE)
    gets = t.of_type("getpages")
    assert gets, "no getpages"
    for r in gets + t.of_type("freepages"):
        assert r["nid"] in topo.mem_nodes, \
            f"pages on node {r['nid']}, which has no memory: {r}"
        ranges = topo.node_ranges(r["nid"])
        assert _in_ranges(r["pfn"], 1 << r["order"], ranges), \
            f"pfn {r['pfn']:#x} is not on node {r['nid']} " \
            f"({_pfn_ranges(ranges)}): {r}"
        assert r["nid_req"] == -1 or 0 <= r["nid_req"] < topo.nodes, r


# The marks a trace has when gdb halts at rest_init, in order: the per-CPU
# switch (inside the early phase) on both series, and trace_init() on 6.12
# (the deferred init and memblock_discard() marks come after rest_init).
MARKS_AT_LATE = {"6.1": [MARK_PERCPU], "6.12": [MARK_PERCPU, MARK_TRACE_INIT]}


@params_trace
def test_trace_marks(case):
    """The marks of the boot so far, the per-CPU switch inside the early
    phase. On 6.1 a self-test boot also has the slab refused by a full
    table of early slabs; 6.12 has no such table, so no such refusal."""
    b = get_boot(case)
    t = get_trace(b, LATE)
    marks = t.of_type("mark")
    want = MARKS_AT_LATE[case.series]
    assert [m["arg"] for m in marks] == want, \
        f"expected the marks {want}: {marks}"
    assert marks[0]["phase"] == "early", marks[0]
    table = [r for r in t.of_type("nopages") if r["arg"] == NOPAGES_TABLE]
    if case.series != "6.1":
        assert not table, f"a table of early slabs was full: {table}"
    elif case.selftest:
        assert table, f"no nopages record for the full table " \
            f"(arg {NOPAGES_TABLE})"
        assert all(r["phase"] == "early" and r["name"] == "kmalloc-4k"
                   for r in table), table


@pytest.mark.parametrize("case", OFF, ids=case_id)
def test_off_means_off(case):
    """early_kmalloc=off: the header is written, no event is, and slab
    starts from mm_init() as it would without the series."""
    b = get_boot(case)
    assert "early_kmalloc: off" in b.serial, b.serial_log
    t = get_trace(b, LATE)
    check_integrity(t)
    assert t.status["committed"] == 0, t.status
    assert t.status["phase"] == "boot", t.status
