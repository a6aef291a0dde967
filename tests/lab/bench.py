#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a lab scenario as a benchmark: the scenario prints its figure on a
line starting with 'BENCH: '; this wrapper runs tests/lab/lab.py with the
given arguments, passes its output through, and prints that figure again
as the very last line (meson's benchmark convention).  The host's load
average at the start and the end is printed before it: a figure measured
on a busy machine says so."""

import os
import subprocess
import sys

def load():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


load_start = load()
lab = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab.py")
proc = subprocess.Popen([sys.executable, lab] + sys.argv[1:],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
figure = None
for line in proc.stdout:
    sys.stdout.write(line)
    if line.startswith("BENCH: "):
        figure = line[len("BENCH: "):].strip()
rc = proc.wait()
if rc == 0 and figure is None:
    print("bench: the scenario printed no 'BENCH: ' line")
    rc = 1
print(f"bench: host load average (1/5/15 min) {load_start} at the start, "
      f"{load()} at the end, {os.cpu_count()} CPUs")
if figure is not None:
    print(figure)
sys.exit(rc)
