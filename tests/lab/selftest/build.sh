#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the lab self-test module against the cached kernel headers.
# usage: build.sh CACHE_DIR OUT_KO
set -eu
src=$(cd "$(dirname "$0")" && pwd)
cache=$1
out=$2
rel=$(cat "$cache/kernel/cur/release")
mkdir -p "$(dirname "$out")"
work=$(cd "$(dirname "$out")" && pwd)/selftest-build
rm -rf "$work"
mkdir -p "$work"
cp "$src/mkvm_selftest.c" "$src/Kbuild" "$work/"
make -s -C "$cache/kernel/cur/root/lib/modules/$rel/build" M="$work" modules
cp "$work/mkvm_selftest.ko" "$out"
