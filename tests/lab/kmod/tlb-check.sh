# SPDX-License-Identifier: GPL-2.0-or-later
# vac's TLB tag check (debug builds, kmod/vac/tlbcheck.c), on whichever
# vendor the machine has (kmod-tlb-check: SVM ASIDs under QEMU; vmx-tlb-
# check: VPIDs under Bochs).  Guests of two instances run on one CPU, on
# two, moving between CPUs, and as short-lived VMs one after another, with
# vac handing out ASIDs 1-2 only (asid_max=2) so that SVM's generations
# wrap all the time.  Every VMRUN / VM entry is checked: the check must
# have seen entries, tags passing between vCPUs with a flush in between,
# generation wraps (SVM), and no tag passing without a flush.
#
# With vac.ko built --debug tlb-broken (kmod-tlb-broken, vmx-tlb-broken:
# no flush on a generation wrap, one VPID for every vCPU) the same run must
# end in vac's WARN: the proof that the check can fail.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2
# lab: bins=tests/kvmtest
# lab: smp=2 timeout=900
. /lab/lib.sh

T=/sys/kernel/debug/vac/tlb_check
ncpu=$(grep -c '^processor' /proc/cpuinfo)
# guest seconds per step: Bochs's clock runs at its emulated speed
S=8
[ "$LAB_MACHINE" != bochs ] || S=3

# field NAME: a counter of vac's TLB tag check
field() { sed -n "s/^$1 //p" $T; }

lab_load vac asid_max=2
vendor=$(cat /sys/kernel/vac/vendor)
lab_load kvm_${vendor}_1
lab_load kvm_${vendor}_2
check "vac has the TLB tag check (a debug build)" test -r $T
check "...and it is on" test "$(field on)" = 1
echo "vac checks $(field tag)s 0-$(($(field tags) - 1)) on $ncpu CPUs"
dmesg | grep 'debug build'

# guests SECONDS CPU_OF_1 CPU_OF_2 [COUNT]: COUNT guests per instance (one
# vCPU each), pinned (a CPU number) or free to move (-), all at once
guests() {
	local s=$1 c1=$2 c2=$3 count=${4:-1} pids= n c i pid
	for n in 1 2; do
		eval c=\$c$n
		i=0
		while [ $i -lt $count ]; do
			if [ "$c" = - ]; then
				kvmtest -q -n 200 -t $s /dev/kvm$n &
			else
				kvmtest -q -n 200 -t $s -c $c /dev/kvm$n &
			fi
			pids="$pids $!"
			i=$((i + 1))
		done
	done
	for pid in $pids; do
		check "guest $pid passed every check" wait $pid
	done
}

step "both instances' guests on CPU 0"
guests $S 0 0
if [ $ncpu -ge 2 ]; then
	step "one on CPU 0, the other on CPU 1"
	guests $S 0 1
	step "two guests per instance, free to move between the CPUs"
	guests $S - - 2
fi
step "20 short-lived VMs, the instances taking turns: tags of freed vCPUs go to new ones"
i=0
while [ $i -lt 20 ]; do
	check "VM $i" kvmtest -q -n 50 -c 0 /dev/kvm$((i % 2 + 1))
	i=$((i + 1))
done

step "what vac's TLB tag check saw"
cat $T
check "it saw the guests' entries" test "$(field runs)" -gt 1000
check "tags passed between vCPUs (after a flush)" test "$(field handovers)" -ge 10
[ "$vendor" = intel ] ||
	check "ASID generations wrapped" test "$(field asid_wraps)" -ge 5
check "no tag passed to another vCPU without a flush" test "$(field violations)" = 0
check "every tag was tracked" test "$(field untracked)" = 0

rmmod kvm_${vendor}_1 kvm_${vendor}_2 vac
