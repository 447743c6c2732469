#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkinitramfs.sh - build build/initramfs.cpio.gz: busybox-static and a tiny
# /init (scripts/initramfs-init.sh) that mounts proc, sysfs and devtmpfs,
# prints one summary line and the marker EARLYSLAB-INIT-OK on the console,
# then powers off (or, with earlyslab.hold=1 on the kernel command line,
# sleeps forever so that a debugger can look at a running system).
# Rebuilt only when busybox, /init or this script change.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=$BUILD/initramfs.cpio.gz
INIT=$ROOT/scripts/initramfs-init.sh
BUSYBOX=${BUSYBOX:-/bin/busybox}
tag=initramfs

die() { echo "$tag: $*" >&2; exit 1; }

[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
# the whole list first: grep -q leaving early would fail the pipe (pipefail)
applets=$("$BUSYBOX" --list 2>/dev/null) || applets=
if ! grep -qx poweroff <<<"$applets"; then
	die "$BUSYBOX has no poweroff applet"
fi
if LC_ALL=C readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'INTERP'; then
	die "$BUSYBOX is dynamically linked (install busybox-static)"
fi

stamp=$( { sha256sum "$BUSYBOX" "$INIT" "$ROOT/scripts/mkinitramfs.sh" | cut -c1-64; } |
	sha256sum | cut -c1-64)
if [ -f "$OUT" ] && [ -f "$OUT.stamp" ] && [ "$(cat "$OUT.stamp")" = "$stamp" ]; then
	echo "$tag: up to date (${OUT#"$ROOT"/})"
	exit 0
fi

mkdir -p "$BUILD"
stage=$(mktemp -d "$BUILD/.initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,root}
cp "$BUSYBOX" "$stage/bin/busybox"
for applet in $applets; do
	[ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$INIT" "$stage/init"
# Make the archive depend on its contents only.
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$stamp" > "$OUT.stamp"
echo "$tag: built ${OUT#"$ROOT"/} ($(stat -c %s "$OUT") bytes)"
