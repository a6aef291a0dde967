# SPDX-License-Identifier: GPL-2.0-or-later
# vac + kvm_amd_1 + kvm_amd_2: both instances and /dev/kvm run checked
# guests, the sysfs contract holds, /dev/kvm follows a runtime change of
# the default, and the refusals hold (issue 3, done-when 1 and 4).
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm-amd
# lab: bins=tests/kvmtest
. /lab/lib.sh

V=/sys/kernel/vac

step "load vac and two instances"
lab_load vac
lab_load kvm_amd_1
lab_load kvm_amd_2
check "vac speaks ABI 1" test "$(cat $V/abi)" = 1
check "vac owns AMD virtualization" test "$(cat $V/vendor)" = amd
for n in 1 2; do
	d=$V/instances/$n
	check "instance $n: module kvm_amd_$n" test "$(cat $d/module)" = "kvm_amd_$n"
	check "instance $n: /dev/kvm$n is the char device vac reports" \
		test "$(lab_devno /dev/kvm$n)" = "$(cat $d/dev)"
	check "instance $n: no VMs yet" test "$(cat $d/vms) $(cat $d/vcpus)" = "0 0"
	check "instance $n: has a build identity" grep -q ' ' $d/build_id
done
check "instance 2 was built after instance 1" \
	test "$(cat $V/instances/2/build_time)" -ge "$(cat $V/instances/1/build_time)"
check "/dev/kvm is vac's (10:232)" test "$(lab_devno /dev/kvm)" = 10:232
check "the first instance loaded is the default" test "$(cat $V/default_instance)" = 1

step "the KVM API test on every node"
for node in /dev/kvm1 /dev/kvm2 /dev/kvm; do
	check "10000 checked exits on $node" kvmtest -q -n 10000 $node
done

step "/dev/kvm follows the default instance"
for n in 1 2; do
	other=$((3 - n))
	echo $n >$V/default_instance
	check "default is now $n" test "$(cat $V/default_instance)" = $n
	kvmtest -q -n 100 -H -1 /dev/kvm &
	pid=$!
	check "a VM opened through /dev/kvm lands on instance $n" lab_wait_vms $n 1
	check "...and not on instance $other" test "$(cat $V/instances/$other/vms)" = 0
	check "...with its vCPU counted" test "$(cat $V/instances/$n/vcpus)" = 1
	kill $pid
	wait $pid
	check "instance $n has no VM once it exits" lab_wait_vms $n 0
done
expect_fail "an unknown default is refused" sh -c "echo 7 >$V/default_instance"
expect_fail "a malformed default is refused" sh -c "echo ../1 >$V/default_instance"
check "the default did not change" test "$(cat $V/default_instance)" = 2

step "refusals"
kvmtest -q -n 100 -H -1 /dev/kvm2 &
pid=$!
check "a VM is open on instance 2" lab_wait_vms 2 1
expect_fail "rmmod kvm_amd_2 is refused while its VM lives" rmmod kvm_amd_2
expect_fail "rmmod vac is refused while instances exist" rmmod vac
expect_fail "stock kvm_amd does not load next to vac" modprobe kvm_amd
check "...and the kernel log says why" sh -c "dmesg | grep -q 'vac: refusing to load stock kvm'"
check "the instance 2 guest still runs" kvmtest -q -n 1000 /dev/kvm2
kill $pid
wait $pid

step "unload: instances, then vac"
check "kvm_amd_1 unloads" rmmod kvm_amd_1
check "the default moved away from nothing" test "$(cat $V/default_instance)" = 2
check "kvm_amd_2 unloads" rmmod kvm_amd_2
check "no default is left" test "$(cat $V/default_instance)" = none
check "/dev/kvm without instances fails cleanly" sh -c "! kvmtest -q -n 10 /dev/kvm"
check "vac unloads" rmmod vac
check "its sysfs is gone" test ! -e $V
