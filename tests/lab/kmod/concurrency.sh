# SPDX-License-Identifier: GPL-2.0-or-later
# One VM per instance, vCPU threads pinned to the same CPU and then spread,
# both looping >= 10 s: both make progress, every exit is checked, and the
# sampled ASID assignments never give one ASID of one generation on one CPU
# to guests of two instances (issue 3, done-when 2).
# lab: modules=vac kvm_amd_1 kvm_amd_2
# lab: bins=tests/kvmtest
# lab: timeout=300
. /lab/lib.sh

A=/sys/kernel/debug/vac/asids
SECONDS_EACH=12

lab_load vac asid_debug=1
lab_load kvm_amd_1
lab_load kvm_amd_2
check "vac's ASID view exists" test -r $A

# run CPU_FOR_1 CPU_FOR_2 LABEL
run() {
	local samples=/tmp/asids.$3 i=0
	: >$samples
	kvmtest -n 1000 -t $SECONDS_EACH -p 2 -c $1 /dev/kvm1 >/tmp/out1.$3 2>&1 &
	p1=$!
	kvmtest -n 1000 -t $SECONDS_EACH -p 2 -c $2 /dev/kvm2 >/tmp/out2.$3 2>&1 &
	p2=$!
	while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
		cat $A >>$samples
		echo "--" >>$samples
		sleep 0.2
		i=$((i + 1))
		if [ $i -ge $((SECONDS_EACH * 5 + 300)) ]; then
			cat /tmp/out1.$3 /tmp/out2.$3
			lab_vm_report
			die "$3: the guests did not finish within $((SECONDS_EACH + 60)) s"
		fi
	done
	wait $p1; r1=$?
	wait $p2; r2=$?
	cat /tmp/out1.$3 /tmp/out2.$3
	check "$3: the instance 1 guest passed every check" test $r1 = 0
	check "$3: the instance 2 guest passed every check" test $r2 = 0
	for n in 1 2; do
		check "$3: instance $n made progress in every interval" \
			awk '/progress/ { n++; if ($6 + 0 <= 0) bad++ }
			     END { exit !(n >= 4 && !bad) }' /tmp/out$n.$3
	done
	echo "$3: $(grep -c -- -- $samples) samples, $(grep -c instance= $samples) ASID entries"
	# A (cpu, asid, generation) must belong to one instance only.
	check "$3: no ASID reached guests of both instances without a flush" \
		awk '/instance=/ { k = $1 " " $2 " " $3
			if (k in owner && owner[k] != $4) { print "shared: " k " " owner[k] " " $4; bad++ }
			owner[k] = $4 }
		     END { exit bad != 0 }' $samples
	# ...and the test saw both instances' guests within one generation on
	# one CPU, i.e. the allocator really was shared.
	check "$3: both instances drew ASIDs from one CPU's generation" \
		awk '/instance=/ { k = $1 " " $3; seen[k, $4] = 1; keys[k] = 1 }
		     END { for (k in keys) if (seen[k, "instance=1"] && seen[k, "instance=2"]) ok = 1
			   exit !ok }' $samples
}

step "both guests on CPU 0"
run 0 0 same-cpu
step "guests spread over CPU 0 and CPU 1"
run 0 1 spread

# vac checks every guest entry's ASID (debug builds, docs/lab.md)
lab_tlb_check_clean
check "no VM is left" test "$(cat /sys/kernel/vac/instances/1/vms)$(cat /sys/kernel/vac/instances/2/vms)" = 00
rmmod kvm_amd_1 kvm_amd_2 vac
