#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The evacuate-pause benchmark (tests/integration/bench-evacuate.sh: real
# libvirtd, QEMU, this build's hook, wrapper and CLI) needs /dev/kvm: here
# it runs in the lab on stock kvm_amd, from the host's root, and its
# 'BENCH: ' line is passed on (tests/lab/bench.py).  TCG runs the nested
# guests: the absolute figures are the lab's, slower than a host with KVM.
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=1500
. /lab/lib.sh

B=$LAB_BUILD_DIR
lab_load kvm_amd
chgrp kvm /dev/kvm && chmod 0660 /dev/kvm

step "benchmark evacuate-pause, in the lab"
meson test -C "$B" --no-rebuild --benchmark --print-errorlogs --verbose \
	--timeout-multiplier 2 --logbase lab-bench-evacuate evacuate-pause >/tmp/bench.out 2>&1
rc=$?
cat /tmp/bench.out
check "the benchmark passed" test $rc -eq 0
grep -h '^BENCH: ' /tmp/bench.out "$B/meson-logs/lab-bench-evacuate.txt" 2>/dev/null | tail -1
