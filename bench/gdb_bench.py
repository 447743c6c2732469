# SPDX-License-Identifier: GPL-2.0-only
"""Cost of `earlyslab dump` against reading the buffer raw, in one gdb session.

Run by gdb in batch mode against a halted guest:

    gdb -q -batch -nx vmlinux -ex 'target remote :PORT' -x bench/gdb_bench.py

or let the script attach and halt on its own:

    EARLYSLAB_BENCH_PORT=PORT EARLYSLAB_BENCH_STOP=kmem_cache_init_late \\
        gdb -q -batch -nx vmlinux -x bench/gdb_bench.py

The buffer is first filled to capacity (every slot a committed copy of a
real record, renumbered: record offsets come from DWARF), so that all
`capacity` records are decoded and printed; the original bytes are
written back at the end. Then, each the median of EARLYSLAB_BENCH_RUNS
runs (default 15), interleaved:

  raw read      one inferior.read_memory() of the whole buffer
  dump          `earlyslab dump` (text), the buffer read afresh each run;
                library loaded and vmlinux symbols warmed beforehand
  dump -j       the same with JSON output
  by record     one read_memory() per record (capacity reads)
  by gdb.Value  early_slab_trace.rec[i] fields through gdb.Value, timed on
                EARLYSLAB_BENCH_VALUES records (default 256), scaled

EARLYSLAB_BENCH_JSON=FILE also writes the numbers as JSON. Nothing is
asserted here; tests/gdb checks the 1.5x budget.
"""

import json
import os
import statistics
import time

import gdb  # pylint: disable=import-error

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
RUNS = int(os.environ.get("EARLYSLAB_BENCH_RUNS", "15"))
VALUES = int(os.environ.get("EARLYSLAB_BENCH_VALUES", "256"))
EST_STATE_COMMITTED = 0x454e4f44    # "DONE", tracepoints/early_slab_trace.h


def out(msg):
    gdb.write(msg + "\n")
    gdb.flush()


def median_time(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def attach():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    inf = gdb.selected_inferior()
    if inf.pid == 0:
        port = os.environ.get("EARLYSLAB_BENCH_PORT")
        if not port:
            raise gdb.GdbError("gdb_bench: not connected: use -ex 'target "
                               "remote :PORT' or EARLYSLAB_BENCH_PORT")
        last = None
        for _ in range(100):
            try:
                gdb.execute("target remote 127.0.0.1:%s" % port)
                break
            except gdb.error as e:
                last = e
                time.sleep(0.1)
        else:
            raise gdb.GdbError("gdb_bench: cannot connect: %s" % last)
    stop = os.environ.get("EARLYSLAB_BENCH_STOP")
    if stop:
        gdb.execute("hbreak %s" % stop)
        gdb.execute("continue")
        gdb.execute("delete")


def fill(addr, orig, hs, rs, cap):
    """A full buffer made of the committed records of @orig."""
    rec = gdb.lookup_type("struct est_record")
    hdr = gdb.lookup_type("struct est_header")
    seq_off = rec["seq"].bitpos // 8
    state_off = rec["state"].bitpos // 8
    head_off = hdr["head"].bitpos // 8
    committed = EST_STATE_COMMITTED
    n = int.from_bytes(orig[head_off:head_off + 8], "little")
    n = min(n, cap)
    recs = [orig[hs + i * rs: hs + (i + 1) * rs] for i in range(n)]
    recs = [r for r in recs
            if int.from_bytes(r[state_off:state_off + 4], "little") ==
            committed]
    if not recs:
        raise gdb.GdbError("gdb_bench: no committed record to copy")
    buf = bytearray(orig)
    for i in range(cap):
        r = bytearray(recs[i % len(recs)])
        r[seq_off:seq_off + 8] = i.to_bytes(8, "little")
        buf[hs + i * rs: hs + (i + 1) * rs] = r
    buf[head_off:head_off + 8] = cap.to_bytes(8, "little")
    return bytes(buf), len(recs)


def main():
    gdb.execute("source %s" % os.path.join(ROOT, "gdb", "earlyslab.py"))
    attach()
    from earlyslab_gdb import target  # pylint: disable=import-outside-toplevel
    inf = gdb.selected_inferior()
    snap = target.snapshot(fresh=True)
    addr, size = snap.addr, len(snap.data)
    h = snap.header
    hs, rs, cap = h.header_size, h.record_size, h.capacity
    orig = snap.data
    full, distinct = fill(addr, orig, hs, rs, cap)
    inf.write_memory(addr, full)
    res = {"buffer_bytes": size, "capacity": cap, "record_size": rs,
           "records_in_guest": h.slots, "distinct_records_copied": distinct,
           "runs": RUNS}
    try:
        # warm up: library, vmlinux symbols, the code paths
        gdb.execute("earlyslab dump", to_string=True)
        gdb.execute("earlyslab dump -j", to_string=True)
        text = gdb.execute("earlyslab dump", to_string=True)
        res["dump_lines"] = text.count("\n")

        def raw():
            inf.read_memory(addr, size).tobytes()

        def dump(args=""):
            target.drop_cache()
            gdb.execute("earlyslab dump" + args, to_string=True)

        # interleaved, so that a busy host slows all three alike
        times = {"raw": [], "dump": [], "json": []}
        for _ in range(RUNS):
            for key, fn in (("raw", raw), ("dump", dump),
                            ("json", lambda: dump(" -j"))):
                t0 = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - t0)
        res["raw_read_s"] = statistics.median(times["raw"])
        res["dump_s"] = statistics.median(times["dump"])
        res["dump_json_s"] = statistics.median(times["json"])

        def by_record():
            for i in range(cap):
                inf.read_memory(addr + hs + i * rs, rs).tobytes()
        res["by_record_s"] = median_time(by_record, max(1, min(RUNS, 3)))

        fields = [f.name for f in gdb.lookup_type("struct est_record").fields()]
        nval = min(VALUES, cap)

        def by_value():
            for i in range(nval):
                v = gdb.parse_and_eval("early_slab_trace.rec[%d]" % i)
                for f in fields:
                    str(v[f])
        t = median_time(by_value, max(1, min(RUNS, 3)))
        res["by_value_s"] = t * cap / nval
        res["by_value_measured_records"] = nval
    finally:
        inf.write_memory(addr, orig)
        target.drop_cache()

    res["dump_over_raw"] = res["dump_s"] / res["raw_read_s"]
    res["dump_json_over_raw"] = res["dump_json_s"] / res["raw_read_s"]
    out("earlyslab gdb bench: buffer %d bytes, %d records of %d bytes "
        "(filled from %d real records), median of %d runs"
        % (size, cap, rs, distinct, RUNS))
    rows = [("raw read_memory of the buffer", res["raw_read_s"], 1.0),
            ("earlyslab dump", res["dump_s"], res["dump_over_raw"]),
            ("earlyslab dump -j", res["dump_json_s"],
             res["dump_json_over_raw"]),
            ("read_memory record by record", res["by_record_s"],
             res["by_record_s"] / res["raw_read_s"]),
            ("gdb.Value record by record (scaled)", res["by_value_s"],
             res["by_value_s"] / res["raw_read_s"])]
    for name, secs, ratio in rows:
        out("  %-38s %9.1f ms  %6.2fx raw" % (name, secs * 1e3, ratio))
    path = os.environ.get("EARLYSLAB_BENCH_JSON")
    if path:
        with open(path, "w") as f:
            json.dump(res, f, indent=1)


main()
