# SPDX-License-Identifier: GPL-2.0-only
"""gdb side of the tests: `gdb -q -batch -nx vmlinux -x gdb_driver.py`.

Runs the steps of the JSON plan named by $EARLYSLAB_TEST_PLAN against the
QEMU gdb stub and records, for every step, gdb's output or its error
message. The record is rewritten after each step (a crash leaves what was
done), never raised: the tests judge it.

Steps (dicts):
  {"op": "connect"}
  {"op": "exec", "cmd": CMD, "key": K}      gdb.execute(CMD, to_string=True)
  {"op": "stop_at", "func": F, "key": K}    hbreak F, continue, delete it
  {"op": "where", "key": K}                 function of the selected frame
  {"op": "owner_page", "key": K}            `earlyslab page` of the first
                                            owned pfn (text and -j)
  {"op": "dump_memory", "path": P, "key": K}
"""

import json
import os
import time

import gdb  # pylint: disable=import-error

PLAN = json.load(open(os.environ["EARLYSLAB_TEST_PLAN"]))
RESULT = PLAN["result"]
res = {"steps": {}, "order": [], "fatal": None}


def save():
    with open(RESULT + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(RESULT + ".tmp", RESULT)


def run(cmd):
    t0 = time.monotonic()
    rec = {"cmd": cmd, "out": "", "error": None}
    try:
        rec["out"] = gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        rec["error"] = str(e)
    except KeyboardInterrupt:
        rec["error"] = "interrupted"
    rec["seconds"] = round(time.monotonic() - t0, 3)
    return rec


def frame_name():
    try:
        return gdb.selected_frame().name()
    except gdb.error as e:
        return "<%s>" % e


def step(s):
    op = s["op"]
    if op == "connect":
        last = None
        for _ in range(100):
            try:
                gdb.execute("target remote 127.0.0.1:%d" % PLAN["port"],
                            to_string=True)
                return {"connected": True}
            except gdb.error as e:
                last = str(e)
                time.sleep(0.1)
        raise RuntimeError("cannot connect: %s" % last)
    if op == "exec":
        return run(s["cmd"])
    if op == "stop_at":
        before = {b.number for b in gdb.breakpoints()}
        rec = run("hbreak %s" % s["func"])
        if rec["error"] is None:
            rec = run("continue")
        rec["frame"] = frame_name()
        for b in gdb.breakpoints():
            if b.number not in before:
                b.delete()
        return rec
    if op == "where":
        return {"frame": frame_name()}
    if op == "owner_page":
        rec = run("earlyslab owners -j")
        owners = json.loads(rec["out"]) if rec["error"] is None else []
        if not owners:
            return {"error": "no owner", "owners": rec}
        pfn = owners[0]["pfn"]
        return {"pfn": pfn, "owner": owners[0],
                "text": run("earlyslab page 0x%x" % pfn),
                "json": run("earlyslab page 0x%x -j" % pfn),
                "tail": run("earlyslab page 0x%x" % (pfn + 1))
                if owners[0]["order"] else None}
    if op == "dump_memory":
        return run("monitor dump-guest-memory %s" % s["path"])
    raise RuntimeError("unknown op %s" % op)


def main():
    for cmd in ("set pagination off", "set confirm off", "set width 0",
                "set height 0"):
        gdb.execute(cmd)
    for s in PLAN["steps"]:
        key = s.get("key", s["op"])
        try:
            res["steps"][key] = step(s)
        except Exception as e:  # recorded for the test to report
            res["fatal"] = "%s: %s: %s" % (key, type(e).__name__, e)
            save()
            return
        res["order"].append(key)
        save()


main()
save()
try:
    if gdb.selected_inferior().pid:
        gdb.execute("kill", to_string=True)
except gdb.error:
    pass
