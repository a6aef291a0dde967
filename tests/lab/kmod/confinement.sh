# SPDX-License-Identifier: GPL-2.0-or-later
# Confinement with real instances (issue 15): vac, kvm_amd_1 and kvm_amd_2
# give /dev/kvm1 and /dev/kvm2 their own device numbers.  The host's
# libvirtd runs domain A on instance 1 and B on instance 2 with this build's
# hook, wrapper and CLI installed; from inside A's confinement (its mount
# namespace, cgroups, uid and groups: mkvm-confined-open) instance 2's node
# and /dev/kvm cannot be opened, by their paths in A's /dev, in the host's
# /dev or through B's root, and no VM appears on instance 2.  With a shared
# mount namespace (namespaces = [ ] in qemu.conf) the host's nodes survive
# and the device cgroup alone refuses the other instance.
# lab: modules=vac kvm_amd_1 kvm_amd_2
# lab: hostroot=yes
# lab: timeout=1200
. /lab/lib.sh

B=$LAB_BUILD_DIR
OPEN=$B/tests/integration/mkvm-confined-open
mkdir -p /tmp/conf

dump_logs() {
	local f
	for f in /var/log/libvirt/libvirtd.log /var/log/libvirt/qemu/*.log; do
		[ -f "$f" ] || continue
		echo "=== LOG-BEGIN $f"
		tail -n 100 "$f"
		echo "=== LOG-END $f"
	done
}
trap '[ $? -eq 0 ] || dump_logs' EXIT

# domain NAME N: define and start NAME, pinned to instance N
domain() {
	lab_define_domain /tmp/conf $1 "instance='$2'"
	virsh -q start $1 >/dev/null || die "virsh start $1"
}

pid_of() { cat /run/libvirt/qemu/$1.pid; }
vms() { cat /sys/kernel/vac/instances/$1/vms; }

# attack [--host-ns] NAME PATH...: open PATHs from NAME's QEMU's confinement
attack() {
	local ns=
	if [ "$1" = --host-ns ]; then ns=--host-ns; shift; fi
	local name=$1; shift
	"$OPEN" $ns "$(pid_of "$name")" "$@" > /tmp/conf/attack.out || die "mkvm-confined-open $name"
	sed 's/^/   /' /tmp/conf/attack.out
}
# refused PATH: the last attack could not open PATH
refused() { grep -q "^$1 " /tmp/conf/attack.out && ! grep -qx "$1 ok" /tmp/conf/attack.out; }
opened() { grep -qx "$1 ok" /tmp/conf/attack.out; }

ticking() {
	local t1 t2
	t1=$(grep -c tick /tmp/conf/$1.serial); sleep 2; t2=$(grep -c tick /tmp/conf/$1.serial)
	[ "$t2" -gt "$t1" ]
}

step "vac, kvm_amd_1, kvm_amd_2; this build's hook, wrapper and CLI installed"
lab_load vac
lab_load kvm_amd_1
lab_load kvm_amd_2
chgrp kvm /dev/kvm /dev/kvm1 /dev/kvm2 && chmod 0660 /dev/kvm /dev/kvm1 /dev/kvm2
ls -l /dev/kvm /dev/kvm1 /dev/kvm2
meson install --no-rebuild --quiet -C "$B" >/tmp/conf/install.log 2>&1 ||
	{ cat /tmp/conf/install.log; die "meson install"; }
mkdir -p /etc/multikvm
cat > /etc/multikvm/policy.xml <<XML
<policy version="1"><profiles default="standard"><profile name="standard"/></profiles></policy>
XML
echo "qemu=/usr/bin/qemu-system-x86_64" > /etc/multikvm/multikvm.conf
cat >> /etc/libvirt/qemu.conf <<CONF
cgroup_device_acl = [ "/dev/null", "/dev/full", "/dev/zero", "/dev/random",
    "/dev/urandom", "/dev/ptmx", "/dev/kvm", "/dev/userfaultfd",
    "/dev/kvm1", "/dev/kvm2", "/dev/kvm3" ]
CONF
check "virtlogd starts" virtlogd -d
check "libvirtd starts" libvirtd -d -p /run/libvirtd.pid

step "A on instance 1, B on instance 2"
domain A 1
domain B 2
check "vac: one VM on each instance" test "$(vms 1) $(vms 2)" = "1 1"
check "A's QEMU holds /dev/kvm1" sh -c "ls -l /proc/$(pid_of A)/fd | grep -q '/dev/kvm1\$'"

step "From inside A's confinement"
attack A /dev/kvm1 /dev/kvm2 /dev/kvm "/proc/$(pid_of B)/root/dev/kvm2"
check "its own node opens (the attack runs where QEMU does)" opened /dev/kvm1
check "instance 2's node does not open" refused /dev/kvm2
check "/dev/kvm does not open" refused /dev/kvm
check "instance 2's node in B's /dev does not open" refused "/proc/$(pid_of B)/root/dev/kvm2"
attack --host-ns A /dev/kvm1 /dev/kvm2 /dev/kvm
check "host /dev: its own node opens" opened /dev/kvm1
check "host /dev: the device cgroup refuses instance 2" grep -qx "/dev/kvm2 EPERM" /tmp/conf/attack.out
check "host /dev: the device cgroup refuses /dev/kvm" grep -qx "/dev/kvm EPERM" /tmp/conf/attack.out
check "still one VM on each instance" test "$(vms 1) $(vms 2)" = "1 1"
check "A's guest makes progress" ticking A
check "B's guest makes progress" ticking B
check "the host's nodes are there" test -c /dev/kvm -a -c /dev/kvm1 -a -c /dev/kvm2

step "Shared mount namespace (namespaces = [ ])"
virsh -q destroy A >/dev/null && virsh -q destroy B >/dev/null || die "virsh destroy"
echo 'namespaces = [ ]' >> /etc/libvirt/qemu.conf
# (read the pid once: libvirtd removes its pid file as it exits)
lvpid=$(cat /run/libvirtd.pid) || die "no libvirtd pid file"
kill "$lvpid"
n=0
# (a zombie counts as gone: the lab's init may reap it late)
while [ -e /proc/$lvpid ] && ! grep -q '^State:.*Z' /proc/$lvpid/status 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 600 ] || die "libvirtd (pid $lvpid) still runs 2 minutes after SIGTERM"
	sleep 0.2
done
check "libvirtd starts again" libvirtd -d -p /run/libvirtd.pid
virsh -q list >/dev/null
domain C 1
check "C shares the host's mount namespace" \
	test "$(readlink /proc/"$(pid_of C)"/ns/mnt)" = "$(readlink /proc/1/ns/mnt)"
check "the host's nodes survive" test -c /dev/kvm -a -c /dev/kvm1 -a -c /dev/kvm2
attack C /dev/kvm1 /dev/kvm2 /dev/kvm
check "its own node opens" opened /dev/kvm1
check "the device cgroup refuses instance 2" grep -qx "/dev/kvm2 EPERM" /tmp/conf/attack.out
check "the device cgroup refuses /dev/kvm" grep -qx "/dev/kvm EPERM" /tmp/conf/attack.out
check "C's guest makes progress" ticking C
check "no VM on instance 2" test "$(vms 2)" = 0
virsh -q destroy C >/dev/null
