# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers for lab scenarios (sourced by /init inside the lab guest and by
# every scenario).  A scenario is a busybox sh script; it fails by exiting
# non-zero.  Kernel log, markers and verdicts are the harness's business.

LAB_MODDIR=/lib/modules/$(uname -r)
# LAB_TOP, LAB_BUILD_DIR, LAB_KMOD_DIR: host paths of the repository, the
# build directory and our modules (reachable under $LAB_ROOT after lab_hostroot)
[ -f /lab/env ] && . /lab/env

# step "text": a readable step line in the console output
step() {
	echo "== $*"
}

# die "text": fail the scenario with one line
die() {
	echo "FAIL: $*"
	exit 1
}

# check "description" command...: run a command, fail the scenario if it fails
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		die "$what (command: $*)"
	fi
}

# expect_fail "description" command...: the command must fail
expect_fail() {
	local what=$1
	shift
	if "$@"; then
		die "$what: command unexpectedly succeeded (command: $*)"
	else
		echo "ok: $what"
	fi
}

# lab_load MODULE [PARAM=VALUE...]: load a module and its dependencies
lab_load() {
	modprobe "$@" || die "cannot load module $1"
}

# lab_unload MODULE: remove a module
lab_unload() {
	rmmod "$1" || die "cannot remove module $1"
}

# lab_hostroot: mount the host's root (9p, read-only) with a tmpfs overlay
# at /host and prepare it to chroot into (proc, sys, dev, run, tmp and this
# kernel's modules bound in).  Afterwards run host programs with hostrun.
LAB_ROOT=/host
lab_hostroot() {
	local m
	for m in netfs 9pnet 9pnet_virtio 9p overlay; do
		modprobe "$m" || die "cannot load $m for the host root"
	done
	mkdir -p /mnt/lower /mnt/rw "$LAB_ROOT"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose \
		hostroot /mnt/lower || die "cannot mount the host root over 9p"
	mount -t tmpfs -o size=1G tmpfs /mnt/rw
	mkdir -p /mnt/rw/upper /mnt/rw/work
	mount -t overlay overlay \
		-o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work \
		"$LAB_ROOT" || die "cannot mount the overlay on the host root"
	mount -t proc proc "$LAB_ROOT/proc"
	mount -t sysfs sysfs "$LAB_ROOT/sys"
	mount -t devtmpfs devtmpfs "$LAB_ROOT/dev"
	mkdir -p "$LAB_ROOT/dev/pts" "$LAB_ROOT/dev/shm"
	mount -t devpts devpts "$LAB_ROOT/dev/pts"
	mount -t tmpfs tmpfs "$LAB_ROOT/dev/shm"
	mount -t tmpfs tmpfs "$LAB_ROOT/run"
	mount -t tmpfs tmpfs "$LAB_ROOT/tmp"
	mount -t cgroup2 cgroup2 "$LAB_ROOT/sys/fs/cgroup" 2>/dev/null
	mount -t debugfs debugfs "$LAB_ROOT/sys/kernel/debug" 2>/dev/null
	mkdir -p "$LAB_ROOT$LAB_MODDIR"
	mount --bind "$LAB_MODDIR" "$LAB_ROOT$LAB_MODDIR"
	echo "ok: host root mounted at $LAB_ROOT"
}

# hostrun command...: run a host program inside the host root
hostrun() {
	chroot "$LAB_ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C "$@"
}
