# SPDX-License-Identifier: GPL-2.0-or-later
# Harness self-test (run with --module mkvm_selftest.ko): a WARN after
# stage 1 announced its kexec, i.e. in no stage's log dump; stage 2
# succeeds. The lab must still report FAIL because of the console.
# lab: stages=2 kexec=yes
. /lab/lib.sh
if [ "$LAB_STAGE" = 1 ]; then
	kexec -l /lab/kexec/vmlinuz --initrd=/lab/kexec/initrd.cpio \
		--append="$(lab_next_cmdline)" || die "kexec -l failed"
	lab_stage_announce kexec
	lab_load mkvm_selftest mode=warn
	kexec -e
	die "kexec -e failed"
fi
