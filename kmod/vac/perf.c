// SPDX-License-Identifier: GPL-2.0-only
/*
 * perf's guest callbacks are a single registration in the core kernel:
 * vac registers once and dispatches to the instance whose vCPU is loaded
 * on this CPU (set by the instance at vcpu_load/sched_in).
 */
#include "common.h"

#include <linux/module.h>
#include <linux/perf_event.h>

DEFINE_PER_CPU(struct vac_instance *, vac_running_instance);
EXPORT_PER_CPU_SYMBOL_GPL(vac_running_instance);

static unsigned int vac_perf_state(void)
{
	struct vac_instance *inst = __this_cpu_read(vac_running_instance);

	return inst && inst->perf_state ? inst->perf_state() : 0;
}

static unsigned long vac_perf_get_ip(void)
{
	struct vac_instance *inst = __this_cpu_read(vac_running_instance);

	return inst && inst->perf_get_ip ? inst->perf_get_ip() : 0;
}

static unsigned int vac_perf_pt_intr(void)
{
	struct vac_instance *inst = __this_cpu_read(vac_running_instance);

	return inst && inst->perf_pt_intr ? inst->perf_pt_intr() : 0;
}

static struct perf_guest_info_callbacks vac_guest_cbs = {
	.state = vac_perf_state,
	.get_ip = vac_perf_get_ip,
};

int vac_perf_init(void)
{
	/* Intel PT hands its interrupts to the guest's owner (VMX only). */
	if (vac_vendor->vendor == VAC_VENDOR_INTEL)
		vac_guest_cbs.handle_intel_pt_intr = vac_perf_pt_intr;
	perf_register_guest_info_callbacks(&vac_guest_cbs);
	return 0;
}

void vac_perf_exit(void)
{
	perf_unregister_guest_info_callbacks(&vac_guest_cbs);
}
