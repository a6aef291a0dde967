#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# harness.sh TEST_SCRIPT [ARGS...]
#
# Runs TEST_SCRIPT against a real virtlogd + libvirtd started inside a private
# mount namespace, so the host's configuration is never touched:
#   - /etc and /run get a tmpfs-backed overlay (writes such as /etc/multikvm,
#     /run/multikvm land in a temporary upper layer);
#   - /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
#     /var/log/libvirt are empty tmpfs;
#   - /dev gets an overlay too (tmpfs upper; /dev/pts, /dev/shm... moved on
#     top), so nodes are made and changed where libvirt and the hook look
#     for them without touching the host's /dev: /dev/kvm with group kvm,
#     mode 0660 (what Debian's udev rule does), and extra "instances"
#     /dev/kvm7, /dev/kvm8, ..., more nodes of the same device (10:232),
#     declared statically in the test's policy.xml.  libvirt gives each
#     QEMU a private /dev with fresh nodes of these, as on a real host;
#   - qemu.conf lists /dev/kvm and the extra nodes in cgroup_device_acl;
#   - multikvm-hook is installed as /etc/libvirt/hooks/qemu.d/multikvm.
# libvirtd runs under a child subreaper so destroyed QEMUs are reaped at once.
# Everything lives in the namespace and disappears when the test ends.
#
# Environment: MULTIKVM_BUILD_DIR (meson build dir, required),
#              MKVM_EXTRA_NODES (default "7 8 9": makes /dev/kvm7...),
#              MKVM_NO_HOOK=1 (do not install the hook).
# The test script sees: MKVM_T (scratch dir), MKVM_DEV (/dev, where the extra
# nodes are),
# MKVM_HOOK, MKVM_WRAPPER, MKVM_SUBREAPER, MKVM_CLI, MKVM_PAYLOAD (tick payload),
# MKVM_CONFINED_OPEN (tests/integration/confined-open.c), and can
# source $MKVM_LIB (tests/integration/lib.sh) for helpers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${MULTIKVM_BUILD_DIR:?set MULTIKVM_BUILD_DIR to the meson build dir}"

if [ $# -lt 1 ]; then
	echo "usage: harness.sh TEST_SCRIPT [ARGS...]" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root; skipping" >&2
	exit 77
fi
for p in virsh libvirtd virtlogd qemu-system-x86_64 unshare; do
	if ! command -v "$p" >/dev/null; then
		echo "integration: $p not installed (run scripts/setup); skipping" >&2
		exit 77
	fi
done
if [ ! -c /dev/kvm ]; then
	echo "integration: no /dev/kvm; skipping" >&2
	exit 77
fi

# What the host must still look like afterwards.
host_state() {
	stat -c '%n %a %U %G %t:%T %i' /dev/kvm*
	find /etc/libvirt /etc/multikvm /run/multikvm /run/libvirt /var/lib/libvirt \
		/var/cache/libvirt -printf '%p %s %T@\n' 2>/dev/null | sort || true
	# divert.sh diverts QEMU in the namespace only
	stat -c '%n %i %s %a %Y %Z' /usr/bin/qemu-system-x86_64* /var/lib/dpkg/diversions 2>&1
	sha256sum /usr/bin/qemu-system-x86_64 /var/lib/dpkg/diversions 2>&1
}
if [ -z "${MKVM_IN_NS:-}" ]; then
	# libvirt's cgroups (machine/qemu-ID-NAME...) are host-wide: two harness
	# runs (say, two build trees) must not start same-named domains at once.
	exec 9>/tmp/multikvm-integration.lock
	flock 9
	before=$(host_state)
	rc=0
	unshare -m --propagation private env MKVM_IN_NS=1 "$0" "$@" 9>&- || rc=$?
	after=$(host_state)
	if [ "$after" != "$before" ]; then
		echo "FAIL - the host's libvirt/multikvm configuration or kvm nodes changed:"
		# (files, not <(...): the lab's /dev has no /dev/fd)
		d=$(mktemp -d)
		echo "$before" > "$d/before"; echo "$after" > "$d/after"
		diff "$d/before" "$d/after" | head -20
		rm -r "$d"
		exit 1
	fi
	echo "# host configuration untouched"
	exit $rc
fi

T=$(mktemp -d /tmp/mkvm-it.XXXXXX)
mount -t tmpfs -o mode=0755 mkvm-it "$T"
export MKVM_T=$T

cleanup() {
	local rc=$?
	set +e
	if [ -n "${MKVM_KEEP_LOGS:-}" ]; then
		cp -a "$T/log" "$MKVM_KEEP_LOGS" 2>/dev/null
	fi
	# Stop every domain, then the daemons.
	for d in $(virsh -q list --name 2>/dev/null); do
		virsh -q destroy "$d" >/dev/null 2>&1
	done
	for f in "$T"/libvirtd.pid "$T"/virtlogd.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for i in $(seq 50); do
		[ -s "$T/libvirtd.pid" ] && kill -0 "$(cat "$T/libvirtd.pid" 2>/dev/null)" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "${reaper:-}" ]; then
		wait "$reaper" 2>/dev/null
	fi
	cd /
	umount -l /etc /run /dev 2>/dev/null
	umount -l "$T" 2>/dev/null
	rmdir "$T" 2>/dev/null
	exit $rc
}
trap cleanup EXIT

mkdir -p "$T"/ovl/etc/{up,work} "$T"/ovl/run/{up,work} "$T"/ovl/dev/{up,work} "$T"/log \
	"$T"/newdev
mount -t overlay mkvm-etc -o "lowerdir=/etc,upperdir=$T/ovl/etc/up,workdir=$T/ovl/etc/work" /etc
mount -t overlay mkvm-run -o "lowerdir=/run,upperdir=$T/ovl/run/up,workdir=$T/ovl/run/work" /run
# /dev: an overlay, made aside; the mounts below /dev (pts, shm, mqueue, ...)
# are moved onto it (stacked leftovers unmounted: libvirt moves each mount
# below /dev into QEMU's /dev and fails on a second one at the same path),
# then it is moved over /dev.
mount -t overlay mkvm-dev -o "lowerdir=/dev,upperdir=$T/ovl/dev/up,workdir=$T/ovl/dev/work" \
	"$T/newdev"
findmnt -rn -o TARGET -R /dev | grep '^/dev/[^/]*$' | sort -u | while read -r m; do
	mount --move "$m" "$T/newdev${m#/dev}"
	while mountpoint -q "$m"; do umount -l "$m"; done
done
mount --move "$T/newdev" /dev
for d in /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
	mkdir -p "$d"
	mount -t tmpfs -o mode=0755 mkvm-libvirt "$d"
done
mkdir -p /etc/multikvm /run/multikvm /etc/libvirt/hooks/qemu.d

# /dev/kvm as Debian's udev rule leaves it (in the overlay: the host's node
# keeps its owner and mode).
chgrp kvm /dev/kvm
chmod 0660 /dev/kvm

acl='"/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm", "/dev/userfaultfd"'
export MKVM_DEV=/dev
for n in ${MKVM_EXTRA_NODES-7 8 9}; do
	mknod "$MKVM_DEV/kvm$n" c 10 232
	chgrp kvm "$MKVM_DEV/kvm$n"
	chmod 0660 "$MKVM_DEV/kvm$n"
	acl="$acl, \"$MKVM_DEV/kvm$n\""
done

cat > /etc/libvirt/qemu.conf <<CONF
cgroup_device_acl = [ $acl ]
CONF
cat > /etc/libvirt/libvirtd.conf <<CONF
log_outputs = "3:file:$T/log/libvirtd.log"
CONF
cat > /etc/libvirt/virtlogd.conf <<CONF
log_outputs = "3:file:$T/log/virtlogd.log"
CONF

export MKVM_HOOK=$MULTIKVM_BUILD_DIR/libvirt-hook/multikvm
export MKVM_WRAPPER=$MULTIKVM_BUILD_DIR/qemu-wrapper/multikvm-qemu
export MKVM_CLI=$MULTIKVM_BUILD_DIR/cli/multikvm
export MKVM_PAYLOAD=$MULTIKVM_BUILD_DIR/tests/payload/payload-tick.bin
export MKVM_LIB=$here/lib.sh
if [ -z "${MKVM_NO_HOOK:-}" ] && [ -x "$MKVM_HOOK" ]; then
	ln -s "$MKVM_HOOK" /etc/libvirt/hooks/qemu.d/multikvm
fi

export MKVM_SUBREAPER=$MULTIKVM_BUILD_DIR/tests/integration/mkvm-subreaper
export MKVM_CONFINED_OPEN=$MULTIKVM_BUILD_DIR/tests/integration/mkvm-confined-open
virtlogd -d -p "$T/virtlogd.pid"
"$MKVM_SUBREAPER" libvirtd -p "$T/libvirtd.pid" &
reaper=$!
for i in $(seq 100); do
	[ -S /run/libvirt/libvirt-sock ] && break
	sleep 0.1
done
if ! virsh -q uri >/dev/null 2>&1; then
	echo "integration: libvirtd did not come up" >&2
	tail -20 "$T/log/libvirtd.log" >&2 || true
	exit 1
fi

cd "$T"
"$@"
