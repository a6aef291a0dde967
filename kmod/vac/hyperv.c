// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running on Hyper-V: the kernel has one slot for the re-enlightenment
 * callback that tells KVM its TSC page changed (set_hv_tscchange_cb()).
 * Stock KVM takes it at load and clears it at unload, so a second instance
 * would steal it from the first and the first one's unload would clear it
 * for everybody.  vac takes the slot once and calls every instance that
 * asked for it (vac_instance.hv_tsc_changed).
 */
#include "common.h"

#include <asm/hypervisor.h>
#include <asm/mshyperv.h>

static bool vac_on_hyperv(void)
{
	return IS_ENABLED(CONFIG_HYPERV) &&
	       hypervisor_is_type(X86_HYPER_MS_HYPERV);
}

/* From Hyper-V's re-enlightenment work item: process context. */
static void vac_hv_tsc_changed(void)
{
	struct vac_instance *inst;

	mutex_lock(&vac_lock);
	list_for_each_entry(inst, &vac_instances, node)
		if (inst->hv_tsc_changed)
			inst->hv_tsc_changed();
	mutex_unlock(&vac_lock);
}

void vac_hyperv_init(void)
{
	if (vac_on_hyperv())
		set_hv_tscchange_cb(vac_hv_tsc_changed);
}

void vac_hyperv_exit(void)
{
	if (vac_on_hyperv())
		clear_hv_tscchange_cb();
}
