#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that the kernel series carries tracepoints/ unchanged.

The ring buffer format and writer are defined once, in tracepoints/. The
series adds them to the kernel as new files; this script extracts those
files from the patch and compares them byte for byte with tracepoints/.
Exit 0 when they match, 1 with one line per difference otherwise.
"""
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = {
    "include/linux/early_slab_trace.h": "tracepoints/early_slab_trace.h",
    "mm/early_slab_trace.c": "tracepoints/early_slab_trace.c",
}


def new_files(patch_path):
    """Yield (path, content) for every file the patch creates."""
    with open(patch_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("--- /dev/null") and i + 1 < len(lines) \
                and lines[i + 1].startswith("+++ b/"):
            path = lines[i + 1][len("+++ b/"):]
            i += 2
            body = []
            while i < len(lines) and (lines[i].startswith("@@") or
                                      lines[i].startswith("+")):
                if lines[i].startswith("+"):
                    body.append(lines[i][1:])
                i += 1
            yield path, "\n".join(body) + "\n"
        else:
            i += 1


def main():
    series = os.path.join(TOP, "kernel-patch", "series")
    found = {}
    if not os.path.isfile(series):
        print("check-sync: kernel-patch/series is missing")
        return 1
    with open(series, encoding="utf-8") as f:
        for name in f:
            name = name.strip()
            if not name or name.startswith("#"):
                continue
            for path, body in new_files(os.path.join(TOP, "kernel-patch", name)):
                if path in PAIRS:
                    found[path] = (name, body)
    bad = 0
    for kpath, upath in PAIRS.items():
        if kpath not in found:
            print(f"check-sync: no patch in kernel-patch/series adds {kpath}")
            bad += 1
            continue
        with open(os.path.join(TOP, upath), encoding="utf-8") as f:
            want = f.read()
        if found[kpath][1] != want:
            print(f"check-sync: {found[kpath][0]}: {kpath} differs from {upath}"
                  " (regenerate the series with kernel-patch/export.sh)")
            bad += 1
    if not bad:
        print(f"check-sync: {len(PAIRS)} files of the series match tracepoints/")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
