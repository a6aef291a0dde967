# SPDX-License-Identifier: GPL-2.0-or-later
# A panic with guests of two instances running (issue 14), on whichever
# vendor the machine has (kmod-crash: SVM under QEMU; vmx-crash: Bochs):
# the crash path calls vac's emergency callback, which turns virtualization
# off without a lock on every CPU (VMX: the instances' VMCLEAR first), and
# kexecs into the crash kernel (kexec -p, one CPU: the one that panicked).
# There virtualization is off (SVM: EFER.SVME clear) and stock KVM runs a
# guest.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2 kvm-amd kvm-intel msr
# lab: bins=tests/kvmtest
# lab: smp=2 stages=2 kexec=yes
# lab: cmdline=crashkernel=256M
# lab: timeout=1500
. /lab/lib.sh

case $LAB_STAGE in
1)
	lab_load_crash_kernel
	lab_load vac
	vendor=$(cat /sys/kernel/vac/vendor)
	lab_load kvm_${vendor}_1
	lab_load kvm_${vendor}_2
	step "a guest of each instance on each CPU"
	lab_start_guests /dev/kvm1:0 /dev/kvm2:1 /dev/kvm2:0 /dev/kvm1:1
	step "panic on CPU1, guests running"
	taskset -c 1 sh -c '. /lab/lib.sh; lab_next_stage crash'
	die "still running after the panic"
	;;
2)
	check "this is the crash kernel" test -e /proc/vmcore
	step "the crash kernel can use virtualization"
	lab_virt_reusable
	;;
esac
