# SPDX-License-Identifier: GPL-2.0-only
"""QEMU for the tests, the demo and the bench: the guest machines
(topologies), the command line (always -accel tcg, a gdb stub on a free
loopback port), and a guest process that is killed by its own PID.

Only the Python standard library is used.
"""

import shlex
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .kernels import BootError, INITRAMFS

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



def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(bzimage, initrd, topology, append, serial_log,
                 gdb_port=None, halted=True, machine=None, extra=()):
    """The qemu-system-x86_64 argv of one guest: QEMU's default machine
    (pc) unless MACHINE is given (q35, say), then the EXTRA arguments
    (-acpitable file=..., say)."""
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
    if machine:
        cmd += ["-machine", machine]
    cmd += list(extra)
    if gdb_port is not None:
        cmd += ["-gdb", f"tcp:127.0.0.1:{gdb_port}"] + (["-S"] if halted else [])
    return cmd


def kill(proc):
    """Kill one process we started, by its PID, and reap it."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


# The last line of a panic. A panic before "panic=-1" is parsed (in
# setup_arch(), say) halts the guest for good: the boot stops there.
PANIC_END = "---[ end Kernel panic"


class Qemu:
    """One guest: started at construction (halted at the reset vector
    when @halted and a gdb stub is asked for), its serial console in
    OUTDIR/serial.log, its command line in OUTDIR/qemu.cmd, QEMU's own
    output in OUTDIR/qemu.log; killed by its PID (kill(), or leaving a
    with block)."""

    def __init__(self, kernel, append, outdir, topology="smp2", gdb=True,
                 halted=True, initrd=None, machine=None, extra=()):
        initrd = Path(initrd or INITRAMFS)
        if not initrd.is_file():
            raise BootError(f"{initrd} missing: run 'make initramfs'")
        self.kernel = kernel
        self.append = append
        self.outdir = Path(outdir)
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.serial_log = self.outdir / "serial.log"
        if self.serial_log.exists():
            self.serial_log.unlink()
        self.port = free_port() if gdb else None
        self.cmd = qemu_command(kernel.bzimage, initrd, topology, append,
                                self.serial_log, self.port, halted,
                                machine, extra)
        (self.outdir / "qemu.cmd").write_text(shlex.join(self.cmd) + "\n")
        self.started = time.monotonic()
        with open(self.outdir / "qemu.log", "wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)

    def serial(self):
        if not self.serial_log.exists():
            return ""
        return self.serial_log.read_text(errors="replace")

    def serial_has(self, text):
        return text in self.serial()

    def panicked(self):
        return self.serial_has(PANIC_END)

    def running(self):
        return self.proc.poll() is None

    def kill(self):
        kill(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
