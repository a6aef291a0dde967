#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenStack Nova's domains, as libvirt keeps them: the flavor in Nova's
# metadata gets the policy's profile; `multikvm export` reports what the
# host offers and counts the start the hook refused.
. "$MKVM_LIB"
write_policy
# the example policy's instances, plus a flavor for profile "polling" (only
# instance 8 satisfies it)
sed -i 's|  <instances>|  <flavors><flavor name="m1.polling" profile="polling"/></flavors>\n  <instances>|' \
	/etc/multikvm/policy.xml

nova() { # the <nova:instance> Nova writes (nova/virt/libvirt/config.py), flavor $1
	cat <<XML
<nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
  <nova:package version="30.0.0"/><nova:name>$2</nova:name>
  <nova:creationTime>2026-12-01 10:00:00</nova:creationTime>
  <nova:flavor name="$1" id="7"><nova:memory>16</nova:memory><nova:disk>0</nova:disk>
    <nova:swap>0</nova:swap><nova:ephemeral>0</nova:ephemeral><nova:vcpus>1</nova:vcpus>
    <nova:extraSpecs/></nova:flavor>
  <nova:owner><nova:user uuid="9d3b7e1f2a4c4d5e8f6a7b8c9d0e1f2a">admin</nova:user>
    <nova:project uuid="1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6">admin</nova:project></nova:owner>
  <nova:root type="image" uuid="0b7f5e2c-8a1d-4f3e-b6c9-2d4e8a1f7c35"/>
</nova:instance>
XML
}

E=$MKVM_T/export
mkdir -p "$E"
check "export before any start" "$MKVM_CLI" export --placement "$E/provider.yaml" \
	--prometheus "$E/multikvm.prom"
check "the polling profile is offered (instance 8)" grep -qx '        - CUSTOM_MKVM_PROFILE_POLLING' "$E/provider.yaml"

define_mkvm nova1 "$(nova m1.polling nova1)"
check "libvirt kept Nova's flavor" sh -c "virsh -q dumpxml nova1 | grep -q 'nova:flavor name=.m1.polling.'"
check "Nova domain with flavor m1.polling starts" virsh -q start nova1
check "flavor m1.polling -> profile polling -> kvm8" on_node nova1 8
reason_is_flavor() { rec_get nova1 reason | grep -q '^profile polling (flavor m1.polling): '; }
check "the record names the flavor" reason_is_flavor
define_mkvm nova2 "$(nova m1.small nova2)"
check "Nova domain with flavor m1.small starts" virsh -q start nova2
default_profile() { [ "$(rec_get nova2 profile)" = standard ]; }
check "a flavor the policy does not map: the default profile" default_profile
check "virsh destroy nova2" virsh -q destroy nova2

check "multikvm drain 8" drain 8
define_mkvm nova3 "$(nova m1.polling nova3)"
check "flavor's profile only on a draining instance: one line, no record" \
	start_fails nova3 "domain 'nova3': no instance for profile polling \(flavor m1.polling\)"
check "export after the refusal" "$MKVM_CLI" export --placement "$E/provider.yaml" \
	--prometheus "$E/multikvm.prom"
check "the refusal is counted" grep -qx 'multikvm_refusals_total{reason="no_candidate"} 1' "$E/multikvm.prom"
check "kvm8 reported draining" grep -qx 'multikvm_instance_draining{instance="8"} 1' "$E/multikvm.prom"
check "polling no longer offered" sh -c "! grep -q CUSTOM_MKVM_PROFILE_POLLING '$E/provider.yaml'"
check "virsh destroy nova1" virsh -q destroy nova1
finish
