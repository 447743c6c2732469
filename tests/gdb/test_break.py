# SPDX-License-Identifier: GPL-2.0-only
"""`earlyslab break` and `earlyslab watch` on boots with
early_kmalloc_inject=window, which frees an early slab page inside the
mem_init window on purpose.

- break window: armed at the first kmem_cache_init, it must stop the guest
  inside the window, in est_emit() right after the window free was
  recorded; after `break off` the guest runs on to kmem_cache_init_late.
- break anomaly: the same free is an error-level anomaly (window_free).
- watch --count N prints exactly the next N events, as `dump` prints them.
(That neither break fires without the injection is in test_commands.py.)
"""

import json
import re

import pytest

import gdbtest

INJECT = "early_kmalloc_inject=window"
EVENT = re.compile(r"^\s+(\d+)\s")

WINDOW_STEPS = [
    {"op": "stop_at", "key": "early", "func": "kmem_cache_init"},
    {"op": "exec", "key": "arm", "cmd": "earlyslab break window"},
    {"op": "exec", "key": "hit", "cmd": "continue"},
    {"op": "where", "key": "where"},
    {"op": "exec", "key": "bt", "cmd": "bt"},
    {"op": "exec", "key": "pfn", "cmd": "output $earlyslab_pfn"},
    {"op": "exec", "key": "seq", "cmd": "output $earlyslab_seq"},
    {"op": "exec", "key": "status", "cmd": "earlyslab status -j"},
    {"op": "exec", "key": "dump", "cmd": "earlyslab dump -j"},
    {"op": "exec", "key": "timeline", "cmd": "earlyslab timeline $earlyslab_pfn"},
    {"op": "exec", "key": "check", "cmd": "earlyslab check -j"},
    {"op": "exec", "key": "page", "cmd": "earlyslab page $earlyslab_pfn -j"},
    {"op": "exec", "key": "crosscheck", "cmd": "earlyslab crosscheck -j"},
    {"op": "exec", "key": "show", "cmd": "earlyslab break"},
    {"op": "exec", "key": "off", "cmd": "earlyslab break off"},
    {"op": "stop_at", "key": "late", "func": "kmem_cache_init_late"},
]

ANOMALY_STEPS = [
    {"op": "stop_at", "key": "early", "func": "kmem_cache_init"},
    {"op": "exec", "key": "arm", "cmd": "earlyslab break anomaly"},
    {"op": "exec", "key": "hit", "cmd": "continue"},
    {"op": "where", "key": "where"},
    {"op": "exec", "key": "seq", "cmd": "output $earlyslab_seq"},
    {"op": "exec", "key": "check", "cmd": "earlyslab check -j"},
    {"op": "exec", "key": "off", "cmd": "earlyslab break off"},
    {"op": "exec", "key": "watch", "cmd": "earlyslab watch --count 3"},
    {"op": "where", "key": "watch-where"},
    {"op": "exec", "key": "watch-j", "cmd": "earlyslab watch -j --count 2"},
    {"op": "exec", "key": "dump", "cmd": "earlyslab dump"},
    {"op": "exec", "key": "dump-j", "cmd": "earlyslab dump -j"},
]

_runs = {}


def run(name):
    key = (gdbtest.current(), name)
    if key not in _runs:
        steps = WINDOW_STEPS if name == "window" else ANOMALY_STEPS
        _runs[key] = gdbtest.run_plan("break-" + name, steps, INJECT,
                                      lx=False)
        print("\n[gdb] %s break %s boot: %.1f s"
              % (key[0], name, _runs[key].seconds))
    r = _runs[key]
    if r.result.get("fatal"):
        pytest.fail("gdb driver: %s (see %s)" % (r.result["fatal"],
                                                 r.outdir / "gdb.log"),
                    pytrace=False)
    return r


def test_break_window_stops_inside_the_window():
    r = run("window")
    assert "armed" in r.out("arm")
    hit = r.out("hit")
    assert "earlyslab break window: slab page freed inside the mem_init " \
           "window" in hit
    assert r.step("where")["frame"] == "est_emit"
    assert gdbtest.INJECT_FUNC[gdbtest.current()] in r.out("bt")
    st = json.loads(r.out("status"))
    assert st["phase"] == "window"
    pfn, seq = int(r.out("pfn")), int(r.out("seq"))
    # the stop is right after the record: it is the newest one
    assert st["head"] == seq + 1
    events = json.loads(r.out("dump"))
    ev = events[-1]
    assert (ev["seq"], ev["pfn"], ev["type"], ev["path"]) == \
        (seq, pfn, "freepages", "window")
    assert not any(e["type"] == "freepages" and e["path"] == "window"
                   for e in events[:-1])
    assert "(event %d)" % seq in hit and "0x%x" % pfn in hit


def test_break_window_state_at_the_stop():
    r = run("window")
    pfn, seq = int(r.out("pfn")), int(r.out("seq"))
    assert "freed window/window" in r.out("timeline")
    check = json.loads(r.out("check"))
    assert [(a["kind"], a["seq"], a["pfn"]) for a in check["anomalies"]
            if a["severity"] == "error"] == [("window_free", seq, pfn)]
    page = json.loads(r.out("page"))
    assert page["pfn"] == pfn and page["slab"] is None
    assert json.loads(r.out("crosscheck"))["disagreements"] == []
    assert "fired 1 time" in r.out("show")


def test_break_off_lets_the_guest_run():
    r = run("window")
    assert "removed" in r.out("off")
    assert r.step("late")["frame"] == "kmem_cache_init_late"
    assert "earlyslab break" not in r.step("late")["out"]


def test_break_anomaly_stops_on_the_window_free():
    r = run("anomaly")
    hit = r.out("hit")
    assert "earlyslab break anomaly:" in hit
    assert "window_free" in hit
    assert r.step("where")["frame"] == "est_emit"
    seq = int(r.out("seq"))
    check = json.loads(r.out("check"))
    assert check["errors"] == 1
    assert check["anomalies"][0]["seq"] == seq


def test_watch_count_prints_the_next_events():
    r = run("anomaly")
    seq = int(r.out("seq"))
    watch = r.out("watch")
    lines = [l for l in watch.splitlines() if EVENT.match(l)]
    assert [int(EVENT.match(l).group(1)) for l in lines] == \
        [seq + 1, seq + 2, seq + 3]
    dump = {int(EVENT.match(l).group(1)): l
            for l in r.out("dump").splitlines() if EVENT.match(l)}
    assert lines == [dump[int(EVENT.match(l).group(1))] for l in lines]
    assert "earlyslab watch: 3 events" in watch
    assert r.step("watch-where")["frame"] == "est_emit"
    objs = [json.loads(l) for l in r.out("watch-j").splitlines()
            if l.startswith("{")]
    by_seq = {e["seq"]: e for e in json.loads(r.out("dump-j"))}
    assert [o["seq"] for o in objs] == [seq + 4, seq + 5]
    assert objs == [by_seq[o["seq"]] for o in objs]


def test_no_python_traceback():
    for name in ("window", "anomaly"):
        log = run(name).gdb_log
        assert "Traceback" not in log and "Python Exception" not in log
