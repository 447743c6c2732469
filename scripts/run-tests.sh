#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-tests.sh - what `make test` runs: install the packages, build the
# six kernels (6.12, debug-6.12, kasan-6.12, 6.1, debug-6.1, kasan-6.1;
# each comes from the kernel cache when its inputs are unchanged) and the
# initramfs, then every suite:
#   tracepoints  make -C tracepoints test   (when tracepoints/Makefile exists)
#   analyzers    make -C analyzers test     (when analyzers/Makefile exists;
#                also builds build/bin/earlyslab, which the boots use)
#   patch-sync   kernel-patch/check-sync.py (tracepoints/ in every series)
#   checkpatch   scripts/checkpatch.sh (both series)
#   boot         pytest tests/boot (QEMU boot matrix under gdb)
#   gdb          pytest tests/gdb (the earlyslab gdb commands on real boots)
#   realdump     pytest tests/realdump (the earlyslab command on real
#                dump-guest-memory cores; ~550 MB each, one at a time,
#                deleted at the end)
# Each suite's output is shown and kept in build/logs/test-SUITE.log.
# Counting: cmocka summaries ("[  PASSED  ] N test(s)." / "[  FAILED  ] N
# test(s)") and pytest's final summary are added up; a suite without
# either counts as one test, passed when it exits 0. A suite that exits
# non-zero without reporting a failure adds one failure (so does pytest's
# "no tests ran", exit 5). The last line is "N passed, N failed"; the exit
# status is non-zero when anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
export BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/logs
PYTHON=${PYTHON:-/usr/bin/python3}
mkdir -p "$LOGS"

passed=0
failed=0
table=()

# count NAME RC LOG: add the suite's results to the totals.
count() {
	local name=$1 rc=$2 log=$3 p=0 f=0 found=0 n line
	while IFS= read -r line; do
		if [[ $line =~ ^\[\ \ PASSED\ \ \]\ ([0-9]+)\ test\(s\) ]]; then
			p=$((p + BASH_REMATCH[1])); found=1
		elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ ([0-9]+)\ test\(s\) ]]; then
			f=$((f + BASH_REMATCH[1])); found=1
		elif [[ $line =~ ^=+\ .*\ in\ [0-9.]+s.*=+$ ]]; then
			# pytest: "==== 3 failed, 10 passed, 1 error in 12.3s ===="
			for n in passed failed error errors; do
				if [[ $line =~ ([0-9]+)\ ${n}[,\ ] ]]; then
					case $n in
					passed) p=$((p + BASH_REMATCH[1])) ;;
					*) f=$((f + BASH_REMATCH[1])) ;;
					esac
				fi
			done
			found=1
		fi
	done < "$log"
	if [ $found -eq 0 ]; then
		if [ "$rc" -eq 0 ]; then p=1; else f=1; fi
	elif [ "$rc" -ne 0 ] && [ $f -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	table+=("$(printf '  %-18s %4d ok %4d failed  exit %-3d %s' \
		"$name" "$p" "$f" "$rc" "${log#"$ROOT"/}")")
}

# suite NAME CMD...: run, show and log one suite, then count it.
suite() {
	local name=$1 log=$LOGS/test-$1.log rc t0
	shift
	echo "=== $name: $*"
	t0=$(date +%s)
	"$@" < /dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	echo "=== $name: exit $rc after $(( $(date +%s) - t0 )) s"
	count "$name" "$rc" "$log"
}

finish() {
	echo "=== summary"
	printf '%s\n' "${table[@]}"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

suite deps bash scripts/deps.sh kernel boot tools tests
if [ $failed -ne 0 ]; then
	finish
fi

for k in 6.12 debug-6.12 kasan-6.12 6.1 debug-6.1 kasan-6.1; do
	suite "kernel-$k" bash scripts/build-kernel.sh "$k"
done
suite initramfs bash scripts/mkinitramfs.sh

if [ -f tracepoints/Makefile ]; then
	suite tracepoints make -C tracepoints test BUILD="$BUILD/tracepoints"
fi
if [ -f analyzers/Makefile ]; then
	suite analyzers make -C analyzers test BUILD="$BUILD"
fi
suite patch-sync "$PYTHON" kernel-patch/check-sync.py
suite checkpatch bash scripts/checkpatch.sh
suite boot "$PYTHON" -m pytest -p no:cacheprovider -v -s -rfE tests/boot
suite gdb "$PYTHON" -m pytest -p no:cacheprovider -v -s -rfE tests/gdb
suite realdump "$PYTHON" -m pytest -p no:cacheprovider -v -s -rfE tests/realdump

finish
