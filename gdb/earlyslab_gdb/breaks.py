# SPDX-License-Identifier: GPL-2.0-only
"""`earlyslab break` and `earlyslab watch`: act on each recorded event.

Internal breakpoints sit on the return instruction(s) of est_emit(), the
kernel's only writer of trace records: when one is hit, the record is
committed. Its stop() method has libearlyslab read the header and the
records that are new since the last hit (usually one) through a reader
that gives the earlier slots as zeros (empty slots, which the library
skips), so that the library decides on the new records alone; `anomaly`
also keeps the whole trace up to date with es_refresh(). Two small reads
and a few microseconds of C per event.
"""

import json
import re

import gdb  # pylint: disable=import-error

from . import libes
from . import target
from .engine import engine

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
    """Follows the records written after it was created.

    Two handles of its own (the data commands' one stays as loaded):
    - view: loaded at each hit through a reader that reads the header and
      the slots not yet settled from the guest, and gives zeros (empty
      slots, which the library skips) for the others: it holds the new
      events only, for `window` and `watch` to print;
    - full (anomaly only): the whole trace, kept up to date with
      es_refresh(), which reads the header and the new slots."""

    def __init__(self, mode, count=None, flags=None):
        self.mode = mode
        self.count = count
        self.flags = flags
        trace, cur = engine.current(fresh=True)
        st = trace.status()
        self.addr = cur.addr
        self.vmlinux = cur.vmlinux
        self.hs, self.rs = st.header_size, st.record_size
        self.size = st.header_size + st.capacity * st.record_size
        self.lo = st.slots              # first slot not yet settled
        self.handled = set()            # seqs >= lo already handled
        if st.torn or st.pending:
            # a writer was busy at the halt: take its slot again later
            self.lo = 0
            self.handled = {ev.seq for ev in trace.events()}
        self.printed = 0
        self.fired = 0
        self.header_done = False
        self._stable = {}
        self.bps = []
        self.full = None
        self.lib = self._handle()
        self.baseline = 0
        self.seen_anomalies = set()
        try:
            if mode == "anomaly":
                self.full = self._handle()
                self.full.load_reader(self._read, self.name)
                self.baseline = self.full.count_errors()
                self.seen_anomalies = {k for k, _ in self._anomalies()}
            for a in emit_returns():
                self.bps.append(_ReturnBreakpoint(a, self))
        except libes.LibError as e:
            self.close()
            _fail(str(e))
        except Exception:
            self.close()
            raise

    def _handle(self):
        t = libes.Trace()
        if not t.set_vmlinux(self.vmlinux):
            t.close()
            _fail(t.vmlinux_error)
        return t

    def close(self):
        for bp in self.bps:
            if bp.is_valid():
                bp.delete()
        self.bps = []
        for t in (self.lib, self.full):
            if t is not None:
                t.close()

    @property
    def name(self):
        return "gdb:%s@0x%x" % (target.SYMBOL, self.addr)

    def _read(self, addr, size):
        """The guest's bytes; outside the trace (the build id note), read
        once."""
        if not self.addr <= addr < self.addr + self.size:
            key = (addr, size)
            if key not in self._stable:
                self._stable[key] = target.read_bytes(addr, size)
            return self._stable[key]
        return target.read_bytes(addr, size)

    def _view_read(self, addr, size):
        """_read(), with the settled slots as zeros."""
        hs, rs = self.hs, self.rs
        off = addr - self.addr
        if off < hs:
            return self._read(addr, size)
        first = (off - hs) // rs
        end = (off - hs + size + rs - 1) // rs
        lo = max(first, self.lo)
        out = bytearray(size)
        if end > lo:
            base = hs + lo * rs - off
            data = self._read(self.addr + hs + lo * rs, (end - lo) * rs)
            data = data[:max(0, size - base)]
            out[base:base + len(data)] = data
        for s in self.handled:
            if lo <= s < end:
                b, e = max(0, hs + s * rs - off), min(size, hs + (s + 1) * rs - off)
                out[b:e] = bytes(e - b)
        return bytes(out)

    def _anomalies(self):
        """(key, text line) of the error-level anomalies, from the
        library's check output."""
        rc, js, err = self.full.command(["check", "--errors", "-j"])
        if rc == 2:
            _fail(err.strip())
        rc, text, _ = self.full.command(["check", "--errors"])
        items = json.loads(js).get("anomalies", [])
        lines = text.splitlines()[:len(items)]
        out = []
        for i, a in enumerate(items):
            key = (a.get("kind"), a.get("seq"), a.get("pfn"),
                   a.get("other_seq"))
            out.append((key, (a, lines[i] if i < len(lines) else "")))
        return out

    def _update(self):
        """Load the view of what is new; returns the new committed events
        (library structs)."""
        try:
            self.lib.load_reader(self._view_read, self.name)
            st = self.lib.status()
            if st.slots < self.lo:          # the guest started over
                self.lo = 0
                self.handled.clear()
                self.lib.load_reader(self._view_read, self.name)
                st = self.lib.status()
            new = self.lib.events()
        except libes.LibError:
            return []
        hi = st.slots
        zeroed = self.lo + sum(1 for s in self.handled if self.lo <= s < hi)
        unsettled = st.torn + st.pending - zeroed
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
        hits = [ev for ev in new if ev.path == "window" and
                self.lib.lib.type_frees(ev.type)]
        if not hits:
            return False
        ev = hits[0]
        rc, out, err = self.lib.command(["dump", "--type", ev.type,
                                         "--pfn", "0x%x" % ev.pfn])
        # a large kmalloc's frames have no cache; the library names them
        what = "slab page" if int(str(ev.cache), 0) else \
            "page of %s" % ev.name
        gdb.write("earlyslab break window: %s freed inside the "
                  "mem_init window (event %d):\n" % (what, ev.seq))
        gdb.write(out if rc == 0 else err)
        gdb.write("(history: earlyslab timeline 0x%x; $earlyslab_pfn = "
                  "0x%x, $earlyslab_seq = %d)\n" % (ev.pfn, ev.pfn, ev.seq))
        self._set_vars(ev.seq, ev.pfn)
        self.fired += 1
        return True

    def _anomaly(self, new):
        if not new:
            return False
        try:
            self.full.refresh()
            n = self.full.count_errors()
        except libes.LibError as e:
            _fail(str(e))
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
    phase = st.phase
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
