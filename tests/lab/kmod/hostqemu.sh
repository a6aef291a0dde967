# SPDX-License-Identifier: GPL-2.0-or-later
# The host's QEMU (over 9p) boots a payload in the lab on instance 2 with
# -accel kvm,device=/dev/kvm2, while instance 1 is loaded next to it
# (issue 3, done-when 5).
# lab: modules=vac kvm_amd_1 kvm_amd_2
# lab: hostroot=yes
# lab: timeout=240
. /lab/lib.sh

lab_load vac
lab_load kvm_amd_1
lab_load kvm_amd_2
payload=$LAB_BUILD_DIR/tests/payload/payload-tick.bin
check "payload visible through the host root" test -f "$payload"

step "host QEMU with -accel kvm,device=/dev/kvm2"
qemu-system-x86_64 -accel kvm,device=/dev/kvm2 -bios "$payload" \
	-display none -serial file:/tmp/serial -monitor none -nic none &
qemu=$!
i=0
while [ "$(cat /sys/kernel/vac/instances/2/vms)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.2; i=$((i + 1))
done
check "QEMU's VM is on instance 2" test "$(cat /sys/kernel/vac/instances/2/vms)" = 1
check "...and not on instance 1" test "$(cat /sys/kernel/vac/instances/1/vms)" = 0
check "QEMU holds /dev/kvm2 open" sh -c "ls -l /proc/$qemu/fd | grep -q '/dev/kvm2\$'"
sleep 3
t1=$(sed -n 's/^multikvm payload: tick \([0-9]*\).*/\1/p' /tmp/serial | tail -1)
sleep 2
t2=$(sed -n 's/^multikvm payload: tick \([0-9]*\).*/\1/p' /tmp/serial | tail -1)
echo "payload ticks: $t1 then $t2"
check "the guest makes progress" test "${t2:-0}" -gt "${t1:-0}"
kill $qemu
wait $qemu
check "instance 2 has no VM after QEMU exits" test "$(cat /sys/kernel/vac/instances/2/vms)" = 0
