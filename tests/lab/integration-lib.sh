# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the lab's integration scenarios (tests/lab/scenarios/integration*.sh).
#
# The integration suite (tests/integration: real libvirtd, virtlogd, QEMU,
# this build's hook, wrapper and CLI) needs /dev/kvm, which the machines
# that build multikvm may lack, where it skips.  In the lab it runs for
# real, on stock kvm_amd from the host's root, one lab per test or pair of
# tests so that the labs run side by side.  A skip counts as a failure:
# everything the tests need is here.  (integration-placement took 19
# minutes under TCG on a loaded 2-core machine, too long for CI; `meson
# test --suite integration` on a host with KVM runs the whole suite.)

# lab_integration TEST...: run these integration tests with meson; each must pass
lab_integration() {
	local B=$LAB_BUILD_DIR t n=$#
	lab_load kvm_amd
	# What Debian's udev rule does on a host.
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm

	step "$* in the lab"
	# (the build directory is the host's, under a tmpfs overlay: the logs
	# stay here; TCG runs nested guests a few times slower than a host
	# with KVM) (into a file: on the lab's console, a tty, meson would
	# draw progress)
	# (--suite: the names alone would also pick the lab tests that run
	# them, whose names are apart but globs are not)
	meson test -C "$B" --no-rebuild --print-errorlogs --suite integration \
		--timeout-multiplier 2 --logbase lab-integration \
		"$@" >/tmp/integration.out 2>&1
	rc=$?
	cat /tmp/integration.out
	python3 - "$B/meson-logs/lab-integration.json" <<'PY' >/tmp/integration.sum
import json, sys
n = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    n += 1
    print(f"{t['name']} {t['result']} {t['duration']:.0f}s")
if n == 0:
    print("no test ran")
PY
	sed 's/^/   /' /tmp/integration.sum
	# what each test checked (their output, kept by meson)
	grep -E '^(not )?ok ' "$B/meson-logs/lab-integration.txt" | sed 's/^/   /'
	check "meson test passed" test $rc -eq 0
	for t in "$@"; do
		check "$t ran" grep -q "/ $t " /tmp/integration.sum
	done
	check "none was skipped or failed" sh -c "! grep -v ' OK ' /tmp/integration.sum"
}
