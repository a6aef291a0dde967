# SPDX-License-Identifier: GPL-2.0-or-later
# reboot -f with guests of two instances running (issue 14): vac's shutdown
# runs and turns SVM off while vCPUs still run (their faults are expected:
# no WARN or BUG), the machine resets, and the next boot can use SVM.  VMs
# of a third instance (enable_virt_at_load=0) come and go meanwhile, each
# turning its virtualization on and off.
# SVM lab only: a reboot into a next stage needs QEMU's -no-reboot
# (docs/lab.md); the VMX shutdown path runs in vmx-kexec.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_amd_3 kvm-amd msr
# lab: bins=tests/kvmtest
# lab: smp=2 stages=2
# lab: timeout=900
. /lab/lib.sh

case $LAB_STAGE in
1)
	lab_load vac
	lab_load kvm_amd_1
	lab_load kvm_amd_2
	lab_load kvm_amd_3 enable_virt_at_load=0
	step "a guest of each instance on each CPU"
	lab_start_guests /dev/kvm1:0 /dev/kvm2:1 /dev/kvm2:0 /dev/kvm1:1
	# A VM created while the system goes down (issue 14, item 2): vac's
	# shutdown and the enable it starts serialise on vac_virt_lock.
	step "and VMs created and closed on instance 3 (enable_virt_at_load=0)"
	lab_churn_vms /dev/kvm3 1
	[ ! -e /tmp/churn ] || echo "VMs run on /dev/kvm3 so far: $(wc -l </tmp/churn)"
	step "reboot -f, guests running"
	lab_next_stage reboot "vac: exiting hardware virtualization"
	;;
2)
	step "the next boot can use SVM"
	lab_virt_reusable
	;;
esac
