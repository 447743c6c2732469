# SPDX-License-Identifier: GPL-2.0-only
"""What the first earlyslab command after a stop costs in gdb, against a
raw read_memory of what it needs (the header and the committed records),
at several fill levels of the buffer.

    python3 bench/gdb_bench.py [--runs N] [--json FILE]

boots build/kernel under QEMU (TCG) through the shared harness
(scripts/esharness), halts it at kmem_cache_init_late and runs, inside
gdb, measure() below. For each fill level the buffer is rewritten to hold
that many committed records (copies of the real ones, renumbered; record
offsets from DWARF), then, interleaved, median of N runs:

  raw           one inferior.read_memory() of the header and the
                committed records: what has to cross the gdb stub
  first status  `earlyslab status` as the first command after a stop
                (everything read from the guest cached so far dropped)
  first dump    `earlyslab dump`, likewise
  again         a second `earlyslab dump` at the same stop (cached)

The original bytes are written back at the end. It also gives, once at
the full buffer, the cost of reading record by record and through
gdb.Value fields, for comparison. Nothing is asserted: these are the
figures of `make bench`; tests/gdb checks what is read, not how fast.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STOP = "kmem_cache_init_late"
FILLS = (0.01, 0.1, 0.25, 0.5, 1.0)     # of the capacity, plus the real one


# ---- inside gdb -------------------------------------------------------------

def _fill(orig, n, layout):
    """A copy of the buffer @orig whose first @n slots are committed
    records (the real ones, repeated and renumbered) and head = n."""
    hs, rs, seq_off, head_off, real = layout
    buf = bytearray(orig)
    for i in range(n):
        src = hs + (i % real) * rs
        r = bytearray(orig[src:src + rs])
        r[seq_off:seq_off + 8] = i.to_bytes(8, "little")
        buf[hs + i * rs: hs + (i + 1) * rs] = r
    buf[head_off:head_off + 8] = n.to_bytes(8, "little")
    return bytes(buf)


def measure(runs=9, values=128):
    """Run in gdb, halted; returns the figures as a dict."""
    import gdb  # pylint: disable=import-error,import-outside-toplevel
    from earlyslab_gdb import target  # pylint: disable=import-outside-toplevel

    inf = gdb.selected_inferior()
    st = json.loads(gdb.execute("earlyslab status -j", to_string=True))
    if st["committed"] != st["slots"] or st["slots"] == 0:
        raise gdb.GdbError("gdb_bench: the guest's buffer has %d slots, %d "
                           "committed: need all committed"
                           % (st["slots"], st["committed"]))
    addr = int(gdb.parse_and_eval("(unsigned long)&early_slab_trace"))
    hs, rs, cap = st["header_size"], st["record_size"], st["capacity"]
    size = hs + cap * rs
    rec = gdb.lookup_type("struct est_record")
    hdr = gdb.lookup_type("struct est_header")
    layout = (hs, rs, rec["seq"].bitpos // 8, hdr["head"].bitpos // 8,
              st["slots"])
    orig = inf.read_memory(addr, size).tobytes()
    levels = sorted({st["slots"]} | {max(1, int(cap * f)) for f in FILLS})
    res = {"capacity": cap, "header_size": hs, "record_size": rs,
           "real_records": st["slots"], "runs": runs, "levels": []}

    def stop():
        """What a stop does to the commands' caches."""
        target.invalidate()

    def cmd(c):
        return lambda: gdb.execute(c, to_string=True)

    try:
        for n in levels:
            inf.write_memory(addr, _fill(orig, n, layout))
            stop()
            gdb.execute("earlyslab dump", to_string=True)     # warm up
            nbytes = hs + n * rs
            fns = {"raw": lambda: inf.read_memory(addr, nbytes).tobytes(),
                   "status": cmd("earlyslab status"),
                   "dump": cmd("earlyslab dump")}
            times = {k: [] for k in list(fns) + ["again"]}
            for _ in range(runs):
                for k, fn in fns.items():
                    stop()
                    t0 = time.perf_counter()
                    fn()
                    times[k].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                gdb.execute("earlyslab dump", to_string=True)
                times["again"].append(time.perf_counter() - t0)
            lv = {"records": n, "bytes": nbytes}
            lv.update({k + "_s": statistics.median(v)
                       for k, v in times.items()})
            res["levels"].append(lv)
        # the full buffer, read the slow ways
        inf.write_memory(addr, _fill(orig, cap, layout))
        t0 = time.perf_counter()
        for i in range(cap):
            inf.read_memory(addr + hs + i * rs, rs).tobytes()
        res["by_record_s"] = time.perf_counter() - t0
        fields = [f.name for f in rec.fields()]
        nval = min(values, cap)
        t0 = time.perf_counter()
        for i in range(nval):
            v = gdb.parse_and_eval("early_slab_trace.rec[%d]" % i)
            for f in fields:
                str(v[f])
        res["by_value_s"] = (time.perf_counter() - t0) * cap / nval
        res["full_raw_s"] = [lv for lv in res["levels"]
                             if lv["records"] == cap][0]["raw_s"]
    finally:
        inf.write_memory(addr, orig)
        stop()
    return res


# ---- the host ---------------------------------------------------------------

def table(res):
    lines = ["earlyslab gdb bench: first command after a stop against a raw "
             "read_memory of header + committed records",
             "(capacity %d records of %d bytes, header %d; median of %d runs)"
             % (res["capacity"], res["record_size"], res["header_size"],
                res["runs"]),
             "(READ = first dump - dump again: what the stop adds to the "
             "command's own cost)",
             "%8s %9s %10s %14s %14s %12s %14s" % ("RECORDS", "BYTES", "RAW",
                                                   "FIRST STATUS",
                                                   "FIRST DUMP", "DUMP AGAIN",
                                                   "READ")]
    for lv in res["levels"]:
        raw = lv["raw_s"]
        rd = lv["dump_s"] - lv["again_s"]
        lines.append("%8d %9d %8.2fms %7.2fms %4.2fx %7.2fms %4.2fx "
                     "%10.2fms %7.2fms %4.2fx"
                     % (lv["records"], lv["bytes"], raw * 1e3,
                        lv["status_s"] * 1e3, lv["status_s"] / raw,
                        lv["dump_s"] * 1e3, lv["dump_s"] / raw,
                        lv["again_s"] * 1e3, rd * 1e3, rd / raw))
    full = res["full_raw_s"]
    lines.append("full buffer read record by record: %.1f ms (%.1fx); "
                 "through gdb.Value fields: %.0f ms (%.0fx)"
                 % (res["by_record_s"] * 1e3, res["by_record_s"] / full,
                    res["by_value_s"] * 1e3, res["by_value_s"] / full))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent / "scripts"))
    import esharness  # pylint: disable=import-outside-toplevel
    try:
        esharness.ensure_tools()
        k = esharness.trace_kernel()
        out = esharness.BUILD / "bench" / "gdb"
        append = esharness.BASE_APPEND + " early_kmalloc_selftest"
        with esharness.Qemu(k, append, out) as guest:
            run = esharness.run_gdb(
                "bench", [{"op": "connect", "required": True},
                          {"op": "stop_at", "key": "stop", "func": STOP,
                           "required": True},
                          {"op": "call", "key": "bench",
                           "file": str(Path(__file__).resolve()),
                           "func": "measure", "args": {"runs": a.runs}}],
                out, k.vmlinux, guest.port, timeout=1800, kill_at_end=True)
    except esharness.BootError as e:
        print("gdb_bench: %s" % e, file=sys.stderr)
        return 1
    res = run.steps.get("bench")
    if run.fatal or not res:
        print("gdb_bench: %s (see %s)" % (run.fatal or "no result",
                                          out / "gdb.log"), file=sys.stderr)
        return 1
    print(table(res))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__" and "gdb" not in sys.modules:
    sys.exit(main())
