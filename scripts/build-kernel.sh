#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build-kernel.sh [SERIES] [VARIANT]  build one earlyslab kernel
# build-kernel.sh NAME                 the same, by the kernel's name
# build-kernel.sh [SERIES] --tree      only extract and patch the source
#                                      tree, then print its path
#
# SERIES is a patch series of kernel-patch/: 6.12 (the default, SLUB, on
# Debian's linux-source-6.12) or 6.1 (SLAB, on linux-source-6.1). VARIANT is
# default, debug or kasan (kernel-patch/SERIES/kasan.config must exist). The
# kernel's NAME is SERIES for the default variant, VARIANT-SERIES otherwise:
# 6.12, debug-6.12, kasan-6.12, 6.1, debug-6.1, kasan-6.1.
#
# Steps (one status line each):
#  1. extract /usr/src/linux-source-SERIES.tar.xz to build/src/linux-SERIES
#     and apply kernel-patch/SERIES/series (no fuzz: context must match
#     exactly, offsets are fine), once per (source version, patches);
#  2. tinyconfig + kernel-patch/SERIES/earlyslab.config (+ debug.config or
#     kasan.config) in the kbuild output directory build/kernel-NAME-obj,
#     then verify that every option of the fragments got the requested
#     value (SLUB=y and SLUB_TINY unset on 6.12, among them);
#  3. make bzImage (and the gdb scripts); compiler output goes to
#     build/logs/kernel-NAME.log;
#  4. copy vmlinux and bzImage to build/kernel-NAME and write the VERSION
#     stamp there.
# When the stamp matches the current inputs nothing is done at all. With
# EARLYSLAB_NO_BUILD=1 a kernel that is neither up to date nor in the
# cache is an error instead of a build; with EARLYSLAB_CONFIG_ONLY=1 the
# script stops once the configuration is verified.
#
# Kernel cache: a built kernel is also stored, keyed by its inputs hash,
# in $EARLYSLAB_KERNEL_CACHE (default /var/cache/earlyslab/kernels, or
# ~/.cache/earlyslab/kernels when that is not writable; empty: no cache).
# The inputs are the source package and its version, the series (its
# name, its series file and every patch it names), the fragments and this
# script. Another clone on the same machine with the same inputs copies
# the kernel from there instead of building. The newest
# $EARLYSLAB_KERNEL_CACHE_KEEP (default 18) entries are kept.
#
# The tree is re-extracted whenever the patches change, always at the same
# path so that the kbuild output directory stays valid: files patched by the
# previous series are touched so that kbuild rebuilds what depends on them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/logs
JOBS=${JOBS:-$(nproc)}
SELF=$ROOT/scripts/build-kernel.sh
SERIES_LIST="6.12 6.1"
# kbuild gets its own -j; nothing of an outer make leaks in.
unset MAKEFLAGS MFLAGS MAKELEVEL

usage() {
	echo "usage: scripts/build-kernel.sh [6.12|6.1] [default|debug|kasan|--tree]" \
		"(or a kernel name: 6.12, debug-6.12, kasan-6.12, 6.1, debug-6.1, kasan-6.1)" >&2
	exit 2
}
known_series() { case " $SERIES_LIST " in *" $1 "*) return 0 ;; esac; return 1; }

mode=build series=6.12 cfg=default
case "${1:-}" in
default-*|debug-*|kasan-*)
	[ $# -eq 1 ] || usage
	series=${1#*-} cfg=${1%%-*} ;;
'') ;;
--tree) [ $# -eq 1 ] || usage; cfg=--tree ;;
*)	series=$1 cfg=${2:-default}
	[ $# -le 2 ] || usage ;;
esac
known_series "$series" || {
	echo "kernel: unknown series '$series' (one of: $SERIES_LIST; see kernel-patch/)" >&2
	exit 2
}
case "$cfg" in
default) name=$series; frags="earlyslab.config" ;;
debug|kasan) name=$cfg-$series; frags="earlyslab.config $cfg.config" ;;
--tree) mode=tree; name=tree-$series; frags="" ;;
*) usage ;;
esac

TARBALL=${EARLYSLAB_KSRC_TARBALL:-/usr/src/linux-source-$series.tar.xz}
SRCPKG=linux-source-$series
PATCHDIR=${EARLYSLAB_PATCHDIR:-$ROOT/kernel-patch/$series}
PATCHREL=kernel-patch/$series
SRC=$BUILD/src/linux-$series
OUT=$BUILD/kernel-$name
tag="kernel[$name]"
OBJ=$BUILD/kernel-$name-obj
LOG=$LOGS/kernel-$name.log

say() { echo "$tag: $*"; }
die() { echo "$tag: $*" >&2; exit 1; }
rel() { echo "${1#"$ROOT"/}"; }
sha() { sha256sum "$1" | cut -c1-64; }

[ -d "$PATCHDIR" ] || die "$PATCHREL: no such series directory"
for f in $frags; do
	[ -f "$PATCHDIR/$f" ] ||
		die "$PATCHREL/$f missing: no $cfg kernel for the $series series"
done
[ -f "$TARBALL" ] || die "$TARBALL missing (apt-get install $SRCPKG, or scripts/deps.sh kernel)"
pkgver=$(dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null) ||
	die "$SRCPKG is not installed (scripts/deps.sh kernel)"

# The patches, in series order; a missing or empty series means none.
patches=()
if [ -f "$PATCHDIR/series" ]; then
	while read -r p _ || [ -n "${p:-}" ]; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$PATCHDIR/$p" ] ||
			die "$PATCHREL/series names $p, but $PATCHREL/$p does not exist"
		patches+=("$p")
	done < "$PATCHDIR/series"
fi

tree_manifest() {
	echo "source $SRCPKG $pkgver"
	echo "series $series"
	local p
	for p in ${patches[@]+"${patches[@]}"}; do
		echo "patch $p $(sha "$PATCHDIR/$p")"
	done
}
tree_hash=$(tree_manifest | sha256sum | cut -c1-64)

inputs_manifest() {
	tree_manifest
	echo "config $cfg"
	local f
	if [ -f "$PATCHDIR/series" ]; then
		echo "series-file $(sha "$PATCHDIR/series")"
	fi
	for f in $frags; do
		echo "fragment $f $(sha "$PATCHDIR/$f")"
	done
	echo "script $(sha "$SELF")"
}

mkdir -p "$BUILD/src" "$LOGS"

# Serialise tree changes against builds that use the tree: extraction
# holds the lock exclusively, a build holds it shared.
exec 9>"$BUILD/src/.lock-$series"

prepare_tree() {
	flock -x 9
	if [ -f "$SRC/.earlyslab-tree" ] &&
	   [ "$(cat "$SRC/.earlyslab-tree")" = "$tree_hash" ]; then
		flock -s 9
		return 0
	fi
	say "extracting $SRCPKG $pkgver to $(rel "$SRC")"
	local new=$BUILD/src/.new-$series failed=$SRC-failed
	rm -rf "$new" "$failed"
	mkdir -p "$new"
	tar -xJf "$TARBALL" -C "$new" || die "extracting $TARBALL failed"
	local tree=$new/$SRCPKG plog=$LOGS/kernel-patches-$series.log
	[ -d "$tree" ] || die "$TARBALL has no $SRCPKG/ directory"
	: > "$plog"
	if [ ${#patches[@]} -eq 0 ]; then
		say "no patches ($PATCHREL/series missing or empty)"
	else
		say "applying ${#patches[@]} patch(es) from $PATCHREL/series"
	fi
	local p out rc
	: > "$tree/.earlyslab-patched-files"
	for p in ${patches[@]+"${patches[@]}"}; do
		rc=0
		out=$(cd "$tree" && patch -p1 --forward --batch --fuzz=0 \
			--no-backup-if-mismatch -i "$PATCHDIR/$p" 2>&1) || rc=$?
		printf '== %s (exit %d)\n%s\n' "$p" "$rc" "$out" >> "$plog"
		if [ $rc -ne 0 ]; then
			# "patching file F" followed by "Hunk #N FAILED at L."
			local why
			why=$(printf '%s\n' "$out" | awk '
				/^(patching|checking) file / { f = $3 }
				/^Hunk #[0-9]+ FAILED/ { s = s sep f ": " $0; sep = "; " }
				/^Reversed \(or previously applied\)/ { s = s sep f ": already applied"; sep = "; " }
				/^can.t find file to patch/ { s = s sep $0; sep = "; " }
				END { print s }')
			[ -n "$why" ] || why=$(printf '%s\n' "$out" | grep -v '^$' | tail -n 1)
			mv "$tree" "$failed"
			rm -rf "$new"
			die "patch $PATCHREL/$p does not apply: $why (rejects in $(rel "$failed"), log $(rel "$plog"))"
		fi
		printf '%s\n' "$out" | sed -n 's/^patching file //p' \
			>> "$tree/.earlyslab-patched-files"
	done
	# Files the previous series had patched now differ from what the
	# objects were built from: make them newer than the objects.
	if [ -f "$SRC/.earlyslab-patched-files" ]; then
		local f
		while read -r f; do
			if [ -e "$tree/$f" ]; then touch "$tree/$f"; fi
		done < "$SRC/.earlyslab-patched-files"
	fi
	echo "$tree_hash" > "$tree/.earlyslab-tree"
	rm -rf "$SRC"
	mv "$tree" "$SRC"
	rm -rf "$new"
	flock -s 9
}

if [ $mode = tree ]; then
	prepare_tree
	echo "$SRC"
	exit 0
fi

inputs=$(inputs_manifest | sha256sum | cut -c1-64)
if [ -f "$OUT/VERSION" ] && [ -f "$OUT/vmlinux" ] && [ -f "$OUT/bzImage" ] &&
   grep -qx "inputs=$inputs" "$OUT/VERSION"; then
	say "up to date ($(rel "$OUT"), inputs ${inputs:0:12})"
	exit 0
fi

if [ -n "${EARLYSLAB_KERNEL_CACHE+set}" ]; then
	CACHE=$EARLYSLAB_KERNEL_CACHE
elif mkdir -p /var/cache/earlyslab/kernels 2>/dev/null &&
     [ -w /var/cache/earlyslab/kernels ]; then
	CACHE=/var/cache/earlyslab/kernels
else
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/earlyslab/kernels
fi
KEEP=${EARLYSLAB_KERNEL_CACHE_KEEP:-18}
INSTALLED="vmlinux bzImage System.map config"

# write_version DIR BUILT SECONDS: the VERSION stamp of the kernel in DIR
# (SECONDS: how long its configuration and build took).
write_version() {
	{
		echo "name=$name"
		echo "series=$series"
		echo "config=$cfg"
		echo "source=$SRCPKG $pkgver"
		echo "release=$release"
		echo "patches=${#patches[@]}"
		echo "inputs=$inputs"
		# the kernel's gdb scripts (lx- commands) for this vmlinux
		echo "objdir=$OUT/lx"
		echo "built=$2"
		echo "build_seconds=$3"
		echo
		echo "# inputs is the sha256 of:"
		inputs_manifest | sed 's/^/# /'
	} > "$1/.VERSION.tmp"
	mv "$1/.VERSION.tmp" "$1/VERSION"
}

# A cached build of the same inputs: copy it, do not build.
entry=${CACHE:+$CACHE/$inputs}
if [ -n "$entry" ] && [ -f "$entry/VERSION" ] &&
   grep -qx "inputs=$inputs" "$entry/VERSION"; then
	rm -rf "$OUT"
	mkdir -p "$(dirname "$OUT")"
	tmp=$(mktemp -d "$(dirname "$OUT")/.kernel-$name.XXXXXX")
	cp -r "$entry/." "$tmp/" || die "copying $entry failed"
	release=$(sed -n 's/^release=//p' "$entry/VERSION")
	built=$(sed -n 's/^built=//p' "$entry/VERSION")
	secs=$(sed -n 's/^build_seconds=//p' "$entry/VERSION")
	rm -f "$tmp/VERSION"
	mv "$tmp" "$OUT"
	write_version "$OUT" "$built" "$secs"
	touch "$entry"
	say "from the kernel cache ($entry): $release, inputs ${inputs:0:12}"
	exit 0
fi

# EARLYSLAB_NO_BUILD=1: only what the stamp or the cache has, no kbuild.
if [ -n "${EARLYSLAB_NO_BUILD:-}" ]; then
	die "not up to date and not in the kernel cache (inputs ${inputs:0:12}), and EARLYSLAB_NO_BUILD is set"
fi

start=$(date +%s)
rm -f "$OUT/VERSION"
prepare_tree

# Configuration.
frag_paths=()
for f in $frags; do frag_paths+=("$PATCHDIR/$f"); done
say "configuring: tinyconfig + ${frags// / + } in $(rel "$OBJ")"
mkdir -p "$OBJ"
{
	echo "== $(date -u '+%F %T') configure $name (inputs $inputs)"
	make -C "$SRC" O="$OBJ" tinyconfig &&
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" \
		"${frag_paths[@]}" &&
	make -C "$SRC" O="$OBJ" olddefconfig
} > "$LOG" 2>&1 || {
	echo "$tag: configuration failed, see $(rel "$LOG")" >&2
	tail -n 20 "$LOG" >&2
	exit 1
}

# Every option of the fragments must have the requested value, and so
# must the allocator the series patches, whatever the fragments say
# (tinyconfig picks SLUB_TINY on 6.12, which has no per-CPU slabs and no
# SLUB_DEBUG). Options that the patches introduce may be missing while the
# series is empty.
case "$series" in
6.1) required="SLAB y" ;;
*) required=$(printf 'SLUB y\nSLUB_TINY n') ;;
esac
kconfig_has() {
	grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config $1\$" "$SRC"
}
checked=0 absent=() bad=()
while read -r sym want; do
	checked=$((checked + 1))
	got=$(sed -n "s/^CONFIG_$sym=//p" "$OBJ/.config" | tail -n 1 | sed 's/"//g')
	[ -n "$got" ] || got=n
	[ "$got" = "$want" ] && continue
	if [ ${#patches[@]} -eq 0 ] && [ "$got" = n ] && ! kconfig_has "$sym"; then
		absent+=("CONFIG_$sym")
		continue
	fi
	bad+=("CONFIG_$sym=$want wanted, got $got")
done < <({ cat "${frag_paths[@]}" | sed -nE \
	-e 's/^CONFIG_([A-Za-z0-9_]+)=(.*)$/\1 \2/p' \
	-e 's/^# CONFIG_([A-Za-z0-9_]+) is not set$/\1 n/p' | sed 's/"//g'
	echo "$required"; } |
	# merge_config.sh lets a later fragment override an earlier one:
	# what is wanted is the last value given for each option.
	awk '{ if (!($1 in v)) o[n++] = $1; v[$1] = $2 }
	     END { for (i = 0; i < n; i++) print o[i], v[o[i]] }')
if [ ${#bad[@]} -ne 0 ]; then
	msg=$(printf '%s; ' "${bad[@]}")
	die "config mismatch: ${msg%; } (see $(rel "$OBJ")/.config)"
fi
if [ ${#absent[@]} -ne 0 ]; then
	say "config verified: $checked options, absent while the series is empty: ${absent[*]}"
else
	say "config verified: $checked options"
fi
[ "${EARLYSLAB_CONFIG_ONLY:-}" = 1 ] && exit 0

# Build.
say "building bzImage with -j$JOBS (log: $(rel "$LOG"))"
if ! make -C "$SRC" O="$OBJ" -j"$JOBS" bzImage scripts_gdb >> "$LOG" 2>&1; then
	echo "$tag: build failed, see $(rel "$LOG"); last lines:" >&2
	tail -n 20 "$LOG" >&2
	exit 1
fi

# Install, with a self-contained copy of the kernel's gdb scripts.
rm -rf "$OUT"
mkdir -p "$OUT/lx/scripts/gdb/linux"
for f in vmlinux arch/x86/boot/bzImage System.map .config; do
	b=$(basename "$f"); [ "$b" = .config ] && b=config
	cp "$OBJ/$f" "$OUT/.$b.tmp" && mv "$OUT/.$b.tmp" "$OUT/$b"
done
cp -L "$OBJ/vmlinux-gdb.py" "$OUT/lx/"
cp -L "$OBJ"/scripts/gdb/linux/*.py "$OUT/lx/scripts/gdb/linux/"
release=$(cat "$OBJ/include/config/kernel.release" 2>/dev/null || echo unknown)
secs=$(( $(date +%s) - start ))
write_version "$OUT" "$(date -u '+%FT%TZ')" "$secs"
say "built $release in $secs s: $(rel "$OUT")/{vmlinux,bzImage,VERSION}"

# Store it in the cache (atomically: a copy, then a rename), then prune.
if [ -n "$entry" ] && mkdir -p "$CACHE" 2>/dev/null; then
	tmp=$(mktemp -d "$CACHE/.new.XXXXXX") &&
	cp -r "$OUT/." "$tmp/" &&
	chmod 755 "$tmp" &&
	{ mv -T "$tmp" "$entry" 2>/dev/null || rm -rf "$tmp"; } &&
	say "stored in the kernel cache: $entry" ||
	say "could not store the kernel in $CACHE (not fatal)"
	ls -1dt "$CACHE"/*/ 2>/dev/null | tail -n +$((KEEP + 1)) |
		while read -r old; do rm -rf "$old"; done
fi
