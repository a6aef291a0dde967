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
