#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The 6.12.y build matrix (issue 13): real builds by kmod/build.sh (warnings
# are errors) for every release in the kernel cache's kernel/matrix file
# (scripts/setup; Debian versions, oldest first).
#
# usage: matrix.sh CACHE_DIR STATE_DIR check DEBVER
#        matrix.sh CACHE_DIR STATE_DIR summary
#        matrix.sh CACHE_DIR STATE_DIR missing
#
# check DEBVER, for release R = DEBVER and O = the oldest in the matrix:
#   - vac.ko builds against R's headers;
#   - the series (with R's variants) applies to R's linux-source-6.12;
#   - kvm_amd_1 from R's source builds against R's own headers;
#   - kvm_intel_1 from R's source builds against O's headers (for O itself,
#     against the next release's: O on O is the previous check).
# One instance per (source, headers) pair, vendors alternating, so that
# each source builds both vendors once; the instances link against the vac
# built for the same headers (--no-vac --vac-symvers).  One line per check,
# then a table line; exit 0 only if all pass.  Work directories, one per
# release, live in STATE_DIR and are reused (build.sh keeps the patched
# tree there by key); results go to STATE_DIR/results/DEBVER.
#
# summary: the table of every release's last results (also written to
# STATE_DIR/summary.md); fails when any is missing or failed.
# missing: the kernel cache has no matrix; says so and fails.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 CACHE_DIR STATE_DIR check DEBVER|summary|missing" >&2; exit 2; }
cache=$1 state=$2 cmd=$3
kmod=$(cd "$(dirname "$0")/../../kmod" && pwd)
kc=$cache/kernel
matrix=$kc/matrix

if [ "$cmd" = missing ]; then
	echo "matrix: no kernel matrix in $matrix: run scripts/setup (then meson setup --reconfigure)"
	exit 1
fi
[ -f "$matrix" ] || { echo "matrix: no kernel matrix in $matrix: run scripts/setup"; exit 1; }
mapfile -t releases < <(grep -v -e '^#' -e '^[[:space:]]*$' "$matrix")
[ ${#releases[@]} -gt 0 ] || { echo "matrix: $matrix lists no release: run scripts/setup"; exit 1; }
oldest=${releases[0]}

short() { echo "${1%%-*}"; }			# 6.12.117-1~deb12u1 -> 6.12.117
dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# --- summary ----------------------------------------------------------------
if [ "$cmd" = summary ]; then
	mkdir -p "$state"
	rc=0
	exec 3>"$state/summary.md"
	row() { echo "$*"; echo "$*" >&3; }
	row "6.12.y build matrix: kmod/build.sh, warnings are errors; times: wall clock of each build at -j$(nproc)"
	row
	row "| source | series applies | vac.ko on its headers | builds on own headers | builds on $(short "$oldest") headers |"
	row "|---|---|---|---|---|"
	for v in "${releases[@]}"; do
		r=$state/results/$v
		if [ ! -f "$r" ]; then
			row "| $v | not run | | | |"
			rc=1
			continue
		fi
		# shellcheck disable=SC1090
		row "$(. "$r"; echo "| $v | $applies | $vac | $own | $old |")"
		grep -qx 'pass=1' "$r" || rc=1
	done
	row
	if [ $rc -eq 0 ]; then
		row "all ${#releases[@]} releases pass"
	else
		row "FAILED: see the rows above and the matrix-6.12.N tests' logs"
	fi
	exit $rc
fi

[ "$cmd" = check ] && [ $# -eq 4 ] || { echo "usage: $0 CACHE_DIR STATE_DIR check DEBVER" >&2; exit 2; }
v=$4
printf '%s\n' "${releases[@]}" | grep -qxF "$v" || { echo "matrix: $v is not in $matrix"; exit 1; }

# The headers for "oldest": the next release's for the oldest source itself.
alt=
if [ "$v" = "$oldest" ]; then
	[ ${#releases[@]} -lt 2 ] || alt=${releases[1]}
else
	alt=$oldest
fi

kbuild() { echo "$kc/$1/root/lib/modules/$(cat "$kc/$1/release")/build"; }
source_of() { echo "$kc/$1/root/usr/src/linux-source-6.12.tar.xz"; }
for r in "$v" ${alt:+"$alt"}; do
	[ -f "$kc/$r/.complete-headers" ] && [ -f "$kc/$r/.complete-source" ] ||
		{ echo "matrix: kernel cache $kc/$r is incomplete: run scripts/setup"; exit 1; }
done

# build LOG ARGS...: kmod/build.sh ARGS, output to LOG; sets $secs and, on
# failure, $err (build.sh's error line, pointing at LOG, with the first
# compiler or modpost diagnostic) and $why (that diagnostic, or build.sh's
# reason), and shows the log's tail on stderr.
build() {
	local log=$1 t0 rc=0 diag
	shift
	t0=$(date +%s)
	"$kmod/build.sh" "$@" >"$log" 2>&1 || rc=$?
	secs=$(($(date +%s) - t0))
	err='' why=''
	[ $rc -ne 0 ] || return 0
	err=$(grep 'kmod/build.sh: error:' "$log" | tail -1 | sed 's/ (full log: [^)]*)//')
	: "${err:=kmod/build.sh failed (exit $rc): $(tail -1 "$log")}"
	why=${err#kmod/build.sh: error: }
	# Paths relative to the instance, the repository or the headers.
	diag=$(grep -m1 -iE '(error|warning):' "$log" | grep -v 'kmod/build.sh: error:' |
		sed -E 's|^/[^ ]*/inst/[^/]+/||; s|^/[^ ]*/work/vac/|kmod/vac/|; s|^/[^ ]*/linux-headers-[^/]+/||' || true)
	diag=${diag#"$(dirname "$kmod")"/}
	if [ -n "$diag" ]; then
		err="$err: $diag"
		why=$diag
	fi
	err="$err (log: $log)"
	{ echo "--- $log (last 40 lines)"; tail -40 "$log"; } >&2
	return 1
}

# What vac.ko's build depends on besides the headers: if that is unchanged
# and vac built for headers R, R's Module.symvers is reused by other releases.
vac_inputs=$( { find "$kmod/vac" "$kmod/include" "$kmod/build.sh" -type f | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)

# vac_build R: vac.ko against R's headers, in R's work directory (build.sh
# extracts and patches R's source there too); sets $vac_line, and keeps a
# failure's line in vac_failed[R] so that it is tried once.
declare -A vac_failed=()
vac_build() {
	local r=$1 d=$state/$1
	mkdir -p "$d"
	rm -f "$d/vac.ok"
	if build "$d/vac.log" --kernel-build "$(kbuild "$r")" --source "$(source_of "$r")" \
		--instances "" --out "$d/out-vac" --work "$d/work"; then
		echo "$vac_inputs $(kbuild "$r")" >"$d/vac.ok"
		vac_line="vac.ko built in $(dur $secs)"
		return 0
	fi
	vac_line=$err vac_why=$why
	vac_failed[$r]=$err
	return 1
}

# vac_symvers R: sets $sym to vac's Module.symvers for R's headers, built
# if the one there is not current.
vac_symvers() {
	local r=$1
	sym=$state/$r/work/vac/Module.symvers
	[ -z "${vac_failed[$r]:-}" ] || { vac_line=${vac_failed[$r]}; return 1; }
	[ "$(cat "$state/$r/vac.ok" 2>/dev/null)" = "$vac_inputs $(kbuild "$r")" ] || vac_build "$r"
}

# The per-release patch variants (kmod/lib.sh): "0104@6.12.115 ...".
variants() {
	local sub=${1##*.} p f out=()
	while read -r p; do
		f=$(mkvm_patch_for "$p" "$sub")
		[ "$f" = "$kmod/patches/$p" ] || out+=("${p%%-*}@$(basename "$(dirname "$f")")")
	done < <(mkvm_series)
	echo "${out[*]:-none}"
}
# shellcheck source=../../kmod/lib.sh
. "$kmod/lib.sh"

V=$(short "$v")
d=$state/$v
mkdir -p "$state/results"
rm -f "$state/results/$v"
var=$(variants "$V")
pass=1

# (a) vac.ko on R's headers.  build.sh extracts and patches R's source
# first, even for vac alone: (b) the series applies when it left the tree.
vac_build "$v" || pass=0
if compgen -G "$d/work/tree-*/.mkvm-key" >/dev/null && [[ "$vac_line" != *" does not apply "* ]]; then
	applies="yes (variants: $var)"
	if [ $pass -eq 1 ]; then vac="ok $(dur $secs)"; else vac="FAIL: $vac_why"; fi
	echo "$V headers: $vac_line"
	echo "$V source: series applies (variants: $var)"
else
	applies="FAIL: ${vac_why%%;*}"
	vac="not built"
	pass=0
	echo "$V headers: vac.ko not built: build.sh patches the source first"
	echo "$V source: $vac_line"
fi

# instance NAME VENDOR:N HEADERS-RELEASE OUTDIR: prints the check's line;
# sets $cell for the table.
instance() {
	local name=$1 inst=$2 h=$3 o=$4 what
	what="$V source on $(short "$h") headers"
	if [[ $applies == FAIL* ]]; then
		cell="not built"
		echo "$what: $name not built: the series does not apply"
		return 1
	fi
	if ! vac_symvers "$h"; then
		cell="FAIL (vac.ko)"
		echo "$what: $name not built: vac.ko does not build on $(short "$h") headers: $vac_line"
		return 1
	fi
	if build "$d/$name.log" --kernel-build "$(kbuild "$h")" --source "$(source_of "$v")" \
		--instances "$inst" --no-vac --vac-symvers "$sym" --out "$d/$o" --work "$d/work"; then
		cell="$name $(dur $secs)"
		echo "$what: $name built in $(dur $secs) (variants: $var)"
		return 0
	fi
	cell="FAIL $name: $why"
	echo "$what: $err"
	return 1
}

instance kvm_amd_1 amd:1 "$v" out-own || pass=0
own="$cell"
if [ -n "$alt" ]; then
	instance kvm_intel_1 intel:1 "$alt" out-oldest || pass=0
	old="$cell"
	[ "$alt" = "$oldest" ] || old="$old (on $(short "$alt"))"
else
	old="n/a (the matrix has one release)"
	echo "$V source on older headers: not checked: the matrix has one release"
fi

{
	printf 'applies=%q\nvac=%q\nown=%q\nold=%q\n' "$applies" "$vac" "$own" "$old"
	echo "pass=$pass"
} >"$state/results/$v"
echo "matrix $V: applies: $applies | vac.ko: $vac | own headers: $own | $(short "$oldest") headers: $old | $([ $pass -eq 1 ] && echo PASS || echo FAIL)"
[ $pass -eq 1 ]
