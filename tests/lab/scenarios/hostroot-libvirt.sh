# SPDX-License-Identifier: GPL-2.0-or-later
# The host's libvirtd and virtlogd run inside the lab (host root over 9p) and
# start a KVM domain whose guest payload makes progress on stock kvm_amd.
# This is the ground the end-to-end upgrade demo stands on.
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=300
. /lab/lib.sh

lab_load kvm_amd
# What Debian's udev rule does on a host.
chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
check "virtlogd starts" virtlogd -d
check "libvirtd starts" libvirtd -d
cat > /tmp/demo.xml <<XML
<domain type='kvm'>
  <name>demo</name>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader type='rom'>$LAB_BUILD_DIR/tests/payload/payload-tick.bin</loader>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='/tmp/demo.serial'/></serial>
  </devices>
</domain>
XML
check "virsh define" virsh -q define /tmp/demo.xml
check "virsh start" virsh -q start demo
pid=$(cat /run/libvirt/qemu/demo.pid)
check "QEMU has /dev/kvm open" sh -c "ls -l /proc/$pid/fd | grep -q ' -> /dev/kvm\$'"
t1=$(sed -n 's/^multikvm payload: tick \([0-9]*\).*/\1/p' /tmp/demo.serial | tail -1)
sleep 2
t2=$(sed -n 's/^multikvm payload: tick \([0-9]*\).*/\1/p' /tmp/demo.serial | tail -1)
echo "guest ticks: ${t1:-none} -> ${t2:-none}"
check "the guest makes progress" test "${t2:-0}" -gt "${t1:-0}"
check "virsh destroy" virsh -q destroy demo
