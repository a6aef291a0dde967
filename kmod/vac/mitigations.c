// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core kernel's KVM mitigation state, aggregated over instances.
 *
 * l1tf_vmx_mitigation and itlb_multihit_kvm_mitigation are single globals
 * (arch/x86/kernel/cpu/bugs.c) that stock KVM writes at load and resets at
 * unload.  With several instances the last writer would win.  vac keeps
 * each instance's state and publishes the least mitigated one.
 */
#include "common.h"

#include <linux/module.h>
#include <asm/processor.h>
#include <asm/spec-ctrl.h>
#include <asm/vmx.h>

/* Exposure rank: higher means less protected. */
static int vac_l1tf_rank(enum vmx_l1d_flush_state s)
{
	switch (s) {
	case VMENTER_L1D_FLUSH_NOT_REQUIRED:	return 1;
	case VMENTER_L1D_FLUSH_EPT_DISABLED:	return 2;
	case VMENTER_L1D_FLUSH_ALWAYS:		return 3;
	case VMENTER_L1D_FLUSH_COND:		return 4;
	case VMENTER_L1D_FLUSH_NEVER:		return 5;
	default:				return 0;
	}
}

/* Recompute from the registered instances; vac_lock held. */
void vac_mitigations_update(void)
{
	enum vmx_l1d_flush_state l1tf = VMENTER_L1D_FLUSH_AUTO;
	bool any_itlb = false, itlb_ok = true;
	struct vac_instance *inst;

	lockdep_assert_held(&vac_lock);
	list_for_each_entry(inst, &vac_instances, node) {
		if (inst->l1tf &&
		    vac_l1tf_rank(inst->l1tf - 1) > vac_l1tf_rank(l1tf))
			l1tf = inst->l1tf - 1;
		if (inst->itlb_multihit) {
			any_itlb = true;
			itlb_ok &= inst->itlb_multihit == 2;
		}
	}
	if (vac_vendor->vendor == VAC_VENDOR_INTEL)
		l1tf_vmx_mitigation = l1tf;
	itlb_multihit_kvm_mitigation = any_itlb && itlb_ok;
}

/* Before the instance registered, maybe: a wrong-ABI report is ignored. */
void __vac_report_l1tf(struct vac_instance *inst, int state,
		       unsigned int abi, size_t size)
{
	if (vac_check_abi(abi, size, NULL))
		return;
	mutex_lock(&vac_lock);
	inst->l1tf = state + 1;
	vac_mitigations_update();
	mutex_unlock(&vac_lock);
}
EXPORT_SYMBOL_GPL(__vac_report_l1tf);

void __vac_report_itlb_multihit(struct vac_instance *inst, bool mitigated,
				unsigned int abi, size_t size)
{
	if (vac_check_abi(abi, size, NULL))
		return;
	mutex_lock(&vac_lock);
	inst->itlb_multihit = mitigated ? 2 : 1;
	vac_mitigations_update();
	mutex_unlock(&vac_lock);
}
EXPORT_SYMBOL_GPL(__vac_report_itlb_multihit);
