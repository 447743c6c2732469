# SPDX-License-Identifier: GPL-2.0-only
"""gdb driver for the boot tests: run as `gdb -q -batch -nx vmlinux -x THIS`.

Connects to QEMU's gdb stub, halts at each function of EARLYSLAB_GDB_STOPS
(comma-separated, in boot order) with a hardware breakpoint (or, for the
name "@now", right where attaching stopped the guest), dumps the
early_slab_trace buffer there with ONE bulk read

    dump binary memory FILE &early_slab_trace
                            ((char *)&early_slab_trace) + sizeof(early_slab_trace)

to EARLYSLAB_GDB_OUT/trace-FUNC.bin; at the functions of
EARLYSLAB_GDB_CORES (comma-separated, a subset of the stops) it also has
QEMU write the whole guest memory, `monitor dump-guest-memory
EARLYSLAB_GDB_OUT/core-FUNC.elf`, at the same halt. It records a few
probes (slab_state, the kernel release, lx-dmesg when the kernel's gdb
scripts load), then detaches so that the guest runs on. Everything it saw goes to EARLYSLAB_GDB_RESULT
as JSON; errors are recorded there, never raised.
"""

import json
import os
import sys
import time

import gdb  # pylint: disable=import-error

PORT = os.environ["EARLYSLAB_GDB_PORT"]
STOPS = [s for s in os.environ.get("EARLYSLAB_GDB_STOPS", "").split(",") if s]
CORES = [s for s in os.environ.get("EARLYSLAB_GDB_CORES", "").split(",") if s]
OUTDIR = os.environ["EARLYSLAB_GDB_OUT"]
RESULT = os.environ["EARLYSLAB_GDB_RESULT"]
LX_SCRIPTS = os.environ.get("EARLYSLAB_GDB_SCRIPTS", "")

TRACE = "early_slab_trace"

res = {"port": int(PORT), "connected": False, "stops": [],
       "lx_scripts": False, "detached": False}


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def save():
    with open(RESULT + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(RESULT + ".tmp", RESULT)


def probe(st):
    """Cheap reads that show gdb sees the halted kernel's memory."""
    try:
        st["slab_state"] = str(gdb.parse_and_eval("slab_state"))
    except gdb.error as e:
        st["slab_state_error"] = str(e)
    try:
        st["release"] = gdb.parse_and_eval(
            "init_uts_ns.name.release").string()
    except gdb.error as e:
        st["release_error"] = str(e)
    if res["lx_scripts"]:
        try:
            out = run("lx-dmesg").splitlines()
            st["dmesg_lines"] = len(out)
            st["dmesg_last"] = out[-1] if out else ""
        except gdb.error as e:
            st["dmesg_error"] = str(e)


def dump(st, func):
    path = os.path.join(OUTDIR, f"trace-{func}.bin")
    try:
        size = int(gdb.parse_and_eval(f"sizeof({TRACE})"))
        t0 = time.monotonic()
        run(f"dump binary memory {path} &{TRACE} "
            f"((char *)&{TRACE}) + sizeof({TRACE})")
        st["dump_seconds"] = round(time.monotonic() - t0, 3)
        st["dump"] = path
        st["dump_bytes"] = os.path.getsize(path)
        st["sizeof"] = size
    except gdb.error as e:
        st["dump_error"] = str(e)


def core(st, func):
    """QEMU's dump-guest-memory of the halted guest (an ELF core)."""
    path = os.path.join(OUTDIR, f"core-{func}.elf")
    if os.path.exists(path):
        os.unlink(path)
    try:
        # QEMU answers the monitor packet once the whole file is written.
        run("set remotetimeout 120")
        t0 = time.monotonic()
        out = run(f"monitor dump-guest-memory {path}").strip()
        st["core_seconds"] = round(time.monotonic() - t0, 3)
    except gdb.error as e:
        st["core_error"] = str(e)
        return
    if os.path.exists(path) and os.path.getsize(path) > 0:
        st["core"] = path
        st["core_bytes"] = os.path.getsize(path)
    else:
        st["core_error"] = out or "QEMU wrote no core"


def main():
    run("set pagination off")
    run("set confirm off")
    run("set width 0")
    if LX_SCRIPTS and os.path.exists(LX_SCRIPTS):
        # vmlinux-gdb.py finds its modules through __file__, which is
        # this script's when sourced from here: add the path ourselves.
        sys.path.insert(0, os.path.join(os.path.dirname(LX_SCRIPTS),
                                        "scripts", "gdb"))
        try:
            run(f"source {LX_SCRIPTS}")
            res["lx_scripts"] = True
        except gdb.error as e:
            res["lx_scripts_error"] = str(e)
    last = ""
    for _ in range(100):
        try:
            run(f"target remote 127.0.0.1:{PORT}")
            res["connected"] = True
            break
        except gdb.error as e:
            last = str(e)
            time.sleep(0.1)
    if not res["connected"]:
        res["error"] = f"cannot connect to 127.0.0.1:{PORT}: {last}"
        return
    t_start = time.monotonic()
    for func in STOPS:
        st = {"function": func, "halted": False}
        res["stops"].append(st)
        try:
            if func == "@now":
                # Attached to a running guest: it is halted already.
                func = st["function"] = "now"
            else:
                run(f"hbreak {func}")
                run("continue")
            frame = gdb.selected_frame()
            st["pc"] = hex(frame.pc())
            st["frame"] = frame.name()
            st["halted"] = func == "now" or frame.name() == func
            st["at_seconds"] = round(time.monotonic() - t_start, 3)
        except gdb.error as e:
            st["error"] = str(e)
            return
        dump(st, func)
        if func in CORES:
            core(st, func)
        probe(st)
        save()
        run("delete")
    run("detach")
    res["detached"] = True


try:
    main()
except Exception as e:  # recorded for the caller, which reports it
    res["error"] = f"{type(e).__name__}: {e}"
save()
