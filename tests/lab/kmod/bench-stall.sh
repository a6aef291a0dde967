# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (issue 14, item 6): how long running guests stop during each
# step of an upgrade, against loading and unloading an unrelated module of
# the same size in the same boot: ocfs2 (1.01 MB of text, 18,100 ORC
# entries, 711 static-call sites; kvm_amd_2: 1.03 MB, 19,400, 823).
#
# Two guests on kvm_amd_1 (kvmtest --gaps: a guest that reads its TSC in a
# loop and keeps the largest gap between two reads), one pinned to each
# CPU; the steps run pinned to CPU 0, so guest 0 shares its CPU with them
# and guest 1 only sees what reaches every CPU (IPIs, stopped emulation).
# Each round, in this order, each step in a window of its own:
#   idle         sleep 3 s (the lab's own noise)
#   ocfs2-load   insmod ocfs2, without its signature (its dependencies are
#                loaded beforehand)
#   ocfs2-unload rmmod ocfs2
#   inst-load    modprobe kvm_amd_2 (enables virtualization at load)
#   vm           a VM on instance 2 (another instance): create, 1000
#                exits, destroy
#   inst-unload  rmmod kvm_amd_2 (disables virtualization)
#   load-noenable  modprobe kvm_amd_2 enable_virt_at_load=0
#   first-vm     the first VM on it: vac enables virtualization for the
#                instance, and disables it when the VM is gone
#   unload-noenable  rmmod kvm_amd_2
# Per step: the median over rounds of the largest gap of each guest, with
# its largest, the step's median duration, and each guest's ratio to the
# same figure of its baseline step (loads to ocfs2-load, unloads to
# ocfs2-unload, the rest to idle).  No timing is asserted.
#
# The guest's clock counts instructions (icount): a gap is what the lab
# kernel did instead of running the guest, whatever the host does; under
# plain TCG it follows the host's wall clock and its load (docs/lab.md).
# lab: modules=vac kvm_amd_1 kvm_amd_2 ocfs2
# lab: bins=tests/kvmtest
# lab: smp=2 icount=3 timeout=2400
. /lab/lib.sh

ROUNDS=3
STEPS="idle ocfs2-load ocfs2-unload inst-load vm inst-unload load-noenable first-vm unload-noenable"
W=0	# the last window number both guests printed

mkdir -p /tmp/stall
lab_load vac
lab_load kvm_amd_1
# the dependencies, so that a step loads one module
for m in $(modinfo -F depends ocfs2 | tr , ' ') $(modinfo -F depends kvm_amd_2 | tr , ' '); do
	lab_load "$m"
done
# Debian signs ocfs2, the lab's instances are not signed: load a copy
# without the signature, so that neither pays for a signature check.  The
# signature is appended: struct module_signature (12 bytes, the signature's
# length big-endian in its last 4), then "~Module signature appended~\n".
ko=$(modinfo -n ocfs2)
[ "$(tail -c 28 "$ko")" = "~Module signature appended~" ] ||
	die "$ko: no appended signature where expected"
siglen=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 |
	awk '{ print ((($1 * 256) + $2) * 256 + $3) * 256 + $4 }')
head -c $(($(stat -c %s "$ko") - 40 - siglen)) "$ko" >/tmp/stall/ocfs2.ko

for c in 0 1; do
	kvmtest --gaps -t 100000 -c $c /dev/kvm1 >/tmp/stall/g$c.out 2>&1 &
	eval g$c=\$!
done

# mark: end the current window of both guests (each prints it)
mark() {
	local i=0 c
	kill -USR1 $g0 $g1 || die "a guest is gone: $(cat /tmp/stall/g*.out)"
	W=$((W + 1))
	for c in 0 1; do
		while ! grep -q "gap window $W:" /tmp/stall/g$c.out; do
			i=$((i + 1))
			[ $i -lt 600 ] || die "guest $c did not report window $W: $(cat /tmp/stall/g$c.out)"
			sleep 0.05
		done
	done
}

uptime_cs() {
	awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}

# step NAME: run one step in a window of its own; record
# "NAME round window centiseconds"
step_run() {
	local t0 t1
	mark
	t0=$(uptime_cs)
	case $1 in
	idle) sleep 3 ;;
	ocfs2-load) taskset -c 0 insmod /tmp/stall/ocfs2.ko || die "insmod ocfs2" ;;
	ocfs2-unload) taskset -c 0 rmmod ocfs2 || die "rmmod ocfs2" ;;
	inst-load) taskset -c 0 modprobe kvm_amd_2 || die "modprobe kvm_amd_2" ;;
	load-noenable) taskset -c 0 modprobe kvm_amd_2 enable_virt_at_load=0 ||
		die "modprobe kvm_amd_2 enable_virt_at_load=0" ;;
	vm|first-vm) kvmtest -q -n 1000 -c 0 /dev/kvm2 || die "kvmtest on /dev/kvm2" ;;
	inst-unload|unload-noenable) taskset -c 0 rmmod kvm_amd_2 || die "rmmod kvm_amd_2" ;;
	esac
	t1=$(uptime_cs)
	mark
	echo "$1 $r $W $((t1 - t0))" >>/tmp/stall/steps
}

step "Guests on instance 1 on CPU 0 and CPU 1; $ROUNDS rounds of: $STEPS"
sleep 2
r=1
while [ $r -le $ROUNDS ]; do
	for s in $STEPS; do
		step_run $s
	done
	echo "   round $r: $(awk -v r=$r '$2 == r { printf "%s %.1fs  ", $1, $4 / 100 }' /tmp/stall/steps)"
	r=$((r + 1))
done
kill -TERM $g0 $g1
wait $g0 || die "guest 0: $(cat /tmp/stall/g0.out)"
wait $g1 || die "guest 1: $(cat /tmp/stall/g1.out)"
cat /tmp/stall/g0.out /tmp/stall/g1.out | grep PASS

# window -> largest gap, per guest
for c in 0 1; do
	sed -n 's/.*gap window \([0-9]*\): largest \([0-9.]*\) ms$/\1 \2/p' \
		/tmp/stall/g$c.out >/tmp/stall/w$c
done

step "Largest guest gap per step (median over $ROUNDS rounds; guest 0 shares CPU 0 with the step)"
awk -v steps="$STEPS" '
	FILENAME ~ /w0$/ { g0[$1] = $2 + 0; next }
	FILENAME ~ /w1$/ { g1[$1] = $2 + 0; next }
	{ n[$1]++; a[$1, n[$1]] = g0[$3]; b[$1, n[$1]] = g1[$3]; d[$1, n[$1]] = $4 / 100 }
	function med(arr, s, k,   i, j, t, v) {
		for (i = 1; i <= k; i++) v[i] = arr[s, i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}
	function mx(arr, s, k,   i, m) {
		m = 0
		for (i = 1; i <= k; i++) if (arr[s, i] > m) m = arr[s, i]
		return m
	}
	END {
		baseline["ocfs2-load"] = baseline["ocfs2-unload"] = "idle"
		baseline["vm"] = baseline["first-vm"] = "idle"
		baseline["inst-load"] = baseline["load-noenable"] = "ocfs2-load"
		baseline["inst-unload"] = baseline["unload-noenable"] = "ocfs2-unload"
		ns = split(steps, st, " ")
		for (i = 1; i <= ns; i++) {
			s = st[i]
			m0[s] = med(a, s, n[s]); m1[s] = med(b, s, n[s])
		}
		printf "   %-16s %22s %22s %8s  %s\n", "step", "guest 0 (same CPU)", "guest 1 (other CPU)", "took", "ratio to the baseline step (guest 0, guest 1)"
		bench = ""
		for (i = 1; i <= ns; i++) {
			s = st[i]; k = n[s]
			base = baseline[s]
			ratio = base == "" ? "" : sprintf("%.2fx %.2fx (%s)", m0[s] / m0[base], m1[s] / m1[base], base)
			printf "   %-16s %8.1f ms (max %6.1f) %8.1f ms (max %6.1f) %7.1fs  %s\n", s, m0[s], mx(a, s, k), m1[s], mx(b, s, k), med(d, s, k), ratio
			bench = bench sprintf("%s%s %.0f/%.0f ms", bench == "" ? "" : ", ", s, m0[s], m1[s])
			if (base != "")
				bench = bench sprintf(" (%.2fx/%.2fx)", m0[s] / m0[base], m1[s] / m1[base])
		}
		print "BENCH: largest guest gap per step, same CPU/other CPU, median of " k " rounds (ratio to " \
			"its baseline step): " bench
	}' /tmp/stall/w0 /tmp/stall/w1 /tmp/stall/steps
