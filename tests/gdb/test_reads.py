# SPDX-License-Identifier: GPL-2.0-only
"""The gdb commands read only what is there: the first data command
after a stop reads the header and the committed records, nothing more,
and the commands after it at the same stop read nothing. Counted in
bytes that crossed the gdb stub (the library's reader), not timed: the
time it takes is bench/gdb_bench.py's."""

import pytest

import gdbtest

STOPS = {"early": "kmem_cache_init", "late": "kmem_cache_init_late"}

_runs = {}


def run():
    k = gdbtest.current()
    if k not in _runs:
        steps = []
        for name, func in STOPS.items():
            steps += [{"op": "stop_at", "key": name + ":stop", "func": func,
                       "required": True},
                      gdbtest.call_step(name, "first_read")]
        _runs[k] = gdbtest.run_plan("reads", steps, lx=False)
    _run = _runs[k]
    if _run.result.get("fatal"):
        pytest.fail("gdb driver: %s (see %s)" % (_run.result["fatal"],
                                                 _run.outdir / "gdb.log"),
                    pytrace=False)
    return _run


@pytest.mark.parametrize("stop", STOPS)
def test_first_command_reads_header_and_committed_records(stop):
    r = run().step(stop)
    st = r["status"]
    hs, rs, addr = st["header_size"], st["record_size"], r["addr"]
    (_, reads, nbytes), (_, reads2, nbytes2) = r["reads"]
    assert st["slots"] > 0
    inside = [(a - addr, n) for a, n in r["ranges"]
              if addr <= a < addr + r["sizeof"]]
    need = hs + st["slots"] * rs
    # of the trace: the header and the committed records, in at most two
    # reads that follow each other (the header's read may fetch the
    # records the last stop had and a few more, the readahead)
    assert inside and inside[0][0] == 0 and len(inside) <= 2, r
    ends = [o + n for o, n in inside]
    assert all(inside[i + 1][0] == ends[i] for i in range(len(inside) - 1))
    assert need <= ends[-1] <= need + r["readahead"] * rs, r
    assert need < r["sizeof"]
    # beside it only the library's check that this is the vmlinux's
    # build (its build id note), once per connection
    others = [n for a, n in r["ranges"] if not addr <= a < addr + r["sizeof"]]
    assert len(others) <= 1 and sum(others) < rs, r
    # the next command at the same stop reads nothing again
    assert (reads2, nbytes2) == (reads, nbytes), r
