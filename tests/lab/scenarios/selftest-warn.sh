# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test (run with --module mkvm_selftest.ko): a module that WARNs at init. The scenario itself
# succeeds; the lab must still report FAIL because of the kernel log.
. /lab/lib.sh
check "load the warning module" lab_load mkvm_selftest mode=warn
