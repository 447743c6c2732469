#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that every kernel series carries tracepoints/ unchanged.

usage: kernel-patch/check-sync.py [SERIES...]   (default: every
kernel-patch/*/series, i.e. 6.1 and 6.12)

The ring buffer format and writer are defined once, in tracepoints/. Each
series (kernel-patch/SERIES/) adds them to the kernel as new files, in
whichever of its patches, and may change them in later patches; this
script applies the whole series to those files alone (git apply
--include) and compares them byte for byte with tracepoints/. Exit 0 when
they match in every series, 1 with one line per difference otherwise.
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


def series_files(sdir, names, tmp):
    """Apply the series, restricted to the files of PAIRS, in TMP with
    git apply (no repository needed; context must match, as with
    patch --fuzz=0). Return {path: (last patch that touched it, text)}."""
    found = {}
    for name in names:
        patch = os.path.join(sdir, name)
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


def check_series(series):
    """Number of differences of kernel-patch/SERIES/ (printed)."""
    rel = f"kernel-patch/{series}"
    sdir = os.path.join(TOP, rel)
    path = os.path.join(sdir, "series")
    if not os.path.isfile(path):
        print(f"check-sync: {rel}/series is missing")
        return 1
    with open(path, encoding="utf-8") as f:
        names = [n.strip() for n in f
                 if n.strip() and not n.strip().startswith("#")]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            found = series_files(sdir, names, tmp)
    except (OSError, UnicodeDecodeError, PatchError) as e:
        print(f"check-sync: {rel}: {e}")
        return 1
    bad = 0
    for kpath, upath in PAIRS.items():
        if kpath not in found:
            print(f"check-sync: no patch in {rel}/series adds {kpath}")
            bad += 1
            continue
        with open(os.path.join(TOP, upath), encoding="utf-8") as f:
            want = f.read()
        if found[kpath][1] != want:
            print(f"check-sync: {rel}: {kpath} after {found[kpath][0]} "
                  f"differs from {upath} (regenerate the series with "
                  "kernel-patch/export.sh)")
            bad += 1
    if not bad:
        print(f"check-sync: {rel}: {len(PAIRS)} files match tracepoints/")
    return bad


def main(argv):
    series = argv or sorted(
        d for d in os.listdir(os.path.join(TOP, "kernel-patch"))
        if os.path.isfile(os.path.join(TOP, "kernel-patch", d, "series")))
    if not series:
        print("check-sync: no kernel-patch/*/series")
        return 1
    bad = sum(check_series(s) for s in series)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
