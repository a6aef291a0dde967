#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a lab scenario as a benchmark: the scenario prints its figure on a
line starting with 'BENCH: '; this wrapper runs tests/lab/lab.py with the
given arguments, passes its output through, and prints that figure again
as the very last line (meson's benchmark convention)."""

import os
import subprocess
import sys

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
if figure is not None:
    print(figure)
sys.exit(rc)
