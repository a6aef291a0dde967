# SPDX-License-Identifier: GPL-2.0-or-later
# kexec with guests of two instances running (issue 14), on whichever vendor
# the machine has (kmod-kexec: SVM under QEMU; vmx-kexec: Bochs): vac's
# shutdown turns virtualization off on every CPU, the CPU running kexec
# included (only vac's shutdown covers that one), so the kexec'd lab kernel
# boots, finds it off (SVM: EFER.SVME clear on every CPU before any KVM
# loads) and stock KVM runs a guest on every CPU there.  SVM: VMs of a third
# instance (enable_virt_at_load=0) come and go meanwhile, each turning its
# virtualization on and off (no third VMX instance is built).
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_amd_3 kvm_intel_1 kvm_intel_2 kvm-amd kvm-intel msr
# lab: bins=tests/kvmtest
# lab: smp=2 stages=2 kexec=yes
# lab: timeout=1500
. /lab/lib.sh

case $LAB_STAGE in
1)
	lab_load_kexec_kernel
	lab_load vac
	vendor=$(cat /sys/kernel/vac/vendor)
	lab_load kvm_${vendor}_1
	lab_load kvm_${vendor}_2
	if [ "$vendor" = amd ]; then
		lab_load kvm_amd_3 enable_virt_at_load=0
		check "SVM is on on both CPUs" test "$(lab_svme 0)$(lab_svme 1)" = 11
	fi
	step "a guest of each instance on each CPU"
	lab_start_guests /dev/kvm1:0 /dev/kvm2:1 /dev/kvm2:0 /dev/kvm1:1
	# A VM created while the system goes down (issue 14, item 2): vac's
	# shutdown and the enable it starts serialise on vac_virt_lock.
	if [ "$vendor" = amd ]; then
		step "and VMs created and closed on instance 3 (enable_virt_at_load=0)"
		lab_churn_vms /dev/kvm3 1
	fi
	[ ! -e /tmp/churn ] || echo "VMs run on /dev/kvm3 so far: $(wc -l </tmp/churn)"
	step "kexec into the lab kernel, guests running"
	lab_next_stage kexec "vac: exiting hardware virtualization"
	;;
2)
	step "the kexec'd kernel can use virtualization"
	lab_virt_reusable
	;;
esac
