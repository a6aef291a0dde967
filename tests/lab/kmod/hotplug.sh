# SPDX-License-Identifier: GPL-2.0-or-later
# CPU hotplug under running guests (issue 14), on whichever vendor the
# machine has (kmod-hotplug: SVM under QEMU, 4 CPUs; vmx-hotplug: the same
# script under Bochs, 2 CPUs, with --smp 2):
#  - vac's hotplug state sits where stock KVM's does, CPUHP_AP_KVM_ONLINE,
#    right before sched:waitempty (the kernel's own list of states): going
#    down, virtualization goes off only once every task has left the CPU;
#  - every CPU but CPU 0 goes offline and online again, round after round,
#    while guests of both instances run, two of them pinned to it (one
#    running, one preempted, as the CPU goes down; re-pinned after each
#    online) and one per instance unpinned: every guest keeps running and
#    passes every check, and the kernel log stays clean;
#  - afterwards each instance runs a fresh VM on every CPU;
#  - with --module vac_test.ko (vmx-hotplug; docs/lab.md says why not
#    under QEMU): an instance whose per-CPU enable fails on a CPU (vac_test
#    fail_cpu=N) keeps that CPU from coming online; vac takes back what it
#    enabled there for the others, so once it is gone the CPU comes up and
#    both instances run there.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2
# lab: bins=tests/kvmtest
# lab: smp=4 timeout=1800
. /lab/lib.sh

V=/sys/kernel/vac
S=/sys/devices/system/cpu
ncpu=$(grep -c '^processor' /proc/cpuinfo)
ROUNDS=8
[ "$LAB_MACHINE" = bochs ] && ROUNDS=6

klog_mark() { dmesg | wc -l; }
klog_since() { dmesg | sed -n "$(($1 + 1)),\$p"; }

check "at least 2 CPUs" test $ncpu -ge 2
lab_load vac
vendor=$(cat $V/vendor)
lab_load kvm_${vendor}_1
lab_load kvm_${vendor}_2

step "vac's hotplug state is stock KVM's: right before sched:waitempty"
grep -B2 -A1 'sched:waitempty' $S/hotplug/states
check "the state before sched:waitempty is vac:online" \
	awk '$2 == "sched:waitempty" { found = 1; ok = prev == "vac:online" }
	     { prev = $2 } END { exit !(found && ok) }' $S/hotplug/states

# pin PID CPU
pin() {
	taskset -p "$(printf %x $((1 << $2)))" $1 >/dev/null
}
# on_cpu PID: the CPU the task last ran on
on_cpu() {
	awk '{ print $39 }' /proc/$1/stat
}

step "guests: per instance, two pinned to each of CPUs 1-$((ncpu - 1)) and one unpinned"
pinned=
all=
c=1
while [ $c -lt $ncpu ]; do
	for n in 1 2; do
		for k in a b; do
			kvmtest -n 500 -t 100000 -p 2 -c $c /dev/kvm$n >/tmp/g.$c$k.$n 2>&1 &
			pinned="$pinned $c:$!"
			all="$all $!:/tmp/g.$c$k.$n"
		done
	done
	c=$((c + 1))
done
for n in 1 2; do
	kvmtest -n 500 -t 100000 -p 2 /dev/kvm$n >/tmp/g.any.$n 2>&1 &
	all="$all $!:/tmp/g.any.$n"
done
check "vac counts 2 VMs per pinned CPU and 1 more per instance" \
	lab_wait_vms 1 $((2 * (ncpu - 1) + 1))
check "...on both instances" lab_wait_vms 2 $((2 * (ncpu - 1) + 1))

alive() {
	local g
	for g in $all; do
		kill -0 ${g%%:*} 2>/dev/null || {
			cat ${g#*:}
			die "guest ${g%%:*} (${g#*:}) stopped during the loop"
		}
	done
}

step "offline and online CPUs 1-$((ncpu - 1)), $ROUNDS rounds, under the guests"
mark=$(klog_mark)
t0=$(date +%s)
cycles=0
there=0
round=1
while [ $round -le $ROUNDS ]; do
	c=1
	while [ $c -lt $ncpu ]; do
		# the pinned guests are on their CPU as it goes down
		for p in $pinned; do
			[ ${p%%:*} = $c ] || continue
			[ "$(on_cpu ${p#*:})" = $c ] && there=$((there + 1))
		done
		echo 0 >$S/cpu$c/online || die "round $round: CPU $c does not go offline"
		[ "$(cat $S/cpu$c/online)" = 0 ] || die "round $round: CPU $c is still online"
		sleep 0.2
		alive
		echo 1 >$S/cpu$c/online || die "round $round: CPU $c does not come back online"
		[ "$(cat $S/cpu$c/online)" = 1 ] || die "round $round: CPU $c is still offline"
		for p in $pinned; do
			[ ${p%%:*} = $c ] && pin ${p#*:} $c
		done
		cycles=$((cycles + 1))
		sleep 0.3
		alive
		c=$((c + 1))
	done
	echo "round $round: CPUs 1-$((ncpu - 1)) went offline and online ($(($(date +%s) - t0)) s)"
	round=$((round + 1))
done
check "$cycles offline/online cycles" test $cycles = $((ROUNDS * (ncpu - 1)))
echo "pinned guests on their CPU as it went down: $there of $((cycles * 4))"
check "...most of the time" test $((there * 2)) -ge $((cycles * 4))

step "every guest still runs and computes right"
lab_guests_progress "after the loop" $all
lab_guests_end $all
check "no VM is left" test "$(cat $V/instances/1/vms)$(cat $V/instances/2/vms)" = 00

klog_since $mark >/tmp/klog
echo "kernel log of the loop, $(wc -l </tmp/klog) lines, by kind:"
sed 's/^\[[ 0-9.]*\] //; s/[0-9][0-9]*/N/g' /tmp/klog | sort | uniq -c | sed 's/^ */  /'
check "vac did not fail to enable anywhere" sh -c "! grep -q 'vac: .*failed' /tmp/klog"

step "each instance runs a fresh VM on every CPU"
lab_vms_everywhere $ncpu /dev/kvm1 /dev/kvm2

if [ -e /lib/modules/$(uname -r)/extra/vac_test.ko ]; then
	last=$((ncpu - 1))
	P=/sys/module/vac_test/parameters
	step "an instance whose per-CPU enable fails on CPU $last"
	mark=$(klog_mark)
	expect_fail "it does not load while CPU $last is online" modprobe vac_test fail_cpu=$last
	klog_since $mark | grep 'vac' | sed 's/^/  kernel: /'
	check "...vac said which CPU failed" \
		sh -c "dmesg | grep -q 'vac: instance 999: enabling virtualization on CPU$last failed (-5)'"
	for n in 1 2; do
		check "...and instance $n still runs on CPU $last" kvmtest -q -n 1000 -c $last /dev/kvm$n
	done
	check "CPU $last goes offline" sh -c "echo 0 >$S/cpu$last/online"
	check "the failing instance loads with CPU $last offline" modprobe vac_test fail_cpu=$last
	check "...enabled on the $last other CPUs" test "$(cat $P/enabled)" = $last
	mark=$(klog_mark)
	expect_fail "CPU $last does not come online" sh -c "echo 1 >$S/cpu$last/online"
	klog_since $mark | sed 's/^/  kernel: /'
	check "...it stays offline" test "$(cat $S/cpu$last/online)" = 0
	check "...the instance refused it once" test "$(cat $P/refused)" = 1
	check "...vac said so" \
		sh -c "dmesg | sed -n '$((mark + 1)),\$p' | grep -q 'vac: instance 999: enabling virtualization on CPU$last failed (-5)'"
	check "...and the failing instance is still enabled on $last CPUs" test "$(cat $P/enabled)" = $last
	for n in 1 2; do
		check "instance $n runs on CPU 0 meanwhile" kvmtest -q -n 1000 -c 0 /dev/kvm$n
	done
	check "the failing instance unloads (its enables and disables paired up)" rmmod vac_test
	check "CPU $last comes online" sh -c "echo 1 >$S/cpu$last/online"
	for n in 1 2; do
		check "instance $n runs on CPU $last" kvmtest -q -n 1000 -c $last /dev/kvm$n
	done
fi

step "unload"
check "kvm_${vendor}_1 unloads" rmmod kvm_${vendor}_1
check "kvm_${vendor}_2 unloads" rmmod kvm_${vendor}_2
check "vac unloads" rmmod vac
