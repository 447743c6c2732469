#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that the kernel series carries tracepoints/ unchanged.

The ring buffer format and writer are defined once, in tracepoints/. The
series adds them to the kernel as new files, and may change them in later
patches; this script applies the whole series to those files alone
(git apply --include) and compares them byte for byte with tracepoints/.
Exit 0 when they match, 1 with one line per difference otherwise.
"""
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = {
    "include/linux/early_slab_trace.h": "tracepoints/early_slab_trace.h",
    "mm/early_slab_trace.c": "tracepoints/early_slab_trace.c",
}


def series_files(names, tmp):
    """Apply the series, restricted to the files of PAIRS, in TMP with
    git apply (no repository needed; context must match, as with
    patch --fuzz=0). Return {path: (last patch that touched it, text)}."""
    found = {}
    for name in names:
        patch = os.path.join(TOP, "kernel-patch", name)
        args = ["git", "apply"] + [f"--include={k}" for k in PAIRS] + [patch]
        r = subprocess.run(args, cwd=tmp, capture_output=True, text=True,
                           check=False)
        if r.returncode:
            why = (r.stderr.strip().splitlines() or ["git apply failed"])[0]
            raise PatchError(f"{name}: {why}")
        with open(patch, encoding="utf-8") as f:
            text = f.read()
        for kpath in PAIRS:
            if f"+++ b/{kpath}\n" in text:
                found[kpath] = name
    out = {}
    for kpath, name in found.items():
        with open(os.path.join(tmp, kpath), encoding="utf-8") as f:
            out[kpath] = (name, f.read())
    return out


class PatchError(Exception):
    """A patch of the series does not apply to the files it names."""


def main():
    series = os.path.join(TOP, "kernel-patch", "series")
    if not os.path.isfile(series):
        print("check-sync: kernel-patch/series is missing")
        return 1
    with open(series, encoding="utf-8") as f:
        names = [n.strip() for n in f
                 if n.strip() and not n.strip().startswith("#")]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            found = series_files(names, tmp)
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
