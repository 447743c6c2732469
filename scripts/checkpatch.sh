#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# checkpatch.sh - run the kernel's scripts/checkpatch.pl --strict over every
# patch of kernel-patch/series, one line per patch. A patch passes when
# checkpatch reports no ERROR, WARNING or CHECK. Full reports go to
# build/logs/checkpatch-PATCH.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/logs
PATCHDIR=${EARLYSLAB_PATCHDIR:-$ROOT/kernel-patch}
mkdir -p "$LOGS"

patches=()
if [ -f "$PATCHDIR/series" ]; then
	while read -r p _ || [ -n "${p:-}" ]; do
		case "$p" in ''|'#'*) continue ;; esac
		patches+=("$p")
	done < "$PATCHDIR/series"
fi
if [ ${#patches[@]} -eq 0 ]; then
	echo "checkpatch: no patches in kernel-patch/series"
	exit 0
fi

# Any extracted 6.1 tree will do for checkpatch; extract one if needed.
tree=$BUILD/src/linux-6.1
if [ ! -x "$tree/scripts/checkpatch.pl" ]; then
	out=$(bash "$ROOT/scripts/build-kernel.sh" --tree) || {
		printf '%s\n' "$out"
		echo "checkpatch: no kernel tree to run checkpatch.pl from" >&2
		exit 1
	}
	tree=$(printf '%s\n' "$out" | tail -n 1)
fi

bad=0
for p in "${patches[@]}"; do
	log=$LOGS/checkpatch-$p.log
	if [ ! -f "$PATCHDIR/$p" ]; then
		echo "checkpatch: $p: missing (named in kernel-patch/series)"
		bad=$((bad + 1))
		continue
	fi
	# checkpatch runs scripts/spdxcheck.py with "python3": Debian's, which
	# has python3-ply and python3-git, not a python3 earlier in $PATH.
	(cd "$tree" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl \
		--strict --color=never "$PATCHDIR/$p") > "$log" 2>&1 || true
	e=$(grep -c '^ERROR:' "$log" || true)
	w=$(grep -c '^WARNING:' "$log" || true)
	c=$(grep -c '^CHECK:' "$log" || true)
	if grep -q '^Traceback' "$log"; then
		echo "checkpatch: $p: a checkpatch helper script failed (${log#"$ROOT"/})"
		bad=$((bad + 1))
		continue
	fi
	if [ $((e + w + c)) -eq 0 ]; then
		echo "checkpatch: $p: ok"
	else
		echo "checkpatch: $p: $e errors, $w warnings, $c checks (${log#"$ROOT"/})"
		grep -E '^(ERROR|WARNING|CHECK):' "$log" | head -n 5 | sed 's/^/    /'
		bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ]
