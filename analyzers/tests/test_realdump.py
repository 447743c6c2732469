# SPDX-License-Identifier: GPL-2.0-only
"""earlyslab on a real dump of the patched kernel, halted at
kmem_cache_init_late (issue: analyzers, section 4, "Integration").

The dump is made elsewhere (QEMU halted under gdb, `monitor
dump-guest-memory`, plus the raw buffer saved by gdb at the same halt);
this file only checks what earlyslab says about it. Inputs, from the
environment (every test is skipped when ES_CORE is not set):

  ES_CORE         the dump-guest-memory ELF core
  ES_VMLINUX      the vmlinux of that kernel
  ES_RAW          the raw early_slab_trace bytes from the same halt
                  (optional: the --raw == --core tests need it)
  ES_EXPECT       "clean" (a self-test boot) or "window"
                  (early_kmalloc_inject=window); default "clean"
  ES_INJECT_FUNC  with "window": the function the window free's caller
                  must be symbolized to (a prefix of caller_sym)
  ES_ALLOCATOR    the allocator a version 2 trace must name ("SLAB",
                  "SLUB"; optional)
  ES_KERNEL_RELEASE  the kernel release ("6.12.118") a version 2 trace
                  must name (optional)
  EARLYSLAB       the command (default: $BUILD/bin/earlyslab)

Run: python3 -m pytest -v analyzers/tests/test_realdump.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build"))
if BUILD.name == "analyzers":
    BUILD = BUILD.parent
EARLYSLAB = os.environ.get("EARLYSLAB", str(BUILD / "bin" / "earlyslab"))
CORE = os.environ.get("ES_CORE")
VMLINUX = os.environ.get("ES_VMLINUX")
RAW = os.environ.get("ES_RAW")
EXPECT = os.environ.get("ES_EXPECT", "clean")
INJECT_FUNC = os.environ.get("ES_INJECT_FUNC", "")
ALLOCATOR = os.environ.get("ES_ALLOCATOR", "")
RELEASE = os.environ.get("ES_KERNEL_RELEASE", "")
sys.path.insert(0, str(ROOT / "scripts"))
import esharness  # noqa: E402  pylint: disable=wrong-import-position
# The versions readers take, from the format's header.
FMT = esharness.header_constants()

pytestmark = pytest.mark.skipif(
    not CORE or not VMLINUX,
    reason="no real dump given (set ES_CORE and ES_VMLINUX)")


def es(*args, source="core", rc=0):
    """Run earlyslab with the core (or raw) input; return parsed JSON."""
    cmd = [EARLYSLAB, "--vmlinux", VMLINUX]
    cmd += ["--core", CORE] if source == "core" else ["--raw", RAW]
    cmd += list(args) + ["--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                       check=False)
    assert p.returncode == rc, f"{cmd}: exit {p.returncode}: {p.stderr}"
    return json.loads(p.stdout)


def test_status():
    st = es("status")
    assert st["magic_ok"] and \
        FMT["EST_VERSION_MIN"] <= st["version"] <= FMT["EST_VERSION"], st
    if st["version"] == 1:
        # version 1 does not say who wrote it
        assert st["allocator"] == "unknown" == st["kernel_version"], st
    else:
        if ALLOCATOR:
            assert st["allocator"] == ALLOCATOR, st
        if RELEASE:
            # LINUX_VERSION_CODE keeps at most 255 as the sublevel
            a, b, c = (int(x) for x in RELEASE.split("-")[0].split(".")[:3])
            assert st["kernel_version"] == "%d.%d.%d" % (a, b, min(c, 255))
    assert st["source"] == "core"
    assert st["committed"] > 0
    assert st["lost"] == 0 and st["torn"] == 0 and st["bad"] == 0
    for t in ("getpages", "freepages", "skip", "phase"):
        assert st["by_type"][t] > 0, t
    print(f"status: format {st['version']}, {st['allocator']} "
          f"{st['kernel_version']}, {st['committed']} events, by type "
          f"{st['by_type']}, last phase {st['last_phase']}, phys_base "
          f"{st.get('phys_base')}")


def test_check():
    want = 0 if EXPECT == "clean" else 1
    res = es("check", rc=want)
    errors = [a for a in res["anomalies"] if a["severity"] == "error"]
    print(f"check: {res['errors']} errors, {res['warnings']} warnings")
    if EXPECT == "clean":
        assert not errors, errors
        return
    assert len(errors) == 1, errors
    a = errors[0]
    assert a["kind"] == "window_free"
    assert a.get("caller_sym"), a
    if INJECT_FUNC:
        assert a["caller_sym"].startswith(INJECT_FUNC + "+"), a


def test_owners_agree_with_struct_pages():
    owners = es("owners", "--verify")
    assert owners, "no early slab page owned at kmem_cache_init_late"
    bad = [o for o in owners if not o["verified"]]
    assert not bad, bad
    pages = sum(o["pages"] for o in owners)
    print(f"owners: {len(owners)} slabs, {pages} pages, all with the "
          f"kernel's slab mark and the same cache in their struct page")


def test_plausible_pfns():
    for ev in es("dump", "--type", "getpages,freepages,skip"):
        pages = 1 << ev["order"]
        if ev["type"] != "skip":
            assert ev["pfn"] % pages == 0, ev


@pytest.mark.skipif(not RAW, reason="no raw buffer from the same halt")
@pytest.mark.parametrize("cmd", [
    ("dump",), ("owners",), ("timeline",), ("stats",),
])
def test_raw_equals_core(cmd):
    assert es(*cmd, source="raw") == es(*cmd, source="core")


@pytest.mark.skipif(not RAW, reason="no raw buffer from the same halt")
def test_raw_check_equals_core():
    rc = 0 if EXPECT == "clean" else 1
    assert (es("check", source="raw", rc=rc)["anomalies"] ==
            es("check", source="core", rc=rc)["anomalies"])


def test_exports(tmp_path):
    for fmt, name in (("svg", "t.svg"), ("chrome-trace", "t.json")):
        out = tmp_path / name
        p = subprocess.run([EARLYSLAB, "--vmlinux", VMLINUX, "--core", CORE,
                            "export", "--format", fmt, "-o", str(out)],
                           capture_output=True, text=True, timeout=300,
                           check=False)
        assert p.returncode == 0, p.stderr
        assert out.stat().st_size > 0
    json.loads((tmp_path / "t.json").read_text())


def test_large_kmallocs_from_memblock():
    """From format version 3 the self-test's kmallocs above the slab sizes
    (8 KiB) are served from memblock and traced: a `large` record with
    the pages' pfn and the order of the size asked for, and the one freed
    while early given back to memblock."""
    if es("status")["version"] < 3:
        pytest.skip("a version 1 or 2 trace has no large kmalloc pages")
    recs = es("dump", "--type", "large,large_free")
    large = [r for r in recs if r["type"] == "large"]
    assert len(large) >= 2, f"the self-test makes two large kmallocs: {recs}"
    for r in large:
        pages = -(-r["arg"] // 4096)
        assert r["path"] == "memblock" and r["arg"] > 8192, r
        assert 1 << r["order"] >= pages > 1 << max(r["order"] - 1, 0), r
        assert r["pfn"] % (1 << r["order"]) == 0, r
    taken = {r["pfn"] for r in large}
    freed = [r for r in recs if r["type"] == "large_free"]
    assert all(r["pfn"] in taken for r in freed), (freed, taken)
    assert any(r["path"] == "memblock" for r in freed), \
        f"no large kmalloc given back to memblock while early: {freed}"
