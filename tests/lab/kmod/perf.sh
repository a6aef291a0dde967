# SPDX-License-Identifier: GPL-2.0-or-later
# perf's guest callbacks through vac (issue 14), on whichever vendor the
# machine has (kmod-perf: SVM under QEMU; vmx-perf: VMX under Bochs).  The
# kernel has one registration; vac holds it and asks the instance whose
# vCPU is loaded on the CPU.  Neither emulator gives the lab a PMU, so the
# samples come from a software cpu-clock event (an hrtimer): one that
# fires while a guest runs forces a VM exit and is handled in KVM's
# "interrupt from guest" window, where perf asks the callbacks whether the
# sample is the guest's and at which IP.  guestsample counts them; the
# guest (kvmtest --spin) loops at guest IPs 0x1000-0x1017.  Each instance
# alone, then both at once, must get guest samples at those IPs; with no
# guest, none may be a guest's.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2
# lab: bins=tests/kvmtest tests/guestsample
# lab: smp=2 timeout=900
. /lab/lib.sh

ncpu=$(grep -c '^processor' /proc/cpuinfo)
lab_load vac
vendor=$(cat /sys/kernel/vac/vendor)
lab_load kvm_${vendor}_1
lab_load kvm_${vendor}_2

step "no guest runs: every sample is the host's"
guestsample -t 2 -n 0 | tee /tmp/s
check "no sample is a guest's" grep -q ' 0 guest kernel, 0 guest user, ' /tmp/s

# spin N CPU SECONDS: instance N's guest looping in guest mode on CPU
spin() {
	kvmtest -q -s 100000 -n 20 -t $3 -c $2 /dev/kvm$1 &
}

for n in 1 2; do
	step "instance $n's guest on CPU 0"
	spin $n 0 8
	guest=$!
	check "it is running" lab_wait_vms $n 1
	check "guest samples at its IPs" guestsample -t 4 -n 10
	check "the guest passed every check" wait $guest
done

if [ $ncpu -ge 2 ]; then
	step "both at once, instance 1 on CPU 0, instance 2 on CPU 1"
	spin 1 0 8
	g1=$!
	spin 2 1 8
	g2=$!
	check "they are running" sh -c '. /lab/lib.sh; lab_wait_vms 1 1 && lab_wait_vms 2 1'
	check "guest samples at their IPs" guestsample -t 4 -n 20
	check "instance 1's guest passed every check" wait $g1
	check "instance 2's guest passed every check" wait $g2
fi

rmmod kvm_${vendor}_1 kvm_${vendor}_2 vac
