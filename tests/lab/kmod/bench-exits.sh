# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (issue 13): KVM exit throughput of the instance built from the
# newest 6.12 source (kvm_amd_2, or kvm_intel_2 in the Bochs VMX lab) vs the
# instance built from the lab kernel's own source (kvm_amd_1 / kvm_intel_1)
# vs Debian's stock kvm_amd (kvm_intel), in one lab boot.
#
# The guest's clock counts executed instructions (QEMU: icount below;
# Bochs: always), so a rate is a function of the code KVM runs per exit, not
# of the host's load, and short runs are enough (docs/lab.md).  One run:
# kvmtest on one node, pinned to CPU 0, a warm-up batch, then $N checked
# exits timed.
#
# - kvm_2 vs kvm_1: vac and both instances loaded; pairs of runs on
#   /dev/kvm1 and /dev/kvm2 in ABBA order (1 2, 2 1, 1 2, ...); each pair
#   gives one ratio kvm2/kvm1.
# - vs stock: stock KVM cannot load while vac is, so the boot alternates
#   blocks, stock first and last (S I S I S); the median rate of each
#   instance block over the median of each adjacent stock block gives one
#   ratio per adjacent block pair.
#
# Each figure: "median ratio X (IQR a–b, n pairs)"; the BENCH line holds
# all three.  No timing is asserted.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2 kvm-amd kvm-intel
# lab: bins=tests/kvmtest
# lab: icount=3 smp=1 timeout=900
. /lab/lib.sh

v=amd
# BLOCKS instance blocks of PAIRS pairs, BLOCKS + 1 stock blocks of SAMPLES
# runs; runs of N exits after a warm-up of W.
BLOCKS=3 PAIRS=10 SAMPLES=6 N=4000 W=1000
if [ "$LAB_MACHINE" = bochs ]; then
	v=intel
fi
[ "$LAB_MACHINE" = bochs ] || [ -n "$LAB_ICOUNT" ] ||
	echo "warning: no icount: rates follow the host's load"

# rate NODE: exits per second of one run pinned to CPU 0
rate() {
	kvmtest -w $W -n $N -c 0 "$1" | sed -n 's/.* \([0-9][0-9]*\) exits\/s$/\1/p'
}

# stats FILE: "median q1 q3 n" of the numbers in FILE (quartiles
# interpolated between ranks)
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 }
		function q(p,  h, i) { h = 1 + (NR - 1) * p; i = int(h); return v[i] + (h - i) * (v[i + 1] - v[i]) }
		END { printf "%.6f %.6f %.6f %d\n", q(0.5), q(0.25), q(0.75), NR }'
}

# figure FILE UNIT: "median ratio X (IQR a–b, n UNIT)"
figure() {
	set -- $(stats "$1") "$2"
	printf 'median ratio %.3f (IQR %.3f–%.3f, %d %s)' "$1" "$2" "$3" "$4" "$5"
}

median() {
	set -- $(stats "$1")
	echo "$1"
}

# rates FILE: its median and its numbers in order, for the log
rates() {
	printf '%.0f exits/s (%s)' "$(median "$1")" "$(sort -n "$1" | tr '\n' ' ' | sed 's/ $//')"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a / b }'
}

stock_block() {
	lab_load kvm_$v
	: >/tmp/s
	i=0
	while [ $i -lt $SAMPLES ]; do
		s=$(rate /dev/kvm)
		[ -n "$s" ] || die "stock block $1: no rate"
		echo "$s" >>/tmp/s
		i=$((i + 1))
	done
	modprobe -r kvm_$v kvm || die "stock kvm_$v does not unload"
	median /tmp/s >/tmp/stock.$1
	echo "stock block $1: kvm_$v $(rates /tmp/s)"
}

instance_block() {
	# The lab's modules are debug builds: measure them with vac's TLB
	# tag check off (a patched-out call, as in a production build).
	lab_load vac tlb_check=0
	lab_load kvm_${v}_1
	lab_load kvm_${v}_2
	: >/tmp/a
	: >/tmp/b
	p=1
	while [ $p -le $PAIRS ]; do
		if [ $((p % 2)) = 1 ]; then
			a=$(rate /dev/kvm1)
			b=$(rate /dev/kvm2)
		else
			b=$(rate /dev/kvm2)
			a=$(rate /dev/kvm1)
		fi
		[ -n "$a" ] && [ -n "$b" ] || die "block $1 pair $p: no rate (kvm1 '$a', kvm2 '$b')"
		echo "$a" >>/tmp/a
		echo "$b" >>/tmp/b
		ratio "$b" "$a" >>/tmp/pairs
		p=$((p + 1))
	done
	rmmod kvm_${v}_2 kvm_${v}_1 vac || die "vac and the instances do not unload"
	median /tmp/a >/tmp/inst1.$1
	median /tmp/b >/tmp/inst2.$1
	echo "instance block $1: kvm_${v}_1 $(rates /tmp/a)"
	echo "instance block $1: kvm_${v}_2 $(rates /tmp/b)"
	echo "instance block $1: pair ratios kvm_${v}_2/kvm_${v}_1: $(tail -n $PAIRS /tmp/pairs | awk '{ printf "%s%.4f", (NR > 1 ? " " : ""), $1 }')"
}

# Kernel messages (the taint note at vac's first load, ...) stay in the
# kernel log, which is still judged at the end: on Bochs's slow console
# they would cut into the lines printed here.
echo 1 >/proc/sys/kernel/printk

clock=qemu
[ "$LAB_MACHINE" = bochs ] && clock="bochs"
[ -n "$LAB_ICOUNT" ] && clock="qemu icount shift=$LAB_ICOUNT"
step "exit throughput: $BLOCKS instance blocks of $PAIRS ABBA pairs, $((BLOCKS + 1)) stock blocks of $SAMPLES runs; $N exits a run ($clock)"
: >/tmp/pairs
: >/tmp/vs1
: >/tmp/vs2
stock_block 0
k=1
while [ $k -le $BLOCKS ]; do
	instance_block $k
	stock_block $k
	for s in $((k - 1)) $k; do
		ratio "$(cat /tmp/inst1.$k)" "$(cat /tmp/stock.$s)" >>/tmp/vs1
		ratio "$(cat /tmp/inst2.$k)" "$(cat /tmp/stock.$s)" >>/tmp/vs2
	done
	k=$((k + 1))
done

f21=$(figure /tmp/pairs pairs)
f1s=$(figure /tmp/vs1 "block pairs")
f2s=$(figure /tmp/vs2 "block pairs")
echo "kvm_${v}_2 vs kvm_${v}_1: $f21"
echo "kvm_${v}_1 vs stock kvm_$v: $f1s"
echo "kvm_${v}_2 vs stock kvm_$v: $f2s"
echo "BENCH: exit throughput ($clock): kvm_${v}_2/kvm_${v}_1 $f21; kvm_${v}_1/stock $f1s; kvm_${v}_2/stock $f2s"
