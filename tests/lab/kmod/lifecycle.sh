# SPDX-License-Identifier: GPL-2.0-or-later
# While a VM on kvm_amd_2 runs, kvm_amd_1 is removed and loaded again
# RELOADS times (every tenth time it runs a checked guest itself); the
# kvm2 guest makes progress throughout and finishes correctly (issue 3,
# done-when 3).
# lab: modules=vac kvm_amd_1 kvm_amd_2
# lab: bins=tests/kvmtest
# lab: timeout=2400
. /lab/lib.sh

RELOADS=${LAB_RELOADS:-100}

lab_load vac
lab_load kvm_amd_1
lab_load kvm_amd_2

step "a guest on instance 2 runs until told to stop"
kvmtest -n 1000 -t 100000 -p 1 -c 0 /dev/kvm2 >/tmp/kvm2.out 2>&1 &
guest=$!
check "it is running" sh -c 'sleep 2; grep -q progress /tmp/kvm2.out'

step "remove and reload kvm_amd_1 $RELOADS times"
i=0
t0=$(date +%s)
while [ $i -lt $RELOADS ]; do
	i=$((i + 1))
	rmmod kvm_amd_1 || die "reload $i: rmmod kvm_amd_1 failed"
	modprobe kvm_amd_1 || die "reload $i: modprobe kvm_amd_1 failed"
	if [ $((i % 10)) = 0 ]; then
		kvmtest -q -n 1000 -c 1 /dev/kvm1 || die "reload $i: the reloaded kvm_amd_1 fails its guest"
		echo "reload $i: kvm_amd_1 runs a checked guest; kvm2 guest: $(tail -1 /tmp/kvm2.out)"
	fi
	kill -0 $guest 2>/dev/null || die "reload $i: the kvm2 guest died"
done
echo "$RELOADS reloads in $(( $(date +%s) - t0 )) s"

step "the kvm2 guest finishes correctly"
kill -TERM $guest
wait $guest
rc=$?
tail -3 /tmp/kvm2.out
check "the kvm2 guest passed every check" test $rc = 0
check "it reported PASS" grep -q PASS /tmp/kvm2.out
check "it made progress in every second of the reloads" \
	awk '/progress/ { n++; if ($6 + 0 <= 0) bad++ } END { exit !(n >= 5 && !bad) }' /tmp/kvm2.out
rmmod kvm_amd_1 kvm_amd_2 vac
