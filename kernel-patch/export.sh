#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Regenerate the patches and the series file of one kernel series
# (kernel-patch/6.1/ or kernel-patch/6.12/) from a git tree of the kernel
# source whose commits BASE..HEAD are the series.
#
# usage: kernel-patch/export.sh SERIES KERNEL_TREE BASE
#   SERIES  6.1, 6.12, or the path of a series directory
set -eu
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: $0 SERIES KERNEL_TREE BASE (SERIES: 6.1, 6.12 or a directory)" >&2; exit 2; }
[ $# -eq 3 ] || usage
series=$1 tree=$2 base=$3
case "$series" in
*/*) dir=$series ;;
*) dir=$here/$series ;;
esac
[ -d "$dir" ] || { echo "export: $dir: no such series directory" >&2; exit 2; }
dir=$(cd "$dir" && pwd)
git -C "$tree" rev-parse --verify -q "$base" >/dev/null ||
	{ echo "export: $tree: no commit $base" >&2; exit 2; }
rm -f "$dir"/[0-9][0-9][0-9][0-9]-*.patch
# Blank context lines without their space: checkpatch, handed a patch file
# that git tracks, checks it as a source file and flags the space. A fixed
# abbreviation keeps the index lines stable across trees.
git -C "$tree" -c diff.suppressBlankEmpty=true -c core.abbrev=9 \
	format-patch -q --no-signature --zero-commit \
	-o "$dir" "$base..HEAD"
(cd "$dir" && ls [0-9][0-9][0-9][0-9]-*.patch) > "$dir/series"
echo "export: $(wc -l < "$dir/series") patches written to $dir"
