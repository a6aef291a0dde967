# SPDX-License-Identifier: GPL-2.0-or-later
# The host's root, shared read-only over 9p with a tmpfs overlay, runs the
# host's own QEMU inside the lab on stock KVM, with an explicit device path.
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=180
. /lab/lib.sh

lab_load kvm_amd
lab_hostroot
payload=$LAB_BUILD_DIR/tests/payload/payload-exit.bin
check "payload visible through the host root" test -f "$LAB_ROOT$payload"
step "host QEMU with -accel kvm,device=/dev/kvm"
out=$(hostrun timeout 60 qemu-system-x86_64 -accel kvm,device=/dev/kvm \
	-bios "$payload" -display none -serial stdio -monitor none -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 2>&1)
rc=$?
echo "$out"
# isa-debug-exit: guest writes 1 -> QEMU exits (1 << 1) | 1 = 3
check "QEMU exited through the payload (status 3)" test "$rc" -eq 3
check "payload ran under KVM" sh -c 'echo "$0" | grep -q "multikvm payload: ok"' "$out"
