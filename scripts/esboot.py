# SPDX-License-Identifier: GPL-2.0-only
"""Boot an earlyslab kernel in QEMU (TCG), optionally halted under gdb.

Library for the boot tests and the demo, and a small command line:

  python3 scripts/esboot.py [--kernel 6.12|debug-6.12|6.1|...] [--topology NAME]
                            [--append ARGS] [--stop FUNC ...] [--core FUNC ...]
                            [--out DIR]

QEMU gets the serial console in a log file, is started with -S and a gdb
stub on a free port when there are gdb stops, and is always killed by its
own PID. At every stop (a hardware breakpoint on FUNC) gdb dumps the
``early_slab_trace`` buffer with one bulk read to DIR/trace-FUNC.bin,
and, at the stops named with --core, QEMU writes the whole guest memory
(`monitor dump-guest-memory`) to DIR/core-FUNC.elf at the same halt;
then the guest runs on to the initramfs marker and powers off. With
--attach-after-init the guest keeps running after the marker
(earlyslab.hold=1) and gdb attaches then, dumping to DIR/trace-now.bin.

Only the Python standard library is used.
"""

import argparse
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# pylint: disable=wrong-import-position,unused-import
from esharness import (BASE_APPEND, BUILD, DEFAULT_KERNEL,  # noqa: E402,F401
                       INITRAMFS,
                       KERNELS, MARKER, PANIC_END,
                       TOPOLOGIES, BootError, Node, Qemu, Topology,
                       free_port, get_topology, qemu_command, run_gdb)
from esharness import kernel as _kernel  # noqa: E402
from esharness import kill as _kill  # noqa: E402,F401


# Lines that must never appear on the serial console of a clean boot.
# Case-sensitive on purpose: "panic=-1" is on the command line and
# "CONFIG_DEBUG_*"/"bugs" words are harmless.
BAD_PATTERNS = [
    re.compile(r"\bBUG\b"),
    re.compile(r"WARNING:"),
    re.compile(r"[Bb]ad page"),
    re.compile(r"\bOops\b"),
    re.compile(r"Kernel panic"),
    re.compile(r"general protection fault"),
    re.compile(r"Call Trace:"),
    re.compile(r"selftest FAIL"),
    re.compile(r"selftest after init FAIL"),
]


@dataclass
class Boot:
    kernel: str
    topology: str
    append: str
    outdir: Path
    serial_log: Path
    serial: str = field(default="", repr=False)
    reached_marker: bool = False
    qemu_rc: int | None = None
    timed_out: bool = False
    panicked: bool = False
    seconds: float = 0.0
    gdb: dict = field(default_factory=dict, repr=False)
    gdb_log: str = field(default="", repr=False)

    def bad_lines(self):
        """Serial lines that match BAD_PATTERNS."""
        return [l for l in self.serial.splitlines()
                if any(p.search(l) for p in BAD_PATTERNS)]

    def init_info(self):
        """key=value pairs of the initramfs' "earlyslab-init:" line."""
        m = re.search(r"^earlyslab-init: (.*)$", self.serial, re.M)
        if not m:
            return {}
        return dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)

    def stop(self, func):
        """The gdb driver's record of the stop at FUNC (or {})."""
        for s in self.gdb.get("stops", []):
            if s.get("function") == func:
                return s
        return {}

    def summary(self):
        return (f"{self.kernel}/{self.topology}: "
                f"{'reached' if self.reached_marker else 'did NOT reach'} "
                f"{MARKER} in {self.seconds:.1f} s"
                f"{' (timeout)' if self.timed_out else ''}"
                f"{' (kernel panic)' if self.panicked else ''}")


def kernel_files(kernel):
    """(bzImage, vmlinux, VERSION dict) of a built kernel, or BootError."""
    k = _kernel(kernel)
    return k.bzimage, k.vmlinux, k.version


def _stop_plan(stops, cores, outdir, lx_script):
    """The gdb plan of a boot: at each stop a bulk dump of the trace,
    the core when asked, a few probes; then detach."""
    steps = []
    if lx_script:
        steps.append({"op": "source_lx", "key": "lx", "script": str(lx_script)})
    steps.append({"op": "connect", "required": True})
    for func in stops:
        name = "now" if func == "@now" else func
        if func != "@now":
            steps.append({"op": "stop_at", "key": f"{name}:stop", "func": func,
                          "required": True})
        steps.append({"op": "dump_trace", "key": f"{name}:dump",
                      "path": str(outdir / f"trace-{name}.bin")})
        if func in cores:
            steps.append({"op": "core", "key": f"{name}:core",
                          "path": str(outdir / f"core-{name}.elf")})
        steps.append({"op": "probe", "key": f"{name}:probe",
                      "dmesg": bool(lx_script)})
        steps.append({"op": "exec", "key": f"{name}:delete", "cmd": "delete"})
    steps.append({"op": "detach", "required": True})
    return steps


def _stops_record(run, stops):
    """The plan's record as the boot tests read it: connected, one dict
    per stop (function, halted, frame, pc, dump, core, probes), detached,
    error."""
    steps = run.steps
    rec = {"connected": bool(steps.get("connect", {}).get("connected")),
           "lx_scripts": bool(steps.get("lx", {}).get("loaded")),
           "detached": "detach" in steps and
                       not steps["detach"].get("error"),
           "stops": []}
    for func in stops:
        name = "now" if func == "@now" else func
        if f"{name}:stop" not in steps and f"{name}:dump" not in steps:
            break
        stop = steps.get(f"{name}:stop", {"frame": name, "halted": True})
        st = {"function": name, "halted": bool(stop.get("halted")),
              "frame": stop.get("frame"), "pc": stop.get("pc")}
        if stop.get("error") and not stop.get("halted"):
            st["error"] = stop["error"]
        d = steps.get(f"{name}:dump", {})
        if d.get("dump"):
            st["dump"], st["dump_bytes"] = d["dump"], d["dump_bytes"]
        elif d:
            st["dump_error"] = d.get("error")
        c = steps.get(f"{name}:core", {})
        if c.get("core"):
            st["core"], st["core_bytes"] = c["core"], c["core_bytes"]
        elif c:
            st["core_error"] = c.get("error")
        st.update(steps.get(f"{name}:probe", {}))
        rec["stops"].append(st)
    if run.fatal:
        rec["error"] = run.fatal
    return rec


def _run_gdb(b, guest, stops, deadline, cores=()):
    """Run the stop plan until gdb exits; fill b.gdb and b.gdb_log."""
    k = guest.kernel

    def panicked():
        if guest.panicked():
            b.panicked = True
            return True
        return False

    run = run_gdb("boot", _stop_plan(stops, cores, b.outdir, k.lx_script),
                  b.outdir, k.vmlinux, guest.port, source=False,
                  pre=[f"add-auto-load-safe-path {k.objdir}"] if k.objdir
                  else [],
                  timeout=max(1, deadline - time.monotonic()),
                  stop_when=panicked)
    if run.timed_out:
        b.timed_out = True
    b.gdb_log = run.log
    b.gdb = _stops_record(run, stops)


def boot(kernel=DEFAULT_KERNEL, topology="smp2", append="", stops=(),
         outdir=None, timeout=180, hold=False, attach_after_init=False,
         cores=(), initrd=None, session=None, machine=None, qemu_args=()):
    """Boot once; return a Boot. Raises BootError for set-up problems.

    stops: functions to halt at under gdb, in boot order; at each one the
    trace buffer is dumped to outdir/trace-FUNC.bin. QEMU starts halted.
    hold: pass earlyslab.hold=1, wait for the marker, then kill QEMU.
    attach_after_init: implies hold; once the marker is seen, attach gdb
    to the running guest and dump the trace to outdir/trace-now.bin.
    cores: stops at which QEMU also writes the guest memory, as an ELF
    core, to outdir/core-FUNC.elf (about the guest's RAM size each).
    initrd: another initramfs than build/initramfs.cpio.gz.
    machine: QEMU's -machine (pc when None, q35...); qemu_args: more
    QEMU arguments (-acpitable file=FILE, say).
    session: gdb commands run on the halted guest instead of the stops,
    each echoed with its output into outdir/gdb.log ("(gdb) CMD"), the
    earlyslab commands loaded; the guest is killed after the last one.
    """
    k = _kernel(kernel)
    topology = get_topology(topology).name
    hold = hold or attach_after_init
    use_gdb = bool(stops) or attach_after_init or session is not None
    for tool in ["qemu-system-x86_64"] + (["gdb"] if use_gdb else []):
        if not shutil.which(tool):
            raise BootError(f"{tool} not found: run 'scripts/deps.sh boot'")
    outdir = Path(outdir or BUILD / "boot" / f"{kernel}-{topology}").resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    missing = [c for c in cores if c not in stops]
    if missing:
        raise BootError(f"--core {missing[0]}: not one of the stops")
    for old in list(outdir.glob("trace-*.bin")) + list(outdir.glob("core-*.elf")):
        old.unlink()
    full_append = " ".join(x for x in (BASE_APPEND, k.append, append,
                                       "earlyslab.hold=1" if hold else "")
                           if x)
    b = Boot(kernel, topology, full_append, outdir, outdir / "serial.log")
    start = time.monotonic()
    deadline = start + timeout
    guest = Qemu(k, full_append, outdir, topology, gdb=use_gdb,
                 halted=bool(stops) or session is not None, initrd=initrd,
                 machine=machine, extra=qemu_args)
    try:
        if session is not None:
            _run_session(b, guest, session, deadline)
        elif stops:
            _run_gdb(b, guest, stops, deadline, cores)
        # Wait for the guest to power off (or, with hold, for the marker);
        # not when gdb failed and left it halted.
        while session is None and not (b.timed_out or b.panicked or
                                       b.gdb.get("error")):
            if not guest.running():
                break
            if hold and guest.serial_has(MARKER):
                break
            if guest.panicked():
                b.panicked = True
                break
            if time.monotonic() > deadline:
                b.timed_out = True
                break
            time.sleep(0.1)
        if attach_after_init and not (b.timed_out or b.panicked) \
                and guest.running():
            _run_gdb(b, guest, ["@now"], deadline)
    finally:
        guest.kill()
    b.seconds = time.monotonic() - start
    b.qemu_rc = guest.proc.returncode
    b.serial = guest.serial()
    b.reached_marker = MARKER in b.serial
    return b


def _run_session(b, guest, commands, deadline):
    steps = [{"op": "connect", "required": True}]
    steps += [{"op": "exec", "key": f"{i}", "cmd": c, "echo": True}
              for i, c in enumerate(commands)]
    run = run_gdb("session", steps, b.outdir, guest.kernel.vmlinux,
                  guest.port, timeout=max(1, deadline - time.monotonic()),
                  stop_when=guest.panicked)
    b.timed_out = run.timed_out
    b.panicked = run.stopped
    b.gdb_log = run.log
    b.gdb = {"connected": bool(run.steps.get("connect", {}).get("connected")),
             "session": [run.steps.get(f"{i}") for i in range(len(commands))]}
    if run.fatal:
        b.gdb["error"] = run.fatal


def main(argv=None):
    ap = argparse.ArgumentParser(description="Boot an earlyslab kernel in QEMU.")
    ap.add_argument("--kernel", default=DEFAULT_KERNEL, choices=KERNELS)
    ap.add_argument("--topology", default="smp2", choices=TOPOLOGIES,
                    help="; ".join(f"{t.name}: {t.describe()}"
                                   for t in TOPOLOGIES.values()))
    ap.add_argument("--append", default="", help="extra kernel arguments")
    ap.add_argument("--stop", action="append", default=[],
                    help="halt under gdb at this function and dump the trace "
                         "(repeatable, in boot order)")
    ap.add_argument("--core", action="append", default=[], dest="cores",
                    metavar="FUNC",
                    help="at this stop also write the guest memory with "
                         "dump-guest-memory to DIR/core-FUNC.elf")
    ap.add_argument("--out", help="output directory "
                                  "(default build/boot/KERNEL-TOPOLOGY)")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--hold", action="store_true",
                    help="earlyslab.hold=1: kill QEMU once the marker is seen")
    ap.add_argument("--attach-after-init", action="store_true",
                    help="once the marker is seen, attach gdb to the running "
                         "guest and dump the trace (trace-now.bin)")
    ap.add_argument("--print-serial", action="store_true")
    ap.add_argument("--machine", help="QEMU machine type (default pc; q35...)")
    ap.add_argument("--qemu-arg", action="append", default=[],
                    dest="qemu_args", metavar="ARG",
                    help="one more QEMU argument (repeatable; for an option "
                         "with a value, give both: --qemu-arg=-acpitable "
                         "--qemu-arg=file=T.aml)")
    ap.add_argument("--session", metavar="FILE",
                    help="run the gdb commands of FILE (one a line) on the "
                         "guest halted at its first instruction, print "
                         "them and what gdb said, then kill the guest")
    a = ap.parse_args(argv)
    session = None
    try:
        if a.session:
            try:
                session = [l for l in Path(a.session).read_text().splitlines()
                           if l.strip() and not l.lstrip().startswith("#")]
            except OSError as e:
                raise BootError(f"{a.session}: {e.strerror}") from None
        b = boot(a.kernel, a.topology, a.append, a.stop, a.out, a.timeout,
                 a.hold, a.attach_after_init, a.cores, session=session,
                 machine=a.machine, qemu_args=a.qemu_args)
    except BootError as e:
        print(f"esboot: {e}", file=sys.stderr)
        return 1
    if session is not None:
        sys.stdout.write(b.gdb_log)
        print(b.summary().split(":")[0] + ": gdb session "
              + ("done" if b.gdb.get("connected") and not b.gdb.get("error")
                 else f"failed: {b.gdb.get('error')}"))
        return 0 if b.gdb.get("connected") and not b.gdb.get("error") \
            and not b.timed_out and not b.panicked else 1
    if a.print_serial:
        sys.stdout.write(b.serial)
    print(b.summary())
    print(f"serial log: {b.serial_log}")
    for s in b.gdb.get("stops", []):
        print(f"gdb stop {s.get('function')}: "
              f"{'halted' if s.get('halted') else 'NOT halted'}"
              + (f", dump {s['dump']} ({s.get('dump_bytes')} bytes)"
                 if s.get("dump") else f", no dump ({s.get('dump_error', '')})")
              + (f", core {s['core']} ({s.get('core_bytes')} bytes)"
                 if s.get("core") else
                 f", no core ({s['core_error']})" if s.get("core_error")
                 else ""))
    if b.gdb.get("error"):
        print(f"gdb: {b.gdb['error']}")
    bad = b.bad_lines()
    for l in bad[:10]:
        print(f"bad line: {l}")
    return 0 if b.reached_marker and not bad and not b.timed_out else 1


if __name__ == "__main__":
    sys.exit(main())
