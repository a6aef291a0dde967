# SPDX-License-Identifier: GPL-2.0-or-later
# A real upgrade by attrition (issue 13): the lab kernel is an older 6.12
# point release; vac + kvm_amd_1, the KVM that came with it, run domains A
# and B; kvm_amd_2, KVM from the newest 6.12 source, is loaded next to it and
# new domains land there; instance 1 is drained, its domains finish one by
# one and it is retired (unloaded) while the domains on instance 2 keep
# running; a third build (the newest KVM plus an operator hotfix) arrives
# and takes the next domain.  libvirtd, virtlogd, QEMU and multikvm's hook, wrapper and CLI
# are the host's and this build's, running inside the lab.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_amd_3
# lab: hostroot=yes
# lab: timeout=900
. /lab/lib.sh

B=$LAB_BUILD_DIR
TICKS="python3 $LAB_TOP/tests/e2e/ticks.py"
export PATH=$B/cli:$PATH

# If anything fails, the console log (kept by the harness) gets libvirtd's
# log and every domain's serial output.
dump_logs() {
	local f d pid t
	# What each domain and its QEMU threads were doing: libvirt's state
	# (running/paused and why) and every thread's kernel stack (a vCPU
	# stuck in KVM shows kvm_* frames).
	echo "=== LOG-BEGIN domain states"
	for d in A B C D E F; do
		[ -f /tmp/e2e/$d.xml ] || continue
		echo "$d: $(virsh domstate --reason $d 2>&1)"
		pid=$(cat /run/libvirt/qemu/$d.pid 2>/dev/null) || continue
		for t in /proc/$pid/task/*; do
			echo "  $d thread $(basename $t) $(cat $t/comm 2>/dev/null): state $(sed 's/.*) //' $t/stat 2>/dev/null | cut -d' ' -f1)"
			sed 's/^/      /' $t/stack 2>/dev/null | head -12
		done
	done
	# Which exits the VMs are taking, twice a second apart, and where
	# their vCPUs are (lib.sh): a vCPU that runs without progress shows
	# one counter racing.
	lab_vm_report
	echo "=== LOG-END domain states"
	for f in /var/log/libvirt/libvirtd.log /var/log/libvirt/qemu/*.log /tmp/e2e/*.serial; do
		[ -f "$f" ] || continue
		echo "=== LOG-BEGIN $f"
		tail -n 200 "$f"
		echo "=== LOG-END $f"
	done
}
trap '[ $? -eq 0 ] || dump_logs' EXIT

# domain NAME [METADATA]: define a domain whose guest prints progress ticks
domain() {
	lab_define_domain /tmp/e2e "$@"
}

qemu_pid() {
	cat /run/libvirt/qemu/$1.pid
}

# on NAME N: domain NAME's QEMU has /dev/kvmN open (and no other kvm node)
on() {
	local pid nodes
	pid=$(qemu_pid "$1")
	nodes=$(ls -l /proc/$pid/fd | sed -n 's|.* -> \(/dev/kvm[0-9]*\)$|\1|p' | sort -u | tr '\n' ' ')
	[ "$nodes" = "/dev/kvm$2 " ] || die "$1 (pid $pid) has '$nodes' open, expected /dev/kvm$2"
	echo "   $1: QEMU pid $pid runs on /dev/kvm$2"
}

vms() {
	cat /sys/kernel/vac/instances/$1/vms
}

ticks() {
	$TICKS last /tmp/e2e/$1.serial
}

# mark_ticks: append each running guest's tick count now to its marks
# (C, D and E: "A:B:..."), the ends of the steps whose pauses are reported
mark_ticks() {
	local d
	for d in C D E; do
		eval "marks_$d=\${marks_$d:+\$marks_$d:}$(ticks $d)"
	done
}

# progressing NAME...: each domain's guest makes progress
progressing() {
	local d before=
	for d in "$@"; do before="$before $(ticks $d)"; done
	sleep 2
	set -- $@
	for t in $before; do
		local now
		now=$(ticks $1)
		[ "$now" -gt "$t" ] || die "domain $1 made no progress ($t -> $now ticks)"
		echo "   $1: guest ticks $t -> $now"
		shift
	done
}

mkdir -p /tmp/e2e

kernel=$(uname -r)
running=${kernel%%[+-]*}	# 6.12.107+deb12-amd64 -> 6.12.107
kvm_version() { cat /sys/kernel/vac/instances/$1/kvm_version; }

step "Day 0: kernel $kernel, vac and the KVM that came with it, kvm_amd_1"
lab_load vac
lab_load kvm_amd_1
# What our udev rule does on a host (no udev in the lab).
chgrp kvm /dev/kvm /dev/kvm1 && chmod 0660 /dev/kvm /dev/kvm1
echo "   instance 1: $(cat /sys/kernel/vac/instances/1/module), KVM $(kvm_version 1), build $(cat /sys/kernel/vac/instances/1/build_id)"
check "instance 1 runs the running kernel's KVM $running" test "$(kvm_version 1)" = "$running"

step "Install multikvm: hook, wrapper, CLI, policy"
meson install --no-rebuild --quiet -C "$B" >/tmp/e2e/install.log 2>&1 ||
	{ cat /tmp/e2e/install.log; die "meson install"; }
mkdir -p /etc/multikvm
cat > /etc/multikvm/policy.xml <<XML
<policy version="1">
  <profiles default="standard">
    <profile name="standard"/>
    <profile name="hardened">
      <require param="nx_huge_pages" value="Y"/>
    </profile>
  </profiles>
  <order>newest-build least-loaded</order>
  <draining pin="refuse"/>
</policy>
XML
echo "qemu=/usr/bin/qemu-system-x86_64" > /etc/multikvm/multikvm.conf
echo "   policy: profiles standard (default) and hardened (nx_huge_pages=Y)"
cat >> /etc/libvirt/qemu.conf <<CONF
cgroup_device_acl = [ "/dev/null", "/dev/full", "/dev/zero", "/dev/random",
    "/dev/urandom", "/dev/ptmx", "/dev/kvm", "/dev/userfaultfd",
    "/dev/kvm1", "/dev/kvm2", "/dev/kvm3" ]
CONF
check "virtlogd starts" virtlogd -d
check "libvirtd starts" libvirtd -d
multikvm status

step "Domains A and B (no wish) start on instance 1"
for d in A B; do domain $d; virsh -q start $d >/dev/null || die "virsh start $d"; done
on A 1
on B 1
check "vac counts 2 VMs on instance 1" test "$(vms 1)" = 2
progressing A B

step "Upgrade day: KVM from a newer 6.12 release, kvm_amd_2 (hardened parameters), loads next to it"
lab_load kvm_amd_2 nx_huge_pages=force
chgrp kvm /dev/kvm2 && chmod 0660 /dev/kvm2
newest=$(kvm_version 2)
check "instance 2 runs newer KVM code ($newest) than the kernel's ($running)" \
	test "$(printf '%s\n%s\n' "$running" "$newest" | sort -V | tail -1)" = "$newest" -a "$newest" != "$running"
multikvm default 2 || die "multikvm default 2"
echo "   /dev/kvm (libvirt's own probes, unmodified VMMs) now routes to instance 2"
multikvm status | tee /tmp/e2e/status.out
check "multikvm status: instance 1 runs KVM $running" grep -q "instance 1: KVM $running" /tmp/e2e/status.out
check "multikvm status: instance 2 runs KVM $newest" grep -q "instance 2: KVM $newest" /tmp/e2e/status.out

step "New domains land on instance 2: C pinned, D hardened, E no wish"
domain C "instance='2'"
domain D "profile='hardened'"
domain E
for d in C D E; do virsh -q start $d >/dev/null || die "virsh start $d"; done
on C 2
on D 2
on E 2
check "vac counts 3 VMs on instance 2" test "$(vms 2)" = 3
progressing A B C D E

step "Drain instance 1; its domains finish one by one; retire it"
multikvm drain 1 --reason "upgrade to kvm_amd_2" || die "multikvm drain 1"
multikvm retire 1 --wait > /tmp/e2e/retire.out 2>&1 &
retire=$!
sleep 1
for d in A B; do
	virsh -q destroy $d >/dev/null || die "virsh destroy $d"
	echo "   $d finished"
	sleep 1
done
mark_ticks
wait $retire || { cat /tmp/e2e/retire.out; die "multikvm retire 1 --wait"; }
mark_ticks
cat /tmp/e2e/retire.out
check "kvm_amd_1 is unloaded" test ! -d /sys/module/kvm_amd_1
progressing C D E

step "A third build, kvm_amd_3 (KVM $newest + an operator hotfix), arrives; the next domain lands on it"
mark_ticks
lab_load kvm_amd_3
chgrp kvm /dev/kvm3 && chmod 0660 /dev/kvm3
check "instance 3 runs KVM $newest with the hotfix" \
	test "$(kvm_version 3) $(cut -d@ -f1 /sys/kernel/vac/instances/3/patches)" = "$newest hotfix-max-vcpus-64.patch"
sleep 1
mark_ticks
domain F
virsh -q start F >/dev/null || die "virsh start F"
on F 3
progressing C D E F

step "Running guests were never paused by the upgrade"
khz=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -1)
# per step: instance 1 unloaded (retire), the checks in between, and
# kvm_amd_3 loaded (plus a second)
$TICKS gaps --khz "$(echo "$khz" | awk '{print $1 * 1000}')" \
	--steps retire,between,load \
	/tmp/e2e/C.serial=$marks_C /tmp/e2e/D.serial=$marks_D \
	/tmp/e2e/E.serial=$marks_E >/tmp/e2e/gaps.out || die "progress gaps"
cat /tmp/e2e/gaps.out
echo "BENCH: $(tail -1 /tmp/e2e/gaps.out)"

step "Final state"
multikvm status | tee /tmp/e2e/status.out
check "multikvm status: instance 3 runs KVM $newest + the hotfix" \
	grep -q "instance 3: KVM $newest + hotfix-max-vcpus-64.patch" /tmp/e2e/status.out
check "multikvm status --json: instance 2's build is KVM $newest against $kernel" \
	sh -c "multikvm status --json | python3 -c 'import json, sys; i = {x[\"id\"]: x for x in json.load(sys.stdin)[\"instances\"]}; b = i[2][\"build\"]; sys.exit(not (b[\"kvm_version\"] == \"$newest\" and b[\"kernel\"] == \"$kernel\" and not b[\"patches\"]))'"
multikvm domains
for d in C D E F; do virsh -q destroy $d >/dev/null || die "virsh destroy $d"; done
