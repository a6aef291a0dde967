#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the lab's vac_test module against the cached kernel headers and
# vac.ko's Module.symvers.
# usage: build.sh CACHE_DIR KMOD_INCLUDE_DIR VAC_MODULE_SYMVERS OUT_KO
set -eu
src=$(cd "$(dirname "$0")" && pwd)
cache=$1
include=$(cd "$2" && pwd)
symvers=$3
out=$4
rel=$(cat "$cache/kernel/cur/release")
mkdir -p "$(dirname "$out")"
work=$(cd "$(dirname "$out")" && pwd)/vac-test-build
rm -rf "$work"
mkdir -p "$work"
cp "$src/vac_test.c" "$src/Kbuild" "$work/"
make -s -C "$cache/kernel/cur/root/lib/modules/$rel/build" M="$work" \
	MKVM_INCLUDE="$include" KBUILD_EXTRA_SYMBOLS="$(cd "$(dirname "$symvers")" && pwd)/$(basename "$symvers")" \
	modules
cp "$work/vac_test.ko" "$out"
