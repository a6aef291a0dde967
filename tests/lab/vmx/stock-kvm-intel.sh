# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's stock kvm_intel loads in the VMX lab (Bochs) and runs a checked
# guest on /dev/kvm.
# lab: machine=bochs cpu=corei7_skylake_x timeout=600
# lab: modules=kvm-intel
# lab: bins=tests/kvmtest
. /lab/lib.sh

step "load stock kvm_intel"
lab_load kvm_intel
for p in ept vpid unrestricted_guest; do
	check "kvm_intel $p=Y" grep -q Y /sys/module/kvm_intel/parameters/$p
done
check "/dev/kvm exists" test -c /dev/kvm
# What this Bochs gives KVM (Bochs 3.0 on corei7_skylake_x: all Y; Debian's
# 2.7 package lacks APICv), for the record.
for p in ept vpid unrestricted_guest flexpriority enable_apicv pml \
	 enable_shadow_vmcs nested eptad preemption_timer; do
	printf '%s=%s ' $p "$(cat /sys/module/kvm_intel/parameters/$p 2>/dev/null)"
done
echo

step "run the KVM API test on /dev/kvm"
check "10000 checked exits on /dev/kvm" kvmtest -n 10000 /dev/kvm
check "kvm_intel unloads" rmmod kvm_intel
