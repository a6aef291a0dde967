#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the lab's initramfs: mount the basics, run /lab/scenario.sh, dump
# the kernel log and report the result with the run's unique marker, then
# power off.  The host side (tests/lab/lab.py) reads the console.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /run && mount -t tmpfs tmpfs /run

nonce=$(sed -n 's/.*mkvm.nonce=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
marker="MKVM-LAB-$nonce"
export LAB_MARKER="$marker"

# Oopses must end the run (oops=panic on the command line); warnings are
# found in the log dump below.
echo 1 > /proc/sys/kernel/panic_on_oops

. /lab/lib.sh

echo "$marker: BEGIN $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
cd /lab && sh /lab/scenario.sh
rc=$?
cd /
# Give background kernel work (deferred frees, workqueues) a moment to
# report anything before the log is taken.
sleep 0.2
echo "$marker: DMESG-BEGIN"
dmesg
echo "$marker: DMESG-END"
echo "$marker: RESULT $rc"
sync
poweroff -f
