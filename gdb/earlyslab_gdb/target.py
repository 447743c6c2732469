# SPDX-License-Identifier: GPL-2.0-only
"""What the gdb commands read from the halted guest.

- the early_slab_trace buffer, through GuestReader, the read callback
  libearlyslab reads it with (es_load_reader()): what the library reads
  stays valid until the guest runs again (or gdb writes to its memory);
- for `page`, where a pfn's struct page is (vmemmap_base, the size of
  struct page) and a cache's name; the struct pages are read and decoded
  by libearlyslab through the same reader (es_read_page()).

Every expected failure is raised as a one-line gdb.GdbError.
"""

import gdb  # pylint: disable=import-error

SYMBOL = "early_slab_trace"

# The trace is read by libearlyslab through GuestReader: nothing of the
# format is decoded here.

START_KERNEL_MAP = 0xffffffff80000000
KERNEL_IMAGE_SPAN = 1 << 30
PAGE_SHIFT = 12

BEFORE_IMAGE_HINT = "halted before the kernel image is in place?"


def fail(msg):
    raise gdb.GdbError("earlyslab: " + msg)


# ---- invalidation ---------------------------------------------------------

class _Generation:
    """Bumped whenever what was read from the guest may be stale."""

    def __init__(self):
        self.memory = 0     # guest ran, memory written, target changed
        self.symbols = 0    # symbol files changed
        self.exits = 0      # the inferior went away
        self._handlers = []

    def _mem(self, *_):
        self.memory += 1

    def _exit(self, *_):
        self.exits += 1
        self.memory += 1

    def _sym(self, *_):
        self.symbols += 1
        self.memory += 1

    def connect(self):
        ev = gdb.events
        pairs = [("cont", self._mem), ("memory_changed", self._mem),
                 ("exited", self._exit), ("inferior_call", self._mem),
                 ("new_objfile", self._sym), ("clear_objfiles", self._sym)]
        for name, fn in pairs:
            reg = getattr(ev, name, None)
            if reg is not None:
                reg.connect(fn)
                self._handlers.append((reg, fn))

    def disconnect(self):
        for reg, fn in self._handlers:
            try:
                reg.disconnect(fn)
            except (RuntimeError, ValueError):
                pass
        self._handlers = []


gen = _Generation()


# ---- the guest ----------------------------------------------------------

def check_connected():
    inf = gdb.selected_inferior()
    if not inf.is_valid() or inf.pid == 0 or not inf.threads():
        fail("not connected to a guest (attach first, e.g. "
             "'target remote :1234' to QEMU's -gdb stub)")


def read(addr, size, what):
    try:
        return gdb.selected_inferior().read_memory(addr, size)
    except gdb.MemoryError as e:
        fail("cannot read %s at 0x%x: %s" % (what, addr, e))
    except gdb.error as e:
        fail("cannot read %s at 0x%x: %s" % (what, addr, e))


def value_of(expr):
    """An integer from the kernel's symbols, or None if there is none."""
    try:
        return int(gdb.parse_and_eval(expr))
    except gdb.error:
        return None


class _Symbol:
    __slots__ = ("addr", "size", "vmlinux", "gen")

    def __init__(self, addr, size, vmlinux):
        self.addr = addr
        self.size = size
        self.vmlinux = vmlinux
        self.gen = gen.symbols


_symbol = None


def trace_symbol():
    """(address, size or 0, vmlinux path) of early_slab_trace."""
    global _symbol
    if _symbol is not None and _symbol.gen == gen.symbols:
        return _symbol
    ps = gdb.current_progspace()
    if not ps.filename:
        fail("no kernel loaded: start gdb with the vmlinux "
             "(gdb vmlinux) or use 'file vmlinux'")
    addr, size, vmlinux = None, 0, ps.filename
    sym = gdb.lookup_global_symbol(SYMBOL)
    if sym is not None and sym.is_variable:
        try:
            addr = int(sym.value().address)
            size = sym.type.sizeof
            if sym.symtab is not None and sym.symtab.objfile is not None:
                vmlinux = sym.symtab.objfile.filename
        except gdb.error:
            addr = None
    if addr is None:
        # no debug info for it: the ELF symbol alone will do
        addr = value_of("(unsigned long)&'%s'" % SYMBOL)
    if addr is None:
        fail("no symbol %s in %s (kernel built without "
             "CONFIG_EARLY_SLAB_TRACE?)" % (SYMBOL, ps.filename))
    _symbol = _Symbol(addr, size, vmlinux)
    return _symbol


def _read_trace(addr, size, what):
    try:
        return gdb.selected_inferior().read_memory(addr, size).tobytes()
    except (gdb.MemoryError, gdb.error) as e:
        why = str(e)
        if why.startswith("Cannot access memory"):
            why = ""
        fail("cannot read %s at 0x%x: %s%s" % (what, addr, BEFORE_IMAGE_HINT,
                                              " (%s)" % why if why else ""))


def read_bytes(addr, size):
    return _read_trace(addr, size, SYMBOL)


class GuestReader:
    """The library's memory reader on a halted guest, one per session.

    Each range the library asks for is one inferior.read_memory(), with
    two savings on round trips through the gdb stub:
    - the read of the trace's header also fetches the records the last
      load found plus READAHEAD_RECORDS (what a stop usually added), so
      that the records' read that follows is served from it, or reads
      only the rest;
    - what is read of the kernel's notes (the library's check of the
      build id note) is kept for as long as the connection and the
      symbols do; anything else outside the trace (struct pages, cache
      names, vmemmap_base) only until the guest runs again.
    Counts what crossed the stub, and keeps the first failure for the
    error message."""

    READAHEAD_RECORDS = 4

    def __init__(self):
        self.expect = 0         # bytes the next header read fetches
        self._stable = {}
        self._stable_key = None
        self._notes = (0, 0)
        self._volatile = {}
        self.begin(0, 0)

    def begin(self, addr, size):
        """A new load of the trace object at @addr (@size bytes, 0 if
        unknown)."""
        self.addr, self.size = addr, size
        self.reads = 0
        self.bytes = 0
        self.ranges = []
        self.failed = None
        self._win = None
        self._volatile = {}
        inf = gdb.selected_inferior()
        key = (inf.num, inf.pid, gen.symbols, gen.exits)
        if key != self._stable_key:
            self._stable, self._stable_key = {}, key
            lo = value_of("(unsigned long)&__start_notes")
            hi = value_of("(unsigned long)&__stop_notes")
            self._notes = (lo, hi) if lo and hi else (0, 0)

    def loaded(self, header_size, slots, record_size):
        """What the load found, to read ahead at the next one."""
        self.expect = header_size + (slots + self.READAHEAD_RECORDS) * \
            record_size

    def _read(self, addr, size):
        self.reads += 1
        self.ranges.append((addr, size))
        try:
            data = gdb.selected_inferior().read_memory(addr, size).tobytes()
        except (gdb.MemoryError, gdb.error) as e:
            if self.failed is None:
                self.failed = (addr, size, str(e))
            raise
        self.bytes += size
        return data

    def _inside(self, addr):
        return self.addr <= addr < self.addr + (self.size or 1)

    def __call__(self, addr, size):
        if not self._inside(addr):
            key = (addr, size)
            lo, hi = self._notes
            cache = self._stable if lo <= addr and addr + size <= hi \
                else self._volatile
            if key not in cache:
                cache[key] = self._read(addr, size)
            return cache[key]
        if addr == self.addr and self.size and self.expect > size:
            n = min(self.size, self.expect)
            try:
                self._win = (addr, self._read(addr, n))
                return self._win[1][:size]
            except (gdb.MemoryError, gdb.error):
                self.failed = None      # try what was asked for
        if self._win is not None:
            w0, win = self._win
            end = w0 + len(win)
            if w0 <= addr < end:
                head = win[addr - w0: addr - w0 + size]
                if len(head) == size:
                    return head
                return head + self._read(end, size - len(head))
        return self._read(addr, size)


class Loaded:
    """What the data commands see at one halt: the library handle loaded
    through a GuestReader."""

    def __init__(self, addr, vmlinux, generation, reader):
        self.addr = addr
        self.vmlinux = vmlinux
        self.gen = generation
        self.reader = reader

    @property
    def name(self):
        return "gdb:%s@0x%x" % (SYMBOL, self.addr)


def read_error(addr, reader):
    """The one line for a trace that could not be read at all."""
    _, _, why = reader.failed
    if why.startswith("Cannot access memory"):
        why = ""
    fail("cannot read %s at 0x%x: %s%s" % (SYMBOL, addr, BEFORE_IMAGE_HINT,
                                          " (%s)" % why if why else ""))


def invalidate():
    """Forget what was read from the guest, as when it runs again."""
    gen.memory += 1


# ---- struct page ----------------------------------------------------------

def _find_field(t, name, base=0):
    """(byte offset, type) of @name in @t, looking into anonymous members."""
    t = t.strip_typedefs()
    for f in t.fields():
        if f.name == name:
            return base + f.bitpos // 8, f.type
    for f in t.fields():
        if not f.name and f.type.strip_typedefs().code in (
                gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
            r = _find_field(f.type, name, base + f.bitpos // 8)
            if r is not None:
                return r
    return None


class _Field:
    __slots__ = ("off", "size", "signed")

    def __init__(self, off, typ):
        t = typ.strip_typedefs()
        while t.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION) and \
                len(t.fields()) == 1:
            # atomic_t, atomic64_t: the counter inside
            t = t.fields()[0].type.strip_typedefs()
        self.off = off
        self.size = t.sizeof
        if t.code == gdb.TYPE_CODE_INT:
            self.signed = t.is_signed if hasattr(t, "is_signed") else \
                not str(t).startswith("unsigned")
        else:
            self.signed = False

    def get(self, data, base=0):
        raw = data[base + self.off: base + self.off + self.size]
        return int.from_bytes(raw, "little", signed=self.signed)


def _field(type_name, name):
    try:
        t = gdb.lookup_type(type_name)
    except gdb.error:
        fail("no type '%s' in the kernel's debug info (a vmlinux built "
             "without CONFIG_DEBUG_INFO?)" % type_name)
    r = _find_field(t, name)
    if r is None:
        fail("no field '%s' in %s" % (name, type_name))
    return _Field(*r)


class Layout:
    """What `page` needs of the kernel's types to place a pfn: the size of
    struct page, and where struct kmem_cache keeps its name. The struct
    pages themselves are read and decoded by libearlyslab
    (es_read_page())."""

    def __init__(self):
        try:
            page = gdb.lookup_type("struct page")
        except gdb.error:
            fail("no type 'struct page' in the kernel's debug info "
                 "(a vmlinux built without CONFIG_DEBUG_INFO?)")
        self.page_size = page.sizeof
        self.cache_name = _field("struct kmem_cache", "name")
        self.gen = gen.symbols


_layout = None


def layout():
    global _layout
    if _layout is None or _layout.gen != gen.symbols:
        _layout = Layout()
    return _layout


class Memmap:
    """Where struct pages and the direct map are, at this halt."""

    def __init__(self):
        lay = layout()
        self.vmemmap = value_of("vmemmap_base")
        if self.vmemmap is None:
            self.vmemmap = value_of("(unsigned long)mem_map")
        if not self.vmemmap:
            fail("no vmemmap_base (x86_64) or mem_map in the kernel: cannot "
                 "find struct pages")
        self.max_pfn = value_of("max_pfn") or 0
        self.page_offset = value_of("page_offset_base")
        self.phys_base = value_of("phys_base") or 0
        self.page_size = lay.page_size

    def page_addr(self, pfn):
        return self.vmemmap + pfn * self.page_size

    def pfn_of_page(self, addr):
        return (addr - self.vmemmap) // self.page_size

    def to_pfn(self, addr):
        """pfn of a kernel virtual address, or None."""
        span = max(self.max_pfn, 1) * self.page_size
        if self.vmemmap <= addr < self.vmemmap + span:
            return self.pfn_of_page(addr)
        if START_KERNEL_MAP <= addr < START_KERNEL_MAP + KERNEL_IMAGE_SPAN:
            return (addr - START_KERNEL_MAP + self.phys_base) >> PAGE_SHIFT
        if self.page_offset is not None and addr >= self.page_offset:
            pfn = (addr - self.page_offset) >> PAGE_SHIFT
            if not self.max_pfn or pfn < self.max_pfn:
                return pfn
        return None


def cache_name(cache):
    """The name of a struct kmem_cache, or None."""
    if not cache:
        return None
    lay = layout()
    try:
        mem = gdb.selected_inferior().read_memory(cache + lay.cache_name.off,
                                                  8)
        ptr = int.from_bytes(mem.tobytes(), "little")
        if not ptr:
            return None
        char_p = gdb.lookup_type("char").pointer()
        return gdb.Value(ptr).cast(char_p).string(errors="replace",
                                                  length=-1)
    except (gdb.MemoryError, gdb.error, UnicodeDecodeError):
        return None
