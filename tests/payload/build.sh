#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# usage: build.sh SOURCE OUTPUT [cpp flags...]
set -eu
src=$1
out=$2
shift 2
gcc -m32 -c -x assembler-with-cpp -o "$out.o" "$@" "$src"
objcopy -O binary -j .text "$out.o" "$out"
rm -f "$out.o"
[ "$(stat -c %s "$out")" -eq 65536 ] || { echo "payload: $out is not 64 KiB" >&2; exit 1; }
