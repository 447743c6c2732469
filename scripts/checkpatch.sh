#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# checkpatch.sh [SERIES...] - run the kernel's scripts/checkpatch.pl
# --strict over every patch of kernel-patch/SERIES/series (default: every
# series, 6.12 and 6.1), one line per patch, with the checkpatch.pl of the
# kernel the series applies to. A patch passes when checkpatch reports no
# ERROR, WARNING or CHECK. Full reports go to
# build/logs/checkpatch-SERIES-PATCH.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/logs
mkdir -p "$LOGS"

# check_series SERIES: 0 when every patch passes.
check_series() {
	local series=$1 rel=kernel-patch/$1
	local dir=$ROOT/$rel
	local patches=() p
	if [ ! -d "$dir" ]; then
		echo "checkpatch: $rel: no such series directory"
		return 1
	fi
	if [ -f "$dir/series" ]; then
		while read -r p _ || [ -n "${p:-}" ]; do
			case "$p" in ''|'#'*) continue ;; esac
			patches+=("$p")
		done < "$dir/series"
	fi
	if [ ${#patches[@]} -eq 0 ]; then
		echo "checkpatch: no patches in $rel/series"
		return 0
	fi

	# The series' own kernel tree, extracted and patched if needed.
	local tree=$BUILD/src/linux-$series out
	if [ ! -x "$tree/scripts/checkpatch.pl" ]; then
		out=$(bash "$ROOT/scripts/build-kernel.sh" "$series" --tree) || {
			printf '%s\n' "$out"
			echo "checkpatch: no $series kernel tree to run checkpatch.pl from" >&2
			return 1
		}
		tree=$(printf '%s\n' "$out" | tail -n 1)
	fi

	local bad=0 log e w c
	for p in "${patches[@]}"; do
		log=$LOGS/checkpatch-$series-$p.log
		if [ ! -f "$dir/$p" ]; then
			echo "checkpatch: $series/$p: missing (named in $rel/series)"
			bad=$((bad + 1))
			continue
		fi
		# checkpatch runs scripts/spdxcheck.py with "python3": Debian's, which
		# has python3-ply and python3-git, not a python3 earlier in $PATH.
		(cd "$tree" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl \
			--strict --color=never "$dir/$p") > "$log" 2>&1 || true
		e=$(grep -c '^ERROR:' "$log" || true)
		w=$(grep -c '^WARNING:' "$log" || true)
		c=$(grep -c '^CHECK:' "$log" || true)
		if grep -q '^Traceback' "$log"; then
			echo "checkpatch: $series/$p: a checkpatch helper script failed (${log#"$ROOT"/})"
			bad=$((bad + 1))
			continue
		fi
		if [ $((e + w + c)) -eq 0 ]; then
			echo "checkpatch: $series/$p: ok"
		else
			echo "checkpatch: $series/$p: $e errors, $w warnings, $c checks (${log#"$ROOT"/})"
			grep -E '^(ERROR|WARNING|CHECK):' "$log" | head -n 5 | sed 's/^/    /'
			bad=$((bad + 1))
		fi
	done
	[ $bad -eq 0 ]
}

[ $# -gt 0 ] || set -- 6.12 6.1
rc=0
for s in "$@"; do
	check_series "$s" || rc=1
done
exit $rc
