#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where domains land, seen from /proc/PID/fd: a pin, a profile, no wish,
# after a drain; and the starts we refuse with one line and no record.
. "$MKVM_LIB"
write_policy

define_mkvm pinned "$(meta "instance='9'")"
define_mkvm polled "$(meta "profile='polling'")"
define_mkvm nowish
check "pinned domain starts" virsh -q start pinned
check "pinned domain runs on kvm9" on_node pinned 9
check "profile domain starts" virsh -q start polled
check "profile 'polling' lands on kvm8 (only module kvm has halt_poll_ns)" on_node polled 8
check "domain without wish starts" virsh -q start nowish
check "no wish: default profile, least loaded -> kvm7" on_node nowish 7

pid_before=$(dom_pid nowish)
check "multikvm drain 7" drain 7
define_mkvm after
check "domain started after the drain" virsh -q start after
check "new domain avoids draining kvm7 -> kvm8" on_node after 8
check "running domain stays on kvm7 (same QEMU)" sh -c "[ $(dom_pid nowish) = $pid_before ]"
check "... and its record still says kvm7" on_node nowish 7

define_mkvm badmeta "$(meta "instance='07'")"
check "malformed metadata: one line, no record" start_fails badmeta "domain 'badmeta'.*instance.*'07'"
define_mkvm badattr "$(meta "instance='8' color='red'")"
check "unknown attribute: one line, no record" start_fails badattr "domain 'badattr'.*color"
define_mkvm unknown "$(meta "instance='42'")"
check "unknown instance: one line, no record" start_fails unknown "domain 'unknown'.*42"
define_mkvm pindrain "$(meta "instance='7'")"
check "pin on a draining instance: one line, no record" start_fails pindrain "domain 'pindrain'.*(drain|7)"
define_mkvm nonode "$(meta "instance='6'")"
check "pin on an instance whose node is missing: one line, no record" start_fails nonode "domain 'nonode'.*kvm6"
define_mkvm noprof "$(meta "profile='nosuch'")"
check "unknown profile: one line, no record" start_fails noprof "domain 'noprof'.*nosuch"

# A domain placed by the hook but whose <emulator> is the stock QEMU opens
# /dev/kvm, not its instance: "started" catches it, libvirt kills QEMU.
define_dom stockemu /usr/bin/qemu-system-x86_64 "$(meta "instance='8'")"
check "stock <emulator>: start refused at started with one line" \
	start_fails stockemu "domain 'stockemu'.*expected only 8.*multikvm-qemu"

# The wrapper refuses a record whose device is not a kvm node of the
# inventory: a second hook, run after ours, forges the record at prepare.
cat > /etc/libvirt/hooks/qemu.d/zz-forge <<'SH'
#!/bin/sh
cat >/dev/null
[ "$1" = forged ] && [ "$2" = prepare ] || exit 0
for f in /run/multikvm/domains/*.json; do
	grep -q '"name" *: *"forged"' "$f" && sed -i 's#"device" *: *"[^"]*"#"device":"/dev/null"#' "$f"
done
exit 0
SH
chmod +x /etc/libvirt/hooks/qemu.d/zz-forge
define_mkvm forged "$(meta "instance='8'")"
if err=$(virsh -q start forged 2>&1); then
	fail "wrapper refuses a record pointing at /dev/null (domain started)"
	virsh -q destroy forged >/dev/null
else
	echo "#   virsh: $err"
	check "wrapper refuses a record pointing at /dev/null with one line" \
		sh -c "printf '%s\n' \"\$1\" | grep -c 'multikvm-qemu: domain .forged.: recorded device /dev/null' | grep -qx 1" - "$err"
	check "... and the failed start clears the record" no_record forged
fi
rm /etc/libvirt/hooks/qemu.d/zz-forge

# qemu= in multikvm.conf names the real QEMU; a wrong one is one line.
echo "qemu=/nonexistent/qemu" > /etc/multikvm/multikvm.conf
define_mkvm badqemu "$(meta "instance='9'")"
if err=$(virsh -q start badqemu 2>&1); then
	fail "a wrong qemu= is refused (domain started)"; virsh -q destroy badqemu >/dev/null
else
	echo "#   virsh: $err"
	check "a wrong qemu= is refused with one line" \
		sh -c "printf '%s\n' \"\$1\" | grep -c 'multikvm-qemu: cannot execute /nonexistent/qemu' | grep -qx 1" - "$err"
	check "... and leaves no record" no_record badqemu
fi
echo "qemu=/usr/bin/qemu-system-x86_64" > /etc/multikvm/multikvm.conf
check "qemu= naming the real QEMU works" virsh -q start badqemu
check "... on kvm9" on_node badqemu 9
virsh -q destroy badqemu >/dev/null
rm /etc/multikvm/multikvm.conf

# An incoming migration gets a decision on this host and the XML unchanged
# (empty stdout).  Driven directly: one libvirtd cannot migrate to itself.
define_mkvm incoming "$(meta "profile='polling'")"
virsh -q dumpxml incoming > "$MKVM_T/incoming.xml"
out=$("$MKVM_HOOK" incoming migrate begin - < "$MKVM_T/incoming.xml")
check "migrate begin succeeds and prints nothing (XML unchanged)" test $? = 0 -a -z "$out"
check "... and records a decision (profile polling -> 8)" test "$(rec_get incoming instance)" = 8
"$MKVM_HOOK" incoming release end - < "$MKVM_T/incoming.xml"
check "release end clears it" no_record incoming

check "destroy pinned" virsh -q destroy pinned
check "destroy clears its record" no_record pinned

# Without our hook (scripts are rescanned on each call) a wrapper domain has
# no record and runs the real QEMU untouched, on /dev/kvm.
rm /etc/libvirt/hooks/qemu.d/multikvm
define_mkvm passthru
check "no record: wrapper passes through" virsh -q start passthru
check "... QEMU on /dev/kvm" test "$(dom_kvm_nodes passthru)" = /dev/kvm
ln -s "$MKVM_HOOK" /etc/libvirt/hooks/qemu.d/multikvm

check "records match running domains" test "$(n_records)" = 3
finish
