# SPDX-License-Identifier: GPL-2.0-only
"""analyzers/tests/test_realdump.py on a boot with
early_kmalloc_inject=window, halted at kmem_cache_init_late: check exits
1 with exactly one window_free, its caller symbolized to
early_kmalloc_inject_window_free; owners --verify, --raw == --core.

Then bad inputs made from the same dump: each one exits 2 with one line
on stderr naming the file, and nothing on stdout."""

import subprocess

import pytest

import realdump

SCENARIO = "window"

globals().update(realdump.analyzer_tests(SCENARIO))


def run_cli(*args):
    p = subprocess.run([str(realdump.CLI)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=300,
                       check=False)
    return p.returncode, p.stdout, p.stderr


def one_line_error(args, name, *words):
    rc, out, err = run_cli(*args)
    print(f"[bad input] exit {rc}: {err.strip()}")
    assert rc == 2, f"{args}: exit {rc}: {err}"
    assert out == "", out
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("earlyslab: ") and str(name) in lines[0], err
    for w in words:
        assert w in lines[0], err
    assert "Traceback" not in err and "Sanitizer" not in err


def test_wrong_vmlinux(dump):
    other = realdump.BUILD / "kernel-debug" / "vmlinux"
    if not other.is_file():
        pytest.fail(f"{other} missing: run 'make kernel-debug'", pytrace=False)
    one_line_error(["--vmlinux", other, "--core", dump.core, "status"],
                   other, "another build")


def test_truncated_core(dump):
    bad = dump.core.parent / "bad-truncated.elf"
    try:
        realdump.copy_head(dump.core, bad, dump.core.stat().st_size // 2)
        one_line_error(["--vmlinux", dump.vmlinux, "--core", bad, "status"],
                       bad, "truncated")
        one_line_error(["--core", bad, "check"], bad, "truncated")
    finally:
        bad.unlink(missing_ok=True)


def test_not_elf(dump):
    # the raw buffer is a valid trace, but not an ELF core
    one_line_error(["--vmlinux", dump.vmlinux, "--core", dump.raw, "status"],
                   dump.raw, "not an ELF")


def test_empty(dump):
    bad = dump.core.parent / "bad-empty"
    bad.write_bytes(b"")
    try:
        one_line_error(["--vmlinux", dump.vmlinux, "--core", bad, "status"],
                       bad, "empty")
        one_line_error(["--raw", bad, "status"], bad, "empty")
    finally:
        bad.unlink(missing_ok=True)
