# SPDX-License-Identifier: GPL-2.0-or-later
# The main job (until the upgrade demo lands): KVM working inside the lab.
# lab: modules=kvm-amd
# lab: bins=tests/kvmtest
. /lab/lib.sh

step "Lab guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
grep -qw svm /proc/cpuinfo || die "the emulated CPU has no SVM"
echo "the emulated CPU offers AMD SVM with nested paging: $(grep -wo npt /proc/cpuinfo | head -1)"

step "Load Debian's stock KVM for AMD"
lab_load kvm_amd
echo "kvm_amd loaded: npt=$(cat /sys/module/kvm_amd/parameters/npt) nested=$(cat /sys/module/kvm_amd/parameters/nested)"
ls -l /dev/kvm

step "Run a guest on /dev/kvm for 3 seconds (every exit checked)"
kvmtest -t 3 -p 1 -n 5000 /dev/kvm || die "the guest on /dev/kvm failed"

step "Unload"
lab_unload kvm_amd
echo "done: KVM runs in the lab"
