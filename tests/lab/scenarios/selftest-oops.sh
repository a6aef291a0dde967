# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test (run with --module mkvm_selftest.ko): a module that oopses at init. The guest panics
# (oops=panic); the lab must report CRASH.
. /lab/lib.sh
lab_load mkvm_selftest mode=oops
echo "not reached"
