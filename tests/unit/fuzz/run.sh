#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer targets of libmultikvm with clang, ASan and UBSan and runs
# them.  Usage: [FUZZ_TARGETS="wish policy"] [FUZZ_RUNS=N] tests/unit/fuzz/run.sh
#                [SECONDS_PER_TARGET (default 60)] [OUTDIR]
# FUZZ_RUNS stops a target after N executions (SECONDS stays the time cap);
# run targets in parallel with one FUZZ_TARGETS each and separate OUTDIRs.
# Prints, per target, the executions done and whether a sanitizer fired.
set -euo pipefail
secs=${1:-60}
src=$(cd "$(dirname "$0")/../../.." && pwd)
out=${2:-${TMPDIR:-/tmp}/multikvm-fuzz}
mkdir -p "$out"
python3 "$src/policy/embed.py" "$src/data/policy.rng" "$out/policy-rng.h" mkvm_policy_rng
flags=(-g -O2 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -I"$src/policy" -I"$out"
       $(pkg-config --cflags glib-2.0 libxml-2.0 json-glib-1.0))
libs=($(pkg-config --libs glib-2.0 libxml-2.0 json-glib-1.0))
for t in ${FUZZ_TARGETS:-wish policy}; do
    clang "${flags[@]}" -o "$out/fuzz-$t" "$src/tests/unit/fuzz/fuzz-$t.c" \
        "$src"/policy/mkvm-*.c "${libs[@]}"
done

# seed corpora
mkdir -p "$out/corpus-wish" "$out/corpus-policy"
cp "$src/data/policy.xml" "$out/corpus-policy/example.xml"
printf '%s' "<policy version='1'><profiles default='a'><profile name='a'><require param='x' value='Y|1'/></profile></profiles><order>lowest-id</order><draining pin='allow'/><instances><instance id='7' device='/dev/kvm' module='kvm_amd'/></instances></policy>" \
    > "$out/corpus-policy/small.xml"
u=6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11
ns=http://multikvm.org/xmlns/libvirt/domain/1.0
printf '%s' "<domain type='kvm'><name>web1</name><uuid>$u</uuid><metadata><mkvm:kvm xmlns:mkvm='$ns' instance='2' profile='hardened'/></metadata></domain>" > "$out/corpus-wish/both.xml"
printf '%s' "<domain><name>a</name><uuid>$u</uuid><metadata><x:y xmlns:x='urn:x'/><m:kvm xmlns:m='$ns' profile='fast'/></metadata></domain>" > "$out/corpus-wish/foreign.xml"
printf '%s' "<domain><name>a</name><uuid>$u</uuid></domain>" > "$out/corpus-wish/none.xml"

status=0
for t in ${FUZZ_TARGETS:-wish policy}; do
    log=$out/fuzz-$t.log
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    if "$out/fuzz-$t" -max_total_time="$secs" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$out/$t-" \
        -dict=<(printf '"instance"\n"profile"\n"<mkvm:kvm"\n"xmlns:mkvm=\\"%s\\""\n"<metadata>"\n"<require"\n"param"\n"value"\n"<profile"\n"<order>"\n"newest-build"\n"least-loaded"\n"<draining"\n"<instances>"\n"device"\n' "$ns") \
        "$out/corpus-$t" > "$log" 2>&1; then
        verdict="no sanitizer report"
    else
        verdict="FAILED (see $log)"; status=1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' || echo "? second")
    echo "fuzz-$t: $execs execs in ${took}s ($rate/s), $verdict"
done
exit $status
