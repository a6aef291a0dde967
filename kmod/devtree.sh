#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kmod/devtree.sh — work on the patch series with git.
#
#   kmod/devtree.sh init DIR     extract KVM from linux-source-6.12 into DIR,
#                                commit it as the base and `git am` the series
#   kmod/devtree.sh export DIR   write DIR's commits back as kmod/patches/ and
#                                kmod/series: the first N commits stay the
#                                00xx mechanical fold (N = how many 00xx
#                                patches the series has now), the rest become
#                                01xx ownership patches
#
# Edit with ordinary git in DIR (commit --fixup + rebase --autosquash to
# change a patch), then export, then build with kmod/build.sh.
set -euo pipefail

kmod=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$kmod")
cache=${MULTIKVM_CACHE_DIR:-$top/.cache}
die() { printf 'kmod/devtree.sh: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: kmod/devtree.sh init|export DIR"
cmd=$1 dir=$2

case "$cmd" in
init)
	src=$cache/kernel/cur/root/usr/src/linux-source-6.12.tar.xz
	[ -f "$src" ] || die "no $src; run scripts/setup first"
	[ ! -e "$dir" ] || die "$dir exists; choose a new directory"
	mkdir -p "$dir"
	tar -xJf "$src" -C "$dir" --strip-components=1 \
		linux-source-6.12/arch/x86/kvm linux-source-6.12/virt/kvm \
		linux-source-6.12/include/trace/events/kvm.h \
		linux-source-6.12/Makefile
	cd "$dir"
	git init -q
	git add -A
	git commit -q -m "base: $(basename "$src")"
	git tag mkvm-base
	grep -v -e '^#' -e '^[[:space:]]*$' "$kmod/series" | while read -r p; do
		git am -q "$kmod/patches/$p" || die "git am $p failed"
	done
	echo "devtree: $(git rev-list --count mkvm-base..HEAD) patches on mkvm-base in $dir"
	;;
export)
	cd "$dir"
	git rev-parse -q --verify mkvm-base >/dev/null || die "$dir was not made by 'devtree.sh init'"
	n=$(grep -c '^00[0-9][0-9]-' "$kmod/series" || true)
	last_mech=$(git rev-list --reverse mkvm-base..HEAD | sed -n "${n}p")
	[ -n "$last_mech" ] || die "fewer commits than the $n mechanical patches"
	rm -f "$kmod"/patches/*.patch
	git format-patch -q --no-signature --zero-commit --no-numbered \
		-o "$kmod/patches" "mkvm-base..$last_mech"
	git format-patch -q --no-signature --zero-commit --no-numbered \
		--start-number 101 -o "$kmod/patches" "$last_mech..HEAD"
	{
		sed -n '1,/^# 00xx/p' "$kmod/series" | sed '$d'
		sed -n '/^# 00xx/,/^[0-9]/p' "$kmod/series" | grep '^#'
		(cd "$kmod/patches" && ls 00*.patch)
		sed -n '/^# 01xx/,$p' "$kmod/series" | sed -n '1,/^[0-9]/p' | grep '^#' |
			sed '1{/^#$/!s/^/#\n/}'
		(cd "$kmod/patches" && ls 01*.patch 2>/dev/null || true)
	} >"$kmod/series.new"
	mv "$kmod/series.new" "$kmod/series"
	echo "devtree: exported $(ls "$kmod"/patches/*.patch | wc -l) patches"
	;;
*)
	die "unknown command '$cmd' (init or export)"
	;;
esac
