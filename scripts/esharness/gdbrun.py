# SPDX-License-Identifier: GPL-2.0-only
"""Run gdb in batch mode on a plan of steps (driver.py inside gdb) and
read back its record. gdb is killed by its PID when it outlives its
deadline or when the caller's stop condition holds (a guest panic)."""

import json
import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .kernels import GDB_SCRIPT
from .qemu import kill

DRIVER = Path(__file__).resolve().parent / "driver.py"


@dataclass
class GdbRun:
    name: str
    outdir: Path
    result: dict
    log: str
    seconds: float
    timed_out: bool = False
    stopped: bool = False

    @property
    def steps(self):
        return self.result.get("steps", {})

    @property
    def fatal(self):
        return self.result.get("fatal")


def gdb_command(vmlinux=None, pre=(), lx_script=None, source=True,
                driver=True):
    """gdb -q -batch -nx [-iex PRE].. [vmlinux] [lx- scripts] [earlyslab]
    -x driver.py"""
    cmd = ["gdb", "-q", "-batch", "-nx"]
    for c in pre:
        cmd += ["-iex", c]
    if vmlinux:
        cmd.append(str(vmlinux))
    if lx_script:
        cmd += ["-ex", f"source {lx_script}"]
    if source:
        cmd += ["-ex", f"source {GDB_SCRIPT}"]
    if driver:
        cmd += ["-x", str(DRIVER)]
    return cmd


def run_gdb(name, steps, outdir, vmlinux=None, port=None, env=None, pre=(),
            lx_script=None, source=True, timeout=120, stop_when=None,
            kill_at_end=False):
    """Run the plan @steps; returns a GdbRun. Files in @outdir: plan.json,
    gdb.cmd, gdb.log, result.json."""
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    result = outdir / "result.json"
    if result.exists():
        result.unlink()
    plan = {"port": port, "result": str(result), "steps": list(steps),
            "kill_at_end": kill_at_end}
    (outdir / "plan.json").write_text(json.dumps(plan, indent=1))
    cmd = gdb_command(vmlinux, pre, lx_script, source)
    (outdir / "gdb.cmd").write_text(shlex.join(cmd) + "\n")
    e = dict(os.environ, EARLYSLAB_PLAN=str(outdir / "plan.json"))
    e.update(env or {})
    t0 = time.monotonic()
    deadline = t0 + timeout
    timed_out = stopped = False
    proc = None
    try:
        with open(outdir / "gdb.log", "wb") as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    env=e, cwd=str(outdir))
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                if stop_when is not None and stop_when():
                    stopped = True
                    break
                time.sleep(0.1)
    finally:
        kill(proc)
    res = json.loads(result.read_text()) if result.is_file() else \
        {"steps": {}, "order": [], "fatal": "gdb wrote no result"}
    if timed_out and not res.get("fatal"):
        res["fatal"] = f"gdb did not finish within {timeout:.0f} s"
    return GdbRun(name, outdir, res,
                  (outdir / "gdb.log").read_text(errors="replace"),
                  time.monotonic() - t0, timed_out, stopped)
