#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kmod/build.sh — build vac.ko and the KVM instance modules (kvm_amd_N,
# kvm_intel_N) out of tree.
#
# The instances are produced from the distribution's linux-source-6.12
# tarball plus the patch series in kmod/series, re-applied whenever the
# tarball, the series or a patch changes; no kernel source is kept in the
# repository.  vac.ko is built first: the instances link against its
# Module.symvers.  Instances are built one after another, so their build
# times order them (newest build = last built).
#
# usage: kmod/build.sh [--kernel-build DIR] [--source TARBALL] [--out DIR]
#                      [--work DIR] [--instances "amd:1 amd:2 intel:1"]
#                      [--jobs N] [--keep-going-on-warnings]
#
# Defaults come from the kernel cache filled by scripts/setup
# ($MULTIKVM_CACHE_DIR or <repo>/.cache, kernel/cur).  The build fails on
# any compiler, objtool or modpost warning.
set -euo pipefail

kmod=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$kmod")
cache=${MULTIKVM_CACHE_DIR:-$top/.cache}

die() { printf 'kmod/build.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'kmod: %s\n' "$*"; }

kbuild= source= out= work= jobs=$(nproc) strict=1
instances="amd:1 amd:2 amd:3 intel:1 intel:2"
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel-build) kbuild=$2; shift 2 ;;
	--source) source=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--instances) instances=$2; shift 2 ;;
	--jobs|-j) jobs=$2; shift 2 ;;
	--keep-going-on-warnings) strict=0; shift ;;
	-h|--help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

if [ -z "$kbuild" ] || [ -z "$source" ]; then
	kc=$cache/kernel/cur
	[ -f "$kc/.complete" ] || die "no kernel cache in $kc; run scripts/setup or pass --kernel-build and --source"
	rel=$(cat "$kc/release")
	: "${kbuild:=$kc/root/lib/modules/$rel/build}"
	: "${source:=$kc/root/usr/src/linux-source-6.12.tar.xz}"
fi
[ -f "$kbuild/Makefile" ] || die "'$kbuild' is not a kernel build directory (no Makefile)"
[ -f "$source" ] || die "kernel source tarball '$source' not found"
: "${out:=$PWD/kmod-out}"
: "${work:=$out/../kmod-work}"
mkdir -p "$out" "$work"
out=$(cd "$out" && pwd)
work=$(cd "$work" && pwd)

for i in $instances; do
	case "$i" in
	amd:[1-9]|amd:[1-9][0-9]|amd:[1-9][0-9][0-9]) ;;
	intel:[1-9]|intel:[1-9][0-9]|intel:[1-9][0-9][0-9]) ;;
	*) die "bad instance '$i' (want amd:N or intel:N, N from 1 to 999)" ;;
	esac
done

log=$work/build.log
: >"$log"
# run_make DESCRIPTION make-args...: quiet unless it fails or warns.
run_make() {
	local what=$1 rc=0
	shift
	make -s -C "$kbuild" -j"$jobs" "$@" >"$work/make.out" 2>&1 || rc=$?
	cat "$work/make.out" >>"$log"
	if [ $rc -ne 0 ]; then
		cat "$work/make.out" >&2
		die "building $what failed (full log: $log)"
	fi
	if grep -qiE 'warning|error' "$work/make.out"; then
		grep -iE -B2 -A3 'warning|error' "$work/make.out" >&2
		[ $strict -eq 0 ] || die "building $what produced warnings (full log: $log)"
	fi
}

# --- the patched tree ------------------------------------------------------
mapfile -t patches < <(grep -v -e '^#' -e '^[[:space:]]*$' "$kmod/series")
key=$( {
	stat -c '%n %s %Y' "$(readlink -f "$source")"
	cat "$kmod/series"
	for p in "${patches[@]}"; do cat "$kmod/patches/$p"; done
} | sha256sum | cut -c1-16)
series_hash=$( {
	cat "$kmod/series"
	for p in "${patches[@]}"; do cat "$kmod/patches/$p"; done
} | sha256sum | cut -c1-8)

tree=$work/tree
if [ "$(cat "$tree/.mkvm-key" 2>/dev/null)" != "$key" ]; then
	say "extracting KVM from $(basename "$source") and applying ${#patches[@]} patches"
	rm -rf "$tree.new" "$tree"
	mkdir -p "$tree.new"
	tar -xJf "$source" -C "$tree.new" --strip-components=1 \
		linux-source-6.12/arch/x86/kvm linux-source-6.12/virt/kvm \
		linux-source-6.12/include/trace/events/kvm.h \
		linux-source-6.12/Makefile
	for p in "${patches[@]}"; do
		patch -d "$tree.new" -p1 -N -F0 -s --no-backup-if-mismatch \
			-i "$kmod/patches/$p" >>"$log" 2>&1 ||
			die "patch $p does not apply cleanly to $(basename "$source") (see $log)"
	done
	echo "$key" >"$tree.new/.mkvm-key"
	mv "$tree.new" "$tree"
	rm -rf "$work/inst"
fi
srcver=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$tree/Makefile" | paste -sd.)
# multikvm's version: from the environment (DKMS), else meson.build
mkvm_version=${MULTIKVM_VERSION:-$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$top/meson.build" 2>/dev/null | head -1)}

# --- vac.ko -----------------------------------------------------------------
say "building vac.ko"
# A fresh copy: a file removed from kmod/vac must not linger in the build.
rm -rf "$work/vac"
mkdir -p "$work/vac"
cp -a "$kmod/vac/." "$work/vac/"
run_make vac.ko M="$work/vac" MKVM_INCLUDE="$kmod/include" modules
strip --strip-debug -o "$out/vac.ko" "$work/vac/vac.ko"

# --- instances --------------------------------------------------------------
for i in $instances; do
	vendor=${i%%:*} n=${i#*:}
	name=kvm_${vendor}_$n
	idir=$work/inst/$name
	if [ ! -d "$idir" ]; then
		mkdir -p "$work/inst"
		cp -al "$tree" "$idir"
	fi
	# The build identity: read by the instance when it registers with vac.
	cat >"$idir/arch/x86/kvm/mkvm-build.h.new" <<-EOF
	/* Generated by kmod/build.sh */
	#define MKVM_BUILD_ID "$srcver $mkvm_version $series_hash"
	#define MKVM_BUILD_TIME $(date +%s)ULL
	EOF
	mv "$idir/arch/x86/kvm/mkvm-build.h.new" "$idir/arch/x86/kvm/mkvm-build.h"
	say "building $name.ko"
	run_make "$name.ko" M="$idir/arch/x86/kvm" KVM_VENDOR="$vendor" KVM_INSTANCE="$n" \
		MKVM_INCLUDE="$kmod/include" \
		KBUILD_EXTRA_SYMBOLS="$work/vac/Module.symvers" modules
	# Without debug info, as distributions install modules (the work
	# directory keeps the full one for debugging).
	strip --strip-debug -o "$out/$name.ko" "$idir/arch/x86/kvm/$name.ko"
done
say "modules in $out: $(cd "$out" && ls ./*.ko | xargs -n1 basename | paste -sd' ')"
