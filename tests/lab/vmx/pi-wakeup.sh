# SPDX-License-Identifier: GPL-2.0-or-later
# The posted-interrupt wakeup vector (VMX, issue 14): the kernel has one
# handler slot; vac holds it and runs every instance's handler (their
# blocked vCPUs).  KVM 6.12 arms the vector only for IPI virtualization
# or VT-d posted interrupts of an assigned device, which the lab cannot
# have (docs/lab.md), so vac_test sends the vector to every CPU itself:
# each must reach vac's handler, and each run both instances' handlers.
# vac_test.ko comes with --module (meson: tests/lab/kmod/vac-test).
# lab: machine=bochs smp=2 timeout=900
# lab: modules=vac kvm_intel_1 kvm_intel_2
. /lab/lib.sh

P=/sys/kernel/debug/vac/pi_wakeup
N=10
ncpu=$(grep -c '^processor' /proc/cpuinfo)
field() { sed -n "s/^$1 //p" $P; }
piw() { awk -v n=$ncpu '$1 == "PIW:" { for (i = 2; i <= n + 1; i++) s += $i } END { print s + 0 }' /proc/interrupts; }

lab_load vac
lab_load kvm_intel_1
lab_load kvm_intel_2
check "vac counts the wakeup vector" test -r $P
w0=$(field wakeups) h0=$(field handler_calls) p0=$(piw)
check "vac_test sends the vector to each of the $ncpu CPUs $N times" modprobe vac_test pi_wakeup=$N
check "vac_test unloads" rmmod vac_test
w=$(($(field wakeups) - w0)) h=$(($(field handler_calls) - h0)) p=$(($(piw) - p0))
echo "the kernel counted $p wakeup interrupts, vac's handler ran $w times and the instances' $h times"
check "the kernel took the vector $((N * ncpu)) times" test $p = $((N * ncpu))
check "...each time in vac's handler" test $w = $p
check "...which ran both instances' handlers each time" test $h = $((2 * w))

step "with one instance left"
check "kvm_intel_1 unloads" rmmod kvm_intel_1
w0=$(field wakeups) h0=$(field handler_calls)
check "vac_test sends the vector again" modprobe vac_test pi_wakeup=$N
check "vac_test unloads" rmmod vac_test
w=$(($(field wakeups) - w0)) h=$(($(field handler_calls) - h0))
check "vac's handler ran $((N * ncpu)) times, and instance 2's each time" test "$w $h" = "$((N * ncpu)) $((N * ncpu))"
check "kvm_intel_2 unloads" rmmod kvm_intel_2
check "vac unloads" rmmod vac
