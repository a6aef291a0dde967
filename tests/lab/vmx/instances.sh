# SPDX-License-Identifier: GPL-2.0-or-later
# The VMX lab: vac + kvm_intel_1 (the lab kernel's KVM, 6.12.107) +
# kvm_intel_2 (KVM from the newest 6.12 source) run checked guests on
# /dev/kvm1, /dev/kvm2 and /dev/kvm; both instances' guests interleave on
# the one CPU with VPIDs from one allocator; kvm_intel_1 is removed and
# reloaded 20 times while a kvm_intel_2 guest keeps running; the refusals
# hold; the core kernel's L1TF/iTLB-multihit state describes the least
# mitigated loaded instance (issue 4, done-when 1-4).
# lab: machine=bochs cpu=corei7_skylake_x timeout=900
# lab: modules=vac kvm_intel_1 kvm_intel_2 kvm-intel
# lab: bins=tests/kvmtest
. /lab/lib.sh

V=/sys/kernel/vac
P=/sys/kernel/debug/vac/vpids

VULN=/sys/devices/system/cpu/vulnerabilities
step "load vac and two VMX instances (1 mitigated, 2 not)"
lab_load vac
lab_load kvm_intel_1 vmentry_l1d_flush=always nx_huge_pages=force
lab_load kvm_intel_2 vmentry_l1d_flush=never nx_huge_pages=off
echo "l1tf: $(cat $VULN/l1tf)"
echo "itlb_multihit: $(cat $VULN/itlb_multihit)"
check "the emulated CPU is affected by L1TF and iTLB multihit" \
	sh -c "! grep -q 'Not affected' $VULN/l1tf $VULN/itlb_multihit"
check "L1TF is reported for the unmitigated instance 2" grep -q "VMX: vulnerable" $VULN/l1tf
check "iTLB multihit is reported for the unmitigated instance 2" grep -q "KVM: Vulnerable" $VULN/itlb_multihit
check "vac owns Intel virtualization" test "$(cat $V/vendor)" = intel
kernel=$(uname -r)
running=${kernel%%[+-]*}
newest=$(cat $V/instances/2/kvm_version)
echo "instance 1: KVM $(cat $V/instances/1/kvm_version), instance 2: KVM $newest, kernel $kernel"
check "instance 1 runs the running kernel's KVM $running" test "$(cat $V/instances/1/kvm_version)" = "$running"
check "instance 2 runs newer KVM code ($newest)" \
	test "$(printf '%s\n%s\n' "$running" "$newest" | sort -V | tail -1)" = "$newest" -a "$newest" != "$running"
check "both were built against the running kernel" \
	test "$(cat $V/instances/1/kernel) $(cat $V/instances/2/kernel)" = "$kernel $kernel"
for n in 1 2; do
	check "instance $n: /dev/kvm$n is the char device vac reports" \
		test "$(lab_devno /dev/kvm$n)" = "$(cat $V/instances/$n/dev)"
	for p in ept vpid unrestricted_guest; do
		check "instance $n: $p=Y" grep -q Y /sys/module/kvm_intel_$n/parameters/$p
	done
done

step "the KVM API test on every node"
for node in /dev/kvm1 /dev/kvm2 /dev/kvm; do
	check "2000 checked exits on $node" kvmtest -q -n 2000 $node
done

step "both instances' guests interleave on the one CPU"
kvmtest -n 500 -t 10 -p 2 -c 0 /dev/kvm1 >/tmp/g1 2>&1 &
p1=$!
kvmtest -n 500 -t 10 -p 2 -c 0 /dev/kvm2 >/tmp/g2 2>&1 &
p2=$!
: >/tmp/vpids
while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
	cat $P >>/tmp/vpids
	echo -- >>/tmp/vpids
	sleep 0.5
done
wait $p1; r1=$?
wait $p2; r2=$?
cat /tmp/g1 /tmp/g2
check "the instance 1 guest passed every check" test $r1 = 0
check "the instance 2 guest passed every check" test $r2 = 0
for n in 1 2; do
	check "instance $n made progress in every interval" \
		awk '/progress/ { n++; if ($6 + 0 <= 0) bad++ } END { exit !(n >= 3 && !bad) }' /tmp/g$n
done
check "both instances' guests held VPIDs" sh -c 'grep -q instance=1 /tmp/vpids && grep -q instance=2 /tmp/vpids'
check "no VPID was held by both instances" \
	awk '/vpid=/ { if ($1 in owner && owner[$1] != $2) { print "shared " $1; bad++ } owner[$1] = $2 }
	     END { exit bad != 0 }' /tmp/vpids
check "VPIDs are returned when the VMs are gone" sh -c "! grep -q vpid= $P"

step "remove and reload kvm_intel_1 20 times under a running kvm_intel_2 guest"
kvmtest -n 500 -t 100000 -p 2 -c 0 /dev/kvm2 >/tmp/long 2>&1 &
guest=$!
check "it is running" lab_wait_vms 2 1
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	rmmod kvm_intel_1 || die "reload $i: rmmod kvm_intel_1 failed"
	modprobe kvm_intel_1 vmentry_l1d_flush=always nx_huge_pages=force ||
		die "reload $i: modprobe kvm_intel_1 failed"
	kill -0 $guest 2>/dev/null || die "reload $i: the kvm2 guest died"
done
check "the reloaded kvm_intel_1 runs a checked guest" kvmtest -q -n 500 /dev/kvm1

step "the mitigation state is the least mitigated instance's, whichever changed last"
# Instance 1 (flushes always, huge pages split) was loaded last: the host
# is still as exposed as instance 2.  Then instance 2's runtime knobs move.
echo "l1tf: $(cat $VULN/l1tf)"
echo "itlb_multihit: $(cat $VULN/itlb_multihit)"
check "L1TF: instance 2's, not the last loaded instance 1's" grep -q "VMX: vulnerable" $VULN/l1tf
check "iTLB multihit: instance 2's, not instance 1's" grep -q "KVM: Vulnerable" $VULN/itlb_multihit
echo cond >/sys/module/kvm_intel_2/parameters/vmentry_l1d_flush
check "L1TF: instance 2 now flushes conditionally, less than instance 1's always" \
	grep -q "VMX: conditional cache flushes" $VULN/l1tf
echo force >/sys/module/kvm_intel_2/parameters/nx_huge_pages
check "iTLB multihit: both instances split huge pages now" \
	grep -q "KVM: Mitigation: Split huge pages" $VULN/itlb_multihit
echo never >/sys/module/kvm_intel_2/parameters/vmentry_l1d_flush
echo off >/sys/module/kvm_intel_2/parameters/nx_huge_pages
check "L1TF: back to instance 2's never" grep -q "VMX: vulnerable" $VULN/l1tf
check "iTLB multihit: back to instance 2's off" grep -q "KVM: Vulnerable" $VULN/itlb_multihit

step "refusals"
expect_fail "rmmod kvm_intel_2 is refused while its VM lives" rmmod kvm_intel_2
expect_fail "rmmod vac is refused while instances exist" rmmod vac
expect_fail "stock kvm_intel does not load next to vac" modprobe kvm_intel
check "...and the kernel log says why" sh -c "dmesg | grep -q 'vac: refusing to load stock kvm'"

kill -TERM $guest
wait $guest
rc=$?
tail -2 /tmp/long
check "the kvm2 guest finished correctly" test $rc = 0
check "it made progress in every interval" \
	awk '/progress/ { n++; if ($6 + 0 <= 0) bad++ } END { exit !(n >= 2 && !bad) }' /tmp/long

step "unload: the mitigation state follows the instances that remain"
check "kvm_intel_2 unloads" rmmod kvm_intel_2
echo "l1tf: $(cat $VULN/l1tf)"
echo "itlb_multihit: $(cat $VULN/itlb_multihit)"
check "L1TF: instance 1's cache flushes remain" grep -q "VMX: cache flushes" $VULN/l1tf
check "iTLB multihit: instance 1 splits huge pages" grep -q "KVM: Mitigation: Split huge pages" $VULN/itlb_multihit
check "kvm_intel_1 unloads" rmmod kvm_intel_1
check "no VMX state is claimed without instances" sh -c "! grep -q 'VMX:' $VULN/l1tf"
check "vac unloads" rmmod vac
