# SPDX-License-Identifier: GPL-2.0-only
"""The topologies of scripts/esboot.py and the QEMU options they give,
and its serial patterns, without booting anything."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import esboot  # noqa: E402

GiB = 1 << 30
MiB = 1 << 20


def opts(cmd, name):
    """The values of every NAME option of a QEMU command line."""
    return [cmd[i + 1] for i, a in enumerate(cmd) if a == name]


def command(name):
    return esboot.qemu_command("bzImage", "initrd", name, "console=ttyS0",
                               "serial.log")


@pytest.mark.parametrize("name", esboot.TOPOLOGIES)
def test_sockets_are_nodes(name):
    t = esboot.TOPOLOGIES[name]
    cmd = command(name)
    assert opts(cmd, "-m") == [f"{t.mem}M"]
    assert opts(cmd, "-smp") == [f"{t.cpus},sockets={t.nodes},"
                                 f"cores={t.cores},threads=1"]
    assert t.mem == sum(n.mem for n in t.per_node)
    # every CPU on exactly one node; node n has the CPUs of socket n
    cpus = [c for n in t.per_node for c in n.cpus]
    assert cpus == list(range(t.cpus))
    for n in t.per_node:
        assert n.cpus == tuple(range(n.nid * t.cores, (n.nid + 1) * t.cores))
    assert t.mem_nodes, "a topology needs memory somewhere"


@pytest.mark.parametrize("name", esboot.TOPOLOGIES)
def test_numa_options(name):
    t = esboot.TOPOLOGIES[name]
    cmd = command(name)
    numa = opts(cmd, "-numa")
    if t.nodes == 1:
        assert not numa and not opts(cmd, "-object")
        return
    assert len(numa) == t.nodes
    objects = opts(cmd, "-object")
    assert objects == [f"memory-backend-ram,id=m{n.nid},size={n.mem}M"
                       for n in t.per_node if n.mem]
    for n, o in zip(t.per_node, numa):
        first, last = n.cpus[0], n.cpus[-1]
        cpus = f"{first}-{last}" if last > first else f"{first}"
        if n.mem:
            assert o == f"node,nodeid={n.nid},memdev=m{n.nid},cpus={cpus}"
        else:
            assert o == f"node,nodeid={n.nid},cpus={cpus}"


def test_old_topologies():
    """smp1, smp2 and numa2 keep the machines they always had."""
    expect = {"smp1": (1, 512, 1), "smp2": (2, 512, 1), "numa2": (2, 512, 2)}
    for name, (cpus, mem, nodes) in expect.items():
        t = esboot.TOPOLOGIES[name]
        assert (t.cpus, t.mem, t.nodes) == (cpus, mem, nodes)
    numa = opts(command("numa2"), "-numa")
    assert numa == ["node,nodeid=0,memdev=m0,cpus=0",
                    "node,nodeid=1,memdev=m1,cpus=1"]


def test_cpu_only_nodes():
    t = esboot.TOPOLOGIES["numa2-cpuonly"]
    assert t.mem_nodes == [0] and t.cpuonly_nodes == [1]
    assert t.node_ranges(1) == []
    t = esboot.TOPOLOGIES["numa2-cpuonly-boot"]
    assert t.mem_nodes == [1] and t.cpuonly_nodes == [0]
    assert t.node_ranges(1) == [(0, 512 * MiB)]
    assert opts(command("numa2-cpuonly-boot"), "-numa")[0] == \
        "node,nodeid=0,cpus=0"


def test_big_ram_above_4g():
    """pc machine: 5 GiB of RAM is 3 GiB below 4 GiB and 2 GiB from 4 GiB
    up; node 1 is 2.5-3 GiB and 4-6 GiB."""
    t = esboot.TOPOLOGIES["big"]
    assert t.mem == 5120 and t.nodes == 2
    assert t.ram_ranges() == [(0, 3 * GiB), (4 * GiB, 6 * GiB)]
    assert t.max_pfn == 6 * GiB >> 12
    assert t.node_ranges(0) == [(0, 2560 * MiB)]
    assert t.node_ranges(1) == [(2560 * MiB, 3 * GiB), (4 * GiB, 6 * GiB)]


@pytest.mark.parametrize("mib,low", [(512, 512 * MiB), (3583, 3583 * MiB),
                                     (3584, 3 * GiB), (4096, 3 * GiB)])
def test_lowmem_split(mib, low):
    t = esboot.Topology("t", 1, (mib,))
    assert t.below_4g() == low
    assert sum(e - s for s, e in t.ram_ranges()) == mib * MiB


def test_unknown_topology():
    with pytest.raises(esboot.BootError):
        command("numa9")


@pytest.mark.parametrize("line,bad", [
    ("early_kmalloc: selftest PASS (131 checks)", False),
    ("early_kmalloc: selftest after init PASS", False),
    ("early_kmalloc: selftest FAIL (1 of 131 checks failed)", True),
    ("early_kmalloc: selftest after init FAIL (1 of 4 checks failed)", True),
    ("BUG: kernel NULL pointer dereference, address: 0000000000000068", True),
])
def test_bad_patterns(line, bad):
    b = esboot.Boot("6.12", "smp2", "", Path("."), Path("serial.log"),
                    serial=f"[    0.059212] {line}\n")
    assert bool(b.bad_lines()) == bad
