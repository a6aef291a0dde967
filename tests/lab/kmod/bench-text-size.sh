#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: .text of one instance module (kvm_amd_1.ko) against Debian's
# stock kvm.ko + kvm-amd.ko of the same kernel.
# usage: bench-text-size.sh CACHE_DIR KMOD_DIR
set -eu
cache=$1 kmod=$2
rel=$(cat "$cache/kernel/cur/release")
mods=$cache/kernel/cur/root/lib/modules/$rel/kernel/arch/x86/kvm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in kvm kvm-amd; do
	f=$(ls "$mods/$m.ko"* | head -1)
	case "$f" in
	*.xz) xz -dc "$f" >"$tmp/$m.ko" ;;
	*.zst) zstd -dcq "$f" >"$tmp/$m.ko" ;;
	*) cp "$f" "$tmp/$m.ko" ;;
	esac
done
text() { size -A "$1" | awk '$1 ~ /^\.text/ { t += $2 } END { print t }'; }
stock=$(( $(text "$tmp/kvm.ko") + $(text "$tmp/kvm-amd.ko") ))
inst=$(text "$kmod/kvm_amd_1.ko")
echo "stock kvm.ko + kvm-amd.ko: $stock bytes of .text; kvm_amd_1.ko: $inst bytes"
awk -v i="$inst" -v s="$stock" 'BEGIN { printf "instance module text vs stock kvm.ko + kvm-amd.ko: %.3fx\n", i / s }'
