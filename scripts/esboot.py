# SPDX-License-Identifier: GPL-2.0-only
"""Boot an earlyslab kernel in QEMU (TCG), optionally halted under gdb.

Library for the boot tests and the demo, and a small command line:

  python3 scripts/esboot.py [--kernel default|debug] [--topology smp1|smp2|numa2]
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
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("BUILD", ROOT / "build"))
INITRAMFS = BUILD / "initramfs.cpio.gz"
GDB_DRIVER = ROOT / "scripts" / "gdb_halt_dump.py"

MARKER = "EARLYSLAB-INIT-OK"
BASE_APPEND = "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 nokaslr"

KERNELS = {
    "default": {"dir": BUILD / "kernel", "append": ""},
    "debug": {"dir": BUILD / "kernel-debug",
              "append": "debug_pagealloc=on page_poison=1"},
}

# name -> (cpus, MiB of RAM, NUMA nodes)
TOPOLOGIES = {
    "smp1": (1, 512, 1),
    "smp2": (2, 512, 1),
    "numa2": (2, 512, 2),
}

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
]


class BootError(Exception):
    """An expected failure: reported as one line, never as a traceback."""


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
                f"{' (timeout)' if self.timed_out else ''}")


def kernel_files(kernel):
    """(bzImage, vmlinux, VERSION dict) of a built kernel, or BootError."""
    if kernel not in KERNELS:
        raise BootError(f"unknown kernel '{kernel}' ({', '.join(KERNELS)})")
    d = KERNELS[kernel]["dir"]
    bz, vm, ver = d / "bzImage", d / "vmlinux", d / "VERSION"
    for f in (bz, vm, ver):
        if not f.is_file():
            target = "kernel" if kernel == "default" else "kernel-debug"
            raise BootError(f"{f} missing: run 'make {target}'")
    version = {}
    for line in ver.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            version[k] = v
    return bz, vm, version


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(bzimage, initrd, topology, append, serial_log,
                 gdb_port=None, halted=True):
    if topology not in TOPOLOGIES:
        raise BootError(f"unknown topology '{topology}' "
                        f"({', '.join(TOPOLOGIES)})")
    cpus, mem, nodes = TOPOLOGIES[topology]
    # One socket per node, so that no two CPUs that share a cache sit on
    # different nodes (the kernel warns about that in topology_sane()).
    smp = f"{cpus},sockets={nodes},cores={cpus // nodes},threads=1"
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", f"{mem}M",
           "-smp", smp, "-nodefaults", "-no-reboot",
           "-display", "none", "-monitor", "none",
           "-serial", f"file:{serial_log}",
           "-kernel", str(bzimage), "-initrd", str(initrd),
           "-append", append]
    if nodes > 1:
        per = mem // nodes
        for n in range(nodes):
            node_cpus = [c for c in range(cpus) if c % nodes == n]
            cmd += ["-object", f"memory-backend-ram,id=m{n},size={per}M",
                    "-numa", f"node,nodeid={n},memdev=m{n}"
                    + "".join(f",cpus={c}" for c in node_cpus)]
    if gdb_port is not None:
        cmd += ["-gdb", f"tcp:127.0.0.1:{gdb_port}"] + (["-S"] if halted else [])
    return cmd


def _kill(proc):
    """Kill one process we started, by its PID, and reap it."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _serial_has_marker(path):
    return path.exists() and MARKER in path.read_text(errors="replace")


def _run_gdb(b, vmlinux, version, port, stops, deadline, cores=()):
    """Run the gdb driver until it exits; fill b.gdb and b.gdb_log."""
    result = b.outdir / "gdb.json"
    if result.exists():
        result.unlink()
    objdir = Path(version.get("objdir", ""))
    env = dict(os.environ,
               EARLYSLAB_GDB_PORT=str(port),
               EARLYSLAB_GDB_STOPS=",".join(stops),
               EARLYSLAB_GDB_CORES=",".join(cores),
               EARLYSLAB_GDB_OUT=str(b.outdir),
               EARLYSLAB_GDB_RESULT=str(result),
               EARLYSLAB_GDB_SCRIPTS=str(objdir / "vmlinux-gdb.py"))
    gcmd = ["gdb", "-q", "-batch", "-nx",
            "-iex", f"add-auto-load-safe-path {objdir}",
            str(vmlinux), "-x", str(GDB_DRIVER)]
    with open(b.outdir / "gdb.log", "wb") as glog:
        gdb = subprocess.Popen(gcmd, stdin=subprocess.DEVNULL, stdout=glog,
                               stderr=subprocess.STDOUT, env=env)
        try:
            gdb.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            b.timed_out = True
        finally:
            _kill(gdb)
    b.gdb_log = (b.outdir / "gdb.log").read_text(errors="replace")
    if result.exists():
        b.gdb = json.loads(result.read_text())
    else:
        b.gdb = {"error": "gdb driver wrote no result"}


def boot(kernel="default", topology="smp2", append="", stops=(),
         outdir=None, timeout=180, hold=False, attach_after_init=False,
         cores=(), initrd=None):
    """Boot once; return a Boot. Raises BootError for set-up problems.

    stops: functions to halt at under gdb, in boot order; at each one the
    trace buffer is dumped to outdir/trace-FUNC.bin. QEMU starts halted.
    hold: pass earlyslab.hold=1, wait for the marker, then kill QEMU.
    attach_after_init: implies hold; once the marker is seen, attach gdb
    to the running guest and dump the trace to outdir/trace-now.bin.
    cores: stops at which QEMU also writes the guest memory, as an ELF
    core, to outdir/core-FUNC.elf (about the guest's RAM size each).
    initrd: another initramfs than build/initramfs.cpio.gz.
    """
    bz, vmlinux, version = kernel_files(kernel)
    initrd = Path(initrd or INITRAMFS)
    if not initrd.is_file():
        raise BootError(f"{initrd} missing: run 'make initramfs'")
    hold = hold or attach_after_init
    use_gdb = bool(stops) or attach_after_init
    for tool in ["qemu-system-x86_64"] + (["gdb"] if use_gdb else []):
        if not shutil.which(tool):
            raise BootError(f"{tool} not found: run 'scripts/deps.sh boot'")
    outdir = Path(outdir or BUILD / "boot" / f"{kernel}-{topology}")
    outdir.mkdir(parents=True, exist_ok=True)
    missing = [c for c in cores if c not in stops]
    if missing:
        raise BootError(f"--core {missing[0]}: not one of the stops")
    for old in list(outdir.glob("trace-*.bin")) + list(outdir.glob("core-*.elf")):
        old.unlink()
    full_append = " ".join(x for x in (BASE_APPEND, KERNELS[kernel]["append"],
                                       append, "earlyslab.hold=1" if hold else "")
                           if x)
    b = Boot(kernel, topology, full_append, outdir, outdir / "serial.log")
    if b.serial_log.exists():
        b.serial_log.unlink()

    gdb_port = free_port() if use_gdb else None
    cmd = qemu_command(bz, initrd, topology, full_append, b.serial_log,
                       gdb_port, halted=bool(stops))
    (outdir / "qemu.cmd").write_text(shlex.join(cmd) + "\n")
    qemu_out = open(outdir / "qemu.log", "wb")
    start = time.monotonic()
    deadline = start + timeout
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qemu_out,
                            stderr=subprocess.STDOUT)
    try:
        if stops:
            _run_gdb(b, vmlinux, version, gdb_port, stops, deadline, cores)
        # Wait for the guest to power off (or, with hold, for the marker).
        while not b.timed_out:
            if qemu.poll() is not None:
                break
            if hold and _serial_has_marker(b.serial_log):
                break
            if time.monotonic() > deadline:
                b.timed_out = True
                break
            time.sleep(0.1)
        if attach_after_init and not b.timed_out and qemu.poll() is None:
            _run_gdb(b, vmlinux, version, gdb_port, ["@now"], deadline)
    finally:
        _kill(qemu)
        qemu_out.close()
    b.seconds = time.monotonic() - start
    b.qemu_rc = qemu.returncode
    if b.serial_log.exists():
        b.serial = b.serial_log.read_text(errors="replace")
    b.reached_marker = MARKER in b.serial
    return b


def main(argv=None):
    ap = argparse.ArgumentParser(description="Boot an earlyslab kernel in QEMU.")
    ap.add_argument("--kernel", default="default", choices=KERNELS)
    ap.add_argument("--topology", default="smp2", choices=TOPOLOGIES)
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
    a = ap.parse_args(argv)
    try:
        b = boot(a.kernel, a.topology, a.append, a.stop, a.out, a.timeout,
                 a.hold, a.attach_after_init, a.cores)
    except BootError as e:
        print(f"esboot: {e}", file=sys.stderr)
        return 1
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
