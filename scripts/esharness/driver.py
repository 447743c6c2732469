# SPDX-License-Identifier: GPL-2.0-only
"""The gdb side of the harness: `gdb -q -batch -nx [vmlinux] -x driver.py`.

Runs the steps of the JSON plan named by $EARLYSLAB_PLAN and records, for
each, what gdb said (its output, or its error message). The record is
rewritten after every step (a crash or a kill leaves what was done) and
nothing is raised: the caller judges it. A step with "required": true that
fails ends the plan ("fatal").

Steps (dicts; "key" names the record, default the op):
  connect                     target remote 127.0.0.1:PORT (retried)
  source_lx {script}          the kernel's vmlinux-gdb.py (lx- commands)
  exec {cmd, echo}            gdb.execute(cmd); with echo the command and
                              its output also go to gdb's stdout
  stop_at {func}              hbreak func, continue, delete it; records
                              the frame and whether it is func
  where                       the function of the selected frame
  dump_trace {path}           early_slab_trace with one bulk read
                              (dump binary memory) to path
  core {path}                 monitor dump-guest-memory path (QEMU)
  probe                       slab_state, the kernel release, lx-dmesg
  call {file, func, args}     func(**args) of the Python file, in gdb
  detach | kill
"""

import importlib.util
import json
import os
import sys
import time

import gdb  # pylint: disable=import-error

SYMBOL = "early_slab_trace"
PLAN = json.load(open(os.environ["EARLYSLAB_PLAN"]))
RESULT = PLAN["result"]
res = {"steps": {}, "order": [], "fatal": None}
_modules = {}


def save():
    with open(RESULT + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(RESULT + ".tmp", RESULT)


def run(cmd, echo=False):
    """gdb.execute() of one command: {cmd, out, error, seconds}."""
    t0 = time.monotonic()
    rec = {"cmd": cmd, "out": "", "error": None}
    if echo:
        gdb.write("\n(gdb) %s\n" % cmd)
    try:
        rec["out"] = gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        rec["error"] = str(e)
    except KeyboardInterrupt:
        rec["error"] = "interrupted"
    if echo:
        gdb.write(rec["out"])
        if rec["error"]:
            gdb.write(rec["error"] + "\n")
        gdb.flush()
    rec["seconds"] = round(time.monotonic() - t0, 3)
    return rec


def frame_name():
    try:
        return gdb.selected_frame().name()
    except gdb.error as e:
        return "<%s>" % e


def op_connect(s):
    last = None
    for _ in range(100):
        try:
            gdb.execute("target remote 127.0.0.1:%d" % PLAN["port"],
                        to_string=True)
            return {"connected": True}
        except gdb.error as e:
            last = str(e)
            time.sleep(0.1)
    return {"connected": False,
            "error": "cannot connect to 127.0.0.1:%s: %s"
                     % (PLAN["port"], last)}


def op_source_lx(s):
    script = s["script"]
    # vmlinux-gdb.py finds its modules through __file__, which is this
    # file's name when sourced from here: add their path ourselves.
    sys.path.insert(0, os.path.join(os.path.dirname(script), "scripts",
                                    "gdb"))
    rec = run("source %s" % script)
    rec["loaded"] = rec["error"] is None
    return rec


def op_exec(s):
    return run(s["cmd"], s.get("echo", False))


def op_stop_at(s):
    func = s["func"]
    before = {b.number for b in gdb.breakpoints()}
    rec = run("hbreak %s" % func, s.get("echo", False))
    if rec["error"] is None:
        rec = run("continue", s.get("echo", False))
    rec["frame"] = frame_name()
    rec["halted"] = rec["frame"] == func
    try:
        rec["pc"] = hex(gdb.selected_frame().pc())
    except gdb.error:
        pass
    for b in gdb.breakpoints():
        if b.number not in before:
            b.delete()
    if not rec["halted"] and rec["error"] is None:
        rec["error"] = "stopped in %s, not in %s" % (rec["frame"], func)
    return rec


def op_where(s):
    return {"frame": frame_name()}


def op_dump_trace(s):
    path = s["path"]
    rec = run("dump binary memory %s &%s ((char *)&%s) + sizeof(%s)"
              % (path, SYMBOL, SYMBOL, SYMBOL))
    if rec["error"] is None:
        rec["dump"] = path
        rec["dump_bytes"] = os.path.getsize(path)
    return rec


def op_core(s):
    path = s["path"]
    if os.path.exists(path):
        os.unlink(path)
    # QEMU answers the monitor packet once the whole file is written.
    run("set remotetimeout 120")
    rec = run("monitor dump-guest-memory %s" % path)
    if rec["error"] is None:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            rec["core"] = path
            rec["core_bytes"] = os.path.getsize(path)
        else:
            rec["error"] = rec["out"].strip() or "QEMU wrote no core"
    return rec


def op_probe(s):
    """Cheap reads that show gdb sees the halted kernel's memory."""
    st = {}
    try:
        st["slab_state"] = str(gdb.parse_and_eval("slab_state"))
    except gdb.error as e:
        st["slab_state_error"] = str(e)
    try:
        st["release"] = gdb.parse_and_eval(
            "init_uts_ns.name.release").string()
    except gdb.error as e:
        st["release_error"] = str(e)
    if s.get("dmesg"):
        rec = run("lx-dmesg")
        if rec["error"] is None:
            lines = rec["out"].splitlines()
            st["dmesg_lines"] = len(lines)
            st["dmesg_last"] = lines[-1] if lines else ""
        else:
            st["dmesg_error"] = rec["error"]
    return st


def op_call(s):
    path = s["file"]
    mod = _modules.get(path)
    if mod is None:
        spec = importlib.util.spec_from_file_location(
            "harness_call_%d" % len(_modules), path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _modules[path] = mod
    return getattr(mod, s["func"])(**s.get("args", {}))


def op_detach(s):
    return run("detach")


def op_kill(s):
    return run("kill")


OPS = {name[3:]: fn for name, fn in globals().items()
       if name.startswith("op_")}


def main():
    for cmd in ("set pagination off", "set confirm off", "set width 0",
                "set height 0"):
        gdb.execute(cmd)
    for s in PLAN["steps"]:
        key = s.get("key", s["op"])
        try:
            rec = OPS[s["op"]](s)
        except Exception as e:  # recorded for the caller to report
            res["fatal"] = "%s: %s: %s" % (key, type(e).__name__, e)
            save()
            return
        res["steps"][key] = rec
        res["order"].append(key)
        if s.get("required") and isinstance(rec, dict) and rec.get("error"):
            res["fatal"] = "%s: %s" % (key, rec["error"])
            save()
            return
        save()


main()
save()
if PLAN.get("kill_at_end"):
    try:
        if gdb.selected_inferior().pid:
            gdb.execute("kill", to_string=True)
    except gdb.error:
        pass
