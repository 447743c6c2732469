#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - what `make demo` runs: the whole journey, on a real boot.
#
#   1. build (or reuse) the default kernel of $SERIES (6.12, the default, or
#      6.1: `make demo SERIES=6.1`), the initramfs and the analyzers;
#   2. boot the kernel in QEMU (TCG, 2 CPUs, 512 MiB) with
#      `early_kmalloc_selftest early_kmalloc_inject=window`, halted, and
#      attach gdb with `source gdb/earlyslab.py`;
#   3. in gdb: run to kmem_cache_init, `earlyslab break window`, continue
#      until the guest frees a slab page inside the mem_init window, show
#      the event, `earlyslab timeline` of its pfn, `earlyslab check`;
#   4. on to kmem_cache_init_late: `monitor dump-guest-memory
#      build/demo/core.elf` (and `earlyslab save build/demo/trace.bin`);
#   5. the earlyslab command on that dump: status, check (exit 1: the
#      injected window free is the error it must find), and the exports
#      build/demo/timeline.svg and build/demo/trace.json;
#   6. the early ACPI probe: boot on QEMU's q35 with
#      `early_acpi_probe`, stop in gdb right after acpi_early_probe()
#      returns to setup_arch() (`hbreak acpi_early_probe`, `finish`), show
#      the probe's marks and `earlyslab stats --cache 'Acpi-*'`, continue to
#      free_initmem (the normal ACPI init is done by then) and check that
#      it reported the root bridge windows the probe read from AML.
#
# Exits 0 when every step showed what it should. QEMU is killed by its PID.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export BUILD=${BUILD:-$ROOT/build}
PYTHON=${PYTHON:-/usr/bin/python3}
SERIES=${SERIES:-6.12}
case "$SERIES" in
6.12|6.1) ;;
*) echo "demo: unknown SERIES '$SERIES' (6.12 or 6.1)" >&2; exit 2 ;;
esac
KERNEL=$SERIES
OUT=$BUILD/demo
APPEND="early_kmalloc_selftest early_kmalloc_inject=window"
TOPOLOGY=smp2
ES=$BUILD/bin/earlyslab

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
die() { echo "demo: $*" >&2; exit 1; }
rel() { echo "${1#"$ROOT"/}"; }

say "1. the $SERIES kernel, initramfs and analyzers (built once, then reused)"
bash scripts/deps.sh kernel boot tools
bash scripts/build-kernel.sh "$SERIES" default
bash scripts/mkinitramfs.sh
mkdir -p "$BUILD/logs"
make -C analyzers all BUILD="$BUILD" > "$BUILD/logs/demo-analyzers.log" 2>&1 ||
	die "building analyzers/ failed: see $(rel "$BUILD/logs/demo-analyzers.log")"
[ -x "$ES" ] || die "$(rel "$ES") missing after make -C analyzers"
echo "analyzers: $(rel "$ES"), $(rel "$BUILD/lib/libearlyslab.so")"

rm -rf "$OUT"
mkdir -p "$OUT"
CORE=$OUT/core.elf
RAW=$OUT/trace.bin
SVG=$OUT/timeline.svg
JSON=$OUT/trace.json

# The gdb session, on the guest halted at its first instruction (QEMU,
# its gdb stub on a free port and gdb come from scripts/esharness through
# esboot.py; QEMU is killed by its PID): each command is printed as
# "(gdb) CMD" with what gdb said.
cat > "$OUT/session.gdb" <<EOF
hbreak kmem_cache_init
continue
delete
earlyslab break window
continue
earlyslab timeline \$earlyslab_pfn
earlyslab check
earlyslab break off
hbreak kmem_cache_init_late
continue
delete
earlyslab status
set remotetimeout 120
monitor dump-guest-memory $CORE
earlyslab save $RAW
EOF
VMLINUX=$BUILD/kernel-$KERNEL/vmlinux

say "2-3. boot halted (TCG, $TOPOLOGY, '... $APPEND'), gdb $(rel "$VMLINUX"): break on the window free, look at it"
"$PYTHON" scripts/esboot.py --kernel "$KERNEL" --topology "$TOPOLOGY" --append "$APPEND" \
	--out "$OUT" --timeout 600 --session "$OUT/session.gdb" |
	tee "$OUT/session.log" || die "the gdb session failed (see $(rel "$OUT/gdb.log"))"

grep -q "earlyslab break window: slab page freed inside the mem_init window" \
	"$OUT/gdb.log" || die "earlyslab break window did not fire (see $(rel "$OUT/gdb.log"))"
[ -s "$CORE" ] || die "QEMU wrote no core to $(rel "$CORE") (see $(rel "$OUT/gdb.log"))"
grep -E 'early_kmalloc:' "$OUT/serial.log" | sed 's/^/  serial: /' || true

say "4. the earlyslab command on the dump taken at kmem_cache_init_late"
echo "core: $(rel "$CORE") ($(stat -c %s "$CORE") bytes); raw buffer: $(rel "$RAW")"
run() { echo; echo "\$ earlyslab $*" | sed "s|$ROOT/||g"; "$ES" "$@"; }
run --vmlinux "$VMLINUX" --core "$CORE" status
rc=0
run --vmlinux "$VMLINUX" --core "$CORE" check || rc=$?
echo "(exit $rc: 1 means an error-level anomaly, here the injected window free)"
[ $rc -eq 1 ] || die "check exited $rc, expected 1 (one window_free)"
errors=$("$ES" --vmlinux "$VMLINUX" --core "$CORE" check --json --errors || true)
"$PYTHON" -c 'import json, sys
a = json.loads(sys.argv[1])["anomalies"]
sys.exit(0 if [x["kind"] for x in a] == ["window_free"] and
         (a[0].get("caller_sym") or "").startswith(
             "early_kmalloc_inject_window_free+") else 1)' "$errors" ||
	die "check did not report exactly one window_free by early_kmalloc_inject_window_free"
run --vmlinux "$VMLINUX" --core "$CORE" export --format svg -o "$SVG"
run --vmlinux "$VMLINUX" --core "$CORE" export --format chrome-trace -o "$JSON"
if [ ! -s "$SVG" ] || [ ! -s "$JSON" ]; then die "an export is missing"; fi

PROBE_OUT=$OUT/acpi-probe
mkdir -p "$PROBE_OUT"
cat > "$PROBE_OUT/session.gdb" <<EOF
hbreak acpi_early_probe
continue
delete
finish
earlyslab dump --type mark
earlyslab stats --cache Acpi-*
earlyslab owners --cache Acpi-*
hbreak free_initmem
continue
delete
earlyslab check
EOF
say "6. the early ACPI probe on q35: gdb right after acpi_early_probe(), then the normal ACPI init"
"$PYTHON" scripts/esboot.py --kernel "$KERNEL" --topology "$TOPOLOGY" \
	--append early_acpi_probe --machine q35 --out "$PROBE_OUT" \
	--timeout 600 --session "$PROBE_OUT/session.gdb" |
	tee "$PROBE_OUT/session.log" ||
	die "the probe's gdb session failed (see $(rel "$PROBE_OUT/gdb.log"))"
# finish: back in setup_arch(), right after the call
grep -A1 -F "(gdb) finish" "$PROBE_OUT/gdb.log" | grep -q "^setup_arch (" ||
	die "gdb did not stop after acpi_early_probe (see $(rel "$PROBE_OUT/gdb.log"))"
grep -q "Acpi-Namespace" "$PROBE_OUT/gdb.log" ||
	die "no Acpi-Namespace pages in earlyslab stats (see $(rel "$PROBE_OUT/gdb.log"))"
grep -E 'early_acpi_probe:|root bus resource' "$PROBE_OUT/serial.log" |
	sed 's/^\[[ 0-9.]*\] //; s/^/  serial: /'
"$PYTHON" - "$PROBE_OUT/serial.log" <<'PY' ||
import re, sys
log = open(sys.argv[1], errors="replace").read()
early = re.findall(r"early_acpi_probe: \\_SB\.PCI0 root bus resource (\[[^\]]*\])", log)
late = re.findall(r"pci_bus 0000:00: root bus resource (\[[^\]]*\])", log)
same = bool(early) and sorted(early) == sorted(late)
print(f"probe: {len(early)} windows from AML in setup_arch(); PCI core after "
      f"the ACPI init: {len(late)}; " + ("the same" if same else "DIFFERENT"))
sys.exit(0 if same else 1)
PY
	die "the probe's windows differ from the root bus resources"

say "done"
echo "SVG timeline (open in a browser):         $(rel "$SVG")"
echo "Perfetto/Chrome trace (ui.perfetto.dev):  $(rel "$JSON")"
echo "guest memory at kmem_cache_init_late:     $(rel "$CORE")" \
	"(earlyslab --vmlinux $(rel "$VMLINUX") --core $(rel "$CORE") COMMAND)"
echo "raw buffer at the same halt:              $(rel "$RAW")" \
	"(earlyslab --raw $(rel "$RAW") COMMAND)"
