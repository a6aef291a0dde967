# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test (run with --module mkvm_selftest.ko): stage 1 loads a
# crash kernel and announces a crash, but panics by an oops instead of the
# announced sysrq crash; the crash kernel then boots into stage 2, which
# succeeds. The lab must report CRASH.
# lab: stages=2 kexec=yes
# lab: cmdline=crashkernel=256M
. /lab/lib.sh
if [ "$LAB_STAGE" = 1 ]; then
	lab_load_crash_kernel
	lab_stage_announce crash
	lab_load mkvm_selftest mode=oops
	die "not reached"
fi
