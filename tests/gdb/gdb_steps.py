# SPDX-License-Identifier: GPL-2.0-only
"""Steps of the gdb tests that need Python inside gdb; run by the
harness's driver ({"op": "call", "file": this file, "func": NAME})."""

import json

import gdb  # pylint: disable=import-error


def _run(cmd):
    rec = {"cmd": cmd, "out": "", "error": None}
    try:
        rec["out"] = gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        rec["error"] = str(e)
    return rec


def owner_page():
    """`earlyslab page` of the first owned pfn (text and -j), and of its
    tail page for an order > 0 slab."""
    rec = _run("earlyslab owners -j")
    owners = json.loads(rec["out"]) if rec["error"] is None else []
    if not owners:
        return {"error": "no owner", "owners": rec}
    pfn = owners[0]["pfn"]
    return {"pfn": pfn, "owner": owners[0],
            "text": _run("earlyslab page 0x%x" % pfn),
            "json": _run("earlyslab page 0x%x -j" % pfn),
            "tail": _run("earlyslab page 0x%x" % (pfn + 1))
            if owners[0]["order"] else None}



def first_read(commands=("earlyslab status", "earlyslab dump")):
    """What the first data command after a stop and the ones after it
    read from the guest: [(command, reads, bytes)], with the status."""
    from earlyslab_gdb import target  # pylint: disable=import-outside-toplevel
    from earlyslab_gdb.engine import engine  # pylint: disable=import-outside-toplevel
    target.invalidate()
    out = []
    for c in commands:
        _run(c)
        r = engine.current()[1].reader
        out.append([c, r.reads, r.bytes])
    return {"reads": out, "ranges": engine.current()[1].reader.ranges,
            "addr": engine.current()[1].addr,
            "readahead": target.GuestReader.READAHEAD_RECORDS,
            "status": json.loads(_run("earlyslab status -j")["out"]),
            "sizeof": int(gdb.parse_and_eval("sizeof(early_slab_trace)")),
            "error": None}
