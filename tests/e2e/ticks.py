#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Read the progress of guest payloads (tests/payload, payload-tick.bin) from
their serial logs.  Each line is "multikvm payload: tick N tsc=HEX", stamped
with the guest's TSC, so a pause of the guest shows as a gap between two
consecutive stamps whatever the observer was doing at the time.

  ticks.py last FILE
      the last tick number (0 if none yet)
  ticks.py gaps --khz KHZ [--steps NAME,...] FILE=A:B[:C...]...
      for each file: the longest gap between consecutive ticks numbered in
      [A, B] (the event window) and in the equally long stretch just before
      A (the baseline), in milliseconds; then, as the last line, the ratio
      of the longest gap in any window to the longest in any baseline.
      With more marks (FILE=A:B:C, ticks at the end of each step), the
      window is cut into steps [A, B], [B, C], ... named by --steps, and
      each step's longest gap (over all files) is given against the same
      baseline: on its own line and again on the last one.

The marks are given per file (each guest has its own tick numbers).
"""

import argparse
import re
import sys

TICK = re.compile(r"^multikvm payload: tick (\d+) tsc=([0-9a-f]{16})$")


def read_ticks(path):
    ticks = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = TICK.match(line.strip())
            if m:
                ticks[int(m.group(1))] = int(m.group(2), 16)
    return ticks


def last_tick(path):
    try:
        ticks = read_ticks(path)
    except FileNotFoundError:
        return 0
    return max(ticks) if ticks else 0


def longest_gap(ticks, first, last):
    best = 0
    for n in range(first + 1, last + 1):
        if n in ticks and n - 1 in ticks:
            best = max(best, ticks[n] - ticks[n - 1])
    return best


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("last")
    p.add_argument("file")
    p = sub.add_parser("gaps")
    p.add_argument("--khz", type=float, required=True,
                   help="guest TSC frequency in kHz")
    p.add_argument("--steps", default=None,
                   help="names of the steps between consecutive marks")
    p.add_argument("files", nargs="+", metavar="FILE=A:B[:C...]")
    args = ap.parse_args()

    if args.cmd == "last":
        print(last_tick(args.file))
        return 0

    steps = args.steps.split(",") if args.steps else None
    worst_window = worst_base = 0
    worst_step = {}
    ms = 1000.0 / (args.khz * 1000.0)
    for spec in args.files:
        path, _, window = spec.rpartition("=")
        marks = [int(x) for x in window.split(":")]
        names = steps or ["window"]
        if len(marks) != len(names) + 1 or marks != sorted(marks):
            print(f"ticks: {path}: want {len(names) + 1} increasing marks "
                  f"for {', '.join(names)}, got '{window}'", file=sys.stderr)
            return 1
        a, b = marks[0], marks[-1]
        ticks = read_ticks(path)
        span = b - a
        base_first = max(1, a - span)
        if span < 2 or a - base_first < 2:
            print(f"ticks: {path}: window {a}:{b} too short to compare",
                  file=sys.stderr)
            return 1
        if any(n not in ticks for n in range(base_first, b + 1)):
            print(f"ticks: {path}: ticks missing between {base_first} and {b}",
                  file=sys.stderr)
            return 1
        gw = longest_gap(ticks, a, b)
        gb = longest_gap(ticks, base_first, a)
        normal = (ticks[a] - ticks[base_first]) / (a - base_first)
        per_step = ""
        if steps:
            for name, x, y in zip(steps, marks, marks[1:]):
                g = longest_gap(ticks, x, y)
                worst_step[name] = max(worst_step.get(name, 0), g)
                per_step += f"; {name} (ticks {x}..{y}) {g * ms:.2f} ms"
        print(f"{path}: ticks {a}..{b}: normal interval {normal * ms:.2f} ms, "
              f"longest gap {gw * ms:.2f} ms (baseline before: {gb * ms:.2f} ms)"
              f"{per_step}")
        worst_window = max(worst_window, gw)
        worst_base = max(worst_base, gb)
    figure = ""
    if steps:
        for name in steps:
            print(f"step {name}: longest gap {worst_step[name] * ms:.2f} ms, "
                  f"{worst_step[name] / worst_base:.2f}x the baseline's "
                  f"{worst_base * ms:.2f} ms")
        figure = " (" + ", ".join(f"{name} {worst_step[name] / worst_base:.2f}x"
                                  for name in steps) + ")"
    print(f"longest gap during the upgrade vs before: "
          f"{worst_window / worst_base:.2f}x{figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
