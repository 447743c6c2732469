#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that the kernel series carries tracepoints/ unchanged.

The ring buffer format and writer are defined once, in tracepoints/. The
series adds them to the kernel as new files, and may change them in later
patches; this script rebuilds those files from the whole series and
compares them byte for byte with tracepoints/.
Exit 0 when they match, 1 with one line per difference otherwise.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = {
    "include/linux/early_slab_trace.h": "tracepoints/early_slab_trace.h",
    "mm/early_slab_trace.c": "tracepoints/early_slab_trace.c",
}


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(Exception):
    """A hunk of the series does not apply to the file it names."""


def file_diffs(patch_path):
    """Yield (old path or None, new path, hunks) per file of a patch; a hunk
    is (old start, [(op, text)]) with op one of ' ', '-', '+'."""
    with open(patch_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("--- ") and i + 1 < len(lines)
                and lines[i + 1].startswith("+++ ")):
            i += 1
            continue
        old = lines[i][4:]
        new = lines[i + 1][4:]
        old = None if old == "/dev/null" else old[2:]
        new = new[2:]
        i += 2
        hunks = []
        while i < len(lines):
            m = HUNK.match(lines[i])
            if not m:
                break
            start = int(m.group(1))
            nold = int(m.group(2) or 1)
            nnew = int(m.group(4) or 1)
            i += 1
            body = []
            while i < len(lines) and (nold or nnew):
                line = lines[i]
                op, text = (line[:1] or " "), line[1:]
                if op == "\\":
                    i += 1
                    continue
                if op not in " -+":
                    break
                if op in " -":
                    nold -= 1
                if op in " +":
                    nnew -= 1
                body.append((op, text))
                i += 1
            hunks.append((start, body))
        yield old, new, hunks


def apply_hunks(text, hunks, where):
    """TEXT with HUNKS applied; the context must match exactly (an offset
    is allowed, no fuzz), as with patch --fuzz=0."""
    lines = text.split("\n")[:-1] if text else []
    delta = 0
    for start, body in hunks:
        old = [t for op, t in body if op in " -"]
        new = [t for op, t in body if op in " +"]
        at = max(start - 1 + delta, 0) if old else start + delta
        cands = [at] + [at + d * s for d in range(1, len(lines) + 1)
                        for s in (1, -1)]
        for c in cands:
            if 0 <= c <= len(lines) and lines[c:c + len(old)] == old:
                lines[c:c + len(old)] = new
                delta += len(new) - len(old) + (c - at)
                break
        else:
            raise PatchError(f"{where}: hunk at line {start} does not apply")
    return "".join(line + "\n" for line in lines)


def series_files(names):
    """The content of every file of PAIRS after the whole series, and the
    last patch that touched it: {path: (patch, text)}."""
    found = {}
    for name in names:
        for old, new, hunks in file_diffs(os.path.join(TOP, "kernel-patch",
                                                       name)):
            if new not in PAIRS:
                continue
            base = "" if old is None else found.get(new, (None, None))[1]
            if base is None:
                raise PatchError(f"{name}: changes {new} before any patch "
                                 "of the series adds it")
            found[new] = (name, apply_hunks(base, hunks, f"{name}: {new}"))
    return found


def main():
    series = os.path.join(TOP, "kernel-patch", "series")
    if not os.path.isfile(series):
        print("check-sync: kernel-patch/series is missing")
        return 1
    with open(series, encoding="utf-8") as f:
        names = [n.strip() for n in f
                 if n.strip() and not n.strip().startswith("#")]
    try:
        found = series_files(names)
    except (OSError, PatchError) as e:
        print(f"check-sync: {e}")
        return 1
    bad = 0
    for kpath, upath in PAIRS.items():
        if kpath not in found:
            print(f"check-sync: no patch in kernel-patch/series adds {kpath}")
            bad += 1
            continue
        with open(os.path.join(TOP, upath), encoding="utf-8") as f:
            want = f.read()
        if found[kpath][1] != want:
            print(f"check-sync: {kpath} after {found[kpath][0]} differs "
                  f"from {upath} (regenerate the series with "
                  "kernel-patch/export.sh)")
            bad += 1
    if not bad:
        print(f"check-sync: {len(PAIRS)} files of the series match tracepoints/")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
