#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Regenerate kernel-patch/*.patch and kernel-patch/series from a git tree of
# linux-source-6.1 whose commits BASE..HEAD are the series.
#
# usage: kernel-patch/export.sh KERNEL_TREE BASE
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: $0 KERNEL_TREE BASE" >&2; exit 2; }
tree=$1 base=$2
git -C "$tree" rev-parse --verify -q "$base" >/dev/null ||
	{ echo "export: $tree: no commit $base" >&2; exit 2; }
rm -f "$here"/[0-9][0-9][0-9][0-9]-*.patch
# Blank context lines without their space: checkpatch, handed a patch file
# that git tracks, checks it as a source file and flags the space.
git -C "$tree" -c diff.suppressBlankEmpty=true format-patch -q --no-signature --zero-commit \
	-o "$here" "$base..HEAD"
(cd "$here" && ls [0-9][0-9][0-9][0-9]-*.patch) > "$here/series"
echo "export: $(wc -l < "$here/series") patches written to $here"
