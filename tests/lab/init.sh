#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the lab's initramfs: mount the basics and run /lab/run.sh, which
# runs the scenario and reports to the host side (tests/lab/lab.py) on the
# console.  With hostroot=yes the host's root (9p, read-only, tmpfs overlay)
# becomes the root first, as switch_root would make it, so host programs
# (libvirtd, QEMU, our installed tools) run as on a real host.
/bin/busybox --install -s /bin
export PATH=/lab/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /run && mount -t tmpfs tmpfs /run

nonce=$(sed -n 's/.*mkvm.nonce=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
export LAB_MARKER="MKVM-LAB-$nonce"
# A scenario of several stages (# lab: stages=N) boots again after
# lab_next_stage: the stage's number is on the command line.
stage=$(sed -n 's/.*mkvm.stage=\([0-9]*\).*/\1/p' /proc/cmdline)
export LAB_STAGE=${stage:-1}

# Oopses must end the run (oops=panic on the command line); warnings are
# found in the log dump at the end.
echo 1 > /proc/sys/kernel/panic_on_oops

. /lab/lib.sh
if [ "$LAB_HOSTROOT" = yes ]; then
	lab_mount_hostroot /host
	cd /host || exit 1
	mount --move . / || { echo "lab: cannot move the host root to /"; poweroff -f; }
	export PATH=/lab/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	exec chroot . /lab/busybox sh /lab/run.sh
fi
exec sh /lab/run.sh
