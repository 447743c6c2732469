# SPDX-License-Identifier: GPL-2.0-only
"""ctypes binding of libearlyslab (analyzers/libearlyslab/earlyslab.h).

Only what the gdb commands use: read the guest through a callback
(es_load_reader, es_refresh), run the earlyslab(8) commands on it
(es_command_str: status and events come from their JSON), count
anomalies, verify the owned slabs' struct pages (es_verify_run), and the
names of the format's enums (es_type_name(), ...).
Everything that decodes records lives in the C library; this module moves
bytes and arguments across and hands back the library's own structures
and text. No name, size or value of the format is written here.

No gdb import here: the module also loads in a plain Python interpreter,
which the tests use to check the ctypes layouts against the C header.
"""

import ctypes
import errno
import json
import os
import types

API_VERSION = 2      # of the binding below: what es_api_version() must say
NAME_LEN = 16        # ES_NAME_LEN, of struct es_run below
NR_TYPES = 16        # ES_NR_TYPES, of struct es_status below
# enum values looked at by names(); the filters' masks hold 32
MAX_ENUM = 32


class LibError(Exception):
    """One line, shown to the user as is."""


_HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(_HERE))


def default_build_dir():
    return os.environ.get("BUILD") or os.path.join(REPO, "build")


def library_path():
    """Where libearlyslab.so is looked for: $EARLYSLAB_LIB, else
    $BUILD/lib/libearlyslab.so, else build/lib/ of this repository."""
    p = os.environ.get("EARLYSLAB_LIB")
    if p:
        return p
    return os.path.join(default_build_dir(), "lib", "libearlyslab.so")


def build_hint():
    return "build it with: make -C %s BUILD=%s" % (
        os.path.join(REPO, "analyzers"), default_build_dir())


class Run(ctypes.Structure):
    _fields_ = [
        ("pfn", ctypes.c_uint64),
        ("cache", ctypes.c_uint64),
        ("alloc_seq", ctypes.c_uint64),
        ("free_seq", ctypes.c_uint64),
        ("alloc_caller", ctypes.c_uint64),
        ("free_caller", ctypes.c_uint64),
        ("alloc_ts", ctypes.c_uint64),
        ("free_ts", ctypes.c_uint64),
        ("order", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("nid_req", ctypes.c_int32),
        ("nid", ctypes.c_int32),
        ("alloc_phase", ctypes.c_uint32),
        ("alloc_path", ctypes.c_uint32),
        ("free_phase", ctypes.c_uint32),
        ("free_path", ctypes.c_uint32),
        ("name", ctypes.c_char * NAME_LEN),
    ]


class Page(ctypes.Structure):
    _fields_ = [
        ("pfn", ctypes.c_uint64),
        ("vaddr", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
        ("compound_head", ctypes.c_uint64),
        ("slab_cache", ctypes.c_uint64),
        ("refcount", ctypes.c_int32),
        ("slab", ctypes.c_uint32),
        ("head", ctypes.c_uint32),
        ("tail", ctypes.c_uint32),
        ("head_pfn", ctypes.c_uint64),
        ("order", ctypes.c_uint32),
        ("page_type", ctypes.c_uint32),
        ("mapcount", ctypes.c_int32),
        ("typed", ctypes.c_uint32),
        ("type_name", ctypes.c_char * 16),
        ("flag_names", ctypes.c_char * 256),
    ]


class PageCheck(ctypes.Structure):
    _fields_ = [
        ("page", Page),
        ("bad_tail_pfn", ctypes.c_uint64),
        ("bad_tail_head", ctypes.c_uint64),
        ("problems", ctypes.c_uint32),
        ("compound_order", ctypes.c_uint32),
        ("live_name", ctypes.c_char * 64),
        ("detail", ctypes.c_char * 256),
    ]


class Status(ctypes.Structure):
    _fields_ = [
        ("magic", ctypes.c_uint64),
        ("version", ctypes.c_uint32),
        ("header_size", ctypes.c_uint32),
        ("record_size", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("capacity", ctypes.c_uint32),
        ("phase", ctypes.c_uint32),
        ("head", ctypes.c_uint64),
        ("lost", ctypes.c_uint64),
        ("slots", ctypes.c_uint64),
        ("committed", ctypes.c_uint64),
        ("torn", ctypes.c_uint64),
        ("pending", ctypes.c_uint64),
        ("bad", ctypes.c_uint64),
        ("by_type", ctypes.c_uint64 * NR_TYPES),
        ("last_phase", ctypes.c_uint32),
        ("source", ctypes.c_uint32),
        ("buffer_addr", ctypes.c_uint64),
        ("phys_base", ctypes.c_uint64),
        ("first_ts", ctypes.c_uint64),
        ("last_ts", ctypes.c_uint64),
        ("allocator", ctypes.c_uint32),
        ("kernel_version", ctypes.c_uint32),
    ]


# typedef int (*es_run_fn)(const struct es_run *run, void *arg)
RUN_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Run), ctypes.c_void_p)


_P = ctypes.c_void_p
_S = ctypes.c_char_p
_I = ctypes.c_int
_U32 = ctypes.c_uint32

_PROTOS = {
    "es_api_version": (_I, []),
    "es_trace_new": (_P, []),
    "es_trace_free": (None, [_P]),
    "es_set_vmlinux": (_I, [_P, _S]),
    "es_load_reader": (_I, [_P, _P, _P, _S]),
    "es_refresh": (ctypes.c_int64, [_P]),
    "es_owners": (_I, [_P, RUN_FN, _P]),
    "es_verify_run": (_I, [_P, ctypes.POINTER(Run), ctypes.POINTER(PageCheck)]),
    "es_read_page": (_I, [_P, ctypes.c_uint64, ctypes.POINTER(Page)]),
    "es_get_status": (_I, [_P, ctypes.POINTER(Status)]),
    "es_kernel_info": (_I, [_P, ctypes.POINTER(_U32), ctypes.POINTER(_U32)]),
    "es_allocator_name": (_S, [_U32]),
    "es_slab_mark_name": (_S, [_U32]),
    "es_error": (_S, [_P]),
    "es_check": (_I, [_P, _P, _P]),
    "es_command_str": (_I, [_P, _I, ctypes.POINTER(_S), ctypes.c_uint,
                            ctypes.POINTER(_P), ctypes.POINTER(_P)]),
    "es_free": (None, [_P]),
    "es_type_name": (_S, [_U32]),
    "es_phase_name": (_S, [_U32]),
    "es_path_name": (_S, [_U32]),
    "es_kind_name": (_S, [_U32]),
    "es_type_from_name": (_I, [_S]),
    "es_type_frees": (_I, [_U32]),
}


# typedef int (*es_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len)
READ_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64,
                           ctypes.c_void_p, ctypes.c_size_t)


class Library:
    """The loaded shared library, with prototypes set."""

    def __init__(self, path=None):
        self.path = path or library_path()
        if not os.path.exists(self.path):
            raise LibError("libearlyslab not built: %s does not exist (%s)"
                           % (self.path, build_hint()))
        try:
            self.dll = ctypes.CDLL(self.path)
        except OSError as e:
            raise LibError("cannot load %s: %s (%s)"
                           % (self.path, e, build_hint())) from None
        for name, (res, args) in _PROTOS.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                raise LibError("%s lacks %s(): rebuild it (%s)"
                               % (self.path, name, build_hint())) from None
            fn.restype = res
            fn.argtypes = args
        v = self.dll.es_api_version()
        if v != API_VERSION:
            raise LibError("%s has API version %d, these gdb commands need %d "
                           "(%s)" % (self.path, v, API_VERSION, build_hint()))

    def name(self, fn, value):
        s = getattr(self.dll, fn)(value)
        return s.decode() if s else ""

    def type_frees(self, type_name):
        """Whether events of this type (by its name) give page frames back
        (es_type_frees(): freepages, large_free)."""
        v = self.dll.es_type_from_name(type_name.encode())
        return v >= 0 and bool(self.dll.es_type_frees(v))

    def names(self, fn):
        """The names es_*_name() gives, in value order. Values without a
        name all get the same placeholder, which is left out."""
        got = [self.name(fn, v) for v in range(MAX_ENUM)]
        return [n for n in got if n and got.count(n) == 1]

    def help_text(self, command):
        if not hasattr(self, "_help"):
            self._help = {}
        if command not in self._help:
            t = Trace(self)
            try:
                rc, out, _ = t.command([command, "--help"])
            finally:
                t.close()
            self._help[command] = out if rc == 0 else ""
        return self._help[command]

    def help_words(self, command, label):
        """The words after "LABEL:" in the library's help of a command
        ("sort keys: pfn order ..." of owners)."""
        for line in self.help_text(command).splitlines():
            head, sep, tail = line.strip().partition(":")
            if sep and head == label:
                return tail.split()
        return []

    def option_words(self, command, option):
        """The values the usage line gives an option ("--format svg|..")."""
        words = self.help_text(command).split()
        for i, w in enumerate(words[:-1]):
            if w.strip("[]") == option and "|" in words[i + 1]:
                return words[i + 1].strip("[]").split("|")
        return []


_lib = None


def library():
    """The process-wide Library, loaded on first use."""
    global _lib
    if _lib is None:
        _lib = Library()
    return _lib


class Trace:
    """One es_trace handle: a loaded buffer plus, optionally, a vmlinux."""

    def __init__(self, lib=None):
        self.lib = lib or library()
        self.h = self.lib.dll.es_trace_new()
        if not self.h:
            raise LibError("es_trace_new: out of memory")
        self.vmlinux = None
        self.vmlinux_error = None
        self.tag = None     # what is loaded, for the callers' caching

    def close(self):
        if self.h:
            self.lib.dll.es_trace_free(self.h)
            self.h = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def error(self):
        e = self.lib.dll.es_error(self.h)
        return e.decode(errors="replace") if e else "unknown error"

    def set_vmlinux(self, path):
        """Symbols for callers; returns False (and keeps the reason) when
        the library refuses the file."""
        if path == self.vmlinux:
            return True
        if self.lib.dll.es_set_vmlinux(self.h, path.encode()):
            self.vmlinux = None
            self.vmlinux_error = self.error()
            return False
        self.vmlinux = path
        self.vmlinux_error = None
        return True

    def load_reader(self, read, name, tag=None):
        """Read the trace through @read(addr, size) -> bytes (or an
        exception): es_load_reader(), the header and then only the
        committed records. Needs set_vmlinux() first. Raises LibError."""
        self.tag = None
        self._reader = self._wrap(read)   # kept alive as long as in use
        if self.lib.dll.es_load_reader(self.h, self._reader, None,
                                       name.encode()):
            self._reader = None
            raise LibError(self.error())
        self.tag = tag

    def verify_owners(self):
        """es_owners() with es_verify_run() on each: [(Run, PageCheck or
        None when it agrees)]. The library's one definition of a slab's
        struct pages agreeing with the trace. Raises LibError."""
        out, err = [], []

        def cb(run, _arg):
            r = Run.from_buffer_copy(run.contents)
            pc = PageCheck()
            v = self.lib.dll.es_verify_run(self.h, run, ctypes.byref(pc))
            if v < 0:
                err.append(self.error())
                return 1
            out.append((r, pc if v else None))
            return 0
        fn = RUN_FN(cb)
        if self.lib.dll.es_owners(self.h, fn, None) or err:
            raise LibError(err[0] if err else self.error())
        return out

    def read_page(self, pfn):
        """es_read_page(): the kernel's struct page of @pfn, decoded with
        its own enums (the slab mark, page type and flag names as the
        vmlinux defines them). Raises LibError."""
        pg = Page()
        if self.lib.dll.es_read_page(self.h, pfn, ctypes.byref(pg)):
            raise LibError(self.error())
        return pg

    def kernel_info(self):
        """es_kernel_info(): (slab mark, allocator) of the vmlinux, by the
        library's names ("PG_slab" or "page_type", "SLAB" or "SLUB").
        Raises LibError (a trace written by another allocator than the
        vmlinux's)."""
        mark, alloc = _U32(), _U32()
        if self.lib.dll.es_kernel_info(self.h, ctypes.byref(mark),
                                       ctypes.byref(alloc)):
            raise LibError(self.error())
        return (self.lib.name("es_slab_mark_name", mark.value),
                self.lib.name("es_allocator_name", alloc.value))

    def refresh(self):
        """es_refresh(): the header again and only the new records;
        returns how many there are. Raises LibError."""
        n = self.lib.dll.es_refresh(self.h)
        if n < 0:
            raise LibError(self.error())
        return n

    @staticmethod
    def _wrap(read):
        def cb(_ctx, addr, buf, size):
            try:
                data = read(addr, size)
            except Exception:  # pylint: disable=broad-except
                # a C caller cannot take a Python exception: the reader
                # keeps the reason, the library sees an unreadable range
                return -errno.EFAULT
            ctypes.memmove(buf, data, size)
            return 0
        return READ_FN(cb)

    def _json(self, argv):
        rc, out, err = self.command(argv + ["-j"])
        if rc == 2:
            raise LibError(err.strip().replace("earlyslab: ", "", 1)
                           or "%s failed" % argv[0])
        return json.loads(out, object_hook=lambda d: types.SimpleNamespace(**d))

    def counts(self):
        """es_get_status(): the header's sizes and the slots' counts as a
        struct, without running a command. Raises LibError."""
        st = Status()
        if self.lib.dll.es_get_status(self.h, ctypes.byref(st)):
            raise LibError(self.error())
        return st

    def status(self):
        """`status -j`: the header's fields and the slots' states, with
        the library's names (phase, ...), as attributes."""
        return self._json(["status"])

    def events(self):
        """`dump -j`: the committed events in sequence order, with the
        library's names (type, path, ...), as attributes."""
        return self._json(["dump"])

    def count_errors(self):
        """es_check(): the number of error-level anomalies."""
        r = self.lib.dll.es_check(self.h, None, None)
        if r < 0:
            raise LibError(self.error())
        return r

    def command(self, argv, flags=0):
        """Run one earlyslab(8) command; returns (exit code, out, err).
        Output options go in @argv (-j, -p, --csv), as on the CLI."""
        args = [a.encode() for a in argv]
        arr = (ctypes.c_char_p * (len(args) + 1))(*args, None)
        out = ctypes.c_void_p()
        err = ctypes.c_void_p()
        rc = self.lib.dll.es_command_str(self.h, len(args), arr, flags,
                                         ctypes.byref(out), ctypes.byref(err))
        try:
            o = ctypes.string_at(out.value).decode(errors="replace") \
                if out.value else ""
            e = ctypes.string_at(err.value).decode(errors="replace") \
                if err.value else ""
        finally:
            self.lib.dll.es_free(out)
            self.lib.dll.es_free(err)
        return rc, o, e
