/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Forced include (-include) for every C file of a KVM instance module
 * (kvm_amd_N, kvm_intel_N).  Built with -DKVM_INSTANCE=N.
 *
 * An instance exports nothing: KVM common and the vendor code are linked
 * into one module, and a second instance exporting the same symbols would
 * be refused by the module loader.  The export macros are neutralised here
 * rather than with -D__DISABLE_EXPORTS, which also disables return thunks,
 * IBT landing pads and call padding.
 */
#ifndef MKVM_INSTANCE_H
#define MKVM_INSTANCE_H

#ifndef KVM_INSTANCE
#error "KVM_INSTANCE must be defined (make KVM_INSTANCE=N)"
#endif

#include <linux/export.h>
#include <linux/stringify.h>

#undef __EXPORT_SYMBOL
#define __EXPORT_SYMBOL(sym, license, ns)

#define __KVM_INSTANCE_PASTE(a, b)	a##b
#define __KVM_INSTANCE_SYM(a, b)	__KVM_INSTANCE_PASTE(a, b)

/* "kvm" -> "kvm2": device node, debugfs directory, slab and hotplug names. */
#define KVM_INSTANCE_NAME(base)		base __stringify(KVM_INSTANCE)
/* kvm -> kvm2: trace systems (TRACE_SYSTEM must be a token). */
#define KVM_INSTANCE_SYM(base)		__KVM_INSTANCE_SYM(base, KVM_INSTANCE)

/* core-kernel definitions a newer KVM needs on an older kernel */
#include "mkvm-compat.h"

#endif /* MKVM_INSTANCE_H */
