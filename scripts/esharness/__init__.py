# SPDX-License-Identifier: GPL-2.0-only
"""The one QEMU/gdb harness of the tests, the scripts and the bench.

  kernels   the tree, build/, the kernels and their VERSION, the tools
  qemu      topologies, the QEMU command line, a guest killed by its PID
  gdbrun    gdb in batch mode on a plan of steps (driver.py inside gdb)

scripts/esboot.py (a boot with gdb stops, the boot matrix's unit) is built
on these; tests/gdb, tests/realdump, bench/gdb_bench.py and
scripts/demo.sh use them directly or through it.
"""

from .kernels import (BASE_APPEND, MARKER, BUILD, CLI, DEFAULT_KERNEL, GDB_SCRIPT, INITRAMFS,
                      KERNELS, LIB, ROOT,
                      SYMBOL, BootError, Kernel, ensure_tools, has_symbol,
                      header_constants,
                      kernel, trace_kernel)
from .qemu import (PANIC_END, TOPOLOGIES, Node, Qemu, Topology, free_port,
                   get_topology, kill, qemu_command)
from .gdbrun import DRIVER, GdbRun, gdb_command, run_gdb

__all__ = ["BASE_APPEND", "MARKER", "BUILD", "CLI", "DEFAULT_KERNEL", "GDB_SCRIPT", "INITRAMFS", "KERNELS", "LIB",
           "ROOT", "SYMBOL", "BootError", "Kernel", "ensure_tools",
           "has_symbol", "header_constants", "kernel", "trace_kernel", "PANIC_END", "TOPOLOGIES",
           "Node", "Qemu", "Topology", "free_port", "get_topology", "kill",
           "qemu_command", "DRIVER", "GdbRun", "gdb_command", "run_gdb"]
