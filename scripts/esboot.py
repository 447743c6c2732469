# SPDX-License-Identifier: GPL-2.0-only
"""Boot an earlyslab kernel in QEMU (TCG), optionally halted under gdb.

Library for the boot tests and the demo, and a small command line:

  python3 scripts/esboot.py [--kernel default|debug] [--topology NAME]
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
# The last line of a panic. A panic before "panic=-1" is parsed (in
# setup_arch(), say) halts the guest for good: the boot stops there.
PANIC_END = "---[ end Kernel panic"
BASE_APPEND = "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 nokaslr"

KERNELS = {
    "default": {"dir": BUILD / "kernel", "append": ""},
    "debug": {"dir": BUILD / "kernel-debug",
              "append": "debug_pagealloc=on page_poison=1"},
    "kasan": {"dir": BUILD / "kernel-kasan", "append": ""},
}


class BootError(Exception):
    """An expected failure: reported as one line, never as a traceback."""


GiB = 1 << 30


@dataclass(frozen=True)
class Node:
    """One NUMA node: its CPU numbers and its RAM (0 MiB: CPU-only)."""
    nid: int
    cpus: tuple
    mem: int


@dataclass(frozen=True)
class Topology:
    """A guest machine: one socket per node, every node with the same
    number of CPUs (``cores``); node n has the CPUs of socket n, that is
    n*cores .. n*cores+cores-1, and ``node_mem[n]`` MiB of RAM (0 for a
    CPU-only node). With one node QEMU gets no -numa options at all."""
    name: str
    cores: int
    node_mem: tuple

    @property
    def nodes(self):
        return len(self.node_mem)

    @property
    def cpus(self):
        return self.cores * self.nodes

    @property
    def mem(self):
        """Total RAM in MiB."""
        return sum(self.node_mem)

    @property
    def per_node(self):
        return [Node(n, tuple(range(n * self.cores, (n + 1) * self.cores)), m)
                for n, m in enumerate(self.node_mem)]

    @property
    def mem_nodes(self):
        """Ids of the nodes that have memory."""
        return [n.nid for n in self.per_node if n.mem]

    @property
    def cpuonly_nodes(self):
        return [n.nid for n in self.per_node if not n.mem]

    def below_4g(self):
        """Bytes of RAM QEMU's pc machine maps below 4 GiB.

        hw/i386/pc_piix.c: with ram_size >= 0xe0000000 the low part is cut
        at 0xc0000000 (gigabyte_align, the default), otherwise at
        0xe0000000; the rest of the RAM is mapped from 4 GiB up."""
        ram = self.mem << 20
        lowmem = 0xc0000000 if ram >= 0xe0000000 else 0xe0000000
        return min(ram, lowmem)

    def ram_ranges(self):
        """[(start, end)] guest-physical byte ranges of the RAM."""
        ram, low = self.mem << 20, self.below_4g()
        return [(0, low)] + ([(4 * GiB, 4 * GiB + ram - low)]
                             if ram > low else [])

    @property
    def max_pfn(self):
        """One past the highest page frame of RAM."""
        return self.ram_ranges()[-1][1] >> 12

    def _phys(self, start, end):
        """RAM offsets [start, end) as guest-physical ranges."""
        low, out = self.below_4g(), []
        if start < low:
            out.append((start, min(end, low)))
        if end > low:
            s = max(start, low)
            out.append((s - low + 4 * GiB, end - low + 4 * GiB))
        return out

    def node_ranges(self, nid):
        """Guest-physical byte ranges of node NID's RAM ([] if CPU-only).

        QEMU's SRAT gives the nodes consecutive pieces of the RAM, in node
        order, split around the hole below 4 GiB like the RAM itself."""
        start = sum(self.node_mem[:nid]) << 20
        end = start + (self.node_mem[nid] << 20)
        return self._phys(start, end) if end > start else []

    def numa_args(self):
        """QEMU -object/-numa options (none for a single node)."""
        if self.nodes == 1:
            return []
        args = []
        for n in self.per_node:
            cpus = f"{n.cpus[0]}-{n.cpus[-1]}" if len(n.cpus) > 1 \
                else f"{n.cpus[0]}"
            if n.mem:
                args += ["-object",
                         f"memory-backend-ram,id=m{n.nid},size={n.mem}M",
                         "-numa",
                         f"node,nodeid={n.nid},memdev=m{n.nid},cpus={cpus}"]
            else:
                args += ["-numa", f"node,nodeid={n.nid},cpus={cpus}"]
        return args

    def describe(self):
        if self.nodes == 1:
            return f"{self.cpus} CPU(s), {self.mem} MiB"
        return ", ".join(f"node {n.nid}: CPU {','.join(map(str, n.cpus))} "
                         + (f"+ {n.mem} MiB" if n.mem else "(no memory)")
                         for n in self.per_node)


def _topologies(*tops):
    return {t.name: t for t in tops}


TOPOLOGIES = _topologies(
    Topology("smp1", 1, (512,)),
    Topology("smp2", 2, (512,)),
    Topology("numa2", 1, (256, 256)),
    # a CPU-only node that is not the boot node
    Topology("numa2-cpuonly", 1, (512, 0)),
    # the boot CPU's node 0 has no memory
    Topology("numa2-cpuonly-boot", 1, (0, 512)),
    Topology("numa3", 1, (256, 256, 256)),
    # 5 GiB: RAM above 3 GiB is mapped from 4 GiB up, so most of node 1
    # (2.5 GiB .. 3 GiB, then 4 GiB .. 6 GiB) lies above 4 GiB
    Topology("big", 1, (2560, 2560)),
)


def get_topology(name):
    """The Topology called NAME (a Topology is returned as it is)."""
    if isinstance(name, Topology):
        return name
    if name not in TOPOLOGIES:
        raise BootError(f"unknown topology '{name}' "
                        f"({', '.join(TOPOLOGIES)})")
    return TOPOLOGIES[name]


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
    if kernel not in KERNELS:
        raise BootError(f"unknown kernel '{kernel}' ({', '.join(KERNELS)})")
    d = KERNELS[kernel]["dir"]
    bz, vm, ver = d / "bzImage", d / "vmlinux", d / "VERSION"
    for f in (bz, vm, ver):
        if not f.is_file():
            target = "kernel" if kernel == "default" else f"kernel-{kernel}"
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
    t = get_topology(topology)
    # One socket per node, node n = the CPUs of socket n, so that no two
    # CPUs that share a cache sit on different nodes (the kernel warns
    # about that in topology_sane()).
    smp = f"{t.cpus},sockets={t.nodes},cores={t.cores},threads=1"
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", f"{t.mem}M",
           "-smp", smp, "-nodefaults", "-no-reboot",
           "-display", "none", "-monitor", "none",
           "-serial", f"file:{serial_log}",
           "-kernel", str(bzimage), "-initrd", str(initrd),
           "-append", append] + t.numa_args()
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


def _serial_has(path, text):
    return path.exists() and text in path.read_text(errors="replace")


def _wait(proc, b, deadline):
    """Wait for PROC to exit; give up at DEADLINE (b.timed_out) or once
    the guest has panicked (b.panicked). True when PROC exited."""
    while proc.poll() is None:
        if _serial_has(b.serial_log, PANIC_END):
            b.panicked = True
            return False
        if time.monotonic() > deadline:
            b.timed_out = True
            return False
        time.sleep(0.1)
    return True


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
            _wait(gdb, b, deadline)
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
    topology = get_topology(topology).name
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
        while not (b.timed_out or b.panicked):
            if qemu.poll() is not None:
                break
            if hold and _serial_has(b.serial_log, MARKER):
                break
            if _serial_has(b.serial_log, PANIC_END):
                b.panicked = True
                break
            if time.monotonic() > deadline:
                b.timed_out = True
                break
            time.sleep(0.1)
        if attach_after_init and not (b.timed_out or b.panicked) \
                and qemu.poll() is None:
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
