# SPDX-License-Identifier: GPL-2.0-only
"""Every earlyslab gdb command on one normal boot, halted three times:

  early  the first kmem_cache_init() (early slab on memblock pages)
  late   kmem_cache_init_late() (early phase over, slab UP)
  user   hrtimer_nanosleep() of the initramfs' hold loop, after it printed
         EARLYSLAB-INIT-OK (earlyslab.hold=1): userspace is running

At each halt the data commands run and QEMU writes a dump-guest-memory
core; the CLI on that core must print exactly what gdb printed. Between
the halts: `earlyslab watch` (early -> late) with `earlyslab break
window` armed, then `earlyslab break anomaly` (late -> user): neither may
fire on a clean boot. The kernel's lx-dmesg runs in the same session.
"""

import json
import re

import pytest

import gdbtest

STOPS = ["early", "late", "user"]
STOP_FUNCS = {"early": "kmem_cache_init", "late": "kmem_cache_init_late",
              "user": "hrtimer_nanosleep"}

# (name, gdb arguments after "earlyslab", compared with the CLI)
DATA = [
    ("status", "status", False),
    ("status-j", "status -j", False),
    ("dump", "dump", True),
    ("dump-j", "dump -j", True),
    ("dump-p", "dump -p", True),
    ("dump-csv", "dump --csv", True),
    ("dump-filter", "dump --type getpages,freepages --cache kmalloc-*", True),
    ("dump-all", "dump --all --phase early,free_all,window,up", True),
    ("timeline", "timeline", True),
    ("timeline-j", "timeline -j", True),
    ("owners", "owners", True),
    ("owners-j", "owners -j", True),
    ("owners-sort", "owners --sort -order,pfn", True),
    ("owners-cull", "owners --cull cache,order", True),
    ("check", "check", True),
    ("check-j", "check -j", True),
    ("check-csv", "check --csv", True),
    ("stats", "stats", True),
    ("stats-j", "stats -j", True),
    ("export-chrome", "export --format chrome-trace -o -", True),
]

BAD_ARGS = [
    ("dump --bogus", "unknown option '--bogus'"),
    ("dump --type nosuch", "unknown type"),
    ("timeline x-y", "bad pfn range"),
    ("owners --sort nosuch", "unknown"),
    ("check --kind nosuch", "unknown"),
    ("export --format gif -o x", "unknown format"),
    ("export --format svg", "-o FILE is required"),
    ("status extra", "unexpected argument"),
    ("page", None),
    ("page no_such_symbol", "no_such_symbol"),
    ("page 0xffffffffffffffff", "not a direct-map"),
    ("page 0x7fffffffffff", "beyond max_pfn"),
    ("crosscheck extra", "unexpected argument"),
    ("crosscheck --bogus", "unknown option"),
    ("save", None),
    ("save /nonexistent-dir/x.bin", "No such file"),
    ("break sideways", "unknown mode"),
    ("break window extra", "unexpected argument"),
    ("watch --count x", "bad count"),
    ("watch --count", "needs a number"),
    ("watch extra", "unexpected argument"),
    ("bogus", "unknown command"),
]


def data_steps(stop, outdir):
    steps = [{"op": "exec", "key": "%s:%s" % (stop, name),
              "cmd": "earlyslab " + args} for name, args, _ in DATA]
    steps += [
        {"op": "exec", "key": stop + ":check-rc",
         "cmd": "output $earlyslab_exit"},
        {"op": "exec", "key": stop + ":global-j",
         "cmd": "earlyslab -j owners"},
        {"op": "exec", "key": stop + ":export-svg",
         "cmd": "earlyslab export --format svg -o %s/%s.svg"
                % (outdir, stop)},
        {"op": "exec", "key": stop + ":save",
         "cmd": "earlyslab save %s/%s.bin" % (outdir, stop)},
        {"op": "exec", "key": stop + ":crosscheck",
         "cmd": "earlyslab crosscheck"},
        {"op": "exec", "key": stop + ":crosscheck-j",
         "cmd": "earlyslab crosscheck -j"},
        {"op": "exec", "key": stop + ":verify-j",
         "cmd": "earlyslab -j owners --verify"},
        {"op": "exec", "key": stop + ":page-image",
         "cmd": "earlyslab page &%s -j" % gdbtest.SYMBOL},
        gdbtest.call_step(stop + ":owner-page", "owner_page"),
        {"op": "core", "key": stop + ":core",
         "path": "%s/%s.elf" % (outdir, stop)},
    ]
    return steps


def plan(outdir):
    steps = [{"op": "exec", "key": "reset:status", "cmd": "earlyslab status"},
             {"op": "stop_at", "key": "early:stop", "func": "kmem_cache_init"}]
    steps += data_steps("early", outdir)
    steps += [
        {"op": "exec", "key": "early:break", "cmd": "earlyslab break window"},
        {"op": "exec", "key": "early:hbreak",
         "cmd": "hbreak kmem_cache_init_late"},
        {"op": "exec", "key": "early:watch", "cmd": "earlyslab watch"},
        {"op": "where", "key": "late:where"},
        {"op": "exec", "key": "late:delete", "cmd": "delete"},
    ]
    steps += data_steps("late", outdir)
    steps += [
        {"op": "exec", "key": "late:break-off", "cmd": "earlyslab break off"},
        {"op": "exec", "key": "late:break", "cmd": "earlyslab break anomaly"},
        {"op": "stop_at", "key": "user:stop", "func": "hrtimer_nanosleep"},
        {"op": "exec", "key": "user:break-show", "cmd": "earlyslab break"},
        {"op": "exec", "key": "user:break-off", "cmd": "earlyslab break off"},
    ]
    steps += data_steps("user", outdir)
    steps += [{"op": "exec", "key": "user:lx-dmesg", "cmd": "lx-dmesg"},
              {"op": "exec", "key": "user:lx-ps", "cmd": "lx-ps"},
              {"op": "exec", "key": "user:lx-version", "cmd": "lx-version"}]
    steps += [{"op": "exec", "key": "bad:" + cmd, "cmd": "earlyslab " + cmd}
              for cmd, _ in BAD_ARGS]
    steps += [
        {"op": "exec", "key": "magic:save",
         "cmd": "set $es_magic = %s.hdr.magic" % gdbtest.SYMBOL},
        {"op": "exec", "key": "magic:clobber",
         "cmd": "set var %s.hdr.magic = 0" % gdbtest.SYMBOL},
        {"op": "exec", "key": "magic:status", "cmd": "earlyslab status"},
        {"op": "exec", "key": "magic:restore",
         "cmd": "set var %s.hdr.magic = $es_magic" % gdbtest.SYMBOL},
        {"op": "exec", "key": "magic:status-again",
         "cmd": "earlyslab status -j"},
    ]
    return steps


_runs = {}


def boot():
    """The one normal boot of the kernel under test."""
    k = gdbtest.current()
    if k not in _runs:
        outdir = gdbtest.BUILD / "tests-gdb" / k / "normal"
        _runs[k] = gdbtest.run_plan("normal", plan(outdir), hold=True)
        print("\n[gdb] %s normal boot: %.1f s, %d steps%s"
              % (k, _runs[k].seconds, len(_runs[k].result["order"]),
                 ", fatal: %s" % _runs[k].result["fatal"]
                 if _runs[k].result["fatal"] else ""))
    _run = _runs[k]
    if _run.result.get("fatal"):
        pytest.fail("gdb driver: %s (see %s)" % (_run.result["fatal"],
                                                 _run.outdir / "gdb.log"),
                    pytrace=False)
    return _run


def one_line(msg):
    return msg is not None and "\n" not in msg.strip()


def test_reset_vector_says_kernel_not_in_place():
    err = boot().error("reset:status")
    assert err and one_line(err)
    assert "halted before the kernel image is in place" in err


@pytest.mark.parametrize("stop", STOPS)
def test_halted_where_expected(stop):
    r = boot()
    if stop == "late":
        frame = r.step("late:where")["frame"]
    else:
        frame = r.step(stop + ":stop")["frame"]
    assert frame == STOP_FUNCS[stop]
    if stop == "user":
        assert gdbtest.esboot.MARKER in r.serial


@pytest.mark.parametrize("stop", STOPS)
def test_every_data_command_runs(stop):
    r = boot()
    for name, _, _ in DATA:
        out = r.out("%s:%s" % (stop, name))
        assert out.strip(), name
        if name.endswith("-j") or name in ("dump-p", "export-chrome"):
            json.loads(out)
    st = json.loads(r.out(stop + ":status-j"))
    assert st["magic_ok"] and st["committed"] == st["slots"] > 0
    expect = {"early": "early", "late": "up", "user": "full"}[stop]
    assert st["phase"] == expect
    assert json.loads(r.out(stop + ":global-j")) == \
        json.loads(r.out(stop + ":owners-j"))
    svg = (r.outdir / ("%s.svg" % stop)).read_text()
    assert "<svg" in svg
    assert "traceEvents" in json.loads(r.out(stop + ":export-chrome"))


@pytest.mark.parametrize("stop", STOPS)
def test_output_matches_cli_on_dump(stop):
    """Same halt: gdb's output equals the CLI's on QEMU's core dump."""
    r = boot()
    r.out(stop + ":core")
    core = r.outdir / ("%s.elf" % stop)
    vm = gdbtest.kernel().vmlinux
    for name, args, compare in DATA:
        if not compare:
            continue
        rc, out, err = gdbtest.cli("--vmlinux", vm, "--core", core,
                                   *args.split())
        assert rc in (0, 1), "%s: %s" % (args, err)
        mine = r.out("%s:%s" % (stop, name))
        if name.endswith("-j") or name in ("dump-p", "export-chrome"):
            assert gdbtest.no_file_keys(json.loads(mine)) == \
                gdbtest.no_file_keys(json.loads(out)), args
        else:
            assert mine == out, args
        if name == "check":
            assert r.out(stop + ":check-rc").strip() == str(rc)
    rc, out, _ = gdbtest.cli("--vmlinux", vm, "--core", core, "status", "-j")
    core.unlink()       # about 0.5 GB each; nothing else reads it
    assert gdbtest.no_file_keys(json.loads(r.out(stop + ":status-j"))) == \
        gdbtest.no_file_keys(json.loads(out))


@pytest.mark.parametrize("stop", STOPS)
def test_saved_buffer_reads_with_cli(stop):
    r = boot()
    assert "saved" in r.out(stop + ":save")
    raw = r.outdir / ("%s.bin" % stop)
    rc, out, err = gdbtest.cli("--vmlinux", gdbtest.kernel().vmlinux,
                               "--raw", raw, "owners", "-j")
    assert rc == 0, err
    assert json.loads(out) == json.loads(r.out(stop + ":owners-j"))
    rc, out, err = gdbtest.cli("--vmlinux", gdbtest.kernel().vmlinux,
                               "--raw", raw, "dump")
    assert out == r.out(stop + ":dump")


@pytest.mark.parametrize("stop", STOPS)
def test_crosscheck_clean(stop):
    r = boot()
    cc = json.loads(r.out(stop + ":crosscheck-j"))
    owners = json.loads(r.out(stop + ":owners-j"))
    assert cc["disagreements"] == []
    assert cc["slabs"] == len(owners)
    assert cc["pages"] == sum(o["pages"] for o in owners)
    assert "no disagreement" in r.out(stop + ":crosscheck")
    if stop != "early":
        assert cc["slabs"] > 0


@pytest.mark.parametrize("stop", STOPS)
def test_owners_verify_is_crosscheck(stop):
    """owners --verify reads the live guest's struct pages through the
    same reader and the same check as crosscheck: the same slabs, all
    agreeing."""
    r = boot()
    verified = json.loads(r.out(stop + ":verify-j"))
    cc = json.loads(r.out(stop + ":crosscheck-j"))
    assert len(verified) == cc["slabs"]
    assert [o["verify"] for o in verified] == ["ok"] * len(verified)


@pytest.mark.parametrize("stop", ["late", "user"])
def test_page_of_owned_slab(stop):
    r = boot()
    p = r.step(stop + ":owner-page")
    assert "pfn" in p, p
    page = json.loads(p["json"]["out"])
    owner = p["owner"]
    assert page["pfn"] == owner["pfn"]
    # the kernel's own slab mark: PG_slab (6.1) or the slab page type
    if page["slab_mark"] == "PG_slab":
        assert "slab" in page["flag_names"]
    else:
        assert page["slab_mark"] == "page_type"
        assert page["page_type"] == "slab" and page["mapcount"] is None
    assert page["compound"] == ("head" if owner["order"] else "none")
    assert page["order"] == owner["order"]
    assert page["slab"]["cache"] == owner["cache"]
    assert page["slab"]["name"].startswith(owner["name"])
    frames = page["timeline"]["pfns"]
    assert [f["pfn"] for f in frames] == [owner["pfn"]]
    assert frames[0]["runs"][-1]["state"] == "live"
    text = p["text"]["out"]
    assert text.startswith("pfn 0x%x: struct page" % owner["pfn"])
    assert "slab      cache %s %s" % (owner["cache"], page["slab"]["name"]) \
        in text
    assert "trace:\n" in text
    if owner["order"]:
        assert "tail of pfn 0x%x" % owner["pfn"] in p["tail"]["out"]


def test_page_of_kernel_image_address():
    r = boot()
    page = json.loads(r.out("late:page-image"))
    assert page["slab"] is None and page["timeline"]["pfns"] == []
    assert "reserved" in page["flag_names"]


def test_break_window_silent_and_watch_matches_dump():
    r = boot()
    assert "armed" in r.out("early:break")
    watch = r.out("early:watch")
    assert "earlyslab break window:" not in watch
    assert r.step("late:where")["frame"] == "kmem_cache_init_late"
    head = json.loads(r.out("early:status-j"))["head"]
    event = re.compile(r"^\s+(\d+)\s")
    dump = [l for l in r.out("late:dump").splitlines()
            if event.match(l) and int(event.match(l).group(1)) >= head]
    seen = [l for l in watch.splitlines() if event.match(l)]
    assert seen and seen == dump
    assert "earlyslab watch: %d events" % len(seen) in watch


def test_break_anomaly_silent_on_clean_boot():
    r = boot()
    assert "armed" in r.out("late:break")
    assert "earlyslab break anomaly:" not in r.out("user:stop")
    assert r.out("user:break-show").startswith("earlyslab break: anomaly")
    assert "fired 0 times" in r.out("user:break-show")
    assert "removed" in r.out("user:break-off")


def test_lx_commands_in_the_same_session():
    r = boot()
    if gdbtest.kernel().lx_script is None:
        pytest.fail("no vmlinux-gdb.py of the kernel build (CONFIG_GDB_"
                    "SCRIPTS): cannot run lx-dmesg", pytrace=False)
    out = r.out("user:lx-dmesg")
    assert "Linux version" in out
    assert "early_kmalloc" in out
    # the tasks, once userspace runs: init (the initramfs' shell) is one
    assert re.search(r"^\s*0x[0-9a-f]+\s+1\s+init\s*$", r.out("user:lx-ps"),
                     re.M), r.out("user:lx-ps")
    release = gdbtest.kernel().version.get("release", "")
    assert "Linux version " + release in r.out("user:lx-version")


@pytest.mark.parametrize("cmd,text", BAD_ARGS, ids=[c for c, _ in BAD_ARGS])
def test_bad_arguments_one_line(cmd, text):
    err = boot().error("bad:" + cmd)
    assert err, "no error for: earlyslab %s" % cmd
    assert one_line(err), err
    if text:
        assert text in err
    if not cmd.startswith("save /") and "max_pfn" not in (text or "") and \
            "direct-map" not in (text or ""):
        assert "Usage: earlyslab" in err


def test_bad_magic():
    r = boot()
    err = r.error("magic:status")
    assert err and one_line(err)
    assert "bad magic 0x0000000000000000" in err and gdbtest.SYMBOL in err
    assert json.loads(r.out("magic:status-again"))["magic_ok"]


def test_no_python_traceback():
    log = boot().gdb_log
    assert "Traceback" not in log
    assert "Python Exception" not in log
