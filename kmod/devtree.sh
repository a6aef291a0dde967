#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kmod/devtree.sh — work on the patch series with git.
#
#   kmod/devtree.sh init DIR [SOURCE]
#       extract KVM (kmod/kvm-paths) from SOURCE into DIR, commit it as the
#       base (tag mkvm-base) and `git am` the series as it applies to that
#       release (per-release variants included).  SOURCE: a linux-source-6.12
#       .deb or .tar.xz, or a Debian version in the kernel cache (e.g.
#       6.12.111-1~deb12u1); default: the newest cached (kernel/newest).
#       If a patch does not apply, git am stops: resolve it in DIR (e.g.
#       `git apply --reject` the patch shown by `git am --show-current-patch
#       =diff`, fix the .rej hunks, `git add -A`, `git am --continue`).
#   kmod/devtree.sh export DIR
#       write DIR's commits back as kmod/patches/*.patch and kmod/series
#       (DIR must be on the newest supported release): the first N commits
#       stay the 00xx mechanical fold (N = how many 00xx patches the series
#       has now), the rest become 01xx ownership patches
#   kmod/devtree.sh variants DIR
#       for an older release: write kmod/patches/6.12.<N>/NAME for each
#       commit whose patch, as the build would pick it, does not apply at
#       fuzz 0 to that release, and drop variants of 6.12.<N> that are no
#       longer needed
#
# Editing the series: init on the newest release, edit with ordinary git
# (commit --fixup + rebase --autosquash), export, build with kmod/build.sh.
# Rebasing onto a new point release: docs/releases.md.
set -euo pipefail

kmod=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$kmod")
cache=${MULTIKVM_CACHE_DIR:-$top/.cache}
. "$kmod/lib.sh"
die() { printf 'kmod/devtree.sh: error: %s\n' "$*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: kmod/devtree.sh init DIR [SOURCE] | export DIR | variants DIR"
cmd=$1 dir=$2

case "$cmd" in
init)
	src=${3:-newest}
	if [ ! -f "$src" ]; then
		d=$cache/kernel/$src
		[ -f "$d/.complete-source" ] || die "'$src' is neither a file nor a cached release (ls $cache/kernel; scripts/setup fills it)"
		src=$d/root/usr/src/linux-source-6.12.tar.xz
	fi
	[ ! -e "$dir" ] || die "$dir exists; choose a new directory"
	mkdir -p "$dir"
	mkvm_extract "$(readlink -f "$src")" "$dir" || die "cannot extract KVM from $src"
	sub=$(mkvm_sublevel "$dir")
	cd "$dir"
	git init -q
	git add -A
	git commit -q -m "base: KVM 6.12.$sub from $(basename "$src")"
	git tag mkvm-base
	mapfile -t files < <(mkvm_series | while read -r p; do mkvm_patch_for "$p" "$sub"; done)
	git am -q "${files[@]}" ||
		die "a patch does not apply to 6.12.$sub: resolve it in $dir and 'git am --continue' (see the header of $0)"
	echo "devtree: $(git rev-list --count mkvm-base..HEAD) patches on KVM 6.12.$sub in $dir"
	;;
export)
	cd "$dir"
	git rev-parse -q --verify mkvm-base >/dev/null || die "$dir was not made by 'devtree.sh init'"
	sub=$(git show mkvm-base:Makefile | sed -n 's/^SUBLEVEL = //p')
	newest=$(basename "$(readlink "$cache/kernel/newest" || echo "6.12.$sub")")
	newest=${newest%%-*}
	newest=${newest##*.}
	[ "$sub" = "$newest" ] || die "$dir is on 6.12.$sub; the main series is written against the newest release (6.12.$newest): use 'variants' for older ones"
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
	echo "devtree: exported $(ls "$kmod"/patches/*.patch | wc -l) patches; per-release variants may need 'variants' again"
	;;
variants)
	cd "$dir"
	git rev-parse -q --verify mkvm-base >/dev/null || die "$dir was not made by 'devtree.sh init'"
	sub=$(git show mkvm-base:Makefile | sed -n 's/^SUBLEVEL = //p')
	mapfile -t commits < <(git rev-list --reverse mkvm-base..HEAD)
	mapfile -t names < <(mkvm_series)
	[ ${#commits[@]} -eq ${#names[@]} ] ||
		die "$dir has ${#commits[@]} commits on mkvm-base, the series ${#names[@]} patches"
	vdir=$kmod/patches/6.12.$sub
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"; git worktree prune' EXIT
	git worktree add -q --detach "$scratch/wt" mkvm-base
	written=0
	for i in "${!commits[@]}"; do
		name=${names[$i]} c=${commits[$i]}
		rm -f "$vdir/$name"
		# Does the patch the build would pick (without a variant of this
		# release) apply to the parent at fuzz 0?
		(cd "$scratch/wt" && git checkout -q --detach "$c~1")
		if ! patch -d "$scratch/wt" -p1 -N -F0 --dry-run -s -i "$(mkvm_patch_for "$name" "$sub")" >/dev/null 2>&1; then
			mkdir -p "$vdir"
			git format-patch -q --no-signature --zero-commit --no-numbered -1 "$c" --stdout >"$vdir/$name"
			echo "devtree: 6.12.$sub needs its own $name"
			written=$((written + 1))
		fi
	done
	rmdir "$vdir" 2>/dev/null || true
	echo "devtree: $written variants for 6.12.$sub in ${vdir#"$top"/}"
	;;
*)
	die "unknown command '$cmd' (init, export or variants)"
	;;
esac
