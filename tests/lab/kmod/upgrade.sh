# SPDX-License-Identifier: GPL-2.0-or-later
# A real upgrade in one lab boot (issue 13): on the lab kernel (an older
# 6.12 point release), vac + kvm_amd_1 (the KVM that came with it) +
# kvm_amd_2 (KVM from the newest 6.12 source) + kvm_amd_3 (the newest KVM
# plus an operator hotfix, tests/lab/kmod/hotfix-max-vcpus-64.patch).
# Each says which KVM it runs, runs checked guests, all three at once,
# the hotfix's effect is visible to userspace, and the old KVM unloads
# under the new ones' running guests.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_amd_3
# lab: bins=tests/kvmtest
. /lab/lib.sh

V=/sys/kernel/vac
KVM_CAP_MAX_VCPUS=66
kernel=$(uname -r)
running=${kernel%%[+-]*}	# 6.12.107+deb12-amd64 -> 6.12.107

step "load vac and three instances built from two KVM sources"
lab_load vac
for n in 1 2 3; do lab_load kvm_amd_$n; done
for n in 1 2 3; do
	d=$V/instances/$n
	echo "instance $n: KVM $(cat $d/kvm_version) ($(cat $d/kvm_source)) patches '$(cat $d/patches)' series $(cat $d/series) multikvm $(cat $d/multikvm_version) built against $(cat $d/kernel)"
	check "instance $n was built against the running kernel" test "$(cat $d/kernel)" = "$kernel"
	check "instance $n: build_id names its source" grep -qF "$(cat $d/kvm_source)" $d/build_id
done
check "instance 1 runs the running kernel's KVM ($running)" test "$(cat $V/instances/1/kvm_version)" = "$running"
newest=$(cat $V/instances/2/kvm_version)
check "instance 2 runs a newer KVM than the kernel's ($newest > $running)" \
	test "$(printf '%s\n%s\n' "$running" "$newest" | sort -V | tail -1)" = "$newest" -a "$newest" != "$running"
check "instance 3 runs the same KVM as instance 2" test "$(cat $V/instances/3/kvm_version)" = "$newest"
check "instances 1 and 2 carry no hotfix" test -z "$(cat $V/instances/1/patches)$(cat $V/instances/2/patches)"
check "instance 3 carries the hotfix, named with its hash" \
	grep -qE '^hotfix-max-vcpus-64\.patch@[0-9a-f]{8}$' $V/instances/3/patches
check "one series for all three" test "$(cat $V/instances/1/series)" = "$(cat $V/instances/2/series)" -a \
	"$(cat $V/instances/2/series)" = "$(cat $V/instances/3/series)"
check "the kernel log names the KVM of each instance" \
	sh -c "dmesg | grep -q 'instance 3 registered: kvm_amd_3, /dev/kvm3, KVM $newest + hotfix-max-vcpus-64.patch@'"

step "the KVM API test on each instance"
for n in 1 2 3; do
	check "10000 checked exits on /dev/kvm$n" kvmtest -q -n 10000 /dev/kvm$n
done

step "the hotfix's effect, seen from userspace"
max1=$(kvmtest -x $KVM_CAP_MAX_VCPUS /dev/kvm1)
max2=$(kvmtest -x $KVM_CAP_MAX_VCPUS /dev/kvm2)
max3=$(kvmtest -x $KVM_CAP_MAX_VCPUS /dev/kvm3)
echo "KVM_CAP_MAX_VCPUS: kvm1 $max1, kvm2 $max2, kvm3 $max3"
check "instance 3 allows 64 vCPUs per VM" test "$max3" = 64
check "instances 1 and 2 allow more (no hotfix)" test "$max1" -gt 64 -a "$max2" -gt 64

step "guests on all three instances at once, on both CPUs"
pids=
for n in 1 2 3; do
	kvmtest -q -t 8 -c $((n % 2)) /dev/kvm$n &
	pids="$pids $!"
done
for n in 1 2 3; do
	check "a VM runs on instance $n" lab_wait_vms $n 1
done
rc=0
for p in $pids; do wait $p || rc=1; done
check "every guest computed the right values" test $rc = 0

step "the old KVM leaves under the new ones' running guests"
kvmtest -q -t 15 -c 0 /dev/kvm2 &
p2=$!
kvmtest -q -t 15 -c 1 /dev/kvm3 &
p3=$!
check "guests run on instances 2 and 3" lab_wait_vms 2 1
check "...and 3" lab_wait_vms 3 1
check "kvm_amd_1 (KVM $running) unloads" rmmod kvm_amd_1
check "its sysfs directory is gone" test ! -e $V/instances/1
check "/dev/kvm routes to a new KVM now" test "$(cat $V/default_instance)" != 1
check "the instance 2 guest finished right" wait $p2
check "the instance 3 guest finished right" wait $p3
check "a new guest runs through /dev/kvm" kvmtest -q -n 1000 /dev/kvm

step "unload"
check "kvm_amd_2 unloads" rmmod kvm_amd_2
check "kvm_amd_3 unloads" rmmod kvm_amd_3
check "vac unloads" rmmod vac
