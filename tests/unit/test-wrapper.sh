#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# multikvm-qemu as the system's QEMU (`multikvm divert on`): run under the
# stock name (a symlink, qemu= naming it) it execs the diverted binary
# QEMU.real; capability probes and domains without a record reach it with
# their arguments unchanged, a placed domain with -accel kvm,device=NODE.
# The "real QEMU" is a script that writes the arguments it got.  Fixture
# instances need mknod (root).
# Usage: test-wrapper.sh PATH/TO/multikvm-qemu-testing PATH/TO/multikvm-hook-testing
set -u
W=$1 H=$2
. "$(dirname "$0")/../tap.sh"
skip_unless_root "mknod in its fixture"
T=$(mktemp -d /tmp/mkvm-wrapper-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/vac-fixture.sh"
mkdir -p "$T/bin"

# The divert layout: STOCK -> the wrapper, STOCK.real the real QEMU.
STOCK=$T/bin/qemu-system-x86_64
ln -s "$(readlink -f "$W")" "$STOCK"
cat > "$STOCK.real" <<SH
#!/bin/sh
: > "$T/got"
for a in "\$@"; do printf '%s\n' "\$a" >> "$T/got"; done
SH
chmod +x "$STOCK.real"
echo "qemu=$STOCK" > "$T/multikvm.conf"

# passes NAME -- ARGS...: the stock name run with ARGS exits 0 and the real
# QEMU got ARGS unchanged
passes() {
	local name=$1; shift 2
	rm -f "$T/got"
	check "$name: exit 0" 0 "$STOCK" "$@"
	n=$((n + 1))
	if [ -f "$T/got" ] && [ "$(cat "$T/got")" = "$(printf '%s\n' "$@")" ]; then
		echo "ok $n - $name: the real QEMU got the arguments unchanged"
	else
		echo "not ok $n - $name: the real QEMU got:"; sed 's/^/#   /' "$T/got" 2>/dev/null
		failed=$((failed + 1))
	fi
}

# libvirt's capability probes (qemuProcessQMPLaunch, virQEMUCapsProbe...)
passes "QMP capability probe" -- -S -no-user-config -nodefaults -nographic \
	-machine none,accel=kvm:tcg \
	-qmp unix:/var/lib/libvirt/qemu/capabilities.monitor.sock,server=on,wait=off \
	-pidfile /var/lib/libvirt/qemu/capabilities.pidfile -daemonize
passes "-version" -- -version
passes "-help" -- -help
passes "-device help" -- -device help
passes "-accel help" -- -accel help
passes "an empty and a spaced argument" -- -name "guest=a b" "" -accel kvm
U=6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11
passes "a domain without a record" -- -name guest=web1 -uuid $U -accel kvm -m 16

# A placed domain: the hook records instance 2; the wrapper points QEMU at kvm2.
printf '%s' "<domain type='kvm'><name>web1</name><uuid>$U</uuid><metadata><mkvm:kvm xmlns:mkvm='http://multikvm.org/xmlns/libvirt/domain/1.0' instance='2'/></metadata><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>" > "$T/web1.xml"
check "hook prepare records instance 2" 0 sh -c '"$1" web1 prepare begin - < "$2"' - "$H" "$T/web1.xml"
rm -f "$T/got"
check "placed domain: exit 0" 0 "$STOCK" -name guest=web1 -uuid $U -accel kvm -m 16
ok "placed domain: QEMU got -accel kvm,device=$T/dev/kvm2, the rest unchanged" \
	test "$(cat "$T/got" 2>/dev/null)" = "$(printf '%s\n' -name guest=web1 -uuid $U -accel kvm,device="$T/dev/kvm2" -m 16)"
rm -f "$T/got"
check "placed domain, wrapper run by its own name: the same" 0 "$W" -uuid $U -accel kvm
ok "... device=$T/dev/kvm2" test "$(cat "$T/got" 2>/dev/null)" = "$(printf '%s\n' -uuid $U -accel kvm,device="$T/dev/kvm2")"

# Without the diverted binary: one line, exit 127, nothing run.
mv "$STOCK.real" "$T/real.away"
rm -f "$T/got"
check "no QEMU.real: exit 127" 127 "$STOCK" -version
expect "^multikvm-qemu: qemu=$STOCK in $T/multikvm.conf is this wrapper and $STOCK.real is missing" err
ok "... one line" test "$(wc -l < "$T/err")" = 1
ok "... nothing ran" test ! -e "$T/got"
mv "$T/real.away" "$STOCK.real"

echo "1..$n"
[ "$failed" = 0 ]
