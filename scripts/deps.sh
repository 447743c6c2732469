#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh GROUP... - install the Debian packages a group of targets needs.
#
# Only packages that dpkg does not list as installed are installed; apt-get
# update runs once, and only when something is missing. Groups:
#   kernel  build the Linux 6.12 and 6.1 kernels from Debian's
#           linux-source-6.12 and linux-source-6.1
#   boot    boot it in QEMU (TCG) with a busybox initramfs, attach gdb
#   tools   build the C tools (tracepoints/, analyzers/)
#   tests   everything the unit tests and the boot tests need
#   all     every group
set -eu

group_pkgs() {
	case "$1" in
	kernel) echo linux-source-6.12 linux-source-6.1 gcc make flex bison bc libelf-dev cpio \
		     xz-utils perl python3 python3-ply python3-git ;;
	boot)   echo qemu-system-x86 busybox-static gdb cpio gzip python3 ;;
	tools)  echo gcc make pkg-config libelf-dev libdw-dev libyajl-dev ;;
	tests)  echo gcc make git pkg-config libcmocka-dev python3 python3-pytest \
		     libelf-dev libdw-dev libyajl-dev clang librsvg2-bin acpica-tools ;;
	all)    for g in kernel boot tools tests; do group_pkgs "$g"; done ;;
	*)      echo "deps: unknown group '$1' (kernel boot tools tests all)" >&2
		return 1 ;;
	esac
}

if [ $# -eq 0 ]; then
	echo "usage: scripts/deps.sh GROUP... (kernel boot tools tests all)" >&2
	exit 2
fi

want=""
for g in "$@"; do
	want="$want $(group_pkgs "$g")" || exit 2
done

missing=""
for p in $(printf '%s\n' $want | sort -u); do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing; run as root (no sudo found)" >&2
	exit 1
fi

echo "deps: installing$missing"
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; then
	echo "deps: apt-get update failed" >&2
	exit 1
fi
# shellcheck disable=SC2086
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
	echo "deps: apt-get install failed for:$missing" >&2
	exit 1
fi
