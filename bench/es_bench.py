# SPDX-License-Identifier: GPL-2.0-only
"""Speed and memory of every earlyslab command, in one run, as one table.

    python3 es_bench.py --earlyslab BIN --gen ES_GEN --dir DIR
                        [--sizes 1e5,1e6,1e7] [--frames F]

es_gen writes raw traces of each size over the same F page frames; each
command and output format then reads each one, output to /dev/null. For
every size the table gives events per CPU second (user + system time of
the process, best of --runs; once for a run over 2 s at 1e7, where the
noise is small), then the time ratio of the two largest
sizes (linear is 10x for 1e6 -> 1e7) and the peak resident memory of
each (nothing is mapped from the trace: raw files are read with pread,
so this is anonymous memory plus the binary).
Then `owners` against py_owners.py, a straightforward Python decoder, on
the 1e6-event file, and last every goal with what this run measured and
the ratio of the two (>= 1.00 is met). Nothing is asserted: the numbers
are this machine's, under its load.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))

COMMANDS = [
    ("status", []),
    ("dump", []),
    ("dump", ["-j"]),
    ("dump", ["--csv"]),
    ("timeline", []),
    ("timeline", ["-j"]),
    ("owners", []),
    ("owners", ["-j"]),
    ("check", []),
    ("check", ["-j"]),
    ("stats", []),
    ("stats", ["-j"]),
    ("export", ["--format", "svg", "-o", "/dev/null"]),
    ("export", ["--format", "chrome-trace", "-o", "/dev/null"]),
]


def run(argv):
    """CPU seconds (user + system) and peak RSS (KiB) of one run, output
    discarded. CPU time, not wall time: on a machine shared with other
    work the wall clock measures the neighbours."""
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(argv, stdout=null, stderr=null)
        _, status, ru = os.wait4(p.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit("es_bench: %s exited with %d" % (" ".join(argv), code))
    return max(ru.ru_utime + ru.ru_stime, 1e-3), ru.ru_maxrss


def best(argv, runs):
    times, rss = [], 0
    for _ in range(runs):
        dt, m = run(argv)
        times.append(dt)
        rss = max(rss, m)
    return min(times), rss


def size_name(n):
    e = len(str(n)) - 1
    return "1e%d" % e if n == 10 ** e else str(n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--earlyslab", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--sizes", default="1e5,1e6,1e7")
    ap.add_argument("--frames", type=int, default=65536)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true",
                    help="keep the generated traces")
    args = ap.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    os.makedirs(args.dir, exist_ok=True)

    files = {}
    for n in sizes:
        path = os.path.join(args.dir, "trace-%s.raw" % size_name(n))
        if not os.path.exists(path):
            subprocess.check_call([args.gen, "-n", str(n), "-f",
                                   str(args.frames), "-o", path])
        files[n] = path

    print("earlyslab speed: events per CPU second (user + system) per "
          "command, traces of %s events over %d page frames (es_gen), "
          "best of %d (once for runs over 2 s at 1e7), %d CPUs"
          % (", ".join(size_name(n) for n in sizes), args.frames, args.runs,
             os.cpu_count()))
    hdr = ["command"] + ["%s ev/s" % size_name(n) for n in sizes]
    if len(sizes) >= 2:
        hdr.append("%s/%s time" % (size_name(sizes[-1]),
                                   size_name(sizes[-2])))
    hdr += ["RSS %s" % size_name(n) for n in sizes]
    rows = []
    owners_1e6 = None
    speed, ratio, mem_ratio = {}, {}, {}
    for cmd, opts in COMMANDS:
        name = " ".join([cmd] + [o for o in opts if o not in
                                 ("-o", "/dev/null", "--format")])
        row, times, mems = [name], [], []
        for n in sizes:
            argv = [args.earlyslab, "--raw", files[n], cmd] + opts
            # a run of the slow formats over the largest traces takes
            # seconds, noise is small there: those once, the rest best of
            dt, rss = best(argv, 1)
            if n < 10 ** 7 or dt < 2.0:
                dt2, rss2 = best(argv, args.runs - 1) if args.runs > 1 \
                    else (dt, rss)
                dt, rss = min(dt, dt2), max(rss, rss2)
            times.append(dt)
            mems.append(rss)
            row.append("%.2fM" % (n / dt / 1e6))
            if cmd == "owners" and not opts and n == 10 ** 6:
                owners_1e6 = dt
        speed[name] = sizes[-1] / times[-1]
        if len(sizes) >= 2:
            row.append("%.1fx" % (times[-1] / times[-2]))
            ratio[name] = (times[-1] / times[-2]) / (sizes[-1] / sizes[-2])
            mem_ratio[name] = mems[-1] / mems[-2]
        row += ["%.0f MB" % (m / 1024) for m in mems]
        rows.append(row)
        sys.stderr.write(".")
        sys.stderr.flush()
    sys.stderr.write("\n")

    widths = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(hdr, widths)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) +
              " |")

    goals = []
    big = size_name(sizes[-1])
    for name in ("owners", "check", "stats"):
        if name in speed:
            goals.append(("%s >= 30 M events/s at %s" % (name, big),
                          "%.1f M/s" % (speed[name] / 1e6),
                          speed[name] / 30e6))
    for name in ("dump -j", "timeline -j"):
        if name in speed:
            goals.append(("%s >= 1 M events/s at %s" % (name, big),
                          "%.2f M/s" % (speed[name] / 1e6),
                          speed[name] / 1e6))
    if ratio:
        worst = max(ratio, key=ratio.get)
        r = ratio[worst] * sizes[-1] / sizes[-2]
        goals.append(("every command linear: %s costs <= %.0fx %s"
                      % (big, 1.1 * sizes[-1] / sizes[-2],
                         size_name(sizes[-2])),
                      "worst %s: %.1fx" % (worst, r), 1.1 / ratio[worst]))
        worst = max(mem_ratio, key=mem_ratio.get)
        goals.append(("memory by frames, not events: RSS %s <= 1.25x "
                      "RSS %s (same frames)" % (big, size_name(sizes[-2])),
                      "worst %s: %.2fx" % (worst, mem_ratio[worst]),
                      1.25 / mem_ratio[worst]))
    if owners_1e6:
        py, _ = best([sys.executable, os.path.join(HERE, "py_owners.py"),
                      files[10 ** 6]], args.runs)
        print("owners on 1e6 events: earlyslab %.3f s, py_owners.py %.3f s "
              "(CPU): "
              "%.0fx" % (owners_1e6, py, py / owners_1e6))
        goals.append(("owners >= 50x py_owners.py on 1e6 events",
                      "%.0fx" % (py / owners_1e6), py / owners_1e6 / 50))
    if goals:
        print("goals (ratio: measured / goal, >= 1.00 is met):")
        w = max(len(g[0]) for g in goals)
        for goal, got, r in goals:
            print("  %s  %-22s %.2f%s" % (goal.ljust(w), got, r,
                                          "" if r >= 1 else "  NOT MET"))
    if not args.keep:
        for path in files.values():
            os.unlink(path)


if __name__ == "__main__":
    main()
