/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM from a newer 6.12 point release on an older 6.12 kernel: the
 * core-kernel definitions that newer KVM uses and the running kernel's
 * headers lack.  Forced into every C file of an instance.  One entry per
 * difference: what, since which release, and why supplying it here is
 * safe.  kmod/compat/check.sh probes the kernel's headers
 * (mkvm-compat-have.h: MKVM_HAVE_<X> when the kernel has X) and checks the
 * facts an entry relies on; a difference that a definition cannot bridge
 * (a core symbol or behaviour the kernel lacks, KVM data the core kernel
 * reads laid out differently) makes the build refuse instead.  See
 * docs/releases.md.
 */
#ifndef MKVM_COMPAT_H
#define MKVM_COMPAT_H

#include "mkvm-compat-have.h"
#include <asm/cpufeatures.h>

/*
 * X86_FEATURE_TSA_FILL_NO, since 6.12.117: "this AMD CPU is not
 * vulnerable to TSA-FILL", word 21 bit 17.  Older kernels leave that bit
 * unused (check.sh verifies that no other feature or bug has it) and never
 * set it, so KVM's boot_cpu_has() test of it is false and KVM does not
 * pass the bit on from the kernel's view; KVM's own CPUID leaf 0x80000021
 * still reports what the hardware says.
 * mkvm-compat: feature-bit TSA_FILL_NO 21*32+17
 */
#ifndef X86_FEATURE_TSA_FILL_NO
#define X86_FEATURE_TSA_FILL_NO		(21 * 32 + 17)
#endif

/*
 * insn_assign_reg(), since 6.12.111 in <asm/insn-eval.h> (which then also
 * includes <asm/insn.h> itself): store the low @bytes of @val into a
 * general-purpose register slot the way the CPU writes a register of that
 * width.  KVM's emulator used to have its own copy; the kernel's is a
 * static inline with no state, so an identical one here changes nothing
 * but the name's home.
 */
#ifndef MKVM_HAVE_INSN_EVAL_INCLUDES_INSN
#include <asm/insn.h>
#endif
#ifndef MKVM_HAVE_INSN_ASSIGN_REG
#include <linux/types.h>
static inline void insn_assign_reg(unsigned long *reg, u64 val, int bytes)
{
	if (bytes == 8)
		*reg = val;
	else if (bytes == 4)
		*reg = (u32)val;	/* 32-bit writes clear bits 63:32 */
	else if (bytes == 2)
		*(u16 *)reg = val;	/* narrower ones keep the rest */
	else if (bytes == 1)
		*(u8 *)reg = val;
}
#endif

/*
 * EXIT_REASON_UNDEFINED, since 6.12.117 in <asm/vmx.h>: a value KVM puts
 * in its own copy of the exit reason when VM-Enter failed before any exit
 * (0xdead, chosen not to collide with a real basic exit reason, which are
 * below 0x100).  Only KVM uses it; the core kernel never sees it.
 */
#ifndef MKVM_HAVE_EXIT_REASON_UNDEFINED
#define EXIT_REASON_UNDEFINED		0xdead
#endif

#endif /* MKVM_COMPAT_H */
