# SPDX-License-Identifier: GPL-2.0-only
"""What needs no guest: help, completion, the errors a user meets before
attaching (no vmlinux, a kernel without the trace, not connected, the
library not built), bad arguments, the ctypes layouts against the C
header, and the auto-load hook together with the kernel's lx- commands."""

import json
import os
import shutil
import subprocess

import pytest

import gdbtest

SUBCOMMANDS = ["status", "dump", "timeline", "owners", "check", "stats",
               "export", "save", "page", "crosscheck", "break", "watch"]
LIBRARY_COMMANDS = SUBCOMMANDS[:7]


def exec_steps(cmds):
    return [{"op": "exec", "key": k, "cmd": c} for k, c in cmds]


_runs = {}


def static_run(name):
    """The gdb session STATIC[name], run once (on first use)."""
    if name not in _runs:
        gdbtest.ensure_tools()
        cmds, vmlinux, env = STATIC[name]
        vm = gdbtest.kernel().vmlinux if vmlinux is True else vmlinux
        _runs[name] = gdbtest.run_driver("static-" + name, exec_steps(cmds),
                                         vm, env=env)
    r = _runs[name]
    assert r.result.get("fatal") is None, r.result["fatal"]
    return r


def one_line(msg):
    return msg is not None and "\n" not in msg.strip()


HELP = [("help", "help earlyslab")] + \
    [("help " + c, "help earlyslab " + c) for c in SUBCOMMANDS] + \
    [("usage " + c, "python from earlyslab_gdb import commands as c; "
      "print(c.library_usage(%r))" % c) for c in LIBRARY_COMMANDS] + \
    [("lib-help " + c, "earlyslab %s --help" % c) for c in LIBRARY_COMMANDS] + \
    [("bare", "earlyslab")]


def test_help_for_every_command():
    r = static_run("help")
    top = r.out("help")
    for c in SUBCOMMANDS:
        assert "earlyslab %s -- " % c in top
        text = r.out("help " + c)
        assert "Usage: earlyslab %s" % c in text
        assert len(text.splitlines()[0]) < 100
    assert r.out("bare") == top


@pytest.mark.parametrize("cmd", LIBRARY_COMMANDS)
def test_help_usage_is_the_library_usage(cmd):
    """The docstrings' usage lines are the CLI's, as libearlyslab prints
    them (so that they cannot drift apart unnoticed)."""
    r = static_run("help")
    lib = r.out("usage " + cmd).strip()
    assert lib.startswith("earlyslab " + cmd)
    assert ("Usage: " + lib) in r.out("help " + cmd)
    assert r.out("lib-help " + cmd).startswith("usage: " + lib)


COMPLETE = [
    ("earlyslab d", ["earlyslab dump"]),
    ("earlyslab cr", ["earlyslab crosscheck"]),
    ("earlyslab dump --ty", ["earlyslab dump --type"]),
    ("earlyslab dump --type fr", ["earlyslab dump --type freepages"]),
    ("earlyslab dump --type getpages,sk",
     ["earlyslab dump --type getpages,skip"]),
    ("earlyslab dump --phase win", ["earlyslab dump --phase window"]),
    # every type the library knows, none typed in the commands
    ("earlyslab dump --type no", ["earlyslab dump --type nopages"]),
    ("earlyslab dump --type ma", ["earlyslab dump --type mark"]),
    ("earlyslab owners --cull cac", ["earlyslab owners --cull cache"]),
    ("earlyslab check --kind window", ["earlyslab check --kind window_free"]),
    ("earlyslab export --format ch",
     ["earlyslab export --format chrome-trace"]),
    ("earlyslab break a", ["earlyslab break anomaly"]),
    ("earlyslab break o", ["earlyslab break off"]),
    ("earlyslab watch --co", ["earlyslab watch --count"]),
    ("earlyslab crosscheck -", ["earlyslab crosscheck --json",
                                "earlyslab crosscheck --pretty",
                                "earlyslab crosscheck -j",
                                "earlyslab crosscheck -p"]),
]


def test_tab_completion(tmp_path):
    (tmp_path / "trace-a.bin").write_bytes(b"")
    cases = COMPLETE + [
        ("earlyslab save %s/trace-" % tmp_path,
         ["earlyslab save %s/trace-a.bin" % tmp_path]),
        ("earlyslab export -o %s/trace-" % tmp_path,
         ["earlyslab export -o %s/trace-a.bin" % tmp_path]),
    ]
    r = gdbtest.run_driver("static-complete",
                           exec_steps([(c, "complete " + c)
                                       for c, _ in cases]))
    for c, want in cases:
        got = sorted(l for l in r.out(c).splitlines() if l.strip())
        assert got == sorted(want), c


def test_no_kernel_loaded():
    r = static_run("nofile")
    err = r.error("status")
    assert one_line(err) and "no kernel loaded" in err


def test_kernel_without_the_trace():
    r = static_run("nosymbol")
    for k in ("status", "break"):
        err = r.error(k)
        assert one_line(err)
        assert "no symbol early_slab_trace" in err
        assert "built without CONFIG_EARLY_SLAB_TRACE?" in err


NOT_CONNECTED = ["status", "dump", "owners -j", "save /tmp/x.bin", "page 1",
                 "crosscheck", "break window", "watch"]


def test_not_connected():
    r = static_run("unconnected")
    for c in NOT_CONNECTED:
        err = r.error(c)
        assert one_line(err), c
        assert "not connected" in err, c


def test_library_not_built():
    missing = MISSING_LIB
    r = static_run("nolib")
    err = r.error("help")
    assert one_line(err)
    assert missing in err and "make -C" in err and "analyzers" in err


MISSING_LIB = "/nonexistent/libearlyslab.so"

# name: (commands, vmlinux (True: the kernel's), environment)
STATIC = {
    "help": (HELP, True, None),
    "nofile": ([("status", "earlyslab status")], None, None),
    "nosymbol": ([("status", "earlyslab status"),
                  ("break", "earlyslab break window")],
                 shutil.which("true"), None),
    "unconnected": ([(c, "earlyslab " + c) for c in NOT_CONNECTED], True,
                    None),
    "nolib": ([("help", "earlyslab dump --help")], True,
              {"EARLYSLAB_LIB": MISSING_LIB}),
}


@pytest.mark.parametrize("name", STATIC)
def test_no_python_traceback(name):
    """Every session of this file (run here if no test has run it yet)
    reports errors as gdb errors, never as a Python traceback."""
    log = static_run(name).gdb_log
    assert "Traceback" not in log and "Python Exception" not in log


ABI_C = r"""
#include <stddef.h>
#include <stdio.h>
#include "earlyslab.h"
#define F(s, f) printf("\"%s.%s\": [%zu, %zu],\n", #s, #f, \
	offsetof(struct s, f), sizeof(((struct s *)0)->f))
int main(void)
{
	printf("{\n");
	F(es_run, pfn); F(es_run, cache); F(es_run, order); F(es_run, name);
	F(es_page, refcount); F(es_page, tail); F(es_page, head_pfn);
	F(es_page, order); F(es_page, typed); F(es_page, type_name);
	F(es_page, flag_names);
	F(es_status, version); F(es_status, slots); F(es_status, by_type);
	F(es_status, last_phase); F(es_status, last_ts);
	F(es_status, allocator); F(es_status, kernel_version);
	F(es_page_check, page); F(es_page_check, problems);
	F(es_page_check, live_name); F(es_page_check, detail);
	printf("\"sizeof.es_run\": [%zu, 0], \"sizeof.es_page\": [%zu, 0],"
	       " \"sizeof.es_page_check\": [%zu, 0],"
	       " \"sizeof.es_status\": [%zu, 0]\n}\n",
	       sizeof(struct es_run), sizeof(struct es_page),
	       sizeof(struct es_page_check), sizeof(struct es_status));
	return 0;
}
"""

ABI_PY = """python
import json, ctypes
from earlyslab_gdb import libes
out = {}
for cname, cls in (("es_run", libes.Run), ("es_page", libes.Page),
                   ("es_page_check", libes.PageCheck),
                   ("es_status", libes.Status)):
    for f, _ in cls._fields_:
        d = getattr(cls, f)
        out["%s.%s" % (cname, f)] = [d.offset, d.size]
    out["sizeof." + cname] = [ctypes.sizeof(cls), 0]
print(json.dumps(out))
end"""


def test_ctypes_layout_matches_the_header(tmp_path):
    if not shutil.which("gcc"):
        pytest.fail("gcc not found", pytrace=False)
    src = tmp_path / "abi.c"
    src.write_text(ABI_C)
    exe = tmp_path / "abi"
    subprocess.run(["gcc", "-o", str(exe), str(src), "-I",
                    str(gdbtest.ROOT / "analyzers" / "libearlyslab")],
                   check=True)
    want = json.loads(subprocess.run([str(exe)], capture_output=True,
                                     text=True, check=True).stdout)
    script = tmp_path / "abi.gdb"
    script.write_text(ABI_PY + "\n")
    r = subprocess.run(["gdb", "-q", "-batch", "-nx", "-ex",
                        "source %s" % gdbtest.GDB_SCRIPT, "-x", str(script)],
                       capture_output=True, text=True, check=False)
    got = json.loads(r.stdout.strip().splitlines()[-1])
    for k, v in want.items():
        assert got.get(k) == v, k


def _link_or_copy(src, dst):
    # the file itself: a link to a symlink is one, and gdb looks for the
    # hook beside the file it resolves to
    src = os.path.realpath(src)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy(src, dst)


def test_auto_load_hook_with_lx_commands(tmp_path):
    """gdb/vmlinux-gdb.py linked beside a vmlinux: `gdb vmlinux` gets the
    earlyslab commands and the kernel's lx- commands."""
    gdbtest.ensure_tools()
    k = gdbtest.kernel()
    _link_or_copy(k.vmlinux, tmp_path / "vmlinux")
    os.symlink(gdbtest.ROOT / "gdb" / "vmlinux-gdb.py",
               tmp_path / "vmlinux-gdb.py")
    if k.lx_script is None:
        pytest.fail("no vmlinux-gdb.py of the kernel build (CONFIG_GDB_"
                    "SCRIPTS)", pytrace=False)
    (tmp_path / "VERSION").write_text("objdir=%s\n" % k.lx_script.parent)
    r = gdbtest.run_driver(
        "static-autoload",
        exec_steps([("es", "help earlyslab status"),
                    ("lx", "help lx-dmesg"),
                    ("status", "earlyslab status")]),
        tmp_path / "vmlinux", source=False,
        pre=["add-auto-load-safe-path %s" % tmp_path])
    assert "Usage: earlyslab status" in r.out("es")
    assert r.out("lx").strip()
    assert "not connected" in r.error("status")
    assert "Traceback" not in r.gdb_log
