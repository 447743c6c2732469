# SPDX-License-Identifier: GPL-2.0-only
"""`earlyslab break` and `earlyslab watch`: act on each recorded event.

Internal breakpoints sit on the return instruction(s) of est_emit(), the
kernel's only writer of trace records: when one is hit, the record is
committed. Its stop() method reads the 64-byte header and the records
that are new since the last hit (usually one: 80 bytes) into a mirror of
the buffer, and lets libearlyslab decide on a copy holding only the new
records (earlier slots zeroed, i.e. EST_STATE_EMPTY, which the reader
skips). Two small reads and a few microseconds of C per event.
"""

import json
import re

import gdb  # pylint: disable=import-error

from . import libes
from . import target
from .engine import engine, new_tag  # noqa: F401

WRITER = "est_emit"
_INSN = re.compile(r"^\s*(?:=>)?\s*(0x[0-9a-fA-F]+)\s+<[^>]*>:\s*(.*)$")


def _fail(msg):
    raise gdb.GdbError("earlyslab: " + msg)


def emit_returns():
    """Addresses of est_emit()'s return instructions."""
    try:
        text = gdb.execute("disassemble '%s'" % WRITER, to_string=True)
    except gdb.error:
        _fail("no function %s in the kernel (built without "
              "CONFIG_EARLY_SLAB_TRACE?)" % WRITER)
    addrs = []
    for line in text.splitlines():
        m = _INSN.match(line)
        if not m:
            continue
        insn = m.group(2).split()
        if insn and (insn[0].startswith("ret") or
                     (insn[0] == "jmp" and "__x86_return_thunk" in line)):
            addrs.append(int(m.group(1), 16))
    if not addrs:
        _fail("found no return instruction in %s" % WRITER)
    return addrs


class _ReturnBreakpoint(gdb.Breakpoint):
    def __init__(self, addr, tracker):
        super().__init__("*0x%x" % addr, gdb.BP_BREAKPOINT, internal=True)
        self.tracker = tracker

    def stop(self):
        try:
            return self.tracker.on_event()
        except gdb.GdbError as e:
            gdb.write("%s\n" % e)
        except Exception as e:  # never let a bug hide the stop
            gdb.write("earlyslab: %s: %s\n" % (type(e).__name__, e))
        return True


class Tracker:
    """Follows the records written after it was created."""

    def __init__(self, mode, count=None, flags=None):
        self.mode = mode
        self.count = count
        self.flags = flags
        # the library checks the header; then one bulk read of the object
        trace, cur = engine.current(fresh=True)
        st = trace.status()
        self.addr = cur.addr
        self.vmlinux = cur.vmlinux
        self.magic = st.magic
        self.mirror = bytearray(target.read_bytes(
            cur.addr, st.header_size + st.capacity * st.record_size))
        self.hdr = target.Header(self.mirror, self.magic)
        self.lo = self.hdr.slots        # first slot not yet settled
        self.handled = set()            # seqs >= lo already handled
        self.printed = 0
        self.fired = 0
        self.header_done = False
        # a handle of its own: the data commands' one stays as loaded
        self.lib = libes.Trace()
        if not self.lib.set_vmlinux(self.vmlinux):
            self.lib.close()
            _fail(self.lib.vmlinux_error)
        self.freepages = self.lib.lib.dll.es_type_from_name(b"freepages")
        self._load_mirror()
        st = self.lib.status()
        if st.torn or st.pending:
            # a writer was busy at the halt: take its slot again later
            self.lo = 0
            self.handled = {ev.seq for ev in self.lib.events()}
        self.baseline = 0
        self.seen_anomalies = set()
        if mode == "anomaly":
            self.baseline = self.lib.count_errors()
            self.seen_anomalies = {k for k, _ in self._anomalies()}
        self.bps = []
        try:
            for a in emit_returns():
                self.bps.append(_ReturnBreakpoint(a, self))
        except Exception:
            self.close()
            raise

    def close(self):
        for bp in self.bps:
            if bp.is_valid():
                bp.delete()
        self.bps = []
        self.lib.close()

    @property
    def name(self):
        return "gdb:%s@0x%x" % (target.SYMBOL, self.addr)

    def _load_mirror(self):
        self.lib.load(self.mirror, self.name, new_tag())

    def _anomalies(self):
        """(key, text line) of the error-level anomalies, from the
        library's check output."""
        rc, js, err = self.lib.command(["check", "--errors", "-j"])
        if rc == 2:
            _fail(err.strip())
        rc, text, _ = self.lib.command(["check", "--errors"])
        items = json.loads(js).get("anomalies", [])
        lines = text.splitlines()[:len(items)]
        out = []
        for i, a in enumerate(items):
            key = (a.get("kind"), a.get("seq"), a.get("pfn"),
                   a.get("other_seq"))
            out.append((key, (a, lines[i] if i < len(lines) else "")))
        return out

    def _update(self):
        """Read what is new; load a copy holding only the new records.
        Returns the new committed events (library structs)."""
        raw = target.read_bytes(self.addr, target.header_size())
        hdr = target.Header(raw, self.magic)
        if not hdr.magic_ok or hdr.size != len(self.mirror) or \
                hdr.header_size != self.hdr.header_size or \
                hdr.record_size != self.hdr.record_size:
            return []
        hs, rs = hdr.header_size, hdr.record_size
        hi = hdr.slots
        if hi < self.lo:                # the guest started over
            self.lo = 0
            self.handled.clear()
        self.mirror[:target.header_size()] = raw
        self.hdr = hdr
        if hi > self.lo:
            self.mirror[hs + self.lo * rs: hs + hi * rs] = \
                target.read_bytes(self.addr + hs + self.lo * rs,
                                  (hi - self.lo) * rs)
        view = bytearray(len(self.mirror))
        view[:hs] = self.mirror[:hs]
        view[hs + self.lo * rs: hs + hi * rs] = \
            self.mirror[hs + self.lo * rs: hs + hi * rs]
        for s in self.handled:
            if self.lo <= s < hi:
                view[hs + s * rs: hs + (s + 1) * rs] = bytes(rs)
        self.lib.load(view, self.name, new_tag())
        st = self.lib.status()
        zeroed = self.lo + sum(1 for s in self.handled if self.lo <= s < hi)
        unsettled = st.torn + st.pending - zeroed
        new = self.lib.events()
        self.handled.update(ev.seq for ev in new)
        if unsettled <= 0:
            self.lo = hi
            self.handled = {s for s in self.handled if s >= hi}
        return new

    def on_event(self):
        new = self._update()
        if self.mode == "watch":
            return self._watch(new)
        if self.mode == "window":
            return self._window(new)
        return self._anomaly(new)

    # -- modes --

    def _set_vars(self, seq, pfn):
        gdb.set_convenience_variable("earlyslab_seq", seq)
        gdb.set_convenience_variable("earlyslab_pfn", pfn)

    def _window(self, new):
        hits = [ev for ev in new if ev.type == self.freepages and
                self.lib.lib.name("es_path_name", ev.path) == "window"]
        if not hits:
            return False
        ev = hits[0]
        rc, out, err = self.lib.command(["dump", "--type", "freepages",
                                         "--pfn", "0x%x" % ev.pfn])
        gdb.write("earlyslab break window: slab page freed inside the "
                  "mem_init window (event %d):\n" % ev.seq)
        gdb.write(out if rc == 0 else err)
        gdb.write("(history: earlyslab timeline 0x%x; $earlyslab_pfn = "
                  "0x%x, $earlyslab_seq = %d)\n" % (ev.pfn, ev.pfn, ev.seq))
        self._set_vars(ev.seq, ev.pfn)
        self.fired += 1
        return True

    def _anomaly(self, new):
        if not new:
            return False
        self._load_mirror()
        n = self.lib.count_errors()
        if n <= self.baseline:
            return False
        self.baseline = n
        fresh = [(k, v) for k, v in self._anomalies()
                 if k not in self.seen_anomalies]
        self.seen_anomalies.update(k for k, _ in fresh)
        if not fresh:
            return False
        gdb.write("earlyslab break anomaly: event %d brought %d new "
                  "error%s:\n" % (new[-1].seq, len(fresh),
                                  "" if len(fresh) == 1 else "s"))
        for _, (a, line) in fresh:
            gdb.write(line + "\n")
        a = fresh[0][1][0]
        seq = a.get("seq")
        pfn = a.get("pfn")
        self._set_vars(seq if seq is not None else new[-1].seq,
                       pfn if pfn is not None else 0)
        self.fired += 1
        return True

    def _watch(self, new):
        if not new:
            return False
        rc, out, err = self.lib.command(["dump"] + ([self.flags]
                                                    if self.flags else []))
        if rc != 0:
            gdb.write(err)
            return True
        if self.flags == "-j":
            for obj in json.loads(out):
                gdb.write(json.dumps(obj, separators=(",", ":")) + "\n")
        else:
            lines = out.splitlines(True)
            if self.header_done and lines:
                lines = lines[1:]
            self.header_done = True
            gdb.write("".join(lines))
        self.printed += len(new)
        return self.count is not None and self.printed >= self.count


_armed = None


def describe():
    if _armed is None:
        return "earlyslab break: off"
    return ("earlyslab break: %s, on %d return%s of %s (fired %d time%s)"
            % (_armed.mode, len(_armed.bps), "" if len(_armed.bps) == 1
               else "s", WRITER, _armed.fired,
               "" if _armed.fired == 1 else "s"))


def arm(mode):
    global _armed
    tracker = Tracker(mode)
    if _armed is not None:
        _armed.close()
    _armed = tracker
    st = engine.current()[0].status()
    phase = libes.library().name("es_phase_name", st.phase)
    note = ""
    if mode == "window" and phase in ("up", "full"):
        note = "; the mem_init window is already over"
    return ("earlyslab break %s: armed on %s (trace phase %s, %d event%s so "
            "far%s)" % (mode, WRITER, phase, st.committed,
                        "" if st.committed == 1 else "s", note))


def disarm():
    global _armed
    if _armed is None:
        return "earlyslab break: was not armed"
    mode = _armed.mode
    _armed.close()
    _armed = None
    return "earlyslab break %s: removed" % mode


def watch(count, flags):
    tracker = Tracker("watch", count, flags)
    gdb.write("earlyslab watch: printing new events as the guest runs "
              "(Ctrl-C to stop)\n")
    try:
        gdb.execute("continue")
    except KeyboardInterrupt:
        pass
    except gdb.error as e:
        raise gdb.GdbError("earlyslab: watch: %s" % e) from None
    finally:
        tracker.close()
    gdb.write("earlyslab watch: %d event%s\n"
              % (tracker.printed, "" if tracker.printed == 1 else "s"))


def shutdown():
    global _armed
    if _armed is not None:
        _armed.close()
        _armed = None
