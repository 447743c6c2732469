# SPDX-License-Identifier: GPL-2.0-only
"""The `earlyslab` gdb commands: one gdb.Command subclass per command.

The data commands (status, dump, timeline, owners, check, stats, export)
are those of earlyslab(8): their arguments go unchanged to libearlyslab's
es_command_str() and its output is printed as is. The gdb-only commands
(save, page, crosscheck, break, watch) read the guest themselves.
"""

import glob
import json
import os
import shlex

import gdb  # pylint: disable=import-error

from . import breaks
from . import libes
from . import target
from .engine import engine

FLAG = object()         # an option without a value
FILE = object()         # a file name


class Names:
    """Values of an option, asked of libearlyslab when completion or help
    first needs them (none when the library is not built): the names of
    the format's enums (es_type_name(), ...) or the words the library's
    usage text gives for an option."""

    def __init__(self, fn):
        self.fn = fn
        self._vals = None

    def __iter__(self):
        if self._vals is None:
            try:
                self._vals = list(self.fn(libes.library()))
            except libes.LibError:
                return iter(())
        return iter(self._vals)


TYPES = Names(lambda lib: lib.names("es_type_name"))
PHASES = Names(lambda lib: lib.names("es_phase_name"))
KINDS = Names(lambda lib: lib.names("es_kind_name"))
SORT_KEYS = Names(lambda lib: [p + k for p in ("", "+", "-")
                               for k in lib.help_words("owners",
                                                       "sort keys")])
CULL_KEYS = Names(lambda lib: lib.help_words("owners", "cull keys"))
FORMATS = Names(lambda lib: lib.option_words("export", "--format"))
CLOCKS = Names(lambda lib: lib.option_words("export", "--clock"))

OUTPUT_OPTS = {"-j": FLAG, "--json": FLAG, "-p": FLAG, "--pretty": FLAG,
               "--csv": FLAG, "-h": FLAG, "--help": FLAG}
# output options, as the library spells them after a command name
GLOBAL_FLAGS = {"-j": "-j", "--json": "-j", "-p": "-p", "--pretty": "-p",
                "--csv": "--csv"}

CLI_PREFIX = "earlyslab [--vmlinux F] (--core F | --raw F) "

# Words in the library's one-line errors that mean "bad arguments".
_USAGE_WORDS = ("option", "argument", "unknown", "expected", "required",
                "empty", "bad pfn range")


def usage_error(usage, msg=None):
    """One line: what is wrong, then the usage."""
    text = "Usage: " + usage
    if not msg:
        raise gdb.GdbError(text)
    msg = msg.rstrip(". ")
    words = usage.split()
    name = words[1] if len(words) > 1 and words[1][0].isalpha() else None
    if name and not msg.startswith(name + ":"):
        msg = "%s: %s" % (name, msg)
    raise gdb.GdbError("earlyslab: %s. %s" % (msg, text))


def complete_options(opts, text, word):
    """Completion over an option table {option: FLAG | FILE | None |
    [values]}; list values may be comma-separated."""
    words = text.split()
    if text and not text[-1].isspace():
        before = words[:-1]
        current = words[-1] if words else ""
    else:
        before = words
        current = ""
    prev = before[-1] if before else None
    if prev in opts and opts[prev] is not FLAG:
        vals = opts[prev]
        if vals is FILE:
            return _complete_file(current, word)
        if vals is None:
            return gdb.COMPLETE_NONE
        last = current.rsplit(",", 1)[-1]
        head = current[:len(current) - len(last)]
        # gdb replaces `word`, which may start after a ',' or a '+'
        done = current[:len(current) - len(word)] if word is not None else ""
        return [(head + v)[len(done):] for v in vals if v.startswith(last)]
    if current.startswith("-") or not current:
        done = current[:len(current) - len(word)] if word is not None else ""
        return [o[len(done):] for o in sorted(opts) if o.startswith(current)]
    return gdb.COMPLETE_NONE


def _complete_file(current, word):
    done = current[:len(current) - len(word)] if word is not None else ""
    out = []
    for m in sorted(glob.glob(glob.escape(current) + "*")):
        out.append((m + "/" if os.path.isdir(m) else m)[len(done):])
    return out


def expand_vars(argv):
    """$convenience variables and $registers become numbers for the
    library (`earlyslab timeline $earlyslab_pfn`)."""
    out = []
    for a in argv:
        pre, val = "", a
        if a.startswith("--") and "=" in a:
            pre, val = a.split("=", 1)
            pre += "="
        if val.startswith("$") and len(val) > 1:
            try:
                v = gdb.parse_and_eval(val)
                if v.type.code != gdb.TYPE_CODE_VOID:
                    val = "0x%x" % int(v)
            except (gdb.error, ValueError):
                pass
        out.append(pre + val)
    return out


def write(text):
    if text:
        gdb.write(text)
        if not text.endswith("\n"):
            gdb.write("\n")


# ---- the earlyslab(8) commands ----------------------------------------------

class _LibraryCommand(gdb.Command):
    NAME = None
    USAGE = None
    OPTS = {}

    def __init__(self):
        super().__init__("earlyslab " + self.NAME, gdb.COMMAND_DATA)
        self.opts = dict(OUTPUT_OPTS)
        self.opts.update(self.OPTS)

    def complete(self, text, word):
        return complete_options(self.opts, text, word)

    def invoke(self, arg, from_tty):
        try:
            argv = gdb.string_to_argv(arg)
        except Exception as e:  # unbalanced quotes
            usage_error(self.usage(), str(e))
        run_library(self.NAME, argv, None, self.usage())

    def usage(self):
        return "earlyslab " + self.USAGE


def library_usage(name):
    """The library's usage line of a command, in gdb's spelling."""
    try:
        rc, out, _ = engine.empty().command([name, "--help"])
    except gdb.GdbError:
        return None
    line = out.splitlines()[0] if rc == 0 and out else ""
    if line.startswith("usage: "):
        return line[len("usage: "):].replace(CLI_PREFIX, "earlyslab ")
    return None


def run_library(name, argv, mode, usage):
    """Run a data command; @mode is an output option (-j, -p, --csv) given
    before the command name, or None."""
    argv = [name] + ([mode] if mode else []) + expand_vars(argv)
    if any(a in ("-h", "--help") for a in argv[1:]):
        rc, out, err = engine.empty().command(argv)
        write(out.replace(CLI_PREFIX, "earlyslab "))
    else:
        trace, _ = engine.current()
        rc, out, err = trace.command(argv)
        write(out)
    gdb.set_convenience_variable("earlyslab_exit", rc)
    if rc == 2:
        lines = [l for l in err.splitlines() if l.strip()]
        msg = lines[0] if lines else "%s failed" % name
        if msg.startswith("earlyslab: "):
            msg = msg[len("earlyslab: "):]
        if any(w in msg for w in _USAGE_WORDS):
            usage_error(library_usage(name) or usage, msg)
        raise gdb.GdbError("earlyslab: " + msg)
    return rc


class StatusCommand(_LibraryCommand):
    """Header fields, slot states, events by type and phase of the trace.

Usage: earlyslab status [-j|-p|--csv]

The buffer's magic, format version, sizes, capacity, head, lost events,
committed/torn/pending/bad slots, events by type and the boot phase, as
`earlyslab --raw FILE status` prints them.
Example: earlyslab status -j"""
    NAME = "status"
    USAGE = "status [-j|-p|--csv]"


class DumpCommand(_LibraryCommand):
    """Events of the trace in sequence order.

Usage: earlyslab dump [--type T,..] [--cache NAME|0xADDR] [--pfn A[-B]] [--phase P,..] [--all] [-j|-p|--csv]

TAB completes the event types and phases (the library's names).
--cache takes a name glob (kmalloc-*) or a struct kmem_cache address;
--pfn keeps events whose page frames meet the range; --all also lists
torn, pending and bad slots. Numbers may be $convenience variables.
Example: earlyslab dump --type getpages,freepages --cache 'kmalloc-*'"""
    NAME = "dump"
    USAGE = ("dump [--type T,..] [--cache NAME|0xADDR] [--pfn A[-B]] "
             "[--phase P,..] [--all] [-j|-p|--csv]")
    OPTS = {"--type": TYPES, "--cache": None, "--pfn": None,
            "--phase": PHASES, "--all": FLAG}


class TimelineCommand(_LibraryCommand):
    """Per page frame, its runs of ownership by slab caches.

Usage: earlyslab timeline [PFN|A-B] [--cache NAME] [-j|-p|--csv]

For each page frame (all touched, one, or a range), in pfn order: the
cache, order and first pfn of each slab that covered it, the allocating
event and the freeing one, or "live". --cache selects the frames a
matching cache ever owned.
Example: earlyslab timeline $earlyslab_pfn"""
    NAME = "timeline"
    USAGE = "timeline [PFN|A-B] [--cache NAME] [-j|-p|--csv]"
    OPTS = {"--cache": None}


class OwnersCommand(_LibraryCommand):
    """Slab pages still owned at the end of the trace.

Usage: earlyslab owners [--sort [+|-]KEY,..] [--cull KEY,..] [--cache NAME] [--verify] [-j|-p|--csv]

--cull groups into "N times, M pages"; TAB completes the sort and cull
keys (`earlyslab owners --help` lists them). --verify reads struct pages from a QEMU dump, so it works in the
CLI only; in gdb, `earlyslab crosscheck` checks the live struct pages.
Example: earlyslab owners --cull cache,order"""
    NAME = "owners"
    USAGE = ("owners [--sort [+|-]KEY,..] [--cull KEY,..] [--cache NAME] "
             "[--verify] [-j|-p|--csv]")
    OPTS = {"--sort": SORT_KEYS, "--cull": CULL_KEYS, "--cache": None, "--verify": FLAG}


class CheckCommand(_LibraryCommand):
    """Anomalies in the trace (window frees, double frees, overlaps, ...).

Usage: earlyslab check [--kind K,..] [--errors] [-j|-p|--csv]

TAB completes the kinds of anomaly; --errors keeps the error-level ones.
$earlyslab_exit is 1 when an error-level anomaly was found (the CLI's
exit status), else 0.
Example: earlyslab check --errors"""
    NAME = "check"
    USAGE = "check [--kind K,..] [--errors] [-j|-p|--csv]"
    OPTS = {"--kind": KINDS, "--errors": FLAG}


class StatsCommand(_LibraryCommand):
    """Counts by type, phase, cache, order, node and path.

Usage: earlyslab stats [--cache NAME|0xADDR] [-j|-p|--csv]

--cache counts only the events and live slabs of the matching owners.
Example: earlyslab stats --cache 'Acpi-*'"""
    NAME = "stats"
    USAGE = "stats [--cache NAME|0xADDR] [-j|-p|--csv]"
    OPTS = {"--cache": None}


class ExportCommand(_LibraryCommand):
    """SVG picture or Chrome/Perfetto trace JSON of a view of the trace.

Usage: earlyslab export --format svg|chrome-trace -o FILE [--pfn A[-B]] [--cache NAME|0xADDR] [--phase P,..] [--seq A[-B]] [--clock seq|ts] [--max-events N]

FILE is relative to gdb's working directory; '-o -' prints it. --pfn,
--cache, --phase and --seq choose the view, as for dump; --max-events
bounds the Chrome trace.
Example: earlyslab export --format svg --phase early -o early.svg"""
    NAME = "export"
    USAGE = ("export --format svg|chrome-trace -o FILE [--pfn A[-B]] "
             "[--cache NAME|0xADDR] [--phase P,..] [--seq A[-B]] "
             "[--clock seq|ts] [--max-events N]")
    OPTS = {"--format": FORMATS, "-o": FILE, "--clock": CLOCKS,
            "--pfn": None, "--cache": None, "--phase": PHASES, "--seq": None,
            "--max-events": None}


LIBRARY_COMMANDS = [StatusCommand, DumpCommand, TimelineCommand,
                    OwnersCommand, CheckCommand, StatsCommand, ExportCommand]


# ---- gdb-only commands --------------------------------------------------------

def _argv(arg, usage):
    try:
        return gdb.string_to_argv(arg)
    except Exception as e:  # unbalanced quotes
        usage_error(usage, str(e))


def _json_flags(argv, usage, allowed=("-j", "--json", "-p", "--pretty")):
    """(None, "-j" or "-p", the other arguments)"""
    flags, rest = None, []
    for a in argv:
        if a in allowed:
            if flags != "-p":
                flags = GLOBAL_FLAGS[a]
        elif a.startswith("-") and not a.lstrip("-").isdigit() and a != "-":
            usage_error(usage, "unknown option '%s'" % a)
        else:
            rest.append(a)
    return flags, rest


def _dump_json(obj, flags):
    if flags == "-p":
        return json.dumps(obj, indent=2) + "\n"
    return json.dumps(obj, separators=(",", ":")) + "\n"


class SaveCommand(gdb.Command):
    """Save the raw early_slab_trace buffer to FILE.

Usage: earlyslab save FILE

Writes the buffer's bytes exactly as read from the guest (one bulk read),
for the CLI: earlyslab --raw FILE status
Example: earlyslab save /tmp/trace.bin"""
    USAGE = "earlyslab save FILE"

    def __init__(self):
        super().__init__("earlyslab save", gdb.COMMAND_DATA,
                         gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        argv = _argv(arg, self.USAGE)
        if len(argv) != 1:
            usage_error(self.USAGE, "give one file name" if argv else None)
        path = os.path.expanduser(argv[0])
        trace, cur = engine.current()
        st = trace.status()
        data = target.read_bytes(cur.addr, st.header_size +
                                 st.capacity * st.record_size)
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as e:
            raise gdb.GdbError("earlyslab: save: %s: %s"
                               % (path, e.strerror)) from None
        gdb.write("earlyslab: saved %d bytes of %s (0x%x; %d records, "
                  "head %d) to %s\n" % (len(data), target.SYMBOL,
                                        cur.addr, st.committed, st.head,
                                        path))
        gdb.write("read it with: earlyslab --raw %s status\n" % path)


def _page_state(trace, pfn):
    """The live struct page of @pfn (and of its compound head), as
    libearlyslab reads and decodes it with the kernel's own enums
    (es_read_page())."""
    try:
        mark, _ = trace.kernel_info()
        pg = trace.read_page(pfn)
        head = trace.read_page(pg.head_pfn) if pg.tail else pg
    except libes.LibError as e:
        raise gdb.GdbError("earlyslab: page: %s" % e) from None
    st = {"pfn": pfn, "struct_page": pg.vaddr, "flags": pg.flags,
          "flag_names": _names(pg.flag_names), "refcount": pg.refcount,
          "mapcount": None if pg.typed else pg.mapcount,
          "page_type": pg.type_name.decode() if pg.typed else None,
          "slab_mark": mark, "compound": "none", "head_pfn": pg.head_pfn,
          "order": head.order, "head_flags": head.flags,
          "head_flag_names": _names(head.flag_names), "slab": None}
    if pg.tail:
        st["compound"] = "tail"
    elif pg.head:
        st["compound"] = "head"
    if head.slab:
        st["slab"] = {"cache": head.slab_cache,
                      "name": target.cache_name(head.slab_cache)}
    return st


def _names(raw):
    text = raw.decode(errors="replace")
    return text.split("|") if text else []


def _flags_text(flags, names):
    return "0x%x (%s)" % (flags, "|".join(names) if names else "no flags")


class PageCommand(gdb.Command):
    """A page frame's trace timeline next to its live struct page.

Usage: earlyslab page PFN|ADDR [-j|-p]

PFN is a page frame number; ADDR a kernel virtual address (direct map,
kernel image, or a struct page pointer in vmemmap). Any gdb expression
works: earlyslab page $earlyslab_pfn, earlyslab page obj.
Shows the struct page as libearlyslab reads it (es_read_page()): flags
decoded with the kernel's enum pageflags, refcount, mapcount or the page
type of enum pagetype, compound head/tail and order, the slab cache from
struct slab when the kernel's slab mark is there (PG_slab on 6.1, the
slab page type on 6.12), and `earlyslab timeline PFN` of the trace.
Example: earlyslab page 0x1fecc"""
    USAGE = "earlyslab page PFN|ADDR [-j|-p]"

    def __init__(self):
        super().__init__("earlyslab page", gdb.COMMAND_DATA,
                         gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        flags, rest = _json_flags(_argv(arg, self.USAGE), self.USAGE)
        if len(rest) != 1:
            usage_error(self.USAGE, "give one PFN or address"
                        if rest else None)
        try:
            val = gdb.parse_and_eval(rest[0])
            num = int(val)
        except (gdb.error, ValueError) as e:
            usage_error(self.USAGE, "%s: %s" % (rest[0], e))
        trace, _ = engine.current()
        mm = target.Memmap()
        is_ptr = val.type.strip_typedefs().code == gdb.TYPE_CODE_PTR
        num &= (1 << 64) - 1
        if is_ptr or num >= 0xffff800000000000:
            pfn = mm.to_pfn(num)
            if pfn is None:
                raise gdb.GdbError(
                    "earlyslab: page: 0x%x is not a direct-map, kernel-image "
                    "or struct page address" % num)
        else:
            pfn = num
        if mm.max_pfn and pfn >= mm.max_pfn:
            raise gdb.GdbError(
                "earlyslab: page: pfn 0x%x is beyond max_pfn 0x%x (give a "
                "pfn, not a physical address)" % (pfn, mm.max_pfn))
        st = _page_state(trace, pfn)
        if flags:
            rc, out, err = trace.command(["timeline", "-j", "0x%x" % pfn])
            if rc != 0:
                raise gdb.GdbError(err.strip().splitlines()[0])
            doc = dict(st)
            for k in ("struct_page", "flags", "head_flags"):
                doc[k] = "0x%x" % doc[k]
            if doc["slab"]:
                doc["slab"] = dict(doc["slab"],
                                   cache="0x%x" % doc["slab"]["cache"])
            doc["timeline"] = json.loads(out)
            gdb.write(_dump_json(doc, flags))
            return
        lines = ["pfn 0x%x: struct page 0x%x, phys 0x%x%s"
                 % (pfn, st["struct_page"], pfn << target.PAGE_SHIFT,
                    ", virt 0x%x" % (mm.page_offset +
                                     (pfn << target.PAGE_SHIFT))
                    if mm.page_offset is not None else "")]
        lines.append("  flags     " + _flags_text(st["flags"],
                                                  st["flag_names"]))
        lines.append("  refcount  %d" % st["refcount"])
        if st["page_type"] is not None:
            lines.append("  type      %s" % (st["page_type"] or "unknown"))
        elif st["slab"] is None or st["compound"] == "tail":
            # a 6.1 slab keeps its objects in use in that word
            lines.append("  mapcount  %d" % st["mapcount"])
        if st["compound"] == "head":
            lines.append("  compound  head of an order-%d page" % st["order"])
        elif st["compound"] == "tail":
            lines.append("  compound  tail of pfn 0x%x (order %d), head "
                         "flags %s" % (st["head_pfn"], st["order"],
                                       _flags_text(st["head_flags"],
                                                   st["head_flag_names"])))
        slab = st["slab"]
        if slab:
            lines.append("  slab      cache 0x%x %s"
                         % (slab["cache"], slab["name"] or "(no name)"))
        else:
            lines.append("  slab      no (%s)"
                         % ("PG_slab clear" if st["slab_mark"] == "PG_slab"
                            else "no slab page type"))
        gdb.write("\n".join(lines) + "\ntrace:\n")
        run_library("timeline", ["0x%x" % pfn], None, self.USAGE)


class CrosscheckCommand(gdb.Command):
    """Check the pfns the trace says slab caches own against their struct pages.

Usage: earlyslab crosscheck [-j|-p]

For every slab `earlyslab owners` lists (still owned at the end of the
trace), the live struct pages must agree: the kernel's slab mark on the head page
(PG_slab on 6.1, the slab page type on 6.12, found from the DWARF),
PG_head and compound_head links for order > 0, a non-zero refcount and
struct slab's slab_cache equal to the cache in the trace. Disagreements
are listed one per line; $earlyslab_disagreements holds their number.
Example: earlyslab crosscheck"""
    USAGE = "earlyslab crosscheck [-j|-p]"

    def __init__(self):
        super().__init__("earlyslab crosscheck", gdb.COMMAND_DATA)

    def complete(self, text, word):
        return complete_options({"-j": FLAG, "--json": FLAG, "-p": FLAG,
                                 "--pretty": FLAG}, text, word)

    def invoke(self, arg, from_tty):
        flags, rest = _json_flags(_argv(arg, self.USAGE), self.USAGE)
        if rest:
            usage_error(self.USAGE, "unexpected argument '%s'" % rest[0])
        trace, _ = engine.current()
        try:
            runs = trace.verify_owners()
        except libes.LibError as e:
            raise gdb.GdbError("earlyslab: crosscheck: %s" % e) from None
        problems = []
        pages = 0
        for run, pc in runs:
            pages += 1 << run.order
            if pc is not None:
                problems.append({"pfn": run.pfn, "order": run.order,
                                 "cache": "0x%x" % run.cache,
                                 "name": run.name.decode(errors="replace"),
                                 "problem": pc.detail.decode(
                                     errors="replace")})
        gdb.set_convenience_variable("earlyslab_disagreements",
                                     len(problems))
        if flags:
            gdb.write(_dump_json({"slabs": len(runs), "pages": pages,
                                  "disagreements": problems}, flags))
            return
        if problems:
            gdb.write("%-12s %3s %-16s %-18s %s\n"
                      % ("PFN", "ORD", "CACHE", "KMEM_CACHE", "PROBLEM"))
            for p in problems:
                gdb.write("%-12s %3d %-16s %-18s %s\n"
                          % ("0x%x" % p["pfn"], p["order"], p["name"] or "-",
                             p["cache"], p["problem"]))
        gdb.write("%d slab%s (%d page%s) owned in the trace checked against "
                  "their struct pages: %s\n"
                  % (len(runs), "" if len(runs) == 1 else "s", pages,
                     "" if pages == 1 else "s",
                     "%d disagreement%s" % (len(problems),
                                            "" if len(problems) == 1 else "s")
                     if problems else "no disagreement"))


class BreakCommand(gdb.Command):
    """Stop the guest when a window free or an error-level anomaly is recorded.

Usage: earlyslab break [window|anomaly|off]

window   stop right after the kernel records a slab page freed inside the
         mem_init window (a freepages or large_free event with path
         window)
anomaly  stop right after a recorded event makes `earlyslab check` find a
         new error-level anomaly (window_free, double_free, overlap, ...)
off      remove the breakpoint
Without an argument, show what is armed. The guest stops in est_emit(),
after the record is committed; the event is printed, $earlyslab_seq and
$earlyslab_pfn are set, `bt` shows who freed the page.
Example: earlyslab break window"""
    USAGE = "earlyslab break [window|anomaly|off]"
    MODES = ["window", "anomaly", "off"]

    def __init__(self):
        super().__init__("earlyslab break", gdb.COMMAND_BREAKPOINTS)

    def complete(self, text, word):
        if len(text.split()) > 1 or (text and text[-1].isspace()):
            return gdb.COMPLETE_NONE
        return [m for m in self.MODES if m.startswith(word or "")]

    def invoke(self, arg, from_tty):
        argv = _argv(arg, self.USAGE)
        if len(argv) > 1:
            usage_error(self.USAGE, "unexpected argument '%s'" % argv[1])
        if not argv:
            gdb.write(breaks.describe() + "\n")
            return
        mode = argv[0]
        matches = [m for m in self.MODES if m.startswith(mode)]
        if len(matches) != 1:
            usage_error(self.USAGE, "unknown mode '%s'" % mode)
        mode = matches[0]
        if mode == "off":
            gdb.write(breaks.disarm() + "\n")
            return
        gdb.write(breaks.arm(mode) + "\n")


class WatchCommand(gdb.Command):
    """Print each new trace event as the guest runs, until interrupted.

Usage: earlyslab watch [--count N] [-j|--csv]

Continues the guest and prints every event the kernel records, in the
format of `earlyslab dump` (-j: one JSON object per line), until Ctrl-C,
another breakpoint, or N events (--count N).
Example: earlyslab watch --count 10"""
    USAGE = "earlyslab watch [--count N] [-j|--csv]"
    OPTS = {"--count": None, "-j": FLAG, "--json": FLAG, "--csv": FLAG}

    def __init__(self):
        super().__init__("earlyslab watch", gdb.COMMAND_RUNNING)

    def complete(self, text, word):
        return complete_options(self.OPTS, text, word)

    def invoke(self, arg, from_tty):
        argv = _argv(arg, self.USAGE)
        count, flags, i = None, None, 0
        while i < len(argv):
            a = argv[i]
            if a in ("-j", "--json", "--csv"):
                flags = GLOBAL_FLAGS[a]
            elif a == "--count" or a.startswith("--count="):
                if "=" in a:
                    v = a.split("=", 1)[1]
                elif i + 1 < len(argv):
                    i += 1
                    v = argv[i]
                else:
                    usage_error(self.USAGE, "option '--count' needs a number")
                try:
                    count = int(gdb.parse_and_eval(v))
                except (gdb.error, ValueError):
                    usage_error(self.USAGE, "bad count '%s'" % v)
                if count < 1:
                    usage_error(self.USAGE, "bad count '%s'" % v)
            else:
                usage_error(self.USAGE, "unexpected argument '%s'" % a)
            i += 1
        breaks.watch(count, flags)


GDB_COMMANDS = [SaveCommand, PageCommand, CrosscheckCommand, BreakCommand,
                WatchCommand]


class EarlyslabCommand(gdb.Command):
    """Early slab trace of the kernel: what slab did with page frames in early boot.

Usage: earlyslab [-j|-p|--csv] COMMAND [OPTIONS]

Reads the kernel's early_slab_trace buffer (CONFIG_EARLY_SLAB_TRACE) from
the halted guest with one bulk read and decodes it with libearlyslab.
The data commands are those of the earlyslab(8) tool, with the same
options and the same output:
  status, dump, timeline, owners, check, stats, export
Only in gdb:
  save FILE             the raw buffer, for `earlyslab --raw FILE`
  page PFN|ADDR         a pfn's timeline next to its live struct page
  crosscheck            owned pfns against the slab mark and slab_cache
  break window|anomaly|off   stop when a window free / error is recorded
  watch [--count N]     print new events as the guest runs
The library is $EARLYSLAB_LIB, else $BUILD/lib/libearlyslab.so, else
build/lib/libearlyslab.so of the earlyslab tree (make -C analyzers).
Examples: earlyslab status; earlyslab -j owners; earlyslab check --errors"""

    def __init__(self):
        super().__init__("earlyslab", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND,
                         prefix=True)

    def invoke(self, arg, from_tty):
        argv = _argv(arg, "earlyslab [-j|-p|--csv] COMMAND [OPTIONS]")
        flags = None
        while argv and argv[0] in GLOBAL_FLAGS:
            f = GLOBAL_FLAGS[argv.pop(0)]
            if flags != "-p" or f == "--csv":
                flags = f
        if not argv:
            if flags:
                usage_error("earlyslab [-j|-p|--csv] COMMAND [OPTIONS]",
                            "no command")
            gdb.execute("help earlyslab", from_tty)
            return
        name = argv[0]
        cmds = {c.NAME: c for c in LIBRARY_COMMANDS}
        matches = [n for n in cmds if n.startswith(name)]
        if name in cmds:
            matches = [name]
        if len(matches) == 1:
            c = cmds[matches[0]]
            run_library(c.NAME, argv[1:], flags, "earlyslab " + c.USAGE)
            return
        gdb_only = [n for n in ("save", "page", "crosscheck", "break",
                                "watch") if n.startswith(name)]
        if len(gdb_only) == 1 and not matches:
            opts = [flags] if flags else []
            gdb.execute(" ".join(["earlyslab", gdb_only[0]] +
                                 [shlex.quote(a) for a in argv[1:]] + opts),
                        from_tty)
            return
        usage_error("earlyslab [-j|-p|--csv] COMMAND [OPTIONS]",
                    "unknown command '%s' (status, dump, timeline, owners, "
                    "check, stats, export, save, page, crosscheck, break, "
                    "watch)" % name)


def register():
    cmds = [EarlyslabCommand()]
    cmds += [c() for c in LIBRARY_COMMANDS]
    cmds += [c() for c in GDB_COMMANDS]
    return cmds
