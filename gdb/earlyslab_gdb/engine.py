# SPDX-License-Identifier: GPL-2.0-only
"""The one libearlyslab handle of a gdb session.

The guest is read through es_load_reader() with gdb's read_memory as the
reader: at the first command after a stop the library reads the header
and then only the committed records; the other commands at the same stop
use what it read. The earlyslab(8) commands run on it with
es_command_str(). The vmlinux gdb has loaded is given to the library
too: it has the trace symbol and the struct layouts in its DWARF, and
callers are symbolized exactly as `earlyslab --vmlinux vmlinux ...` does.
"""

import gdb  # pylint: disable=import-error

from . import libes
from . import target


class Engine:
    def __init__(self):
        self._trace = None
        self._loaded = None
        self._reader = target.GuestReader()
        self._warned = set()

    def close(self):
        self._loaded = None
        if self._trace is not None:
            self._trace.close()
            self._trace = None

    def trace(self, vmlinux=None):
        """The handle, created on first use; GdbError if the library is
        missing."""
        try:
            if self._trace is None:
                self._trace = libes.Trace(libes.library())
            if vmlinux and not self._trace.set_vmlinux(vmlinux):
                if vmlinux not in self._warned:
                    self._warned.add(vmlinux)
                    gdb.write("earlyslab: callers not symbolized: %s\n"
                              % self._trace.vmlinux_error)
        except libes.LibError as e:
            raise gdb.GdbError("earlyslab: %s" % e) from None
        return self._trace

    def current(self, fresh=False):
        """(handle, Loaded) for this stop; reads the guest on the first
        call after it ran (or with @fresh)."""
        sym = target.trace_symbol()
        target.check_connected()
        cur = self._loaded
        if not fresh and cur is not None and cur.gen == target.gen.memory \
                and cur.addr == sym.addr and self._trace is not None and \
                self._trace.tag is cur:
            return self._trace, cur
        t = self.trace(sym.vmlinux)
        if t.vmlinux is None:
            raise gdb.GdbError("earlyslab: %s" % t.vmlinux_error)
        reader = self._reader
        reader.begin(sym.addr, sym.size)
        cur = target.Loaded(sym.addr, sym.vmlinux, target.gen.memory, reader)
        self._loaded = None
        try:
            t.load_reader(reader, cur.name, cur)
            st = t.counts()
        except libes.LibError as e:
            if reader.failed is not None and reader.failed[0] == sym.addr:
                target.read_error(sym.addr, reader)
            raise gdb.GdbError("earlyslab: %s" % e) from None
        reader.loaded(st.header_size, st.slots, st.record_size)
        self._loaded = cur
        return t, cur

    def empty(self):
        """A handle with nothing loaded (for --help)."""
        return self.trace()


engine = Engine()
