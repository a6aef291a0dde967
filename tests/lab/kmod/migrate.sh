# SPDX-License-Identifier: GPL-2.0-or-later
# Migration between two hosts keeps a domain's pin (issue 16, item 3).
# Two libvirtds run in the lab: host A in the lab's own namespaces, host B
# in private mount and UTS namespaces (its own /etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /etc/multikvm and /run/multikvm, host name mkvm-b, host
# UUID).  Both see vac's instances 1 (the KVM that came with the running
# kernel), 2 and 4 (KVM from the newest 6.12 source: one build, two ids),
# but each offers its own set: A drains 4, B drains 1 and 2.
#  - M, pinned to instance 2 on A, is migrated live (`virsh migrate --live`)
#    to B.  B's policy keeps pins by KVM build (<migration pin="build"/>,
#    the default): M lands on B's instance 4, which runs the same code;
#    its guest keeps counting where it was; its XML on B pins 4.
#  - R, pinned to instance 1 on A, is refused at B's "migrate begin" with
#    one line naming the build B lacks, and keeps running on A.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_amd_4
# lab: hostroot=yes
# lab: timeout=1200
. /lab/lib.sh

B=$LAB_BUILD_DIR
TICKS="python3 $LAB_TOP/tests/e2e/ticks.py"
D=/tmp/mig
PLACEMENT_URI=http://multikvm.org/xmlns/libvirt/placement/1.0
WISH_URI=http://multikvm.org/xmlns/libvirt/domain/1.0
mkdir -p $D/b/run-libvirt $D/b/etc-multikvm $D/b/log

dump_logs() {
	local f
	for f in /var/log/libvirt/libvirtd.log $D/b/log/libvirtd.log /var/log/libvirt/qemu/*.log \
		$D/b/log/qemu/*.log $D/*.serial; do
		[ -f "$f" ] || continue
		echo "=== LOG-BEGIN $f"
		tail -n 80 "$f"
		echo "=== LOG-END $f"
	done
}
trap '[ $? -eq 0 ] || dump_logs' EXIT

build_id() { cat /sys/kernel/vac/instances/$1/build_id; }
# on_b COMMAND...: run in host B's namespaces
on_b() { nsenter -t "$(cat $D/b/libvirtd.pid)" -m -u -- "$@"; }
B_URI="qemu+unix:///system?socket=$D/b/run-libvirt/libvirt-sock"

# nodes PIDFILE: the kvm nodes the QEMU of PIDFILE has open
nodes() {
	ls -l /proc/$(cat "$1")/fd | sed -n 's|.* -> \(/dev/kvm[0-9]*\)$|\1|p' | sort -u | tr '\n' ' '
}
# has URI DOMAIN METADATA-URI PATTERN...: the domain's live metadata in that
# namespace matches every grep pattern
has() {
	local uri=$1 dom=$2 ns=$3 md
	shift 3
	md=$(virsh -c "$uri" metadata "$dom" "$ns") || return 1
	for p in "$@"; do
		printf '%s\n' "$md" | grep -qF -- "$p" || return 1
	done
}
# records NAME ID [on_b]: the host's multikvm runtime state has NAME on ID
records() {
	${3:-} multikvm domains | grep -qE "^$1 +[0-9a-f-]+ +$2 "
}
running_on() { [ "$(virsh -c "$1" domstate "$2" 2>/dev/null)" = running ]; }

# the migration stream goes over TCP on the loopback, which the lab's init
# leaves down
ip link set lo up || die "cannot bring up the loopback interface"

step "vac and instances 1 (KVM $(uname -r | cut -d+ -f1)), 2 and 4 (the newest KVM)"
lab_load vac
for i in 1 2 4; do lab_load kvm_amd_$i; done
# What our udev rule does on a host (no udev in the lab).
chgrp kvm /dev/kvm /dev/kvm1 /dev/kvm2 /dev/kvm4 && chmod 0660 /dev/kvm /dev/kvm1 /dev/kvm2 /dev/kvm4
for i in 1 2 4; do echo "   instance $i: build $(build_id $i)"; done
check "instances 2 and 4 run one build" test "$(build_id 2)" = "$(build_id 4)"
check "instance 1 runs another" test "$(build_id 1)" != "$(build_id 2)"

step "Install multikvm; host A: libvirtd, instances 1 and 2 (4 drained)"
meson install --no-rebuild --quiet -C "$B" >$D/install.log 2>&1 ||
	{ cat $D/install.log; die "meson install"; }
mkdir -p /etc/multikvm
cat > /etc/multikvm/policy.xml <<XML
<policy version="1">
  <profiles default="standard"><profile name="standard"/></profiles>
</policy>
XML
echo "qemu=/usr/bin/qemu-system-x86_64" > /etc/multikvm/multikvm.conf
cp /etc/multikvm/policy.xml /etc/multikvm/multikvm.conf $D/b/etc-multikvm/
cat >> /etc/libvirt/qemu.conf <<CONF
cgroup_device_acl = [ "/dev/null", "/dev/full", "/dev/zero", "/dev/random",
    "/dev/urandom", "/dev/ptmx", "/dev/kvm", "/dev/userfaultfd",
    "/dev/kvm1", "/dev/kvm2", "/dev/kvm4" ]
CONF
cp -a /etc/libvirt $D/b/etc-libvirt
echo 'host_uuid = "a0a0a0a0-0000-4000-8000-00000000000a"' >> /etc/libvirt/libvirtd.conf
echo 'host_uuid = "b0b0b0b0-0000-4000-8000-00000000000b"' >> $D/b/etc-libvirt/libvirtd.conf
echo "log_outputs = \"3:file:$D/b/log/libvirtd.log\"" >> $D/b/etc-libvirt/libvirtd.conf
check "virtlogd starts" virtlogd -d
check "libvirtd starts" libvirtd -d
multikvm drain 4 --reason "not offered by host A" >/dev/null

step "Host B: its own libvirtd in private mount and UTS namespaces, instance 4"
unshare -m -u --propagation private sh -ec "
	hostname mkvm-b
	mount --bind $D/b/etc-libvirt /etc/libvirt
	mount --bind $D/b/run-libvirt /run/libvirt
	mount --bind $D/b/etc-multikvm /etc/multikvm
	mount --bind $D/b/log /var/log/libvirt
	for d in /var/lib/libvirt /var/cache/libvirt /run/multikvm; do
		mkdir -p \$d
		mount -t tmpfs -o mode=0755 mkvm-b \$d
	done
	virtlogd -d -p $D/b/virtlogd.pid
	libvirtd -d -p $D/b/libvirtd.pid
"
for i in $(seq 100); do
	[ -S $D/b/run-libvirt/libvirt-sock ] && [ -s $D/b/libvirtd.pid ] && break
	sleep 0.2
done
check "host B's libvirtd answers" virsh -c "$B_URI" -q uri
check "host B is another host" test "$(on_b hostname)" = mkvm-b
on_b multikvm drain 1 --reason "not offered by host B" >/dev/null
on_b multikvm drain 2 --reason "not offered by host B" >/dev/null
echo "   host A: $(multikvm status | grep -c draining) drained; host B: $(on_b multikvm status | grep -c draining) drained"

step "On host A: R pinned to instance 1, M pinned to instance 2"
lab_define_domain $D R "instance='1'"
lab_define_domain $D M "instance='2'"
check "R starts" virsh -q start R
check "M starts" virsh -q start M
check "R runs on /dev/kvm1" test "$(nodes /run/libvirt/qemu/R.pid)" = "/dev/kvm1 "
check "M runs on /dev/kvm2" test "$(nodes /run/libvirt/qemu/M.pid)" = "/dev/kvm2 "
# the hook's background `multikvm annotate` writes the placement once the
# start job has ended
for i in $(seq 150); do
	virsh metadata M $PLACEMENT_URI 2>/dev/null | grep -q 'build=' && break
	sleep 0.2
done
virsh metadata M $PLACEMENT_URI | sed 's/^/   M: /'
check "M's live XML carries instance 2's build" \
	has qemu:///system M $PLACEMENT_URI "instance=\"2\"" "build=\"$(build_id 2)\""
for i in $(seq 150); do
	[ "$($TICKS last $D/M.serial)" -gt 3 ] && break
	sleep 0.2
done
before=$($TICKS last $D/M.serial)

step "virsh migrate --live M to host B"
t0=$(cut -d' ' -f1 /proc/uptime)
check "M migrates" virsh migrate --live M "$B_URI" --migrateuri tcp://127.0.0.1:49152
t1=$(cut -d' ' -f1 /proc/uptime)
echo "   virsh migrate took $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s (TCG, nested)"
check "M runs on host B" running_on "$B_URI" M
expect_fail "M is gone from host A" running_on qemu:///system M
check "on host B, M's QEMU runs on /dev/kvm4 (the build of A's instance 2)" \
	test "$(nodes $D/b/run-libvirt/qemu/M.pid)" = "/dev/kvm4 "
virsh -c "$B_URI" metadata M $WISH_URI | sed 's/^/   M on B: /'
virsh -c "$B_URI" metadata M $PLACEMENT_URI | sed 's/^/   M on B: /'
check "on host B, M's pin names B's instance 4" has "$B_URI" M $WISH_URI 'instance="4"'
check "on host B, M's placement names host mkvm-b, instance 4, the same build" \
	has "$B_URI" M $PLACEMENT_URI 'host="mkvm-b"' 'instance="4"' "build=\"$(build_id 2)\""
on_b multikvm domains | sed 's/^/   B: /'
check "host B recorded M on instance 4" records M 4 on_b
expect_fail "host A forgot M" records M '[0-9]*'

sleep 1
after=$($TICKS last $D/M.serial)
echo "   M's guest: tick $before before, $after after"
check "M's guest went on counting (not restarted)" test "$after" -gt "$before"

step "virsh migrate --live R (instance 1's build) to host B, which drains it"
if virsh migrate --live R "$B_URI" --migrateuri tcp://127.0.0.1:49153 2>$D/r.err; then
	die "R migrated to a host without its build"
fi
sed 's/^/   /' $D/r.err
check "refused at B's migrate begin with one line naming the missing build" \
	grep -qF "no instance here runs KVM build '$(build_id 1)'" $D/r.err
check "R still runs on host A on /dev/kvm1" test "$(nodes /run/libvirt/qemu/R.pid)" = "/dev/kvm1 "
expect_fail "host B has no R" virsh -c "$B_URI" domstate R

step "Clean up"
virsh -c "$B_URI" destroy M >/dev/null
virsh destroy R >/dev/null
kill "$(cat $D/b/libvirtd.pid)" "$(cat $D/b/virtlogd.pid)" 2>/dev/null || true
