# SPDX-License-Identifier: GPL-2.0-only
"""Bad inputs made from a window dump, for the test_window* modules: each
one exits 2 with one line on stderr naming the file, and nothing on
stdout. Not a test module itself: the modules take its test functions."""

import subprocess

import realdump


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
    """The other build of the same series: its build-id differs."""
    _, other, _ = realdump.kernel_files(
        realdump.KERNELS[dump.kernel]["other"])
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
