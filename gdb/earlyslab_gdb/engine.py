# SPDX-License-Identifier: GPL-2.0-only
"""The one libearlyslab handle of a gdb session.

Buffers read from the guest are handed to it with es_load_memory(); the
earlyslab(8) commands run on it with es_command_str(). The vmlinux gdb
has loaded is given to the library too, so that callers are symbolized
exactly as `earlyslab --vmlinux vmlinux ...` does.
"""

import itertools

import gdb  # pylint: disable=import-error

from . import libes
from . import target

_tags = itertools.count(1)


def new_tag():
    return next(_tags)


class Engine:
    def __init__(self):
        self._trace = None
        self._warned = set()

    def close(self):
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

    def load(self, data, name, tag, vmlinux=None):
        t = self.trace(vmlinux)
        if t.tag != tag:
            try:
                t.load(data, name, tag)
            except libes.LibError as e:
                raise gdb.GdbError("earlyslab: %s" % e) from None
        return t

    def load_snapshot(self, fresh=False):
        snap = target.snapshot(fresh)
        if not hasattr(snap, "tag"):
            snap.tag = new_tag()
        return self.load(snap.data, snap.name, snap.tag, snap.vmlinux), snap

    def empty(self):
        """A handle with nothing loaded (for --help)."""
        return self.trace()


engine = Engine()
