# SPDX-License-Identifier: GPL-2.0-or-later
# AVIC is refused on instances (issue 14, item 4; docs/design.md): the AMD
# IOMMU's GA-log notifier is one slot of the kernel and AVIC VM IDs are
# numbered per instance.  TCG's EPYC has no AVIC, so avic=1 alone would be
# off anyway: force_avic=1 makes stock KVM turn it on regardless of CPUID,
# which an instance must still refuse, with one line, and run without it.
# lab: modules=vac kvm_amd_1
# lab: bins=tests/kvmtest
. /lab/lib.sh

klog_mark() { dmesg | wc -l; }
klog_since() { dmesg | sed -n "$(($1 + 1)),\$p" | sed 's/^\[[ 0-9.]*\] //'; }

LINE="kvm_amd_1: avic=1 is refused: vac does not share AVIC VM IDs and the AMD IOMMU's GA-log notifier yet; running with avic=0"

lab_load vac
for opts in "avic=1" "avic=1 force_avic=1"; do
	step "kvm_amd_1 $opts"
	mark=$(klog_mark)
	lab_load kvm_amd_1 $opts
	klog_since $mark >/tmp/klog
	sed 's/^/  kernel: /' /tmp/klog
	check "one line says AVIC is refused" test "$(grep -c -x -F "$LINE" /tmp/klog)" = 1
	check "no line says AVIC is on" sh -c "! grep -q 'AVIC enabled\|AVIC is not supported in CPUID but force enabled' /tmp/klog"
	check "avic reads N" test "$(cat /sys/module/kvm_amd_1/parameters/avic)" = N
	check "it runs a guest" kvmtest -q -n 1000 /dev/kvm1
	lab_unload kvm_amd_1
done

step "without avic=1 there is no line"
mark=$(klog_mark)
lab_load kvm_amd_1
klog_since $mark >/tmp/klog
check "no AVIC line" sh -c "! grep -qi avic /tmp/klog"
lab_unload kvm_amd_1
lab_unload vac
