#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Confinement, tried the way a compromised QEMU would: from inside a running
# domain's confinement (its mount namespace, cgroups, uid/groups and
# AppArmor label, by mkvm-confined-open), opening another instance's node
# and /dev/kvm must fail; its own node still opens.  Then: confine=no lets
# it through (so these checks can fail), a bad confine= value fails the
# start closed, and with a shared mount namespace (namespaces = [] in
# qemu.conf) the nodes of libvirtd's /dev survive and the device cgroup
# still refuses another device number.
#
# Instances: 7 and 8 are nodes of this machine's /dev/kvm (10:232, like
# every harness node); 5 is a node of another device number (1:7, which
# opens without KVM), listed in cgroup_device_acl like an instance node
# and never given to a domain: the device cgroup has to refuse it.
. "$MKVM_LIB"

mknod /dev/kvm5 c 1 7
chgrp kvm /dev/kvm5
chmod 0660 /dev/kvm5
sed -i 's#"/dev/userfaultfd"#"/dev/userfaultfd", "/dev/kvm5"#' /etc/libvirt/qemu.conf
check "libvirtd stops" stop_libvirtd
check "libvirtd starts with /dev/kvm5 in cgroup_device_acl" start_libvirtd
cat > /etc/multikvm/policy.xml <<XML
<policy version="1">
  <profiles default="standard"><profile name="standard"/></profiles>
  <instances>
    <instance id="5" device="/dev/kvm5"/>
    <instance id="7" device="/dev/kvm7"/>
    <instance id="8" device="/dev/kvm8"/>
  </instances>
</policy>
XML
rm -f /etc/multikvm/multikvm.conf

# attack NAME [--host-ns] PATH...: mkvm-confined-open in NAME's QEMU's
# confinement; prints "PATH RESULT" lines (also into the log)
attack() {
	local name=$1; shift
	local ns=
	if [ "$1" = --host-ns ]; then ns=--host-ns; shift; fi
	"$MKVM_CONFINED_OPEN" $ns "$(dom_pid "$name")" "$@" | tee "$MKVM_T/attack.out" | sed 's/^/#   /'
	[ "${PIPESTATUS[0]}" = 0 ]
}
# got PATH RESULT: the last attack gave RESULT for PATH
got() { grep -qx "$1 $2" "$MKVM_T/attack.out"; }

ticking() {
	local f=$MKVM_T/$1.serial t1 t2
	t1=$(grep -c tick "$f"); sleep 1; t2=$(grep -c tick "$f")
	[ "$t2" -gt "$t1" ]
}

define_mkvm a "$(meta "instance='7'")"
define_mkvm b "$(meta "instance='8'")"
check "start a (pinned 7)" virsh -q start a
check "start b (pinned 8)" virsh -q start b
check "a on kvm7" on_node a 7
check "b on kvm8" on_node b 8

check "attack from inside a's confinement" attack a /dev/kvm7 /dev/kvm8 /dev/kvm /dev/kvm5 /dev/kvm9
check "... its own node opens (the attack runs where QEMU does)" got /dev/kvm7 ok
check "... another instance's node is gone from its /dev" got /dev/kvm8 ENOENT
check "... /dev/kvm is gone from its /dev" got /dev/kvm ENOENT
check "... instance 5's node is gone from its /dev" got /dev/kvm5 ENOENT
check "attack from a's cgroups and uid on libvirtd's /dev" attack a --host-ns /dev/kvm5 /dev/kvm7
check "... the device cgroup refuses another device number" got /dev/kvm5 EPERM
check "... and allows its own" got /dev/kvm7 ok
check "libvirtd's nodes are all still there" test -c /dev/kvm -a -c /dev/kvm5 -a -c /dev/kvm7 -a -c /dev/kvm8
check "a's guest makes progress" ticking a
check "b's guest makes progress" ticking b

# The test can fail: without confinement the same attack gets through.
echo "confine=no" > /etc/multikvm/multikvm.conf
define_mkvm open "$(meta "instance='7'")"
check "confine=no: start open" virsh -q start open
check "attack from inside open's (unconfined) namespace" attack open /dev/kvm8 /dev/kvm
check "... confine=no: another instance's node opens" got /dev/kvm8 ok
check "attack from open's cgroups and uid" attack open --host-ns /dev/kvm5
check "... confine=no: the other device number opens" got /dev/kvm5 ok
virsh -q destroy open >/dev/null

echo "confine=maybe" > /etc/multikvm/multikvm.conf
define_mkvm badconf "$(meta "instance='7'")"
check "confine=maybe: start refused with one line, no record" \
	start_fails badconf "domain 'badconf'.*confine=maybe.*confine=yes"
rm /etc/multikvm/multikvm.conf

# Shared mount namespace: QEMU's /dev is libvirtd's; nothing is removed.
for d in a b; do virsh -q destroy $d >/dev/null; done
echo 'namespaces = [ ]' >> /etc/libvirt/qemu.conf
check "libvirtd stops" stop_libvirtd
check "libvirtd starts with namespaces = [ ]" start_libvirtd
define_mkvm shared "$(meta "instance='7'")"
check "start shared" virsh -q start shared
check "shared on kvm7" on_node shared 7
check "QEMU shares libvirtd's mount namespace" \
	test "$(readlink /proc/"$(dom_pid shared)"/ns/mnt)" = "$(readlink /proc/self/ns/mnt)"
check "libvirtd's nodes survive" test -c /dev/kvm -a -c /dev/kvm5 -a -c /dev/kvm7 -a -c /dev/kvm8
check "attack from inside shared's confinement" attack shared /dev/kvm5 /dev/kvm7
check "... the device cgroup refuses another device number" got /dev/kvm5 EPERM
check "... its own node opens" got /dev/kvm7 ok
check "shared's guest makes progress" ticking shared
virsh -q destroy shared >/dev/null
check "no records left" test "$(n_records)" = 0
finish
