# SPDX-License-Identifier: GPL-2.0-or-later
# The integration suite (tests/integration: real libvirtd, virtlogd, QEMU,
# this build's hook and wrapper) needs /dev/kvm, which the machines that
# build multikvm may lack, where it skips.  Here its attacker-view test
# (integration-confinement) and its smoke test run for real: inside the
# lab on stock kvm_amd, from the host's root.  Both must pass: a skip
# counts as a failure, since everything they need is here.  (The rest of
# the suite runs here too, but slowly: integration-placement alone took
# 19 minutes under TCG on a loaded 2-core machine, too long for CI;
# `meson test --suite integration` on a host with KVM runs it all.)
# lab: modules=kvm-amd
# lab: hostroot=yes
# lab: timeout=2400
. /lab/lib.sh

B=$LAB_BUILD_DIR
lab_load kvm_amd
# What Debian's udev rule does on a host.
chgrp kvm /dev/kvm && chmod 0660 /dev/kvm

step "integration-smoke and integration-confinement, in the lab"
# (the build directory is the host's, under a tmpfs overlay: the logs stay
# here; TCG runs nested guests a few times slower than a host with KVM)
# (into a file: on the lab's console, a tty, meson would draw progress)
# (integration-evacuate: multikvm evacuate's real save and restore)
meson test -C "$B" --no-rebuild --print-errorlogs \
	--timeout-multiplier 2 --logbase lab-integration \
	integration-smoke integration-confinement \
	integration-evacuate >/tmp/integration.out 2>&1
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
check "all ran" test "$(grep -c '/ integration-\(smoke\|confinement\|evacuate\) ' /tmp/integration.sum)" = 3
check "none was skipped or failed" sh -c "! grep -v ' OK ' /tmp/integration.sum"
