# SPDX-License-Identifier: GPL-2.0-or-later
# An instance's bring-up can fail at any step and leave nothing behind
# (issue 14, item 3), in either lab (kmod-bringup: SVM under QEMU;
# vmx-bringup: the same script under Bochs).  kvm_<vendor>_9 is a test
# build (kmod/build.sh --fault-inject, meson target kmod-faultinject, given
# with --module): fail_init_at=STEP makes step STEP of its kvm_init() fail.
# For every step in turn, first with no other instance, then while
# instance 1 (the production build, with other mitigation settings) holds
# a VM (not running it: under TCG a busy vCPU makes each module load take
# a minute and a half):
#  - the load fails, with one kernel log line beyond those a good load of
#    the same module prints (its hardware setup), and none from vac;
#  - no /dev/kvm9, no debugfs kvm9, no /sys/kernel/vac/instances/9, the
#    module and its hold on vac gone, vac's own view (debugfs vac/instances:
#    its registry; vac/virt: instances with virtualization on per CPU),
#    /dev/kvm's default and the L1TF/iTLB-multihit state as before;
# then it loads cleanly and runs a guest, and so does instance 1.  The
# production build has no fail_init_at (modinfo, sysfs).
# lab: modules=vac kvm_amd_1 kvm_intel_1
# lab: bins=tests/kvmtest
# lab: smp=2 timeout=1800
. /lab/lib.sh

V=/sys/kernel/vac
D=/sys/kernel/debug/vac
VULN=/sys/devices/system/cpu/vulnerabilities
STEPS="vac vcpu_cache kick_mask irqfd async_pf vfio virt misc"

klog_mark() { dmesg | wc -l; }
# klog_since MARK: the kernel log lines since MARK, without timestamps
klog_since() { dmesg | sed -n "$(($1 + 1)),\$p" | sed 's/^\[[ 0-9.]*\] //'; }
# ours FILE: the lines of vac, of KVM modules, and of trouble (not, e.g.,
# the clocksource watchdog's complaints about a loaded emulator host)
ours() { grep -E '^(vac|kvm[a-z_0-9]*): |WARNING|BUG|Oops|Call Trace' "$1"; }

# state: what an instance leaves behind, as text
state() {
	echo "nodes: $(ls /dev | grep '^kvm' | xargs)"
	echo "debugfs: $(ls /sys/kernel/debug | grep '^kvm' | xargs)"
	echo "sysfs instances: $(ls $V/instances | xargs); default: $(cat $V/default_instance)"
	echo "modules: $(ls /sys/module | grep '^kvm_' | xargs); vac held by: $(ls /sys/module/vac/holders | xargs)"
	sed 's/^/vac registry: /' $D/instances
	sed 's/^/vac virt: /' $D/virt
	echo "l1tf: $(cat $VULN/l1tf)"
	echo "itlb_multihit: $(cat $VULN/itlb_multihit)"
}

step "load vac; a production build and a test build"
lab_load vac
vendor=$(cat $V/vendor)
T=kvm_${vendor}_9
P=kvm_${vendor}_1
# The test instance is the less mitigated one: a report it left behind
# would show in the host's vulnerability files.
t_params="nx_huge_pages=off"
p_params="nx_huge_pages=force"
if [ "$vendor" = intel ]; then
	t_params="$t_params vmentry_l1d_flush=never"
	p_params="$p_params vmentry_l1d_flush=always"
fi
# (busybox's modinfo: -F parmtype lists every parameter, -p the described)
modinfo -F parmtype $P >/tmp/parm-p
modinfo -F parmtype $T >/tmp/parm-t
check "the production build $P has no fail_init_at" sh -c "! grep fail_init_at /tmp/parm-p"
check "...but its other parameters (modinfo works)" grep -qx 'nx_huge_pages:bool' /tmp/parm-p
check "the test build $T has fail_init_at" grep -qx 'fail_init_at:charp' /tmp/parm-t
check "...whose steps are the ones this test goes through" \
	test "$(modinfo -p $T | sed -n 's/^fail_init_at:.*, one of: //p')" = "$STEPS"

step "a good load of $T, for the lines it prints"
mark=$(klog_mark)
lab_load $T $t_params
klog_since $mark >/tmp/good
sed 's/^/  kernel: /' /tmp/good
check "vac registered it" grep -q "^vac: instance 9 registered: $T, /dev/kvm9," /tmp/good
check "it runs a guest" kvmtest -q -n 500 /dev/kvm9
lab_unload $T
# (never an empty pattern file: busybox's grep -v -f EMPTY drops every line)
{ ours /tmp/good | grep -v '^vac: '; echo '(a line no kernel prints)'; } >/tmp/setup-lines

# fail_all: each step fails in turn and leaves the state as it was
fail_all() {
	state >/tmp/before
	sed 's/^/  /' /tmp/before
	for s in $STEPS; do
		step "fail_init_at=$s ($1)"
		mark=$(klog_mark)
		if modprobe $T $t_params fail_init_at=$s 2>/tmp/err; then
			die "fail_init_at=$s: $T loaded"
		fi
		echo "ok: the load fails: $(cat /tmp/err)"
		klog_since $mark >/tmp/klog
		sed 's/^/  kernel: /' /tmp/klog
		ours /tmp/klog | grep -v -x -F -f /tmp/setup-lines >/tmp/extra
		check "one line says which step failed" \
			test "$(sort -u /tmp/extra)" = "$T: fail_init_at=$s: failing this step of init (fault injection, test build)"
		check "...once per load attempt (busybox's modprobe tries twice)" \
			test "$(wc -l </tmp/extra)" -le 2
		check "no device node" test ! -e /dev/kvm9
		check "no debugfs directory" test ! -e /sys/kernel/debug/kvm9
		check "nothing in vac's sysfs" test ! -e $V/instances/9
		check "vac does not know it" sh -c "! grep -q '^id=9 ' $D/instances"
		check "the module is gone" test ! -e /sys/module/$T
		state >/tmp/after
		check "vac's registry, per-CPU virtualization, default and mitigation state as before" \
			diff /tmp/before /tmp/after
	done
}

fail_all "no other instance"

step "instance 1 holds a VM"
lab_load $P $p_params
check "$P has no fail_init_at parameter" test ! -e /sys/module/$P/parameters/fail_init_at
kvmtest -q -n 1000 -H -1 /dev/kvm1 &
guest=$!
check "its VM is open" lab_wait_vms 1 1

fail_all "instance 1 holding a VM"

step "an unknown step is refused"
mark=$(klog_mark)
expect_fail "fail_init_at=nosuch does not load" modprobe $T fail_init_at=nosuch
klog_since $mark >/tmp/klog
ours /tmp/klog | grep -v -x -F -f /tmp/setup-lines | sort -u >/tmp/extra
check "...and says which steps there are" \
	test "$(cat /tmp/extra)" = "$T: fail_init_at=nosuch: no such step; the steps are: $STEPS"

step "after all that, $T loads cleanly and runs a guest"
lab_load $T $t_params
check "/dev/kvm9 is the char device vac reports" \
	test "$(lab_devno /dev/kvm9)" = "$(cat $V/instances/9/dev)"
check "it has its debugfs directory" test -d /sys/kernel/debug/kvm9
check "vac shows it, with virtualization on" \
	grep -q "^id=9 module=$T published=1 virt=1 " $D/instances
check "1000 checked exits on /dev/kvm9" kvmtest -q -n 1000 /dev/kvm9
check "$T unloads" rmmod $T
state >/tmp/after
check "and leaves the state as it was" diff /tmp/before /tmp/after
check "instance 1 still holds its VM" lab_wait_vms 1 1
check "instance 1 runs another checked guest" kvmtest -q -n 1000 /dev/kvm1

kill -TERM $guest
wait $guest
rc=$?
check "instance 1's first VM passed its checks and closed" test $rc = 0
check "$P unloads" rmmod $P
check "vac unloads" rmmod vac
