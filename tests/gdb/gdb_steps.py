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

