#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fuzz/run.sh — runs one libFuzzer target of libmultikvm.
#
#   run.sh FUZZER DICT (--runs N | --seconds S) [--corpus DIR] [--artifacts DIR] SEED...
#
# The SEEDs (files, or directories of files) are copied into the working
# corpus: DIR, which is kept and grows across runs (scripts/fuzz), or a
# temporary one (the bounded run of the fuzz suite, seed 1: the same inputs
# every time).  A crash, leak, sanitizer report or broken invariant fails
# the run and leaves the input in the artifacts directory (default: the
# current one); the last line names it and how to replay it.
set -euo pipefail
die() { echo "run.sh: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: run.sh FUZZER DICT (--runs N | --seconds S) [--corpus DIR] [--artifacts DIR] SEED..."
fuzzer=$1 dict=$2
shift 2
name=$(basename "$fuzzer")
bound= corpus= corpus_tmp= artifacts=$PWD
while [ $# -gt 0 ]; do
	case $1 in
	--runs) bound="-seed=1 -runs=$2"; shift 2 ;;
	--seconds) bound="-max_total_time=$2"; shift 2 ;;
	--corpus) corpus=$2; shift 2 ;;
	--artifacts) artifacts=$2; shift 2 ;;
	*) break ;;
	esac
done
[ -n "$bound" ] || die "give --runs N or --seconds S"
[ -x "$fuzzer" ] || die "$fuzzer is not an executable fuzzer (meson compile -C BUILD $name)"
if [ -z "$corpus" ]; then
	corpus=$(mktemp -d "${TMPDIR:-/tmp}/$name-XXXXXX")
	corpus_tmp=1
fi
log=$(mktemp "${TMPDIR:-/tmp}/$name-log-XXXXXX")
trap 'rm -f "$log"; [ -z "$corpus_tmp" ] || rm -rf "$corpus"' EXIT
mkdir -p "$corpus" "$artifacts"
for s in "$@"; do
	if [ -d "$s" ]; then cp -L "$s"/* "$corpus"/; else cp -L "$s" "$corpus"/; fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export G_SLICE=always-malloc	# every GLib allocation seen by ASan
# shellcheck disable=SC2086
if "$fuzzer" $bound -max_len=8192 -timeout=30 -print_final_stats=1 -dict="$dict" \
	-artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	echo "$name: $runs inputs, ${cov:-cov: ?} edges, no crash, leak or broken invariant"
	exit 0
fi
tail -n 60 "$log"
input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
echo "$name: FAILED on ${input:-an input (see above)}; replay: $fuzzer ${input:-INPUT}" >&2
exit 1
