# SPDX-License-Identifier: GPL-2.0-or-later
# Host userspace keeps the host's MSRs while guests of two instances run
# with their own (issue 14), on whichever vendor the machine has
# (kmod-uret: SVM under QEMU; vmx-uret: VMX under Bochs).  Each guest, in
# 64-bit mode with EFER.SCE, writes its own TSC_AUX, STAR, LSTAR, CSTAR and
# SFMASK with WRMSR before every batch and reads them back.  What the host
# must get back, and how (6.12):
#  - SVM: TSC_AUX is a user-return MSR (vac's list, no V_TSC_AUX here); the
#    SYSCALL MSRs are in the VMCB and the host's come back from the per-CPU
#    host save area (vac's) with VMLOAD after every VMRUN;
#  - VMX: TSC_AUX, STAR, LSTAR and SFMASK are user-return MSRs for such a
#    guest (CSTAR is kept but never loaded: Intel has no compat SYSCALL).
# uretcheck, pinned to each CPU in turn while the guests run and after,
# must see Linux's TSC_AUX (RDTSCP/RDPID), come back from SYSCALL at all
# (LSTAR) and with Linux's selectors (STAR), and get its SIGTRAP after a
# SYSCALL with TF set without the kernel trapping (SFMASK: a WARN
# otherwise; not under Bochs, which traps there whatever SFMASK says);
# CSTAR cannot be seen from a 64-bit program (docs/lab.md); kvmtest checks
# TSC_AUX in host userspace after every exit too.
# lab: modules=vac kvm_amd_1 kvm_amd_2 kvm_intel_1 kvm_intel_2
# lab: bins=tests/kvmtest tests/uretcheck
# lab: smp=2 timeout=900
. /lab/lib.sh

ncpu=$(grep -c '^processor' /proc/cpuinfo)
TSC_AUX=0xc0000103 STAR=0xc0000081 LSTAR=0xc0000082 CSTAR=0xc0000083 SFMASK=0xc0000084
SECS=10
# Bochs 3.0 takes SYSCALL's single-step trap in the kernel whatever SFMASK
# says (QEMU and real CPUs do not): no SYSCALL with TF there.
[ "$LAB_MACHINE" != bochs ] || uretcheck() { command uretcheck -T "$@"; }

lab_load vac
vendor=$(cat /sys/kernel/vac/vendor)
lab_load kvm_${vendor}_1
lab_load kvm_${vendor}_2

step "host userspace before any guest"
check "uretcheck: Linux's values on every CPU" uretcheck

# guest_msrs N CPU: instance N's guest on CPU's values, as kvmtest options.
# STAR keeps Linux's kernel CS (0x10) but not its user selectors; LSTAR and
# CSTAR point nowhere; SFMASK is Linux's (0x257fd5) without TF and CF/PF.
guest_msrs() {
	printf -- "-a 0x%x -m $TSC_AUX=0x%x -m $STAR=0x001b00100000%02x%02x -m $LSTAR=0xffffffffc0de%02x%02x -m $CSTAR=0xffffffffc0df%02x%02x -m $SFMASK=0x%x" \
		$((0xc000 + $1 * 256 + $2)) $((0xc000 + $1 * 256 + $2)) \
		$1 $2 $1 $2 $1 $2 $((0x257fd5 & ~0x100 & ~(1 << ($1 * 2 - 2))))
}

step "both instances' guests on every CPU at once, $SECS s, uretcheck alongside"
pids=
cpu=0
while [ $cpu -lt $ncpu ]; do
	for n in 1 2; do
		echo "instance $n, CPU $cpu: kvmtest -l $(guest_msrs $n $cpu)"
		kvmtest -q -l -n 200 -t $SECS -c $cpu $(guest_msrs $n $cpu) /dev/kvm$n &
		pids="$pids $!"
	done
	cpu=$((cpu + 1))
done
check "uretcheck saw Linux's values on every CPU all along" uretcheck -t $SECS
for pid in $pids; do
	check "guest $pid: its own MSRs in, Linux's TSC_AUX out after every exit" wait $pid
done

step "afterwards"
check "uretcheck: Linux's values on every CPU" uretcheck
check "kvm_${vendor}_1 unloads" rmmod kvm_${vendor}_1
check "kvm_${vendor}_2 unloads" rmmod kvm_${vendor}_2
check "vac unloads" rmmod vac
check "uretcheck: Linux's values on every CPU without vac" uretcheck
