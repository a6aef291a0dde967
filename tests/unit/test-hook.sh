#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# multikvm-hook against a fixture sysfs/dev/run/proc tree (needs root for
# mknod): each event's effect on the records, and its one-line messages,
# which name the domain exactly once.  Usage: test-hook.sh PATH/TO/multikvm-hook
set -u
H=$1
. "$(dirname "$0")/../tap.sh"
skip_unless_root "mknod in its fixture"
T=$(mktemp -d /tmp/mkvm-hook-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/vac-fixture.sh"
U=6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11
REC=$T/run/domains/$U.json
NS="xmlns:mkvm='http://multikvm.org/xmlns/libvirt/domain/1.0'"
# XML for hook: the domain web1 with metadata $1
domain() { XML="<domain type='${2:-kvm}'><name>web1</name><uuid>$U</uuid><metadata>$1</metadata></domain>"; }
hook() { printf '%s' "$XML" | "$H" web1 "$@" -; }
# QEMU pid 4242 of web1 with the nodes of instances $@ open
qemu() {
	rm -rf "$T/proc/4242"; mkdir -p "$T/proc/4242/fd"; echo 4242 > "$T/libvirt/web1.pid"
	for i in "$@"; do ln -s "$T/dev/kvm$i" "$T/proc/4242/fd/1$i"; done
}
# the error line, exactly: one line, the domain named once
says() { n=$((n + 1)); if [ "$(cat "$T/err")" = "multikvm-hook: $1" ]; then echo "ok $n - says '$1'"
	else echo "not ok $n - says '$(cat "$T/err")', want 'multikvm-hook: $1'"; failed=$((failed + 1)); fi; }

# the record holds PATTERN
rec_has() { cp "$REC" "$T/rec" 2>/dev/null || : > "$T/rec"; expect "$1" rec; }


domain "" qemu
check "not kvm: ignored" 0 hook prepare begin
ok "no record" test ! -e "$REC"
domain "<mkvm:kvm $NS instance='07'/>"
check "bad metadata refused" 1 hook prepare begin
says "domain 'web1': instance '07' is not an instance id: write a plain decimal number from 1 to 999 (no sign, leading zeros, spaces or paths)"
XML="<domain><name>web1"
check "malformed XML refused" 1 hook prepare begin
says "domain 'web1': domain XML is malformed (line 1: Premature end of data in tag name line 1): pass the full domain XML as libvirt gives it"
domain "<mkvm:kvm $NS instance='5'/>"
check "pin to a missing instance refused" 1 hook prepare begin
says "domain 'web1': pinned to instance 5, which is not loaded (loaded: 1, 2): load it or change the pin with 'multikvm assign web1 --instance N'"
domain ""
check "started without a record refused" 1 hook started begin
says "domain 'web1': $REC does not exist"
mv "$T/policy.xml" "$T/policy.good"; echo "<policy" > "$T/policy.xml"
domain "<mkvm:kvm $NS instance='2'/>"
check "bad policy refused" 1 hook prepare begin
expect "^multikvm-hook: domain 'web1': policy $T/policy.xml is not well-formed XML \(line 2: " err
mv "$T/policy.good" "$T/policy.xml"

check "prepare" 0 hook prepare begin
rec_has '"instance" : 2,'
rec_has '"pid" : 0'
qemu 1
check "started on another instance refused" 1 hook started begin
says "domain 'web1': QEMU pid 4242 has KVM instance(s) 1 open, expected only 2: check that the domain's <emulator> is multikvm-qemu and QEMU supports -accel kvm,device="
# the stock <emulator>: the message names `multikvm divert` unless it is on
# (its files below MULTIKVM_HOSTROOT)
export MULTIKVM_HOSTROOT=$T/host
plain_xml=$XML
mkdir -p "$T/host/usr/bin" "$T/host/var/lib/dpkg"
XML=${XML/<\/metadata>/<\/metadata><devices><emulator>\/usr\/bin\/qemu-system-x86_64<\/emulator><\/devices>}
check "stock <emulator>, divert off: refused" 1 hook started begin
says "domain 'web1': QEMU pid 4242 has KVM instance(s) 1 open, expected only 2: check that the domain's <emulator> is multikvm-qemu and QEMU supports -accel kvm,device=; its <emulator> is /usr/bin/qemu-system-x86_64 and \`multikvm divert\` is off: run \`multikvm divert on\` (or set <emulator> to multikvm-qemu)"
printf '/usr/bin/qemu-system-x86_64\n/usr/bin/qemu-system-x86_64.real\n:\n' > "$T/host/var/lib/dpkg/diversions"
install -m 0755 /dev/null "$T/host/usr/bin/qemu-system-x86_64.real"
install -m 0755 /dev/null "$T/host/multikvm-qemu"
ln -s "$T/host/multikvm-qemu" "$T/host/usr/bin/qemu-system-x86_64"
check "stock <emulator>, divert on: refused with the plain message" 1 hook started begin
says "domain 'web1': QEMU pid 4242 has KVM instance(s) 1 open, expected only 2: check that the domain's <emulator> is multikvm-qemu and QEMU supports -accel kvm,device="
unset MULTIKVM_HOSTROOT
XML=$plain_xml
qemu 2
# confinement (sec): a value that is neither yes nor no refuses the start,
# the default (no multikvm.conf) fails closed where QEMU is in no machine
# cgroup (the fixture's), and the record keeps no pid
echo "confine=maybe" > "$T/multikvm.conf"
check "started, confine=maybe refused" 1 hook started begin
says "domain 'web1': cannot confine QEMU to instance 2: $T/multikvm.conf: confine=maybe: write confine=yes (the default) or confine=no; set confine=no in $T/multikvm.conf to start it unconfined"
rm "$T/multikvm.conf"
check "started, confined by default: no machine cgroup refused" 1 hook started begin
expect "^multikvm-hook: domain 'web1': cannot confine QEMU to instance 2: .*; set confine=no in $T/multikvm.conf to start it unconfined\$" err
rec_has '"pid" : 0'
echo "confine=no" > "$T/multikvm.conf"
# the CLI the hook starts, detached, to annotate the domain (a stand-in
# that notes its arguments)
printf '#!/bin/sh\necho "$@" > %s\n' "$T/cli-args" > "$T/fake-cli"
chmod +x "$T/fake-cli"
export MULTIKVM_CLI=$T/fake-cli
check "started" 0 hook started begin
rec_has '"pid" : 4242'
for i in $(seq 50); do [ -s "$T/cli-args" ] && break; sleep 0.1; done
ok "started ran 'multikvm annotate --wait UUID'" grep -qx "annotate --wait $U" "$T/cli-args"
check "release" 0 hook release end
ok "record gone" test ! -e "$REC"
# migrate begin (issue 16): a pin of the source host means its KVM build
# here; instances 1 and 2 both run build "b", 2 is the newer (build_time)
PL="xmlns:mkvmp='http://multikvm.org/xmlns/libvirt/placement/1.0'"
domain "<mkvm:kvm $NS instance='1'/><mkvmp:placement $PL instance='1' build='b' host='src'/>"
check "migrate begin, pinned by build" 0 hook migrate begin
expect '<mkvm:kvm xmlns:mkvm="http://multikvm.org/xmlns/libvirt/domain/1.0" instance="2"/>' out
expect "<mkvmp:placement xmlns:mkvmp=\"http://multikvm.org/xmlns/libvirt/placement/1.0\" instance=\"2\" build=\"b\" host=\"$(hostname)\"/>" out
rec_has '"instance" : 2,'
check "release" 0 hook release end
domain "<mkvm:kvm $NS instance='1'/><mkvmp:placement $PL instance='1' build='6.12.99 x' host='src'/>"
check "migrate begin, a build this host lacks" 1 hook migrate begin
says "domain 'web1': no instance here runs KVM build '6.12.99 x': 1: build 'b'; 2: build 'b'"
ok "no record" test ! -e "$REC"
ok "nothing on stdout" test ! -s "$T/out"
domain "<mkvm:kvm $NS instance='1'/>"
check "migrate begin, pinned without a placement" 1 hook migrate begin
expect "^multikvm-hook: domain 'web1': arrives pinned to instance 1 of its source host without " err
domain "<mkvmp:placement $PL instance='../x'/>"
check "migrate begin, a bad placement" 1 hook migrate begin
says "domain 'web1': placement instance '../x' is not an instance id: write a plain decimal number from 1 to 999 (no sign, leading zeros, spaces or paths)"
# the policy's restrictions (sec) refuse with the domain named once
cp "$T/policy.xml" "$T/policy.good"
echo "<policy version='1'><profiles default='std'><profile name='std'/><profile name='fast' restricted='yes'/></profiles><pins allow='no'/></policy>" \
	> "$T/policy.xml"
domain "<mkvm:kvm $NS profile='fast'/>"
check "restricted profile refused" 1 hook prepare begin
says "domain 'web1': asks for profile fast, which policy $T/policy.xml restricts: only the policy gives it (<assignments>): remove it from the domain's metadata ('multikvm assign web1 --clear') or assign it in the policy"
domain "<mkvm:kvm $NS instance='1'/>"
check "pin refused" 1 hook prepare begin
says "domain 'web1': asks for instance 1, but policy $T/policy.xml lets no domain pin an instance (<pins allow=\"no\"/>): remove the pin ('multikvm assign web1 --clear') or assign it in the policy's <assignments>"
ok "no record" test ! -e "$REC"
# every refusal at prepare and migrate begin so far is counted by reason
# (multikvm export), none at started
cp "$T/run/refusals.json" "$T/refusals" 2>/dev/null || : > "$T/refusals"
expect '^\{"refusals":\{"invalid":4,"denied":2,"not_found":0,"no_candidate":3,"draining":0,"device":0,"other":0\}\}$' refusals
mv "$T/policy.good" "$T/policy.xml"
# OpenStack Nova: the flavor in Nova's metadata gets the policy's profile (the
# default would take the newest build, instance 2)
cp "$T/policy.xml" "$T/policy.good"
echo "<policy version='1'><profiles default='std'><profile name='std'/><profile name='one'><require param='p' value='1'/></profile></profiles><flavors><flavor name='m1.one' profile='one'/></flavors></policy>" \
	> "$T/policy.xml"
for i in 1 2; do mkdir -p "$T/sys/module/kvm_amd_$i/parameters"; echo $i > "$T/sys/module/kvm_amd_$i/parameters/p"; done
domain "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'><nova:package version='30.0.0'/><nova:name>web1</nova:name><nova:flavor name='m1.one' id='7'><nova:memory>64</nova:memory><nova:vcpus>1</nova:vcpus><nova:extraSpecs/></nova:flavor></nova:instance>"
check "prepare, Nova flavor" 0 hook prepare begin
rec_has '"instance" : 1,'
rec_has '"profile" : "one"'
rec_has '"reason" : "profile one \(flavor m1.one\): '
check "release" 0 hook release end
mv "$T/policy.good" "$T/policy.xml"
domain "<mkvm:kvm $NS instance='07'/>"
qemu 1 2
check "reconnect with invalid metadata: the process is the truth" 0 hook reconnect begin
says "warning: domain 'web1': QEMU has several KVM instances open; recording the first"
rec_has '"reason" : "reconciled from /proc/4242/fd at reconnect"'
rec_has '"instance" : 1,'
echo "confine=maybe" > "$T/multikvm.conf"
check "reconnect: confinement failing is a warning" 0 hook reconnect begin
expect "^multikvm-hook: warning: domain 'web1': cannot confine QEMU to instance 1: $T/multikvm.conf: confine=maybe: write confine=yes \(the default\) or confine=no\$" err
echo "confine=no" > "$T/multikvm.conf"
qemu
check "reconnect, no instance open" 0 hook reconnect begin
ok "record gone" test ! -e "$REC"
XML="<domain"
check "release of malformed XML" 0 hook release end
echo "1..$n"
[ "$failed" = 0 ]
