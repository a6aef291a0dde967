#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kmod/build.sh — build vac.ko and KVM instance modules (kvm_amd_N,
# kvm_intel_N) out of tree, against one kernel's headers.
#
# An instance is KVM from a Debian linux-source-6.12 point release (6.12.95
# or newer: the running kernel's own, or a newer one), with multikvm's patch
# series and any operator hotfix patches, built against the *running*
# kernel's headers.  KVM's own headers (kvm_host.h, kvm_types.h, uapi
# kvm.h, asm/kvm_host.h, kvm-x86-ops.h, trace events, ...) come from the
# instance's source; core-kernel headers from the kernel's; kmod/compat/
# bridges the differences (docs/releases.md).  Nothing is kept in the
# repository: the tree is extracted and patched again whenever the source,
# the series or a patch changes.
#
# usage: kmod/build.sh [--kernel-build DIR] [--source FILE] [--patch FILE]...
#                      [--instances "amd:1 intel:2"] [--out DIR] [--work DIR]
#                      [--no-vac [--vac-symvers FILE]] [--jobs N]
#                      [--debug tlb|tlb-broken] [--keep-going-on-warnings]
#                      [--fault-inject]
#
#   --kernel-build DIR  the kernel's build directory (/lib/modules/R/build)
#   --source FILE       linux-source-6.12: the .deb or the .tar.xz in it; or
#                       a release in the kernel cache (cur, newest, or a
#                       Debian version such as 6.12.111-1~deb12u1)
#   --patch FILE        a hotfix applied after the series (repeatable, in
#                       order); it may change only what the tree holds
#   --instances LIST    vendor:id pairs, id 1..999 (default amd:1 amd:2
#                       amd:3 intel:1 intel:2); "" builds vac.ko only
#   --no-vac            do not build vac.ko; the instances link against
#                       --vac-symvers (default: <work>/vac/Module.symvers)
#   --debug tlb         a debug build (the lab's; never for production): the
#                       instances report every guest entry's TLB tag (SVM
#                       ASID, VMX VPID) and vac WARNs when one passes between
#                       vCPUs without a flush (kmod/vac/tlbcheck.c); a debug
#                       instance needs a debug vac.ko
#   --debug tlb-broken  the same, with vac's allocators broken on purpose
#                       (no flush on an ASID generation wrap, a VPID handed
#                       out twice), to prove that the check fires
#   --fault-inject      a test build: the instances take fail_init_at=STEP
#                       (kmod/include/mkvm-fault.h); never for production
#
# Defaults come from the kernel cache filled by scripts/setup
# ($MULTIKVM_CACHE_DIR or <repo>/.cache, kernel/cur).  The build fails on
# any compiler, objtool or modpost warning.  Next to each module,
# <module>.build holds its build identity (key=value lines).
set -euo pipefail

kmod=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$kmod")
cache=${MULTIKVM_CACHE_DIR:-$top/.cache}

. "$kmod/lib.sh"
die() { printf 'kmod/build.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'kmod: %s\n' "$*"; }

kbuild= source= out= work= jobs=$(nproc) strict=1 build_vac=1 vac_symvers= debug=
fault_inject=0
hotfixes=()
instances="amd:1 amd:2 amd:3 intel:1 intel:2"
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || case "$1" in --no-vac|--keep-going-on-warnings|--fault-inject|-h|--help) ;;
		*) die "$1 needs a value (see --help)" ;; esac
	case "$1" in
	--kernel-build) kbuild=$2; shift 2 ;;
	--source) source=$2; shift 2 ;;
	--patch) hotfixes+=("$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--instances) instances=$2; shift 2 ;;
	--jobs|-j) jobs=$2; shift 2 ;;
	--no-vac) build_vac=0; shift ;;
	--vac-symvers) vac_symvers=$2; shift 2 ;;
	--debug) debug=$2; shift 2 ;;
	--keep-going-on-warnings) strict=0; shift ;;
	--fault-inject) fault_inject=1; shift ;;
	-h|--help) sed -n '3,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

# Debug builds: make variables for vac's Kbuild, a define for the instances.
vac_debug=() inst_kcflags=${KCFLAGS:-}
case "$debug" in
"") ;;
tlb) vac_debug=(MKVM_DEBUG_TLB=1) ;;
tlb-broken) vac_debug=(MKVM_DEBUG_TLB=1 MKVM_DEBUG_TLB_BREAK=1) ;;
*) die "unknown --debug '$debug' (want tlb or tlb-broken)" ;;
esac
[ -z "$debug" ] || inst_kcflags="$inst_kcflags -DMKVM_DEBUG_TLB"

# --source cur|newest|<Debian version>: a release in the kernel cache.
if [ -n "$source" ] && [ ! -e "$source" ] && [ -f "$cache/kernel/$source/.complete-source" ]; then
	source=$cache/kernel/$source/root/usr/src/linux-source-6.12.tar.xz
fi
if [ -z "$kbuild" ] || [ -z "$source" ]; then
	kc=$cache/kernel/cur
	[ -f "$kc/.complete" ] || die "no kernel cache in $kc; run scripts/setup or pass --kernel-build and --source"
	: "${kbuild:=$kc/root/lib/modules/$(cat "$kc/release")/build}"
	: "${source:=$kc/root/usr/src/linux-source-6.12.tar.xz}"
fi
[ -f "$kbuild/Makefile" ] || die "'$kbuild' is not a kernel build directory (no Makefile)"
[ -f "$source" ] || die "kernel source '$source' not found"
for i in ${hotfixes[@]+"${!hotfixes[@]}"}; do
	[ -f "${hotfixes[$i]}" ] || die "hotfix patch '${hotfixes[$i]}' not found"
	hotfixes[$i]=$(readlink -f "${hotfixes[$i]}")	# patch -d would resolve it elsewhere
done
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
# Compiler cache: a rebuild of the same source, series and headers (the
# next CI run, another worktree at the same commit) reuses the objects;
# ccache hashes the compiler, its flags and the preprocessed source, and
# replays warnings, so the strict check below still sees them.
# MULTIKVM_CCACHE=0 turns it off.
if [ "${MULTIKVM_CCACHE:-1}" != 0 ] && [ -d /usr/lib/ccache ] && command -v ccache >/dev/null; then
	export PATH=/usr/lib/ccache:$PATH
	export CCACHE_DIR=${CCACHE_DIR:-$cache/ccache}
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
fi
# run_make DESCRIPTION make-args...: quiet unless it fails or warns.
run_make() {
	local what=$1 rc=0 sym
	shift
	make -s -C "$kbuild" -j"$jobs" "$@" >"$work/make.out" 2>&1 || rc=$?
	cat "$work/make.out" >>"$log"
	# A core-kernel symbol the newer KVM needs and this kernel lacks: say
	# so by name instead of leaving a module that cannot load.
	sym=$(sed -n 's/.*modpost: "\([^"]*\)" \[.*\] undefined!.*/\1/p' "$work/make.out" | sort -u | paste -sd' ')
	[ -z "$sym" ] || die "$what needs core-kernel symbol(s) $sym, which kernel $krel does not export: build it from an older KVM source or run a newer kernel (docs/releases.md)"
	if [ $rc -ne 0 ]; then
		cat "$work/make.out" >&2
		die "building $what failed (full log: $log)"
	fi
	if grep -qiE 'warning|error' "$work/make.out"; then
		grep -iE -B2 -A3 'warning|error' "$work/make.out" >&2
		[ $strict -eq 0 ] || die "building $what produced warnings (full log: $log)"
	fi
}
krel=$(make -s -C "$kbuild" kernelrelease 2>/dev/null || basename "$(dirname "$kbuild")")

# --- the source --------------------------------------------------------------
# A .deb is linux-source-6.12 itself; a tarball may sit in a dpkg -x tree
# (as in the kernel cache) whose changelog gives the Debian version.
src_abs=$(readlink -f "$source")
case "$src_abs" in
*.deb)
	src_debver=$(dpkg-deb -f "$src_abs" Version 2>/dev/null) ||
		die "'$source' is not a Debian package"
	[ "$(dpkg-deb -f "$src_abs" Package)" = linux-source-6.12 ] ||
		die "'$source' is $(dpkg-deb -f "$src_abs" Package), not linux-source-6.12"
	;;
*.tar.xz)
	chlog=$(dirname "$src_abs")/../share/doc/linux-source-6.12/changelog.Debian.gz
	src_debver=$( { zcat "$chlog" 2>/dev/null || true; } | head -1 | sed -n 's/^[^(]*(\([^)]*\)).*/\1/p')
	: "${src_debver:=$(basename "$src_abs")}"
	;;
*) die "'$source' is neither a linux-source-6.12 .deb nor a .tar.xz" ;;
esac

# --- the series, with per-release variants (kmod/lib.sh) ---------------------
mapfile -t patches < <(mkvm_series)
series_sum=$( {
	cat "$kmod/series"
	for p in "${patches[@]}"; do cat "$kmod/patches/$p"; done
	find "$kmod/patches" -mindepth 2 -name '*.patch' | LC_ALL=C sort | xargs -r cat
} | sha256sum | cut -d' ' -f1)
series_hash=${series_sum:0:8}

hotfix_ids=()
for p in ${hotfixes[@]+"${hotfixes[@]}"}; do
	hotfix_ids+=("$(basename "$p")@$(sha256sum <"$p" | cut -c1-8)")
done
hotfix_list=${hotfix_ids[*]+"${hotfix_ids[*]}"}

# extract_kvm FILE DIR: mkvm_extract, through a cache of the extracted KVM
# (a plain tar, a few MB) for the sources of the kernel cache (scripts/setup):
# xz-decompressing linux-source-6.12 is most of a small build's time, and the
# test suite builds from the same few sources many times.  Keyed by the
# file's path, size and time and by kmod/kvm-paths.  Other sources (DKMS:
# the host's linux-source) are extracted each time.
extract_kvm() {
	local src=$1 dir=$2 xkey xtar
	case "$src" in
	"$(readlink -f "$cache")"/kernel/*) ;;
	*) mkvm_extract "$src" "$dir"; return ;;
	esac
	xkey=$( { stat -c '%n %s %Y' "$src"; cat "$kmod/kvm-paths"; } | sha256sum | cut -c1-16)
	xtar=$cache/kvm-src/$xkey.tar
	if [ ! -f "$xtar" ]; then
		mkdir -p "$cache/kvm-src"
		# (two builds may fill it at once: each in its own name, then
		# renamed into place)
		mkdir "$xtar.$$.d"
		mkvm_extract "$src" "$xtar.$$.d" || { rm -rf "$xtar.$$.d"; return 1; }
		tar -cf "$xtar.$$" -C "$xtar.$$.d" . && mv "$xtar.$$" "$xtar"
		rm -rf "$xtar.$$.d"
	fi
	tar -xf "$xtar" -C "$dir"
}

key=$( {
	stat -c '%s %Y' "$src_abs"
	echo "$src_abs $series_sum ${hotfix_list:-}"
	cat "$kmod/kvm-paths"
} | sha256sum | cut -c1-16)

tree=$work/tree-$key
# (vac alone too: the tree says which release the source is, and whether
# the series applies to it)
if [ ! -f "$tree/.mkvm-key" ]; then
	rm -rf "$tree.new" "$work"/tree-*
	mkdir -p "$tree.new"
	say "extracting KVM from $(basename "$source")"
	extract_kvm "$src_abs" "$tree.new" ||
		die "'$source' does not hold a Linux 6.12 KVM tree"
	sub=$(mkvm_sublevel "$tree.new")
	ver=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p' "$tree.new/Makefile" | paste -sd.)
	[ "$ver" = 6.12 ] || die "'$source' is Linux $ver.$sub; multikvm's series is for 6.12"
	[ "$sub" -ge 95 ] || die "'$source' is Linux 6.12.$sub; the series supports 6.12.95 and newer"
	say "applying ${#patches[@]} patches for 6.12.$sub${hotfix_list:+ and hotfixes $hotfix_list}"
	for p in "${patches[@]}"; do
		f=$(mkvm_patch_for "$p" "$sub")
		patch -d "$tree.new" -p1 -N -F0 -s --no-backup-if-mismatch -i "$f" >>"$log" 2>&1 </dev/null ||
			die "patch $p does not apply to KVM 6.12.$sub (${f#"$top"/}); rebase the series onto it with kmod/devtree.sh (docs/releases.md)"
	done
	# Hotfixes: checked whole before any is applied, so that a refusal
	# names the file and hunk and leaves nothing half done.
	for p in ${hotfixes[@]+"${hotfixes[@]}"}; do
		if ! o=$(patch -d "$tree.new" -p1 -N -f -F0 --dry-run --no-backup-if-mismatch -i "$p" 2>&1 </dev/null); then
			why=$(printf '%s\n' "$o" | awk '
				/^(patching|checking) file / { f = $3 }
				/^can.t find file to patch/ { print "a file outside KVM (an instance carries only arch/x86/kvm, virt/kvm and KVM'"'"'s own headers)"; exit }
				/^Hunk #[0-9]+ FAILED/ { print f ": hunk #" substr($2, 2) " " $3 " " $4 " " $5; exit }
				/Reversed .* patch detected/ { print f ": already applied (reversed patch)"; exit }
				END { }')
			die "hotfix $(basename "$p") does not apply to KVM 6.12.$sub + the series: ${why:-$(printf '%s' "$o" | tail -1)}"
		fi
		patch -d "$tree.new" -p1 -N -F0 -s --no-backup-if-mismatch -i "$p" >>"$log" 2>&1 </dev/null
	done
	echo "$key" >"$tree.new/.mkvm-key"
	mv "$tree.new" "$tree"
fi
srcver=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$tree/Makefile" | paste -sd.)
# multikvm's version: from the environment (DKMS), else meson.build
mkvm_version=${MULTIKVM_VERSION:-$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$top/meson.build" 2>/dev/null | head -1)}

# --- vac.ko -----------------------------------------------------------------
if [ $build_vac -eq 1 ]; then
	say "building vac.ko against $krel${debug:+ (debug: $debug)}"
	# A fresh copy: a file removed from kmod/vac must not linger in the build.
	rm -rf "$work/vac"
	mkdir -p "$work/vac"
	cp -a "$kmod/vac/." "$work/vac/"
	run_make vac.ko M="$work/vac" MKVM_INCLUDE="$kmod/include" ${vac_debug[@]+"${vac_debug[@]}"} modules
	strip --strip-debug -o "$out/vac.ko" "$work/vac/vac.ko"
	vac_symvers=$work/vac/Module.symvers
fi
: "${vac_symvers:=$work/vac/Module.symvers}"
[ -z "$instances" ] || [ -f "$vac_symvers" ] ||
	die "no vac Module.symvers at $vac_symvers (build vac.ko first, or pass --vac-symvers)"

# --- the compat layer: what this KVM needs from this kernel -----------------
[ -z "$instances" ] ||
	MKVM_JOBS=$jobs bash "$kmod/compat/check.sh" "$kbuild" "$tree" "$work/compat" "$srcver" "$krel" ||
	exit 1

# --- instances --------------------------------------------------------------
for i in $instances; do
	vendor=${i%%:*} n=${i#*:}
	name=kvm_${vendor}_$n
	idir=$work/inst/$name
	if [ "$(cat "$idir/.mkvm-key" 2>/dev/null)" != "$key" ]; then
		rm -rf "$idir"
		mkdir -p "$work/inst"
		cp -al "$tree" "$idir"
	fi
	# The build identity: read by the instance when it registers with vac.
	now=$(date +%s)
	cat >"$idir/arch/x86/kvm/mkvm-build.h.new" <<-EOF
	/* Generated by kmod/build.sh */
	#define MKVM_BUILD {						\\
		.id = "$src_debver $mkvm_version $series_hash${hotfix_list:+ +${hotfix_list// / +}}", \\
		.time = ${now}ULL,					\\
		.kvm_version = "$srcver",				\\
		.kvm_source = "$src_debver",				\\
		.multikvm_version = "$mkvm_version",			\\
		.series = "$series_hash",				\\
		.patches = "${hotfix_list:-}",				\\
		.kernel = "$krel",					\\
	}
	EOF
	test_build=
	if [ $fault_inject -eq 1 ]; then
		printf '/* a test build: fail_init_at= (mkvm-fault.h) */\n#define MKVM_FAULT_INJECT 1\n' \
			>>"$idir/arch/x86/kvm/mkvm-build.h.new"
		test_build=" (test build: fault injection)"
	fi
	mv "$idir/arch/x86/kvm/mkvm-build.h.new" "$idir/arch/x86/kvm/mkvm-build.h"
	cp "$work/compat/mkvm-compat-have.h" "$idir/arch/x86/kvm/mkvm-compat-have.h.new"
	mv "$idir/arch/x86/kvm/mkvm-compat-have.h.new" "$idir/arch/x86/kvm/mkvm-compat-have.h"
	say "building $name.ko: KVM $srcver ($src_debver)${hotfix_list:+ + $hotfix_list} against $krel$test_build${debug:+ (debug: $debug)}"
	run_make "$name.ko (KVM $srcver)" M="$idir/arch/x86/kvm" KVM_VENDOR="$vendor" KVM_INSTANCE="$n" \
		MKVM_INCLUDE="$kmod/include" KCFLAGS="$inst_kcflags" \
		KBUILD_EXTRA_SYMBOLS="$vac_symvers" modules
	# Without debug info, as distributions install modules (the work
	# directory keeps the full one for debugging).
	strip --strip-debug -o "$out/$name.ko" "$idir/arch/x86/kvm/$name.ko"
	cat >"$out/$name.build" <<-EOF
	kvm_version=$srcver
	kvm_source=$src_debver
	multikvm_version=$mkvm_version
	series=$series_hash
	patches=${hotfix_list:-}
	kernel=$krel
	EOF
	[ -z "$debug" ] || echo "debug=$debug" >>"$out/$name.build"
done
say "modules in $out: $(cd "$out" && ls ./*.ko 2>/dev/null | xargs -rn1 basename | paste -sd' ')"
