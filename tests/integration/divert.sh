#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `multikvm divert on`: domains whose <emulator> is the stock
# /usr/bin/qemu-system-x86_64 (what Nova and virt-install write) are placed
# by policy, seen from /proc/PID/fd; `off` gives back the original binary.
# dpkg-divert and the binary's replacement happen only in this namespace:
# /usr/bin and /var/lib/dpkg get tmpfs-backed overlays (the harness checks
# afterwards that the host's binary and diversions are unchanged).
. "$MKVM_LIB"
STOCK=/usr/bin/qemu-system-x86_64
# the CLI's test build: MULTIKVM_WRAPPER names this build's wrapper (the
# installed build links the installed one)
CLI=$MULTIKVM_BUILD_DIR/cli/multikvm-testing
export MULTIKVM_WRAPPER=$MKVM_WRAPPER

for d in /usr/bin /var/lib/dpkg; do
	o=$MKVM_T/ovl/${d//\//_}
	mkdir -p "$o/up" "$o/work"
	mount -t overlay mkvm-divert -o "lowerdir=$d,upperdir=$o/up,workdir=$o/work" "$d"
done
orig=$(stat -c '%s %a %u:%g %Y' "$STOCK"; sha256sum < "$STOCK")
check "dpkg owns $STOCK" sh -c "dpkg-query -S $STOCK | grep -q '^qemu-system-x86: '"
write_policy

define_dom pinned "$STOCK" "$(meta "instance='9'")"
define_dom plain "$STOCK"
# Without the mode the stock QEMU opens /dev/kvm: "started" refuses the pin.
check "divert off: a pinned stock-emulator domain is refused at started" \
	start_fails pinned "domain 'pinned'.*expected only 9.*divert on"

check "multikvm divert on" "$CLI" divert on
check "divert status: on" sh -c "'$CLI' divert status | grep -qx 'divert: on'"
check "$STOCK is a symlink to the wrapper" test "$(readlink "$STOCK")" = "$MKVM_WRAPPER"
check "dpkg diverts it to $STOCK.real" \
	test "$(dpkg-divert --truename "$STOCK")" = "$STOCK.real"
# capability probes go through the wrapper unchanged (libvirt probes the
# emulator again: its file changed)
check "virsh domcapabilities of $STOCK (a probe through the wrapper)" \
	sh -c "virsh -q domcapabilities --emulatorbin $STOCK --virttype kvm | grep -q '<path>$STOCK</path>'"
check "$STOCK -version through the wrapper" sh -c "$STOCK -version | grep -q '^QEMU emulator version'"
"$CLI" doctor > "$MKVM_T/doctor.out"
check "doctor: divert on" grep -Eq '^ok +divert: on: ' "$MKVM_T/doctor.out"
check "doctor accepts the stock <emulator> while divert is on" \
	sh -c "! grep -E \"^FAIL +domain '(pinned|plain)' emulator\" '$MKVM_T/doctor.out'"

check "pinned domain (stock <emulator>, instance 9) starts" virsh -q start pinned
check "... and runs on kvm9" on_node pinned 9
check "plain domain (stock <emulator>, no wish) starts" virsh -q start plain
check "... on the policy's choice: least loaded, lowest id -> kvm7" on_node plain 7
check "its QEMU is the diverted binary" \
	test "$(readlink "/proc/$(dom_pid plain)/exe")" = "$STOCK.real"
virsh -q destroy pinned >/dev/null
virsh -q destroy plain >/dev/null

check "multikvm divert off" "$CLI" divert off
check "divert status: off" sh -c "'$CLI' divert status | grep -qx 'divert: off'"
check "off restores $STOCK byte for byte (size, mode, owner, mtime, sha256)" \
	test "$(stat -c '%s %a %u:%g %Y' "$STOCK"; sha256sum < "$STOCK")" = "$orig"
check "no $STOCK.real left" test ! -e "$STOCK.real"
check "no diversion left" test "$(dpkg-divert --truename "$STOCK")" = "$STOCK"
umount -l /usr/bin /var/lib/dpkg
finish
