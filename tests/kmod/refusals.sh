#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kmod/build.sh refuses what it cannot build right, with one line that says
# why, and leaves no module behind (issue 13): a hotfix that does not apply
# (file and hunk named), a hotfix outside KVM, KVM data the core kernel
# reads laid out differently, a core-kernel symbol the kernel lacks.
#
# usage: refusals.sh BUILD-DIR   (kernel cache: $MULTIKVM_CACHE_DIR)
# The hotfixes are made here from the newest cached source, so they follow
# it when a new point release arrives.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
cache=${MULTIKVM_CACHE_DIR:-$top/.cache}
src=$cache/kernel/newest/root/usr/src/linux-source-6.12.tar.xz
[ -f "$src" ] || { echo "SKIP: no kernel cache (run scripts/setup)"; exit 77; }
symvers=$build/kmod/work-vac/vac/Module.symvers
[ -f "$symvers" ] || { echo "refusals: no $symvers (ninja -C $build kmod/vac.ko)"; exit 1; }
work=$build/kmod-refusals
rm -rf "$work/patches" "$work/out"
mkdir -p "$work/patches" "$work/out" "$work/a" "$work/b"

pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }

# The files the hotfixes change, as the newest source has them.
files=(arch/x86/kvm/x86.c arch/x86/kvm/mtrr.c arch/x86/include/asm/kvm_host.h)
tar -xJf "$src" -C "$work/a" --strip-components=1 "${files[@]/#/linux-source-6.12/}" ||
	{ echo "refusals: cannot read $src"; exit 1; }

# mkpatch NAME FILE SED-SCRIPT [SED-SCRIPT-FOR-THE-BASE]: a hotfix of FILE.
mkpatch() {
	local name=$1 f=$2 edit=$3 base=${4:-}
	rm -rf "$work/a2" "$work/b"
	mkdir -p "$work/a2/$(dirname "$f")" "$work/b/$(dirname "$f")"
	cp "$work/a/$f" "$work/a2/$f"
	[ -z "$base" ] || sed -i "$base" "$work/a2/$f"
	sed "$edit" "$work/a2/$f" >"$work/b/$f"
	(cd "$work" && diff -u "a2/$f" "b/$f" | sed "s|^--- a2/|--- a/|") >"$work/patches/$name"
	[ -s "$work/patches/$name" ] || { echo "refusals: $name changes nothing"; exit 1; }
}

# refuse NAME REGEX: build.sh with hotfix NAME must fail with exactly one
# error line matching REGEX and produce no module.
refuse() {
	local name=$1 regex=$2 err n
	rm -f "$work/out"/*.ko
	"$top/kmod/build.sh" --source newest --no-vac --vac-symvers "$symvers" \
		--instances amd:9 --patch "$work/patches/$name" \
		--out "$work/out" --work "$work/work-$name" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	err=$(grep '^kmod/build.sh: error:' "$work/$name.err")
	n=$(printf '%s' "$err" | grep -c . || true)
	echo "   $name: $err"
	if [ $rc -eq 0 ]; then
		bad "$name: build.sh succeeded"
	elif [ "$n" != 1 ]; then
		bad "$name: $n error lines instead of one"; cat "$work/$name.err"
	elif ! printf '%s' "$err" | grep -qE "$regex"; then
		bad "$name: the error does not say /$regex/"
	elif ls "$work/out"/*.ko >/dev/null 2>&1; then
		bad "$name: a module was left in the output"
	else
		ok "$name is refused: $regex"
	fi
}

# 1. A hotfix written against other code: its context is not in the tree.
mkpatch stale-context.patch arch/x86/kvm/x86.c \
	's/^\t\tr = KVM_MAX_VCPU_IDS;$/\t\tr = KVM_MAX_VCPU_IDS - 1;/' \
	's/^\tcase KVM_CAP_MAX_VCPU_ID:$/\tcase KVM_CAP_MAX_VCPU_ID: \/* elsewhere *\//'
refuse stale-context.patch 'hotfix stale-context\.patch does not apply to KVM 6\.12\.[0-9]+ \+ the series: arch/x86/kvm/x86\.c: hunk #1 FAILED'

# 2. A hotfix of the core kernel: an instance cannot carry it.
cat >"$work/patches/core.patch" <<'EOF'
--- a/arch/x86/kernel/cpu/bugs.c
+++ b/arch/x86/kernel/cpu/bugs.c
@@ -1,3 +1,3 @@
 // SPDX-License-Identifier: GPL-2.0
-/*
+/* a core-kernel change
  *  Copyright (C) 1994  Linus Torvalds
EOF
refuse core.patch 'hotfix core\.patch does not apply .*a file outside KVM'

# 3. A hotfix that moves struct kvm_pmu, which Intel perf reads itself.
mkpatch kvm-pmu-layout.patch arch/x86/include/asm/kvm_host.h \
	'/^struct kvm_pmu {$/,/^};/s/^\tu8 version;$/\tu8 version;\n\tu64 site_counter;/'
refuse kvm-pmu-layout.patch "layout of kvm_pmu_[a-z_]+ differs from the kernel's"

# 4. A hotfix that calls a core-kernel function this kernel does not have
# (in a file the series leaves alone, so that its context holds).
mkpatch missing-symbol.patch arch/x86/kvm/mtrr.c \
	'$a\
\
void mkvm_no_such_core_function(void);\
void mkvm_hotfix_probe(void);\
void mkvm_hotfix_probe(void)\
{\
	mkvm_no_such_core_function();\
}'
refuse missing-symbol.patch 'needs core-kernel symbol\(s\) mkvm_no_such_core_function, which kernel [^ ]+ does not export'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
