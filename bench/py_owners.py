# SPDX-License-Identifier: GPL-2.0-only
"""A straightforward Python decoder of a raw early_slab_trace: the yardstick
`make bench` holds `earlyslab owners` against.

    python3 py_owners.py FILE

One struct.unpack_from() per record, a dict of owners by pfn: the slabs
still owned at the end, as `earlyslab owners` lists them. The layout is
taken from the header (header_size, record_size, capacity, head); the
field offsets of struct est_record are those of early_slab_trace.h.
"""

import struct
import sys

HEADER = struct.Struct("<QHHHHIIqq")
# seq, state, type, phase, order, path, nid_req, nid, cpu, flags, pfn,
# cache, caller, ts, arg, name
RECORD = struct.Struct("<QIBBBBhhHHQQQQQ16s")
COMMITTED = 0x454E4F44
GETPAGES, FREEPAGES = 1, 2


def owners(path):
    with open(path, "rb") as f:
        data = f.read()
    (_magic, _version, header_size, record_size, _flags, capacity, _phase,
     head, _lost) = HEADER.unpack_from(data, 0)
    live = {}
    unpack = RECORD.unpack_from
    for i in range(min(head, capacity)):
        (seq, state, typ, _phase, order, _path, _nid_req, _nid, _cpu, _fl,
         pfn, cache, _caller, _ts, _arg, name) = unpack(
             data, header_size + i * record_size)
        if state != COMMITTED or seq != i:
            continue
        if typ == GETPAGES:
            live[pfn] = (order, cache, name.split(b"\0", 1)[0], seq)
        elif typ == FREEPAGES:
            live.pop(pfn, None)
    return live


def main():
    live = owners(sys.argv[1])
    pages = sum(1 << v[0] for v in live.values())
    print("%d slabs, %d pages" % (len(live), pages))


if __name__ == "__main__":
    main()
