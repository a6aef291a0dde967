# SPDX-License-Identifier: GPL-2.0-or-later
# vac's interface is safe across builds (issue 13, item 5), on whichever
# vendor the machine has (kmod-interface: SVM under QEMU; vmx-interface:
# the same script under Bochs):
#  - vac_test, calling vac as an instance built for another vac ABI or
#    another struct vac_instance would, is refused with one kernel log line
#    and vac and the loaded instances keep working; one that enables
#    virtualization without having registered is refused (vac's crash-time
#    path would not know it);
#  - user-return MSRs: vac_test first takes vac's first three slots, as an
#    instance with another MSR list loaded earlier would, so the instances'
#    own MSR numbering is not vac's; guests with their own TSC_AUX run on
#    both instances on every CPU, alone and at once, and read their own
#    value, and host userspace on every CPU keeps reading Linux's;
#  - with vac's 16 user-return slots full, vac refuses the next MSR with
#    one line, and an instance that cannot get TSC_AUX does not load (no
#    WARN); reloaded vac has its slots back.
# vac_test.ko comes with --module (meson: tests/lab/kmod/vac-test).
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2
# lab: bins=tests/kvmtest
# lab: smp=2 timeout=900
. /lab/lib.sh

V=/sys/kernel/vac
ncpu=$(grep -c '^processor' /proc/cpuinfo)

# klog_mark: how many kernel log lines there are; klog_since MARK: the new ones
klog_mark() { dmesg | wc -l; }
klog_since() { dmesg | sed -n "$(($1 + 1)),\$p"; }

step "load vac; vac_test takes user-return slots 0-2 (SYSENTER_CS/ESP/EIP) and goes"
lab_load vac
vendor=$(cat $V/vendor)
abi=$(dmesg | sed -n 's/.*vac: loaded (.*, instance ABI \([0-9]*\), struct size [0-9]*)$/\1/p')
size=$(dmesg | sed -n 's/.*vac: loaded (.*, instance ABI [0-9]*, struct size \([0-9]*\))$/\1/p')
echo "vac: $vendor, instance ABI $abi, struct vac_instance $size bytes"
check "vac's load line names its instance ABI and struct size" test -n "$abi" -a -n "$size"
check "the sysfs contract is still ABI 1" test "$(cat $V/abi)" = 1
check "vac_test loads" modprobe vac_test uret=0x174,0x175,0x176
for s in 0 1 2; do
	check "...and got vac's slot $s" sh -c "dmesg | grep -q 'vac_test: MSR 0x17$((4 + s)): vac.s user-return slot $s\$'"
done
check "vac_test unloads (vac keeps the slots)" rmmod vac_test
lab_load kvm_${vendor}_1
lab_load kvm_${vendor}_2

step "instances built for another vac ABI or struct layout are refused with one line"
# refused WHAT EXPECT ARGS...: modprobe vac_test ARGS fails with ENOEXEC
# (busybox: "invalid module format"), and each attempt (vac_test logs one
# line; busybox's modprobe tries finit_module, then init_module) adds one
# kernel log line, "vac: vac_test: EXPECT; rebuild the instance ...".
refused() {
	local what=$1 expect=$2 mark tries
	shift 2
	mark=$(klog_mark)
	if modprobe vac_test "$@" 2>/tmp/err; then
		die "$what: vac_test $* loaded"
	fi
	klog_since $mark >/tmp/klog
	sed 's/^/  modprobe: /' /tmp/err
	sed 's/^/  kernel: /' /tmp/klog
	tries=$(grep -c "vac_test: [a-z]* as an instance built for" /tmp/klog)
	check "$what: modprobe fails with ENOEXEC" grep -q "invalid module format" /tmp/err
	check "$what: vac_test was called" test "$tries" -ge 1
	# (vac's and vac_test's lines only: under TCG the kernel may log
	# something else meanwhile, e.g. the clocksource watchdog's "Long
	# readout interval", seen here once; a WARN from vac fails the run
	# through the harness's dmesg check)
	check "$what: one kernel log line per attempt" \
		test "$(grep -cE '^\[[ 0-9.]+\] (vac|vac_test): ' /tmp/klog)" = $((2 * tries))
	check "$what: and it says what is wrong and what to do" \
		test "$(grep -c "vac: vac_test: $expect; rebuild the instance with this multikvm version\$" /tmp/klog)" = "$tries"
}
refused "registering, built for ABI 1" \
	"built for vac ABI 1 (struct size $size), this vac speaks ABI $abi (size $size)" \
	call=register abi=1
refused "registering, another struct size" \
	"built for vac ABI $abi (struct size $((size - 24))), this vac speaks ABI $abi (size $size)" \
	call=register size=$((size - 24))
refused "enabling virtualization before registering, another ABI and size" \
	"built for vac ABI $((abi + 1)) (struct size $((size + 8))), this vac speaks ABI $abi (size $size)" \
	call=enable abi=$((abi + 1)) size=$((size + 8))
mark=$(klog_mark)
expect_fail "enabling virtualization without registering first (this ABI) is refused" \
	modprobe vac_test call=enable
klog_since $mark >/tmp/klog
sed 's/^/  kernel: /' /tmp/klog
tries=$(grep -c "vac_test: enable as an instance built for" /tmp/klog)
check "...vac_test was called" test "$tries" -ge 1
check "...with one line per attempt: vac's crash-time path knows only registered instances" \
	test "$(grep -v 'vac_test: enable as an instance' /tmp/klog | sed 's/^\[[ 0-9.]*\] //' | sort | uniq -c | sed 's/^ *//')" = \
	"$tries vac: vac_test: enables virtualization before it registered with vac; refused"
mark=$(klog_mark)
check "mitigation reports with another ABI are ignored (vac_test loads)" \
	modprobe vac_test call=report abi=1
check "...without a kernel log line from vac" \
	test "$(klog_since $mark | grep -c 'vac: ')" = 0
check "...and unloads" rmmod vac_test

step "vac keeps working"
check "only instances 1 and 2 are registered" test "$(ls $V/instances | xargs)" = "1 2"
check "vac is held by the two instances only" test "$(ls /sys/module/vac/holders | xargs)" = "kvm_${vendor}_1 kvm_${vendor}_2"
for node in /dev/kvm1 /dev/kvm2 /dev/kvm; do
	check "1000 checked exits on $node" kvmtest -q -n 1000 $node
done

step "guests with their own TSC_AUX, one instance at a time, on every CPU"
cpu=0
while [ $cpu -lt $ncpu ]; do
	for n in 1 2; do
		check "instance $n on CPU $cpu: the guest reads 0xa${n}0$cpu, host userspace Linux's after each of 2000 exits" \
			kvmtest -q -n 2000 -c $cpu -a 0xa${n}0$cpu /dev/kvm$n
	done
	cpu=$((cpu + 1))
done

step "both instances' guests at once on every CPU, 10 s"
pids=
cpu=0
while [ $cpu -lt $ncpu ]; do
	for n in 1 2; do
		kvmtest -q -n 200 -t 10 -c $cpu -a 0xb${n}0$cpu /dev/kvm$n &
		pids="$pids $!"
	done
	cpu=$((cpu + 1))
done
for pid in $pids; do
	check "guest $pid: its own TSC_AUX in, Linux's out, all along" wait $pid
done

step "afterwards, host userspace on every CPU reads Linux's TSC_AUX"
cpu=0
while [ $cpu -lt $ncpu ]; do
	check "CPU $cpu: TSC_AUX is (node << 12) | $cpu" kvmtest -q -A -c $cpu
	cpu=$((cpu + 1))
done

step "unload"
check "kvm_${vendor}_1 unloads" rmmod kvm_${vendor}_1
check "kvm_${vendor}_2 unloads" rmmod kvm_${vendor}_2
check "vac unloads" rmmod vac

step "vac's 16 user-return slots full: the next MSR is refused with one line, and the instance does not load"
lab_load vac
# MSRs both emulators have that are safe to read and write back unchanged
# (SYSENTER, SYSCALL, EFER, KERNEL_GS_BASE, PAT, fixed-range MTRRs); not
# TSC_AUX, which the instances then ask for.
msrs=0x174,0x175,0x176,0xc0000081,0xc0000082,0xc0000083,0xc0000084
msrs=$msrs,0xc0000080,0xc0000102,0x277,0x250,0x258,0x259,0x268,0x269
msrs=$msrs,0x26a,0x26b,0x26c
mark=$(klog_mark)
check "vac_test asks for 18 slots" modprobe vac_test uret=$msrs
klog_since $mark >/tmp/klog
sed 's/^/  kernel: /' /tmp/klog
check "...and gets 16" test "$(grep -c "vac_test: MSR 0x[0-9a-f]*: vac.s user-return slot" /tmp/klog)" = 16
check "...then -ENOSPC for the 17th" grep -q "vac_test: MSR 0x26b: refused (-28)" /tmp/klog
check "...and asks no more" test "$(grep -c "vac_test: MSR 0x[0-9a-f]*: refused" /tmp/klog)" = 1
check "...with one line from vac, which says so" \
	test "$(grep 'vac: ' /tmp/klog | sed 's/^\[[ 0-9.]*\] //')" = \
	"vac: vac_test: no user-return MSR slot left for MSR 0x26b (all 16 taken since vac loaded); unload every instance and vac to free them"
check "vac_test unloads" rmmod vac_test
# Busybox's modprobe tries finit_module, then init_module: each attempt
# gets the line once.
mark=$(klog_mark)
expect_fail "kvm_${vendor}_1 does not load" modprobe kvm_${vendor}_1
klog_since $mark | grep 'vac: ' | sed 's/^\[[ 0-9.]*\] //' >/tmp/klog
sed 's/^/  kernel: /' /tmp/klog
check "...vac refused its TSC_AUX, once per attempt, and said nothing else" \
	test "$(sort -u /tmp/klog)" = "vac: kvm_${vendor}_1: no user-return MSR slot left for MSR 0xc0000103 (all 16 taken since vac loaded); unload every instance and vac to free them"
check "...at most twice" test "$(wc -l </tmp/klog)" -le 2
check "no instance is registered" test -z "$(ls $V/instances)"
check "vac unloads" rmmod vac
check "reloaded, vac has its slots back" modprobe vac
lab_load kvm_${vendor}_1
check "kvm_${vendor}_1 runs guests with their own TSC_AUX" \
	kvmtest -q -n 1000 -a 0xc1 /dev/kvm1
check "kvm_${vendor}_1 unloads" rmmod kvm_${vendor}_1
check "vac unloads" rmmod vac
