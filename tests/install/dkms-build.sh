#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DKMS test (issue 8): install into a DESTDIR, then `dkms add` + `dkms build`
# the installed source tree against the lab kernel's headers and
# linux-source-6.12 from the kernel cache (scripts/setup), in private dkms
# and source trees (nothing on the host changes).  Checks that dkms reports
# the package built and that vac + every instance exist for that kernel.
# The modules are copied to <build>/dkms-out/; with LAB_PY and SCENARIO the
# lab then runs that scenario (the instances API test) on them.
#
# usage: dkms-build.sh MESON BUILD_DIR CACHE_DIR [LAB_PY SCENARIO]
# Exit 77 (skip) when dkms or the kernel cache is missing.
set -euo pipefail
meson=$1 build=$2 cache=$3 lab=${4:-} scenario=${5:-}
say() { printf '%s\n' "$*"; }
fail() { printf 'dkms-build: FAIL: %s\n' "$*" >&2; exit 1; }

command -v dkms >/dev/null || { say "SKIP: dkms not installed (apt install dkms)"; exit 77; }
kc=$cache/kernel/cur
[ -f "$kc/.complete" ] || { say "SKIP: no kernel cache in $kc (run scripts/setup)"; exit 77; }
rel=$(cat "$kc/release")
kdir=$kc/root/lib/modules/$rel/build
src=$kc/root/usr/src/linux-source-6.12.tar.xz
if [ ! -f "$kdir/Makefile" ] || [ ! -f "$src" ]; then
	fail "kernel cache $kc lacks headers or source"
fi

tmp=$(mktemp -d /tmp/multikvm-dkms-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$meson" install -C "$build" --no-rebuild --tags dkms --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "meson install --tags dkms"; }
read -r prefix version < <(python3 -c '
import json, subprocess, sys
m, b = sys.argv[1:]
o = {x["name"]: x["value"] for x in json.loads(subprocess.check_output([m, "introspect", "--buildoptions", b]))}
p = json.loads(subprocess.check_output([m, "introspect", "--projectinfo", b]))
print(o["prefix"], p["version"])' "$meson" "$build")
trees=(--sourcetree "$tmp/root$prefix/src" --dkmstree "$tmp/var")
mkdir -p "$tmp/var"

say "dkms add multikvm/$version"
dkms add -m multikvm -v "$version" "${trees[@]}" >"$tmp/add.log" 2>&1 ||
	{ cat "$tmp/add.log" >&2; fail "dkms add"; }
say "dkms build multikvm/$version -k $rel"
start=$(date +%s)
if ! LINUX_SOURCE=$src dkms build -m multikvm -v "$version" -k "$rel" \
	--kernelsourcedir "$kdir" "${trees[@]}" >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log" >&2
	cat "$tmp/var/multikvm/$version/build/make.log" >&2 2>/dev/null || true
	fail "dkms build"
fi
say "dkms build took $(( $(date +%s) - start )) s"

status=$(dkms status -m multikvm -v "$version" "${trees[@]}" 2>&1)
say "dkms status: $status"
[[ $status == *"$rel"*": built"* ]] || fail "dkms status does not say built for $rel"

moddir=$tmp/var/multikvm/$version/$rel/x86_64/module
mapfile -t names < <(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"/\1/p' \
	"$tmp/root$prefix/src/multikvm-$version/dkms.conf")
[ "${#names[@]}" -ge 2 ] || fail "dkms.conf lists ${#names[@]} modules"
rm -rf "$build/dkms-out"
mkdir -p "$build/dkms-out"
for m in "${names[@]}"; do
	ko=$(find "$moddir" -maxdepth 1 -name "$m.ko*" | head -1)
	[ -n "$ko" ] || fail "$m.ko missing from $moddir"
	vm=$(modinfo -F vermagic "$ko")
	[[ $vm == "$rel "* ]] || fail "$m: vermagic '$vm' is not for $rel"
	cp "$ko" "$build/dkms-out/"
	say "ok $m ($(stat -c %s "$ko") bytes, vermagic $rel)"
done
say "dkms built ${#names[@]} modules for $rel (copies in $build/dkms-out/)"

if [ -n "$lab" ]; then
	say "lab: $(basename "$scenario") with the DKMS-built modules"
	MULTIKVM_CACHE_DIR=$cache python3 "$lab" --cache-dir "$cache" --build-dir "$build" \
		--kmod-dir "$build/dkms-out" --quiet "$scenario" ||
		fail "the DKMS-built modules fail the lab scenario $scenario (log in $build/lab-logs/)"
fi
say "PASS"
