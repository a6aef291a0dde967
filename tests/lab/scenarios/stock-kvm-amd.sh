# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's stock kvm_amd loads in the lab and runs a checked guest on /dev/kvm.
# lab: modules=kvm-amd
# lab: bins=tests/kvmtest
. /lab/lib.sh

step "load stock kvm_amd"
lab_load kvm_amd
check "SVM is usable (nested paging reported)" grep -q Y /sys/module/kvm_amd/parameters/npt
check "/dev/kvm exists" test -c /dev/kvm

step "run the KVM API test on /dev/kvm"
check "10000 checked exits on /dev/kvm" kvmtest -n 10000 /dev/kvm
check "kvm_amd unloads" rmmod kvm_amd
