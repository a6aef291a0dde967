#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Records stay true across a libvirtd restart (and get repaired), save/restore
# and isolation of QEMU's /dev.
. "$MKVM_LIB"
write_policy

define_mkvm a "$(meta "instance='7'")"
define_mkvm b "$(meta "instance='8'")"
define_mkvm c "$(meta "instance='9'")"
for d in a b c; do check "start $d" virsh -q start $d; done
check "a on kvm7" on_node a 7
check "b on kvm8" on_node b 8
check "c on kvm9" on_node c 9
pids="$(dom_pid a) $(dom_pid b) $(dom_pid c)"

# Break two records while the daemon is down: b's says kvm9, c's is gone.
ub=$(dom_uuid b); uc=$(dom_uuid c)
t0=$(ms)
check "libvirtd stops with domains running" stop_libvirtd
sed -i 's/"instance" *: *8/"instance":9/; s#kvm8#kvm9#' "$RUNDIR/domains/$ub.json"
check "b's record now says kvm9" test "$(rec_get "$ub" instance) $(rec_get "$ub" device)" = "9 $MKVM_DEV/kvm9"
rm "$RUNDIR/domains/$uc.json"
check "libvirtd starts again" start_libvirtd
virsh -q list >/dev/null
echo "# restart took $(( $(ms) - t0 )) ms"
check "same QEMU processes after the restart" test "$(dom_pid a) $(dom_pid b) $(dom_pid c)" = "$pids"
check "a's record still true" on_node a 7
check "b's wrong record repaired at reconnect" on_node b 8
check "c's missing record recreated at reconnect" on_node c 9
check "three records" test "$(n_records)" = 3

# save / restore: the record goes with the saved domain and comes back.
t0=$(ms)
check "save a" virsh -q save a "$MKVM_T/a.save"
echo "# save took $(( $(ms) - t0 )) ms"
check "save clears a's record" no_record a
t0=$(ms)
check "restore a" virsh -q restore "$MKVM_T/a.save"
echo "# restore took $(( $(ms) - t0 )) ms"
check "restored a is on kvm7 again" on_node a 7
check "restored guest makes progress" sh -c '
	t1=$(grep -c tick "$1"); sleep 1; t2=$(grep -c tick "$1"); [ "$t2" -gt "$t1" ]' - "$MKVM_T/a.serial"

# Restoring is starting: a pin on an instance drained meanwhile is refused
# (restore begin), the saved image stays, and works after undrain.
check "save c (pinned to 9)" virsh -q save c "$MKVM_T/c.save"
check "multikvm drain 9" drain 9
if err=$(virsh -q restore "$MKVM_T/c.save" 2>&1); then
	fail "restore onto a drained pin is refused (it was restored)"
else
	echo "#   virsh: $err"
	check "restore onto a drained pin: one line from the hook at restore" \
		sh -c "printf '%s\n' \"\$1\" | grep 'c restore begin' | grep -c \"multikvm-hook: domain 'c': .*draining\" | grep -qx 1" - "$err"
	check "... and no record" no_record c
fi
check "multikvm undrain 9" undrain 9
check "restore c after undrain" virsh -q restore "$MKVM_T/c.save"
check "c on kvm9 again" on_node c 9

# managedsave + start
check "managedsave b" virsh -q managedsave b
check "managedsave clears b's record" no_record b
check "start b from managed save" virsh -q start b
check "b on kvm8 again" on_node b 8

# Metadata made invalid while running (--live fires no hook): reconnect and
# release still find the record by uuid.
define_mkvm live "$(meta "instance='9'")"
check "start live" virsh -q start live
check "live on kvm9" on_node live 9
check "live metadata made invalid" virsh -q metadata live \
	http://multikvm.org/xmlns/libvirt/domain/1.0 --key mkvm --set "<kvm instance='07'/>" --live
check "libvirtd stops" stop_libvirtd
check "libvirtd starts" start_libvirtd
virsh -q list >/dev/null
check "reconnect keeps live's record true" on_node live 9
check "destroy live" virsh -q destroy live
check "release clears its record despite the invalid metadata" no_record live

# Confinement (on by default) is confinement.sh's: here, a confined QEMU's
# own private /dev keeps only its node.
check "c's /dev has no /dev/kvm left" sh -c "! nsenter -t $(dom_pid c) -m test -e /dev/kvm"
check "c's /dev keeps its own node" nsenter -t "$(dom_pid c)" -m test -c /dev/kvm9
check "libvirtd's /dev/kvm is untouched" test -c /dev/kvm

for d in a b c; do virsh -q destroy $d >/dev/null; done
check "no records after destroying everything" test "$(n_records)" = 0
finish
