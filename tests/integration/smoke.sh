#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The harness itself: real libvirtd + virtlogd in a private namespace start a
# plain KVM domain (stock QEMU, no wrapper, no hook) that opens /dev/kvm.
. "$MKVM_LIB"

check "host config untouched: /etc/libvirt is our tmpfs" test ! -e /etc/libvirt/libvirt-admin.conf
define_dom plain
if [ -e /etc/libvirt/hooks/qemu.d/multikvm ]; then
	# With our hook but neither vac nor a policy declaring instances, every
	# KVM domain is refused with one line saying what to do.
	check "no instances at all: start refused with one line" start_fails plain "no KVM instances"
	rm /etc/libvirt/hooks/qemu.d/multikvm   # hooks are rescanned on each call
fi
t0=$(ms)
check "virsh start plain" virsh -q start plain
echo "# start took $(( $(ms) - t0 )) ms"
check "QEMU has /dev/kvm open" test "$(dom_kvm_nodes plain)" = /dev/kvm
t0=$(ms)
check "virsh destroy plain" virsh -q destroy plain
echo "# destroy took $(( $(ms) - t0 )) ms"
finish
