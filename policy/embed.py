#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""embed.py IN OUT NAME: writes a C header defining `static const char NAME[]`."""
import sys

src, out, name = sys.argv[1:4]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* generated from %s by embed.py */\n' % src.split('/')[-1])
    f.write('static const char %s[] =\n' % name)
    lines = data.split(b'\n')
    for i, line in enumerate(lines):
        if i == len(lines) - 1 and not line:
            break
        nl = '\\n' if i < len(lines) - 1 else ''
        esc = ''.join(chr(b) if 32 <= b < 127 and b not in (34, 92, 63) else '\\%03o' % b
                      for b in line)
        f.write('  "%s%s"\n' % (esc, nl))
    f.write(';\n')
