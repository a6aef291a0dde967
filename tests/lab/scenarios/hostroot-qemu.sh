# SPDX-License-Identifier: GPL-2.0-or-later
# The host's root (9p, read-only, tmpfs overlay) is the lab's root: the
# host's own QEMU runs inside the lab on stock KVM with an explicit device.
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=180
. /lab/lib.sh

check "the lab runs on the host's root" test -x /usr/bin/qemu-system-x86_64
lab_load kvm_amd
payload=$LAB_BUILD_DIR/tests/payload/payload-exit.bin
check "payload visible through the host root" test -f "$payload"
step "host QEMU with -accel kvm,device=/dev/kvm"
out=$(timeout 60 qemu-system-x86_64 -accel kvm,device=/dev/kvm \
	-bios "$payload" -display none -serial stdio -monitor none -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 2>&1)
rc=$?
echo "$out"
# isa-debug-exit: guest writes 1 -> QEMU exits (1 << 1) | 1 = 3
check "QEMU exited through the payload (status 3)" test "$rc" -eq 3
check "payload ran under KVM" sh -c 'echo "$0" | grep -q "multikvm payload: ok"' "$out"
