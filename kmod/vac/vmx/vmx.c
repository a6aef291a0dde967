// SPDX-License-Identifier: GPL-2.0-only
/*
 * vac's Intel VMX part.  Not there yet: VMXON regions, the loaded-VMCS
 * lists, VPIDs and the posted-interrupt wakeup handler move here with the
 * kvm_intel_N instances (see docs/design.md).  Until then vac refuses to
 * load on VMX hosts rather than half-own them.
 */
#include "common.h"

static int vac_vmx_supported(void)
{
	pr_err("Intel VMX hosts are not supported by this vac build yet\n");
	return -EOPNOTSUPP;
}

struct vac_vendor_ops vac_vmx_ops = {
	.name = "intel",
	.vendor = VAC_VENDOR_INTEL,
	.supported = vac_vmx_supported,
};
