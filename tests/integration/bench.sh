#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: `virsh start` + `virsh destroy` of a tiny KVM domain with
# multikvm (hook + wrapper) against plain libvirt (no hook, stock QEMU), the
# two measured alternately (ABBA) in the same run.  Hooks are rescanned on
# each call, so removing our script makes libvirt run none.
# Last line: the ratio of the medians, multikvm / plain.
. "$MKVM_LIB"
write_policy
N=${MKVM_BENCH_N:-21}
hook=/etc/libvirt/hooks/qemu.d/multikvm

# Other work on a shared machine adds noise: run this test, the daemons and
# (inherited) the QEMUs and hooks at high priority; both sides alike.
for p in $$ $(cat "$MKVM_T/libvirtd.pid") $(cat "$MKVM_T/virtlogd.pid"); do
	for t in /proc/"$p"/task/*; do renice -n -15 -p "${t##*/}" >/dev/null 2>&1; done
done

define_dom plainb
define_mkvm mkvmb

# cycle MODE -> milliseconds of one start + destroy
#   plain: no hook, stock QEMU      mkvm: our hook, the wrapper
#   wrap:  no hook, the wrapper     floor: /bin/true as the hook, stock QEMU
# CPU ticks used so far by libvirtd and the hooks it reaped, plus the QEMUs
# (and wrappers, which become QEMU) that the subreaper reaped.
lvd=$(cat "$MKVM_T/libvirtd.pid")
reaper=$(awk '{print $4}' "/proc/$lvd/stat")
ticks() {
	awk '{ s += $14 + $15 + $16 + $17 } END { print s }' "/proc/$lvd/stat"
	awk '{ print $16 + $17 }' "/proc/$reaper/stat"
}
cycle() {
	local t0 dom=plainb c0 c1
	case $1 in
	plain) rm -f "$hook" ;;
	mkvm) ln -sf "${MKVM_BENCH_HOOK:-$MKVM_HOOK}" "$hook"; dom=mkvmb ;;
	wrap) rm -f "$hook"; dom=mkvmb ;;
	floor) ln -sf /bin/true "$hook" ;;
	esac
	c0=$(ticks | awk "{ s += \$1 } END { print s }")
	t0=$(date +%s%N)
	virsh -q start $dom >/dev/null || exit 1
	virsh -q destroy $dom >/dev/null || exit 1
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
	sleep 0.05   # let the subreaper collect QEMU
	c1=$(ticks | awk "{ s += \$1 } END { print s }")
	echo $((c1 - c0)) >> "$MKVM_T/cpu.$1"
}
# Warm up: capability probes of both emulator paths, page cache.
for _ in 1 2; do cycle plain >/dev/null; cycle mkvm >/dev/null; done
rm -f "$MKVM_T"/cpu.*

# MKVM_BENCH_DECOMPOSE=1 also measures the wrapper alone and libvirt running
# a do-nothing hook, to show where the time goes.
extra=()
[ -n "${MKVM_BENCH_DECOMPOSE:-}" ] && extra=(wrap floor)
declare -A all
plain=() mkvm=()
for i in $(seq $N); do
	if [ $((i % 2)) = 1 ]; then
		plain+=("$(cycle plain)"); mkvm+=("$(cycle mkvm)")
	else
		mkvm+=("$(cycle mkvm)"); plain+=("$(cycle plain)")
	fi
	for m in "${extra[@]}"; do all[$m]+="$(cycle $m) "; done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratios=()
for i in $(seq 0 $((N - 1))); do
	ratios+=("$(awk -v a="${mkvm[$i]}" -v b="${plain[$i]}" 'BEGIN { printf "%.4f", a / b }')")
done
mp=$(median "${plain[@]}"); mm=$(median "${mkvm[@]}")
echo "plain  start+destroy ms: ${plain[*]}"
echo "mkvm   start+destroy ms: ${mkvm[*]}"
hz=$(getconf CLK_TCK)
for m in plain mkvm "${extra[@]}"; do
	awk -v hz="$hz" -v m="$m" '{ s += $1; n++ } END {
		printf "cpu %s: %.1f ms per cycle (libvirtd + hooks + QEMU)\n", m, s * 1000 / hz / n }' "$MKVM_T/cpu.$m"
done
for m in "${extra[@]}"; do
	# shellcheck disable=SC2086
	echo "median $m $(median ${all[$m]}) ms: ${all[$m]}"
done
echo "median plain ${mp} ms, multikvm ${mm} ms over $N alternated cycles (goal <= 1.02x)"
echo "ratio of medians: $(awk -v a="$mm" -v b="$mp" 'BEGIN { printf "%.3f", a / b }')"
# Adjacent pairs share the machine's load at that moment: their ratio is
# the steadier figure on a busy host.
echo "ratio multikvm/plain (median of $N adjacent pairs): $(median "${ratios[@]}" | awk '{ printf "%.3f", $1 }')"
