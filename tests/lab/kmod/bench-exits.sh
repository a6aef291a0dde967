# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: KVM exit throughput of an instance (vac + kvm_amd_1, or
# kvm_intel_1 in the Bochs VMX lab) against Debian's stock kvm_amd (or
# kvm_intel), measured alternately in the same lab boot, same CPU, same
# guest; the figure is the median of the per-round ratios.
# lab: modules=vac kvm_amd_1 kvm_intel_1 kvm-amd kvm-intel
# lab: bins=tests/kvmtest
# lab: timeout=400
. /lab/lib.sh

ROUNDS=5
v=amd T=3
[ "$LAB_MACHINE" = bochs ] && v=intel T=2
# rate NODE: exits per second of a T-second checked run pinned to CPU 0
rate() {
	kvmtest -n 1000 -t $T -c 0 "$1" | sed -n 's/.* \([0-9][0-9]*\) exits\/s$/\1/p'
}

: >/tmp/ratios
r=1
while [ $r -le $ROUNDS ]; do
	lab_load kvm_$v
	s=$(rate /dev/kvm)
	modprobe -r kvm_$v kvm || die "stock kvm_$v does not unload"
	lab_load vac
	lab_load kvm_${v}_1
	i=$(rate /dev/kvm1)
	rmmod kvm_${v}_1 vac || die "vac and kvm_${v}_1 do not unload"
	[ -n "$s" ] && [ -n "$i" ] || die "round $r: no rate measured (stock '$s', instance '$i')"
	echo "round $r: stock kvm_$v $s exits/s, kvm_${v}_1 $i exits/s"
	awk -v i="$i" -v s="$s" 'BEGIN { printf "%.4f\n", i / s }' >>/tmp/ratios
	r=$((r + 1))
done
median=$(sort -n /tmp/ratios | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "BENCH: exit throughput kvm_${v}_1 vs stock kvm_$v (median of $ROUNDS rounds): $(printf '%.3f' "$median")x"
