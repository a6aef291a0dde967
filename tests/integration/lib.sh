# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for integration tests run by harness.sh.

fails=0

ok()   { echo "ok - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

# check DESC CMD...: run CMD, report.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# domain_xml NAME [EMULATOR] [METADATA]: a tiny KVM guest running the tick payload.
domain_xml() {
	local name=$1 emu=${2:-/usr/bin/qemu-system-x86_64} meta=${3:-}
	cat <<XML
<domain type='kvm'>
  <name>$name</name>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  ${meta:+<metadata>$meta</metadata>}
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader type='rom'>$MKVM_PAYLOAD</loader>
  </os>
  <devices>
    <emulator>$emu</emulator>
    <serial type='file'><source path='$MKVM_T/$name.serial'/></serial>
  </devices>
</domain>
XML
}

# define_dom NAME [EMULATOR] [METADATA]
define_dom() {
	domain_xml "$@" > "$MKVM_T/$1.xml"
	virsh -q define "$MKVM_T/$1.xml" >/dev/null
}

dom_pid() { cat "/run/libvirt/qemu/$1.pid"; }

# dom_kvm_nodes NAME: the kvm nodes QEMU holds open, one per line.
dom_kvm_nodes() {
	local pid
	pid=$(dom_pid "$1") || return 1
	for f in /proc/"$pid"/fd/*; do
		readlink "$f"
	done 2>/dev/null | grep -E '/kvm[0-9]*$' | sort -u
}

# ms: milliseconds since the epoch.
ms() { echo $(( $(date +%s%N) / 1000000 )); }

finish() {
	if [ "$fails" -ne 0 ]; then
		echo "# $fails check(s) failed"
		exit 1
	fi
	echo "# all checks passed"
	exit 0
}

# --- multikvm helpers -------------------------------------------------------

RUNDIR=/run/multikvm
HOOK_PREFIX='multikvm-hook: '

# write_policy: the test host's policy.  Instances 7, 8, 9 are extra nodes of
# this machine's KVM (made by the harness); 6 is declared but has no node.
# Profile "polling" is satisfied only by 8 (module kvm has halt_poll_ns).
write_policy() {
	local hp
	hp=$(cat /sys/module/kvm/parameters/halt_poll_ns)
	cat > /etc/multikvm/policy.xml <<XML
<policy version="1">
  <profiles default="standard">
    <profile name="standard"/>
    <profile name="polling">
      <require param="halt_poll_ns" value="$hp"/>
    </profile>
  </profiles>
  <order>least-loaded lowest-id</order>
  <draining pin="${1:-refuse}"/>
  <instances>
    <instance id="6" device="$MKVM_DEV/kvm6"/>
    <instance id="7" device="$MKVM_DEV/kvm7" module="kvm_pvm"/>
    <instance id="8" device="$MKVM_DEV/kvm8" module="kvm"/>
    <instance id="9" device="$MKVM_DEV/kvm9" module="kvm_pvm"/>
  </instances>
</policy>
XML
	chmod 0644 /etc/multikvm/policy.xml
}

# meta [instance=N] [profile=P]: our metadata element.
meta() {
	echo "<mkvm:kvm xmlns:mkvm='http://multikvm.org/xmlns/libvirt/domain/1.0' $*/>"
}

# define_mkvm NAME [METADATA]: a domain whose emulator is the wrapper.
define_mkvm() { define_dom "$1" "$MKVM_WRAPPER" "${2:-}"; }

dom_uuid() { virsh -q domuuid "$1" | tr -d ' \n'; }

# rec_get NAME|UUID FIELD: a field of the domain's record ("" when none).
rec_get() {
	local f u=$1
	[[ $u =~ ^[0-9a-f]{8}-[0-9a-f-]{27}$ ]] || u=$(dom_uuid "$1")
	f="$RUNDIR/domains/$u.json"
	[ -f "$f" ] || return 0
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$f" "$2"
}

has_record() { [ -f "$RUNDIR/domains/$(dom_uuid "$1").json" ]; }
n_records() { ls "$RUNDIR/domains/" 2>/dev/null | grep -c '\.json$' || true; }

# on_node NAME N: QEMU of NAME has exactly instance N's node open, and the
# record says N and that node and that pid.
on_node() {
	local name=$1 n=$2 nodes pid
	nodes=$(dom_kvm_nodes "$name")
	pid=$(dom_pid "$name")
	if [ "$nodes" != "$MKVM_DEV/kvm$n" ]; then
		echo "#   $name: /proc/$pid/fd has '${nodes//$'\n'/ }', want $MKVM_DEV/kvm$n"
		return 1
	fi
	if [ "$(rec_get "$name" instance)" != "$n" ] ||
	   [ "$(rec_get "$name" device)" != "$MKVM_DEV/kvm$n" ] ||
	   [ "$(rec_get "$name" pid)" != "$pid" ]; then
		echo "#   $name: record instance=$(rec_get "$name" instance) device=$(rec_get "$name" device) pid=$(rec_get "$name" pid), QEMU pid $pid"
		return 1
	fi
}

# start_fails NAME REGEX: virsh start fails, the user sees exactly one line
# from our hook matching REGEX, no record is left and no QEMU runs.
start_fails() {
	local name=$1 re=$2 err ours
	if err=$(virsh -q start "$name" 2>&1); then
		echo "#   $name started but should not have"
		virsh -q destroy "$name" >/dev/null 2>&1
		return 1
	fi
	echo "#   virsh: $err"
	ours=$(printf '%s\n' "$err" | sed -n "s/.*unexpected exit status 1: \\($HOOK_PREFIX\\)/\\1/p")
	if [ -z "$ours" ] || [ "$(printf '%s\n' "$err" | grep -c "$HOOK_PREFIX")" != 1 ]; then
		echo "#   not exactly one line from multikvm-hook"
		return 1
	fi
	if ! printf '%s\n' "$ours" | grep -Eq "$re"; then
		echo "#   message does not match /$re/"
		return 1
	fi
	if has_record "$name"; then
		echo "#   a record was left behind"
		return 1
	fi
	if [ "$(virsh -q domstate "$name")" != "shut off" ]; then
		echo "#   domain is $(virsh -q domstate "$name")"
		return 1
	fi
}

# drain N: mark instance N draining (the CLI when built, else its state file).
drain() {
	if [ -x "$MKVM_CLI" ]; then
		"$MKVM_CLI" drain "$1" --reason "integration test"
	else
		printf '{"drains":[{"instance":%s,"reason":"integration test","since":%s}]}\n' \
			"$1" "$(date +%s)" > "$RUNDIR/drains.json"
	fi
}

# undrain N
undrain() {
	if [ -x "$MKVM_CLI" ]; then
		"$MKVM_CLI" undrain "$1"
	else
		rm -f "$RUNDIR/drains.json"
	fi
}

# stop_libvirtd / start_libvirtd: the daemon goes away (domains keep
# running) and comes back, reconnecting to them.
stop_libvirtd() {
	local pid
	pid=$(cat "$MKVM_T/libvirtd.pid") || return 1
	kill "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}
start_libvirtd() {
	"$MKVM_SUBREAPER" libvirtd -p "$MKVM_T/libvirtd.pid" &
	for _ in $(seq 200); do
		virsh -q uri >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

no_record() { ! has_record "$1"; }
