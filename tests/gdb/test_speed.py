# SPDX-License-Identifier: GPL-2.0-only
"""`earlyslab dump` of a full buffer costs at most 1.5 times a raw
read_memory of the same bytes in the same session (bench/gdb_bench.py on
a guest halted at kmem_cache_init_late)."""

import json
import os
import subprocess

import pytest

import gdbtest

BUDGET = 1.5


def test_dump_within_budget_of_raw_read():
    bench = gdbtest.ROOT / "bench" / "gdb_bench.py"
    with gdbtest.Guest("speed") as g:
        out = g.outdir / "bench.json"
        env = dict(os.environ, EARLYSLAB_BENCH_PORT=str(g.port),
                   EARLYSLAB_BENCH_STOP="kmem_cache_init_late",
                   EARLYSLAB_BENCH_JSON=str(out))
        r = subprocess.run(["gdb", "-q", "-batch", "-nx",
                            str(g.kernel.vmlinux), "-x", str(bench)],
                           capture_output=True, text=True, env=env,
                           timeout=gdbtest.BOOT_TIMEOUT, check=False,
                           stdin=subprocess.DEVNULL)
    (g.outdir / "bench.log").write_text(r.stdout + r.stderr)
    if not out.is_file():
        pytest.fail("bench wrote no result: %s"
                    % (r.stderr.strip().splitlines() or ["?"])[-1],
                    pytrace=False)
    res = json.loads(out.read_text())
    print("\n" + "\n".join(l for l in r.stdout.splitlines()
                           if l.startswith(("earlyslab gdb bench", "  "))))
    assert res["dump_lines"] == res["capacity"] + 1
    assert res["dump_over_raw"] <= BUDGET, res
    assert res["by_record_s"] > res["raw_read_s"]
