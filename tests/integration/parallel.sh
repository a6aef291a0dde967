#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 20 domains started at once leave records that match the processes exactly.
. "$MKVM_LIB"
write_policy
N=${MKVM_PARALLEL:-20}

for i in $(seq $N); do
	case $((i % 4)) in
	0) define_mkvm p$i "$(meta "instance='9'")" ;;
	1) define_mkvm p$i "$(meta "profile='polling'")" ;;
	*) define_mkvm p$i ;;
	esac
done
t0=$(ms)
for i in $(seq $N); do virsh -q start p$i > "$MKVM_T/p$i.out" 2>&1 & done
wait
echo "# $N parallel starts took $(( $(ms) - t0 )) ms"
check "all $N running" test "$(virsh -q list --name | grep -c .)" = $N
bad=0
declare -A load
for i in $(seq $N); do
	n=$(dom_kvm_nodes p$i); n=${n##*kvm}
	load[$n]=$(( ${load[$n]:-0} + 1 ))
	if ! on_node p$i "$n" >/dev/null; then
		on_node p$i "$n"; bad=$((bad + 1))
	fi
	case $((i % 4)) in
	0) [ "$n" = 9 ] || { echo "#   p$i pinned to 9 runs on $n"; bad=$((bad + 1)); } ;;
	1) [ "$n" = 8 ] || { echo "#   p$i (polling) runs on $n"; bad=$((bad + 1)); } ;;
	esac
done
echo "# load: kvm7=${load[7]:-0} kvm8=${load[8]:-0} kvm9=${load[9]:-0}"
check "every record matches its QEMU's /proc/PID/fd, pid and the wish" test $bad = 0
check "exactly $N records" test "$(n_records)" = $N
if [ -x "$MKVM_CLI" ]; then
	out=$("$MKVM_CLI" reconcile 2>&1); echo "#   multikvm reconcile: $out"
	check "multikvm reconcile (from /proc) keeps all $N records, changes none" \
		test "$out" = "reconciled: $N kept, 0 updated, 0 created, 0 removed"
fi
# Unpinned domains spread: least-loaded means no instance takes them all.
check "no-wish domains were spread over instances" test "${load[7]:-0}" -ge 3

t0=$(ms)
for i in $(seq $N); do virsh -q destroy p$i >/dev/null 2>&1 & done
wait
echo "# $N parallel destroys took $(( $(ms) - t0 )) ms"
check "no records left" test "$(n_records)" = 0
finish
