#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The multikvm CLI against a fixture sysfs/dev/run tree (needs root for mknod)
# and libvirt's test driver.  Usage: test-cli.sh PATH/TO/multikvm SRCDIR
set -u
M=$1
SRC=$2
. "$SRC/tests/tap.sh"
skip_unless_root "mknod in its fixture"
T=$(mktemp -d /tmp/mkvm-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT

export MULTIKVM_SYSFS=$T/sys MULTIKVM_DEVDIR=$T/dev MULTIKVM_RUNDIR=$T/run
export MULTIKVM_PROC=$T/proc MULTIKVM_POLICY=$SRC/data/policy.xml MULTIKVM_LIBVIRT_RUNDIR=$T/libvirt-qemu
export MULTIKVM_HOSTROOT=$T/host MULTIKVM_CONF=$T/multikvm.conf
export MULTIKVM_POLL_MS=50 MULTIKVM_MODPROBE=$T/modprobe
unset LIBVIRT_DEFAULT_URI
mkdir -p "$T/dev" "$T/proc" "$T/host"

vac=$T/sys/kernel/vac
mkdir -p "$vac/instances"
echo 1 > "$vac/abi"; echo amd > "$vac/vendor"; echo 3 > "$vac/default_instance"
instance() { # id build_time vms nx_huge_pages mitigate_smt_rsb
    local d=$vac/instances/$1 p=$T/sys/module/kvm_amd_$1/parameters
    mkdir -p "$d" "$p"
    echo "$1" > "$d/id"; echo amd > "$d/vendor"; echo "kvm_amd_$1" > "$d/module"
    echo "kvm$1" > "$d/devname"; echo "240:$1" > "$d/dev"
    echo "6.12.117-1~deb12u1 0.1.0 3f2a9c0$1" > "$d/build_id"
    echo "$2" > "$d/build_time"; echo "$2" > "$d/load_time"
    echo "$3" > "$d/vms"; echo $(($3 * 2)) > "$d/vcpus"
    echo "$4" > "$p/nx_huge_pages"; echo "$5" > "$p/mitigate_smt_rsb"
    rm -f "$T/dev/kvm$1"; mknod "$T/dev/kvm$1" c 240 "$1"
}
build() { # id kvm_version patches: the build identity files of a newer vac
    local d=$vac/instances/$1
    echo "$2" > "$d/kvm_version"; echo "$2-1~deb12u1" > "$d/kvm_source"
    echo 0.1.0 > "$d/multikvm_version"; echo 3f2a9c01 > "$d/series"
    echo "$3" > "$d/patches"; echo 6.12.107+deb12-amd64 > "$d/kernel"
    echo "$2-1~deb12u1 0.1.0 3f2a9c01${3:+ +${3%@*}}" > "$d/build_id"
}
instance 1 1700000000 2 Y Y
instance 2 1700000100 0 N N
instance 3 1700000200 1 Y N
build 1 6.12.107 ""
build 2 6.12.117 "fix-foo.patch@1a2b3c4d"
# instance 3 comes from an older vac: no build identity files
mkdir -p "$T/proc/sys/kernel"; echo 6.12.107+deb12-amd64 > "$T/proc/sys/kernel/osrelease"
cat > "$T/modprobe" <<EOS
#!/bin/sh
echo "\$*" >> "$T/modprobe.log"
rm -rf "$vac/instances/\${2#kvm_amd_}"
EOS
chmod +x "$T/modprobe"


check "status" 0 "$M" status
expect '^1 +amd +kvm_amd_1 .* active +standard,hardened +2$' out
expect '^2 +amd +kvm_amd_2 .* active +standard,fast +0$' out
expect '^3\* ' out
expect 'default instance 3; kernel 6\.12\.107\+deb12-amd64;' out
expect '^ID +VENDOR +MODULE +KVM +LOADED ' out
expect '^1 +amd +kvm_amd_1 +6\.12\.107 +20' out
expect '^2 +amd +kvm_amd_2 +6\.12\.117\+fix-foo\.patch! +20' out
expect '^3\* +amd +kvm_amd_3 +- +20' out
expect '^instance 1: KVM 6\.12\.107, from 6\.12\.107-1~deb12u1, multikvm 0\.1\.0 series 3f2a9c01$' out
expect '^instance 2: KVM 6\.12\.117 \+ fix-foo\.patch, from 6\.12\.117-1~deb12u1, multikvm 0\.1\.0 series 3f2a9c01; differs from the running kernel.s KVM 6\.12\.107$' out
expect '^instance 3: KVM unknown \(build 6\.12\.117-1~deb12u1 0\.1\.0 3f2a9c03; this vac does not publish kvm_version\)$' out
check "status --json" 0 "$M" status --json
cp "$T/out" "$T/status.json"
check "status --json parses" 0 python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
assert [i["id"] for i in d["instances"]]==[1,2,3]; assert d["default_instance"]==3; \
assert d["instances"][0]["profiles"]==["standard","hardened"]; assert d["instances"][0]["vms"]==2' "$T/status.json"
check "status --json: build per instance" 0 python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
assert d["kernel_release"]=="6.12.107+deb12-amd64", d["kernel_release"]; \
b=[i["build"] for i in d["instances"]]; \
assert b[0]=={"kvm_version":"6.12.107","kvm_source":"6.12.107-1~deb12u1","multikvm_version":"0.1.0", \
  "series":"3f2a9c01","patches":[],"kernel":"6.12.107+deb12-amd64","differs_from_running_kernel":False}, b[0]; \
assert b[1]["kvm_version"]=="6.12.117" and b[1]["differs_from_running_kernel"] is True, b[1]; \
assert b[1]["patches"]==[{"name":"fix-foo.patch","sha":"1a2b3c4d"}], b[1]; \
assert b[2]=={"kvm_version":None,"kvm_source":None,"multikvm_version":None,"series":None, \
  "patches":None,"kernel":None,"differs_from_running_kernel":False}, b[2]' "$T/status.json"
# a malformed build identity is vac's bug: one line, exit 1
echo "fix-foo.patch" > "$vac/instances/2/patches"
check "status: malformed patches" 1 "$M" status
expect '^multikvm: .*/instances/2/patches is .fix-foo\.patch.: expected NAME@SHA8' err
echo "fix-foo.patch@1a2b3c4d" > "$vac/instances/2/patches"
check "status extra arg" 2 "$M" status x
check "unknown command" 2 "$M" frobnicate
check "no command" 2 "$M"
check "--version" 0 "$M" --version
expect '^multikvm ' out
# pyjson 'PYTHON': the last check's stdout is one JSON document d for which PYTHON holds
pyjson() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[2])' "$T/out" "$1"; }
# every verb the usage lists: VERB --help / -h print its usage line on stdout, exit 0
verbs=$("$M" --help | sed -n 's/^  multikvm \([a-z]*\).*/\1/p')
ok "usage lists the verbs" test "$(echo $verbs | wc -w)" -ge 9
for v in $verbs; do
    check "$v --help" 0 "$M" "$v" --help
    expect "^Usage: multikvm $v( |\$)" out
    ok "$v --help: nothing on stderr" test ! -s "$T/err"
    check "$v -h (after an argument)" 0 "$M" "$v" 1 -h
    expect "^Usage: multikvm $v( |\$)" out
done
check "undrain -- --help: an argument, not an option" 2 "$M" undrain -- --help
check "status --json x: still a usage error" 2 "$M" status --json x
expect '^multikvm: usage: multikvm status \[--json\]$' err

check "domains empty" 0 "$M" domains
check "domains --json empty" 0 "$M" domains --json
expect '^\[ *\]$|^\[$' out

check "drain without reason" 2 "$M" drain 1
check "drain bad id 01" 2 "$M" drain 01 --reason x
expect "instance '01' is not an instance id" err
check "drain bad id ../1" 2 "$M" drain ../1 --reason x
check "drain bad id -1" 2 "$M" drain -1 --reason x
check "drain missing instance" 3 "$M" drain 9 --reason x
expect '^multikvm: instance 9 does not exist' err
check "drain 1" 0 "$M" drain 1 --reason "kernel upgrade"
expect 'instance 1 draining \(kernel upgrade\)' out
check "drain --json" 0 "$M" drain --json 1 --reason "kernel upgrade"
ok "drain --json shape" pyjson 'assert d=={"instance":1,"draining":True,"reason":"kernel upgrade","vms":2,"domains":0}, d'
check "drain --json, missing instance" 3 "$M" drain 9 --reason x --json
ok "failing --json: nothing on stdout" test ! -s "$T/out"
ok "failing --json: one line on stderr" test "$(grep -c '^multikvm: instance 9 does not exist' "$T/err")" = 1 -a "$(wc -l < "$T/err")" = 1
check "status shows draining" 0 "$M" status
expect '^1 +amd .* draining ' out
expect 'instance 1 draining since .*: kernel upgrade' out
check "default to draining refused" 4 "$M" default 1
check "undrain 1" 0 "$M" undrain 1 --json
ok "undrain --json shape" pyjson 'assert d=={"instance":1,"draining":False}, d'
check "status active again" 0 "$M" status
expect '^1 +amd .* active ' out

check "default 2" 0 "$M" default 2
expect 'instance 2' out
check "default file written" 0 grep -qx 2 "$vac/default_instance"
check "default missing" 3 "$M" default 7
check "default --json" 0 "$M" default --json 2
ok "default --json shape" pyjson 'assert d=={"default_instance":2}, d'
check "default none" 0 "$M" default none --json
ok "default none --json shape" pyjson 'assert d=={"default_instance":None}, d'
check "default none written" 0 grep -qx none "$vac/default_instance"
echo 3 > "$vac/default_instance"

# records: placed domains count on their instance
mkdir -p "$T/run/domains"
cat > "$T/run/domains/6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11.json" <<EOS
{"uuid":"6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11","name":"web1","instance":2,
 "device":"/dev/kvm2","profile":"fast","reason":"test","created":1,"updated":1,"pid":0}
EOS
check "domains" 0 "$M" domains
expect '^web1 +6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11 +2 +/dev/kvm2 +fast +- +test$' out
check "domains --json" 0 "$M" domains --json
expect '"name" : "web1"' out

# evacuate: bad arguments and a second run are refused before anything changes
check "evacuate without instance" 2 "$M" evacuate
check "evacuate --to itself" 2 "$M" evacuate 1 --to 1
expect '^multikvm: --to 1 is the instance being evacuated' err
check "evacuate --max-pause-ms 0" 2 "$M" evacuate 1 --max-pause-ms 0
check "evacuate missing instance" 3 "$M" evacuate 9
check "evacuate --to missing instance" 3 "$M" evacuate 1 --to 9
check "evacuate while another runs" 4 flock "$T/run/evacuate.lock" "$M" evacuate 1
expect "^multikvm: another 'multikvm evacuate' is running on this host" err
check "... which left instance 1 active" 0 "$M" status
expect '^1 +amd .* active ' out
check "retire default refused" 4 "$M" retire 3
expect 'is the default instance' err
check "retire with VMs refused" 4 "$M" retire 1
expect 'instance 1: 2 VMs running, 0 domains recorded' err
check "retire left it draining" 0 "$M" status
expect '^1 +amd .* draining ' out
check "retire with record refused" 4 "$M" retire 2
expect '1 domains recorded \(web1\)' err
check "retire --timeout" 1 "$M" retire 1 --wait --timeout 1
expect 'timed out' err
# The "kernel" changes vms atomically, as sysfs reads are: a plain
# truncate-and-write could be read half-done (empty) by the waiting CLI.
set_vms() { echo "$1" > "$vac/instances/1/vms.new" && mv "$vac/instances/1/vms.new" "$vac/instances/1/vms"; }
# The "kernel" moves on when the waiting CLI has reported the previous
# count (not after a fixed time: on a loaded machine the CLI may need longer).
saw() { for _ in $(seq 600); do grep -q "$1" "$T/out" && return; sleep 0.05; done; }
: > "$T/out"
( saw '2 VMs running'; set_vms 1; saw '1 VMs running'; set_vms 0 ) &
check "retire --wait" 0 "$M" retire 1 --wait
wait
expect 'instance 1: 2 VMs running.*waiting' out
expect 'instance 1: 1 VMs running.*waiting' out
expect 'unloading kvm_amd_1' out
expect 'instance 1 retired' out
check "modprobe -r ran" 0 grep -qx -- "-r kvm_amd_1" "$T/modprobe.log"
check "retired instance gone" 3 "$M" drain 1 --reason x
check "drain flag cleared" 0 python3 -c 'import json,sys; \
assert [d["instance"] for d in json.load(open(sys.argv[1]))["drains"]]==[2]' "$T/run/drains.json"

for bad in 0 9 60001 abc 10x -5; do
    MULTIKVM_POLL_MS=$bad check "retire: MULTIKVM_POLL_MS='$bad' refused" 2 "$M" retire 2 --wait
    expect "^multikvm: MULTIKVM_POLL_MS is '$bad': write milliseconds from 10 to 60000\$" err
done
check "reconcile" 0 "$M" reconcile
expect 'reconciled: 0 kept, 0 updated, 0 created, 0 removed' out
check "reconcile --json" 0 "$M" reconcile --json
ok "reconcile --json shape" pyjson 'assert d=={"kept":0,"updated":0,"created":0,"removed":0}, d'
# retire --json: an instance without VMs or records retires at once
instance 4 1700000300 0 Y Y
check "retire --json" 0 "$M" retire 4 --json
ok "retire --json shape" pyjson 'assert d=={"instance":4,"module":"kvm_amd_4","retired":True,"unloaded_elsewhere":False}, d'
check "retire --json, refused (the default)" 4 "$M" retire 3 --json
ok "refused --json: nothing on stdout" test ! -s "$T/out"

# assign through libvirt's test driver (a fresh in-memory host per connection)
check "assign" 0 "$M" -c test:///default assign test --instance 2 --profile hardened --config
expect "domain 'test': metadata set to <kvm instance=\"2\" profile=\"hardened\"/> \(config\)" out
check "assign live" 0 "$M" -c test:///default assign test --profile fast --live
check "assign --json" 0 "$M" -c test:///default assign test --profile fast --live --config --json
ok "assign --json shape" pyjson 'assert d=={"domain":"test","uuid":"6695eb01-f6a4-8304-79aa-97f2502e193f", \
"metadata":"<kvm profile=\"fast\"/>","affect":"live and config"}, d'
check "assign --clear --json" 0 "$M" -c test:///default assign test --clear --json
ok "assign --clear --json shape" pyjson 'assert d["metadata"] is None and d["affect"]=="current", d'
check "assign by uuid" 0 "$M" -c test:///default assign 6695eb01-f6a4-8304-79aa-97f2502e193f --instance 5
check "assign clear" 0 "$M" -c test:///default assign test --clear
check "assign unknown domain" 3 "$M" -c test:///default assign nosuch --instance 2
check "assign unknown profile" 3 "$M" -c test:///default assign test --profile gold
check "assign bad profile" 2 "$M" -c test:///default assign test --profile Gold
check "assign bad id" 2 "$M" -c test:///default assign test --instance 1000
check "assign nothing" 2 "$M" -c test:///default assign test
check "assign clear+instance" 2 "$M" -c test:///default assign test --clear --instance 2
LIBVIRT_DEFAULT_URI=test:///default check "assign via LIBVIRT_DEFAULT_URI" 0 "$M" assign test --instance 3

# doctor: empty host root -> problems and fixes
check "doctor finds problems" 5 "$M" -c test:///default doctor
expect '^FAIL +cgroup_device_acl' out
expect '^FAIL +libvirt hook: /etc/libvirt/hooks/qemu.d/multikvm missing' out
expect '^ok +domain emulators: 0 KVM domain' out
expect '^FAIL +udev rule' out
expect '^FAIL +stock KVM kept from autoloading' out
expect 'fix: ' out
check "doctor --json finds problems" 5 "$M" -c test:///default doctor --json
ok "doctor --json shape" pyjson 'c=d["checks"]; \
assert sorted(d)==["checks","failed","ok","skipped","warnings"], d; \
assert all(sorted(x)==["check","fix","problem","verdict"] for x in c), c; \
assert all(x["verdict"] in ("ok","fail","warn","skip") for x in c), c; \
assert d["failed"]==sum(x["verdict"]=="fail" for x in c)>0 and d["ok"]==sum(x["verdict"]=="ok" for x in c), d; \
u=[x for x in c if x["check"]=="udev rule"][0]; assert u["verdict"]=="fail" and "60-multikvm.rules" in u["fix"], u'
# doctor: a host with everything installed
H=$T/host
mkdir -p "$H/etc/libvirt/hooks/qemu.d" "$H/usr/lib/udev/rules.d" "$H/usr/lib/modprobe.d" \
    "$H/etc/apparmor.d/abstractions/libvirt-qemu.d" "$H/etc/apparmor.d/local/usr.sbin.libvirtd.d"
cat > "$H/etc/libvirt/qemu.conf" <<'EOS'
# cgroup_device_acl = [ "/dev/null" ]
cgroup_device_acl = [
    "/dev/null", "/dev/full", "/dev/zero",   # comment
    "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm",
    "/dev/userfaultfd", "/dev/kvm2", "/dev/kvm3"
]
EOS
printf '#!/bin/sh\n' > "$H/etc/libvirt/hooks/qemu.d/multikvm"
chmod +x "$H/etc/libvirt/hooks/qemu.d/multikvm"
echo 'KERNEL=="kvm[0-9]*", GROUP="kvm", MODE="0660"' > "$H/usr/lib/udev/rules.d/60-multikvm.rules"
for m in kvm kvm_amd kvm_intel; do
    printf 'blacklist %s\ninstall %s /bin/false\n' $m $m
done > "$H/usr/lib/modprobe.d/multikvm.conf"
mkdir -p "$T/sys/module/apparmor/parameters"; echo Y > "$T/sys/module/apparmor/parameters/enabled"
echo '/dev/kvm[0-9]* rw,' > "$H/etc/apparmor.d/abstractions/libvirt-qemu.d/multikvm"
echo 'include if exists <local/usr.sbin.libvirtd.d>' > "$H/etc/apparmor.d/local/usr.sbin.libvirtd"
echo '/usr/bin/multikvm-qemu PUx,' > "$H/etc/apparmor.d/local/usr.sbin.libvirtd.d/multikvm"
check "doctor on an installed host (no libvirt)" 0 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^ok +cgroup_device_acl' out
expect '^ok +libvirt hook' out
expect '^ok +udev rule' out
expect '^ok +stock KVM kept from autoloading' out
expect '^ok +AppArmor libvirt-qemu rules' out
expect '^ok +AppArmor libvirtd include' out
expect '^ok +AppArmor libvirtd rules' out
expect '^warn +domain emulators' out
expect '^ok +QEMU -accel kvm,device=|^FAIL +QEMU' out
expect '^ok +confinement: confine=yes: .*device cgroup is narrowed' out
expect '^ok +divert: off: ' out
# doctor and `multikvm divert`: on, its AppArmor rule, half
mkdir -p "$H/usr/bin" "$H/var/lib/dpkg"
printf '/usr/bin/qemu-system-x86_64\n/usr/bin/qemu-system-x86_64.real\n:\n' > "$H/var/lib/dpkg/diversions"
install -m 0755 /dev/null "$H/usr/bin/qemu-system-x86_64.real"
install -m 0755 /dev/null "$H/multikvm-qemu"
ln -s "$H/multikvm-qemu" "$H/usr/bin/qemu-system-x86_64"
check "doctor: divert on, AppArmor rule missing" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect "^ok +divert: on: /usr/bin/qemu-system-x86_64 is the wrapper \\(-> $H/multikvm-qemu\\)" out
expect '^FAIL +AppArmor divert rule: .*lacks ./usr/bin/qemu-system-x86_64.real' out
echo '/usr/bin/qemu-system-x86_64.real mrix,' >> "$H/etc/apparmor.d/abstractions/libvirt-qemu.d/multikvm"
check "doctor: divert on with its AppArmor rule" 0 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^ok +AppArmor divert rule' out
rm "$H/usr/bin/qemu-system-x86_64.real"
check "doctor: divert half" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^FAIL +divert: half: dpkg diverts /usr/bin/qemu-system-x86_64 but the real QEMU .* is missing' out
expect 'fix: multikvm divert on \(to finish it\) or multikvm divert off' out
rm -r "$H/usr/bin" "$H/var/lib/dpkg" "$H/multikvm-qemu"
check "doctor --json on an installed host" 0 "$M" -c "test:///$T/nonexistent.xml" doctor --json
ok "doctor --json: no failures" pyjson 'assert d["failed"]==0 and d["ok"]>=8, d'
sed -i 's|"/dev/kvm3"||' "$H/etc/libvirt/qemu.conf"
chmod -x "$H/etc/libvirt/hooks/qemu.d/multikvm"
mkdir -p "$T/sys/module/kvm_amd"
check "doctor: acl, hook, stock kvm" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^FAIL +cgroup_device_acl: lacks /dev/kvm3' out
expect 'fix: cgroup_device_acl = \[ .*"/dev/kvm2", "/dev/kvm3" \]' out
expect '^FAIL +libvirt hook: .* is not executable' out
expect '^FAIL +stock kvm_amd: loaded' out
# doctor: what the hook's confinement needs
echo 'namespaces = [ ]' >> "$H/etc/libvirt/qemu.conf"
check "doctor: shared mount namespace" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^warn +confinement: namespaces .* lacks "mount": QEMU shares the host.s /dev' out
echo 'cgroup_controllers = [ "cpu", "memory" ]' >> "$H/etc/libvirt/qemu.conf"
check "doctor: no devices controller" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^FAIL +confinement: cgroup_controllers .* lacks "devices"' out
echo 'confine=no' > "$T/multikvm.conf"
check "doctor: confine=no" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^FAIL +confinement: confine=no .*may open every instance node' out
echo 'confine=maybe' > "$T/multikvm.conf"
check "doctor: a bad confine= value" 5 "$M" -c "test:///$T/nonexistent.xml" doctor
expect '^FAIL +confinement: .*confine=maybe: write confine=yes' out
rm "$T/multikvm.conf"

# export: each file atomically, every target checked before any is written
check "export: nothing asked" 2 "$M" export
expect '^multikvm: export: say what to write: --placement FILE.yaml' err
mkdir -p "$T/exp"
check "export: missing directory" 1 "$M" export --labels "$T/exp/labels.txt" --prometheus "$T/nodir/m.prom"
expect "^multikvm: --prometheus $T/nodir/m.prom: directory $T/nodir does not exist: create it or choose another path\$" err
ok "export: nothing written" test -z "$(ls -A "$T/exp")"
check "export: Nova reads only *.yaml" 1 "$M" export --placement "$T/exp/provider.yml"
expect "must end in .yaml" err
check "export: all three and --json" 0 "$M" export --placement "$T/exp/provider.yaml" \
    --labels "$T/exp/labels.txt" --prometheus "$T/exp/m.prom" --json
cp "$T/out" "$T/export.json"
check "export: files, no temp files left" 0 test "$(ls -A "$T/exp" | tr '\n' ' ')" = "labels.txt m.prom provider.yaml "
check "export --json: the traits of provider.yaml" 0 python3 -c 'import json,sys; \
d=json.load(open(sys.argv[1])); y=[l.strip()[2:] for l in open(sys.argv[2]) if l.startswith("        - ")]; \
assert d["traits"]==y and "CUSTOM_MKVM_HOST" in y, (d["traits"], y)' "$T/export.json" "$T/exp/provider.yaml"
expect '^multikvm_instance_vms\{instance="3"\} 1$' exp/m.prom

# bash completion parses and completes commands and instance ids
check "completion parses" 0 bash -n "$SRC/cli/multikvm.bash-completion"
check "completion completes" 0 bash -c '
    _init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]};
                         words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    complete() { :; }
    . "$1"
    COMP_WORDS=(multikvm dr); COMP_CWORD=1; _multikvm; [ "${COMPREPLY[*]}" = drain ] || exit 1
    COMP_WORDS=(multikvm undrain ""); COMP_CWORD=2; _multikvm; [ "${COMPREPLY[*]}" = "2 3" ] || exit 1
    COMP_WORDS=(multikvm doctor --j); COMP_CWORD=2; _multikvm; [ "${COMPREPLY[*]}" = --json ]' \
    _ "$SRC/cli/multikvm.bash-completion"
if command -v man >/dev/null; then
    check "man page renders without warnings" 0 sh -c \
        "MANWIDTH=80 man --warnings -l '$SRC/cli/multikvm.8' 2>&1 >/dev/null | grep . && exit 1 || exit 0"
fi

echo "1..$n"
[ "$failed" = 0 ]
