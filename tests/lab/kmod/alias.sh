# SPDX-License-Identifier: GPL-2.0-or-later
# Userspace that looks for KVM by module name (issue 16, item 6): with
# instances loaded, /sys/module/kvm and /sys/module/kvm_amd are vac's links
# to the default instance's module.  kvm_amd_1 runs with nested=1 and
# kvm_amd_2 with nested=0; as the default (`multikvm default`) moves
# between them, (a) the stock paths show that instance's parameters, (b)
# the host's libvirtd notices (its capabilities cache records
# /sys/module/*/parameters/nested and is probed again through /dev/kvm
# when it changes), so `virsh domcapabilities` keeps or disables svm in
# its host-model CPU, (c) the links follow the default when its instance
# unloads and vanish with `default none` and the last instance, and (d)
# the kernel log stays clean (the harness judges it).  Stock kvm_amd by
# name (modprobe, rmmod) finds the default instance and changes nothing.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm-amd
# lab: hostroot=yes
# lab: timeout=1200
. /lab/lib.sh

V=/sys/kernel/vac
M=/sys/module
mkdir -p /tmp/alias

dump_logs() {
	echo "=== LOG-BEGIN libvirtd (capabilities)"
	grep -E "Outdated capabilities|kvmSupportsNesting" /tmp/alias/libvirtd.log | tail -n 40
	echo "=== LOG-END"
}
trap '[ $? -eq 0 ] || dump_logs' EXIT

# links_to N: kvm and kvm_amd are links to kvm_amd_N's directory, with its
# parameters (all of them: an instance folds kvm's and kvm_amd's)
links_to() {
	local n=$1 name p f
	for name in kvm kvm_amd; do
		check "$M/$name is a link to kvm_amd_$n" \
			test "$(readlink $M/$name)" = kvm_amd_$n -a -L $M/$name
		check "...which is live" test "$(cat $M/$name/initstate)" = live
		for p in $M/kvm_amd_$n/parameters/*; do
			f=${p##*/}
			[ "$(cat $M/$name/parameters/$f)" = "$(cat $p)" ] ||
				die "$M/$name/parameters/$f is '$(cat $M/$name/parameters/$f)', kvm_amd_$n has '$(cat $p)'"
		done
		echo "ok: ...with kvm_amd_$n's $(ls $M/kvm_amd_$n/parameters | wc -l) parameters"
	done
}

# no_links: neither name exists (no link left behind, dangling or not)
no_links() {
	local name
	for name in kvm kvm_amd; do
		check "no $M/$name" test ! -e $M/$name -a ! -L $M/$name
	done
}

# domcaps: libvirt's host-model CPU for KVM (/tmp/alias/domcaps)
domcaps() {
	virsh domcapabilities --virttype kvm >/tmp/alias/domcaps.xml ||
		die "virsh domcapabilities"
	sed -n "/<mode name='host-model'/,/<\/mode>/p" /tmp/alias/domcaps.xml >/tmp/alias/domcaps
	echo "host-model: $(grep -o "<model[^>]*>[^<]*" /tmp/alias/domcaps | sed 's/.*>//')," \
		"svm: $(grep "name='svm'" /tmp/alias/domcaps | tr -s ' ' || echo 'as the model')"
}

# libvirt_sees NESTED: libvirt's view follows (b)
libvirt_sees() {
	domcaps
	if [ "$1" = 1 ]; then
		check "virsh domcapabilities: host-model keeps svm" \
			sh -c "! grep -q \"policy='disable' name='svm'\" /tmp/alias/domcaps"
		check "libvirt's capabilities cache says KVM nests" \
			grep -q '<kvmSupportsNesting/>' $CACHE
	else
		check "virsh domcapabilities: host-model disables svm" \
			grep -q "policy='disable' name='svm'" /tmp/alias/domcaps
		check "libvirt's capabilities cache says KVM does not nest" \
			sh -c "! grep -q '<kvmSupportsNesting/>' $CACHE"
	fi
}

step "vac alone: no KVM by the stock names"
lab_load vac
no_links

step "kvm_amd_1 (nested=1), kvm_amd_2 (nested=0, another halt_poll_ns)"
lab_load kvm_amd_1 nested=1 halt_poll_ns=100000
links_to 1
lab_load kvm_amd_2 nested=0 halt_poll_ns=200000
check "the first instance stays the default" test "$(cat $V/default_instance)" = 1
links_to 1
check "/sys/module/kvm_amd/parameters/nested is 1" test "$(cat $M/kvm_amd/parameters/nested)" = 1
check "/sys/module/kvm/parameters/halt_poll_ns is instance 1's" \
	test "$(cat $M/kvm/parameters/halt_poll_ns)" = 100000
check "/sys/module/kvm_amd/parameters/sev is N (instances refuse SEV guests)" \
	test "$(cat $M/kvm_amd/parameters/sev)" = N

step "the host's libvirtd"
chgrp kvm /dev/kvm /dev/kvm1 /dev/kvm2 && chmod 0660 /dev/kvm /dev/kvm1 /dev/kvm2
check "virtlogd starts" virtlogd -d
LIBVIRT_LOG_FILTERS="1:qemu.qemu_capabilities 4:*" \
LIBVIRT_LOG_OUTPUTS="1:file:/tmp/alias/libvirtd.log" \
	libvirtd -d -p /run/libvirtd.pid || die "libvirtd does not start"
domcaps
CACHE=$(grep -l '<flag name=.kvm./>' /var/cache/libvirt/qemu/capabilities/*.xml | head -n 1)
check "libvirt probed QEMU with KVM" test -n "$CACHE"
libvirt_sees 1

for n in 2 1; do
	nested=$((2 - n))
	step "default $n (nested=$nested)"
	check "default $n (what multikvm default writes)" sh -c "echo $n >$V/default_instance"
	links_to $n
	check "/sys/module/kvm_amd/parameters/nested is $nested" \
		test "$(cat $M/kvm_amd/parameters/nested)" = $nested
	check "/sys/module/kvm/parameters/halt_poll_ns is instance $n's" \
		test "$(cat $M/kvm/parameters/halt_poll_ns)" = ${n}00000
	: >/tmp/alias/libvirtd.log
	libvirt_sees $nested
	check "libvirt re-probed because the nested value changed" \
		grep -q "kvm kernel nested value changed from $((1 - nested))" /tmp/alias/libvirtd.log
done

step "stock kvm_amd by name (the host's kmod), with the installed modprobe.d file"
# kmod, not the lab's busybox applets (which look at /proc/modules only)
K=/usr/sbin
check "the host's modprobe is kmod's" sh -c "$K/modprobe --version | grep -q kmod"
sed 's|@modprobedir@|/etc/modprobe.d|' $LAB_TOP/dist/modprobe.d/multikvm.conf.in \
	>/etc/modprobe.d/multikvm.conf
check "modprobe kvm_amd finds it loaded" $K/modprobe kvm_amd
check "modprobe kvm finds it loaded" $K/modprobe kvm
check "...and loads no stock module" sh -c "! grep -qE '^kvm(_amd)? ' /proc/modules"
check "lsmod lists the instances, not the names" \
	sh -c "$K/lsmod | grep -q '^kvm_amd_1 ' && ! $K/lsmod | grep -qE '^kvm(_amd)? '"
expect_fail "rmmod kvm_amd" $K/rmmod kvm_amd
expect_fail "modprobe -r kvm_amd" $K/modprobe -r kvm_amd
check "...and the default instance is still loaded" test -d $M/kvm_amd_1
links_to 1
stock=$($K/modinfo -n kvm)
for d in $($K/modinfo -F depends kvm | tr , ' '); do
	lab_load $d
done
expect_fail "insmod of stock kvm.ko is refused" $K/insmod $stock
check "...by vac, with its line" sh -c "dmesg | grep -q 'vac: refusing to load stock kvm:'"
links_to 1

step "default none, then the default's instance unloads"
check "default none (what multikvm default writes)" sh -c "echo none >$V/default_instance"
no_links
expect_fail "modprobe kvm_amd without a default is refused as before" \
	sh -c "$K/modprobe kvm_amd 2>/tmp/alias/modprobe.err"
check "...by the modprobe.d file" grep -q "multikvm: stock kvm is disabled" /tmp/alias/modprobe.err
check "default 1 (what multikvm default writes)" sh -c "echo 1 >$V/default_instance"
links_to 1
check "libvirtd stops" sh -c 'kill $(cat /run/libvirtd.pid)'
check "kvm_amd_1 (the default) unloads" rmmod kvm_amd_1
check "the default moved to instance 2" test "$(cat $V/default_instance)" = 2
links_to 2
check "kvm_amd_2 unloads" rmmod kvm_amd_2
no_links
check "vac unloads" rmmod vac
no_links
check "no sysfs name clash in the kernel log" sh -c "! dmesg | grep -q 'duplicate filename'"
