# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: KVM exit throughput of an instance (vac + kvm_amd_1) against
# Debian's stock kvm_amd, measured alternately in the same lab boot, same
# CPU, same guest; the figure is the median of the per-round ratios.
# lab: modules=vac kvm_amd_1 kvm-amd
# lab: bins=tests/kvmtest
# lab: timeout=400
. /lab/lib.sh

ROUNDS=5
# rate NODE: exits per second of a 3-second checked run pinned to CPU 0
rate() {
	kvmtest -n 1000 -t 3 -c 0 "$1" | sed -n 's/.* \([0-9][0-9]*\) exits\/s$/\1/p'
}

: >/tmp/ratios
r=1
while [ $r -le $ROUNDS ]; do
	lab_load kvm_amd
	s=$(rate /dev/kvm)
	modprobe -r kvm_amd kvm || die "stock kvm_amd does not unload"
	lab_load vac
	lab_load kvm_amd_1
	i=$(rate /dev/kvm1)
	rmmod kvm_amd_1 vac || die "vac and kvm_amd_1 do not unload"
	[ -n "$s" ] && [ -n "$i" ] || die "round $r: no rate measured (stock '$s', instance '$i')"
	echo "round $r: stock kvm_amd $s exits/s, kvm_amd_1 $i exits/s"
	awk -v i="$i" -v s="$s" 'BEGIN { printf "%.4f\n", i / s }' >>/tmp/ratios
	r=$((r + 1))
done
median=$(sort -n /tmp/ratios | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "BENCH: exit throughput kvm_amd_1 vs stock kvm_amd (median of $ROUNDS rounds): $(printf '%.3f' "$median")x"
