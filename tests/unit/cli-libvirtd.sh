#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The multikvm CLI against a real libvirtd, run by tests/integration/harness.sh
# (private mount namespace, static instances 7 8 9, hook installed):
#   MULTIKVM_BUILD_DIR=BUILD tests/integration/harness.sh tests/unit/cli-libvirtd.sh
. "$MKVM_LIB"
write_policy
M=$MKVM_CLI
ns=http://multikvm.org/xmlns/libvirt/domain/1.0

define_mkvm c1
check "assign --instance 9 --config" "$M" assign c1 --instance 9 --config
check "virsh sees our metadata" sh -c "virsh metadata c1 $ns | grep -q 'instance=\"9\"'"
check "c1 starts" virsh -q start c1
check "c1 runs on kvm9 (placed from the assigned pin)" on_node c1 9
check "domains lists c1 on 9" sh -c "'$M' domains | grep -Eq '^c1 +[0-9a-f-]{36} +9 '"
check "status --json counts it" sh -c "'$M' status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [i[\"domains\"] for i in d[\"instances\"] if i[\"id\"]==9]==[1]'"
check "assign --profile polling --live (running domain)" "$M" assign c1 --profile polling --live
check "live metadata changed" sh -c "virsh metadata c1 $ns --live | grep -q 'profile=\"polling\"'"
check "config metadata unchanged" sh -c "virsh metadata c1 $ns --config | grep -q 'instance=\"9\"'"
check "c1 still on kvm9 (live change fires no hook)" on_node c1 9
check "assign by uuid" "$M" assign "$(dom_uuid c1)" --instance 8 --config
check "assign --clear --config" "$M" assign c1 --clear --config
check "config metadata gone" sh -c "! virsh metadata c1 $ns --config 2>/dev/null | grep -q kvm"
check "assign unknown domain: exit 3" sh -c "'$M' assign nosuch --instance 8; [ \$? = 3 ]"
check "reconcile keeps c1" sh -c "'$M' reconcile | grep -q '1 kept'"
check "retire a static instance: refused (exit 4)" sh -c "'$M' retire 9; [ \$? = 4 ]"
define_dom stock /usr/bin/qemu-system-x86_64
check "doctor flags the stock emulator" sh -c "'$M' doctor | grep -q \"^FAIL  domain 'stock' emulator\""
"$M" doctor > "$MKVM_T/doctor.out"
sed 's/^/#   /' "$MKVM_T/doctor.out"
check "doctor ok for the hook" grep -Eq '^ok +libvirt hook' "$MKVM_T/doctor.out"
check "doctor ok for the acl" grep -Eq '^ok +cgroup_device_acl' "$MKVM_T/doctor.out"
check "doctor warns about domains without metadata" grep -Eq "^warn +domain metadata: .*stock" "$MKVM_T/doctor.out"
virsh -q destroy c1 >/dev/null
check "no record after destroy" no_record c1
finish
