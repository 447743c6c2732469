#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the earlyslab test initramfs (busybox sh).
# Prints "earlyslab-init: ..." with what userspace sees, then the marker
# line EARLYSLAB-INIT-OK, then powers off. With earlyslab.hold=1 on the
# kernel command line it sleeps forever after the marker instead.
PATH=/bin:/sbin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

cpus=$(grep -c '^processor' /proc/cpuinfo)
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
memtotal=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
echo "earlyslab-init: cpus=$cpus nodes=$nodes memtotal_kb=$memtotal release=$(uname -r)"

# The self-test's last line comes from a work item once init memory is
# freed: give it up to 10 s to appear before the marker.
case " $(cat /proc/cmdline) " in
*" early_kmalloc_selftest "*)
	i=0
	while [ $i -lt 100 ] && ! dmesg | grep -q "selftest after init"; do
		sleep 0.1
		i=$((i + 1))
	done
	;;
esac

# A test may append a second cpio archive with a script to run here.
if [ -x /earlyslab-test/run ]; then
	/earlyslab-test/run
fi
echo "EARLYSLAB-INIT-OK"

case " $(cat /proc/cmdline) " in
*" earlyslab.hold=1 "*)
	while :; do sleep 3600; done
	;;
esac
poweroff -f
