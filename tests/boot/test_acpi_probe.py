# SPDX-License-Identifier: GPL-2.0-only
"""The early ACPI probe (early_acpi_probe): the AML interpreter inside
setup_arch(), on early kmalloc.

Every kernel of a series with the probe boots on QEMU's pc and q35
machines with early_acpi_probe, and the probe must:
- load the namespace, read \\_SB.PCI0._CRS and print the root bridge
  windows, which must be the very "root bus resource" windows the PCI
  core reports after the normal ACPI initialization;
- find the PCI gap that e820 chooses later in setup_arch() agreeing with
  the largest memory window below 4 GiB;
- tear everything down: the later ACPI initialization succeeds, with no
  ACPI error, no early ioremap leak at late_initcall and no WARN, BUG or
  Oops;
- leave its pages in the early slab trace: the ACPICA caches' slab pages
  between the two probe marks, every one of them given back by the
  teardown, and `earlyslab check` clean.

Then, on the default kernel of each series, three guests with one more
SSDT each, compiled by iasl from tests/boot/acpi/: one with a _DMA on the root bridge, whose limit the
probe prints, and two whose module-level code does what the probe
cannot do inside setup_arch() (a Sleep, a PCI_Config read): the probe
refuses it in one line and gives up, and the boot goes on clean.

Each boot stops once under gdb, at rest_init, for the trace; then the
guest runs to the initramfs marker.
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402
from test_boot import (CLI, build_cli, fail_if_panicked,  # noqa: E402
                       format_values)

PROBE = "early_acpi_probe"
STOP = "rest_init"
ASL_DIR = HERE / "acpi"
AML_DIR = esboot.BUILD / "acpi"
(MARK_PROBE, MARK_PROBE_END, EV_GETPAGES, EV_FREEPAGES) = format_values(
    "EST_MARK_ACPI_PROBE", "EST_MARK_ACPI_PROBE_END", "EST_EV_GETPAGES",
    "EST_EV_FREEPAGES")

PROBE_WINDOW = re.compile(r"early_acpi_probe: \\_SB\.PCI0 root bus "
                          r"resource (\[[^\]]*\])")
ROOT_WINDOW = re.compile(r"pci_bus 0000:00: root bus resource (\[[^\]]*\])")
PROBE_END = re.compile(r"early_acpi_probe: (done|gave up); namespace torn "
                       r"down, (\d+) (us|cycles)")
NODES = re.compile(r"early_acpi_probe: namespace loaded: (\d+) nodes")
GAP = re.compile(r"early_acpi_probe: PCI gap .* from e820 (holds|does not "
                 r"hold) root bridge window .*: (agree|disagree)")
DMA = re.compile(r"early_acpi_probe: \\_SB\.PCI0\._DMA: devices below the "
                 r"root bridge reach DMA addresses up to (0x[0-9a-f]+) "
                 r"\((\d+) bits\)")
REFUSED = re.compile(r"early_acpi_probe: refused: (.*) is not available "
                     r"inside setup_arch\(\); giving up after the load")
# The normal ACPI initialization, after the probe.
ACPI_OK = ["ACPI: Interpreter enabled", "ACPI: PCI Root Bridge [PCI0]"]
ACPI_BAD = re.compile(r"ACPI( BIOS)? (Error|Exception|Warning)|"
                      r"ACPI: .*[Ff]ail|early ioremap leak")
# Said on every boot of these kernels, probe or not: they have no
# networking (tinyconfig), so no generic netlink for ACPI events.
ACPI_EXPECTED = "ACPI: Failed to create genetlink family for ACPI event"


@dataclass(frozen=True)
class Probe:
    """One boot with the probe: kernel, machine, and the extra SSDT (an
    .asl of tests/boot/acpi/, or None)."""
    kernel: str
    machine: str
    ssdt: str | None = None

    @property
    def id(self):
        return f"{self.kernel}-{self.machine}" + \
            (f"-{self.ssdt}" if self.ssdt else "")


# The series whose kernels have the probe: every kernel of theirs but the
# KASAN one boots on both machines; each series' default kernel also boots
# the three extra SSDTs.
PROBE_SERIES = ("6.12", "6.1")
PROBE_KERNELS = [k for k, v in esboot.KERNELS.items()
                 if v["series"] in PROBE_SERIES and v["variant"] != "kasan"]
PLAIN = [Probe(k, m) for k in PROBE_KERNELS for m in ("pc", "q35")]
DEFAULTS = [k for k, v in esboot.KERNELS.items()
            if v["series"] in PROBE_SERIES and v["variant"] == "default"]
DMA_CASES = [Probe(k, "q35", "dma") for k in DEFAULTS]
# SSDTs whose module-level code the probe must refuse: what it refuses.
REFUSING = {**{Probe(k, "pc", "sleep"): "Sleep" for k in DEFAULTS},
            **{Probe(k, "q35", "pcicfg"): "PCI config space"
               for k in DEFAULTS}}
GOOD = PLAIN + DMA_CASES
ALL = GOOD + list(REFUSING)


def aml(name):
    """tests/boot/acpi/NAME.asl compiled by iasl into build/acpi/."""
    src = ASL_DIR / f"{name}.asl"
    out = AML_DIR / f"{name}.aml"
    if out.is_file() and out.stat().st_mtime >= src.stat().st_mtime:
        return out
    AML_DIR.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["iasl", "-p", str(out.with_suffix("")), str(src)],
                       capture_output=True, text=True, check=False)
    if r.returncode or not out.is_file():
        pytest.fail(f"iasl {src.name} failed: "
                    + (r.stdout + r.stderr).strip().splitlines()[-1],
                    pytrace=False)
    return out


_boots = {}


def get_boot(case):
    """Boot CASE once per session."""
    if case not in _boots:
        extra = ["-acpitable", f"file={aml(case.ssdt)}"] if case.ssdt else []
        try:
            _boots[case] = esboot.boot(
                case.kernel, "smp2", PROBE, stops=(STOP,),
                outdir=esboot.BUILD / "boot" / f"acpi-{case.id}",
                timeout=240, machine=case.machine, qemu_args=extra)
        except esboot.BootError as e:
            _boots[case] = e
    b = _boots[case]
    if isinstance(b, esboot.BootError):
        pytest.fail(str(b), pytrace=False)
    return b


def lines(b):
    return b.serial.splitlines()


def probe_end(b):
    """The index of the probe's last line, and (done|gave up, us)."""
    for i, line in enumerate(lines(b)):
        m = PROBE_END.search(line)
        if m:
            return i, m.group(1), int(m.group(2))
    pytest.fail(f"no '{PROBE}: ... namespace torn down' line "
                f"({b.serial_log})", pytrace=False)


def cli(b, *args, json_out=True):
    """earlyslab on the trace dumped at rest_init, with the vmlinux."""
    fail_if_panicked(b)
    st = b.stop(STOP)
    if not st.get("dump"):
        pytest.fail(f"no trace dump at {STOP}: {st or b.gdb}", pytrace=False)
    build_cli()
    k = esboot.KERNELS[b.kernel]["dir"]
    p = subprocess.run([str(CLI), "--raw", st["dump"], "--vmlinux",
                        str(k / "vmlinux")] + list(args)
                       + (["--json"] if json_out else []),
                       capture_output=True, text=True, check=False)
    return p


params_all = pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
params_good = pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
params_refusing = pytest.mark.parametrize("case", list(REFUSING),
                                          ids=lambda c: c.id)


@params_all
def test_boot_reaches_init_clean(case):
    """Probe or no probe, the boot reaches init with nothing bad on the
    console: no WARN (an early mapping slot held at late_initcall warns),
    BUG, Oops or Bad page."""
    b = get_boot(case)
    fail_if_panicked(b)
    bad = b.bad_lines()
    assert not bad, f"{bad[0]} ({b.serial_log})"
    assert b.reached_marker, f"did not reach init ({b.serial_log})"


@params_all
def test_normal_acpi_init_after_the_probe(case):
    """After the teardown the normal ACPI initialization runs as if the
    probe never had: the interpreter is enabled, the root bridge found,
    and no ACPI error, failure or early ioremap leak is reported after
    the probe's last line."""
    b = get_boot(case)
    end, _, _ = probe_end(b)
    after = lines(b)[end + 1:]
    for want in ACPI_OK:
        assert any(want in l for l in after), f"no '{want}' ({b.serial_log})"
    bad = [l for l in after if ACPI_BAD.search(l) and ACPI_EXPECTED not in l]
    assert not bad, f"{bad[0].strip()} ({b.serial_log})"


@params_good
def test_probe_windows_are_the_root_bus_resources(case):
    """The windows the probe read from AML inside setup_arch() are the
    root bus resources the PCI core reports after the normal ACPI init."""
    b = get_boot(case)
    _, how, _ = probe_end(b)
    assert how == "done", f"the probe gave up ({b.serial_log})"
    nodes = [int(m.group(1)) for m in map(NODES.search, lines(b)) if m]
    assert nodes and nodes[0] > 100, f"namespace size {nodes}"
    early = [m.group(1) for m in map(PROBE_WINDOW.search, lines(b)) if m]
    late = [m.group(1) for m in map(ROOT_WINDOW.search, lines(b)) if m]
    assert early, f"the probe printed no window ({b.serial_log})"
    assert any("mem" in w for w in early), early
    assert sorted(early) == sorted(late), \
        f"probe {early} != root bus resources {late}"


@params_good
def test_pci_gap_agrees_with_the_aml(case):
    """The e820 PCI gap chosen later in setup_arch() holds the largest
    AML memory window below 4 GiB."""
    b = get_boot(case)
    gap = [m for m in map(GAP.search, lines(b)) if m]
    assert len(gap) == 1, f"{len(gap)} PCI gap lines ({b.serial_log})"
    assert gap[0].group(2) == "agree", gap[0].group(0)


@pytest.mark.parametrize("case", DMA_CASES, ids=lambda c: c.id)
def test_dma_limit_from_an_ssdt(case):
    """An SSDT's _DMA on the root bridge (bus addresses below 2^40): the
    probe prints the limit it implies."""
    b = get_boot(case)
    m = [m for m in map(DMA.search, lines(b)) if m]
    assert m, f"no _DMA line ({b.serial_log})"
    assert int(m[0].group(1), 16) == (1 << 40) - 1 and m[0].group(2) == "40"


@pytest.mark.parametrize("case", PLAIN, ids=lambda c: c.id)
def test_no_dma_line_without_dma(case):
    b = get_boot(case)
    assert not any("_DMA" in l for l in lines(b)), b.serial_log


@params_refusing
def test_probe_refuses_and_gives_up(case):
    """AML that needs what setup_arch() cannot give: one line naming it,
    the probe gives up, prints no window and checks no gap."""
    b = get_boot(case)
    refused = [m.group(1) for m in map(REFUSED.search, lines(b)) if m]
    assert refused == [REFUSING[case]], refused
    _, how, _ = probe_end(b)
    assert how == "gave up"
    assert not any(PROBE_WINDOW.search(l) or GAP.search(l)
                   for l in lines(b)), b.serial_log
    # and the normal ACPI init still finds the root bridge windows
    assert any(ROOT_WINDOW.search(l) for l in lines(b)), b.serial_log


def _records(b):
    p = cli(b, "dump")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@params_all
def test_trace_holds_the_probe(case):
    """The ACPICA caches' slab pages are in the trace between the probe
    marks, taken with callers inside ACPICA, and the teardown gave every
    one of them back (kmem_cache_destroy() of each cache); `check` is
    clean."""
    b = get_boot(case)
    recs = _records(b)
    marks = [i for i, r in enumerate(recs) if r["type"] == "mark"
             and r["arg"] in (MARK_PROBE, MARK_PROBE_END)]
    assert [recs[i]["arg"] for i in marks] == [MARK_PROBE, MARK_PROBE_END]
    inside = recs[marks[0] + 1:marks[1]]
    acpi = [r for r in inside if r["name"].startswith("Acpi-")]
    got = [r for r in acpi if r["type"] == "getpages"]
    assert got, "no ACPICA slab page in the probe"
    assert {r["name"] for r in got} >= {"Acpi-Namespace", "Acpi-Operand"}
    assert all(r["early"] and r["path"] == "memblock" for r in got), got[0]
    syms = [r.get("caller_sym") or "" for r in got]
    assert any("acpi" in s for s in syms), syms[:5]
    live = {}
    for r in acpi:
        if r["type"] == "getpages":
            live[r["pfn"]] = r["name"]
        elif r["type"] == "freepages":
            live.pop(r["pfn"], None)
    assert not live, f"ACPICA slab pages not given back: {live}"
    p = cli(b, "check", json_out=False)
    assert p.returncode == 0, (p.stdout + p.stderr).strip()[-500:]


@params_good
def test_stats_by_acpi_cache(case):
    """earlyslab stats --cache 'Acpi-*' counts the probe's pages."""
    b = get_boot(case)
    p = cli(b, "stats", "--cache", "Acpi-*")
    assert p.returncode == 0, p.stderr
    assert "Acpi-Namespace" in p.stdout, p.stdout[:500]
    caches = {c["name"] for c in json.loads(p.stdout)["caches"]}
    assert caches and all(n.startswith("Acpi-") for n in caches), caches
