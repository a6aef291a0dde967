#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: the guest pause of `multikvm evacuate` per GiB of guest RAM.
# Tick-payload domains of MKVM_BENCH_SIZES MiB (default 64 128 256) are
# evacuated from instance 7 to 8 and back, MKVM_BENCH_N rounds (default 3);
# each domain's pause is what evacuate reports (start of the save to the
# end of the restore).  A least-squares fit pause = fixed + slope * GiB over
# all moves gives the per-GiB cost; it is printed beside drain by
# attrition's pause, which is 0 ms (nothing is saved: the guest runs on
# until it stops).  The payload touches little of its RAM and QEMU sends
# untouched (zero) pages as a flag, so the slope is a floor: a guest whose
# RAM is full costs more per GiB.
. "$MKVM_LIB"
write_policy
N=${MKVM_BENCH_N:-3}
SIZES=${MKVM_BENCH_SIZES:-64 128 256}

for s in $SIZES; do
	domain_xml "b$s" "$MKVM_WRAPPER" "$(meta "instance='7'")" |
		sed "s|<memory unit='MiB'>16<|<memory unit='MiB'>$s<|" > "$MKVM_T/b$s.xml"
	virsh -q define "$MKVM_T/b$s.xml" >/dev/null || exit 1
	virsh -q start "b$s" >/dev/null || exit 1
done
: > "$MKVM_T/pauses"
from=7 to=8
for r in $(seq "$N"); do
	"$MKVM_CLI" evacuate $from --to $to --json > "$MKVM_T/r$r.json" || {
		cat "$MKVM_T/r$r.json"; exit 1; }
	python3 - "$MKVM_T/r$r.json" >> "$MKVM_T/pauses" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1]))["domains"]:
    print(d["ram_mib"], d["pause_ms"])
PY
	"$MKVM_CLI" undrain $from >/dev/null
	t=$from from=$to to=$t
done
python3 - "$MKVM_T/pauses" <<'PY'
import statistics, sys
pts = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
by = {}
for mib, ms in pts:
    by.setdefault(int(mib), []).append(ms)
for mib in sorted(by):
    print(f"{mib} MiB: pause ms {' '.join(f'{x:.0f}' for x in by[mib])} "
          f"(median {statistics.median(by[mib]):.0f})")
xs = [mib / 1024 for mib, _ in pts]
ys = [ms for _, ms in pts]
mx, my = statistics.fmean(xs), statistics.fmean(ys)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
fixed = my - slope * mx
print(f"fit over {len(pts)} moves: pause = {fixed:.0f} ms + {slope:.0f} ms per GiB")
# what evacuate's own estimate uses: total pause over total RAM (fixed
# costs included); a slope within the noise (or below 0) says the pause is
# fixed costs, not RAM
ratio = sum(ys) / sum(xs)
print(f"BENCH: evacuate pauses the guest {slope:.0f} ms per GiB of RAM (fit) + {fixed:.0f} ms "
      f"fixed, median {statistics.median(ys):.0f} ms per guest, {ratio:.0f} ms per GiB "
      f"overall; drain by attrition pauses it 0 ms")
PY
