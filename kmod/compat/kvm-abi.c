// SPDX-License-Identifier: GPL-2.0-only
/*
 * The layout of KVM data that the core kernel reads itself, compiled once
 * with the kernel's KVM headers and once with the instance's: an instance
 * whose layout differs would be misread by the running kernel, so
 * kmod/compat/check.sh refuses to build it.
 *
 * intel_guest_get_msrs() (arch/x86/events/intel/core.c) reads the vCPU's
 * struct kvm_pmu, handed to it by VMX through perf_guest_get_msrs().
 */
#include <linux/kbuild.h>
#include <linux/kvm_host.h>

void mkvm_kvm_abi(void);

void mkvm_kvm_abi(void)
{
	OFFSET(kvm_pmu_ds_area, kvm_pmu, ds_area);
	OFFSET(kvm_pmu_pebs_enable, kvm_pmu, pebs_enable);
	OFFSET(kvm_pmu_pebs_data_cfg, kvm_pmu, pebs_data_cfg);
	OFFSET(kvm_pmu_host_cross_mapped_mask, kvm_pmu, host_cross_mapped_mask);
	DEFINE(kvm_pmu_size_of_ds_area, sizeof_field(struct kvm_pmu, ds_area));
	DEFINE(kvm_pmu_size_of_pebs_enable, sizeof_field(struct kvm_pmu, pebs_enable));
	DEFINE(kvm_pmu_size_of_pebs_data_cfg, sizeof_field(struct kvm_pmu, pebs_data_cfg));
	DEFINE(kvm_pmu_size_of_host_cross_mapped_mask,
	       sizeof_field(struct kvm_pmu, host_cross_mapped_mask));
}
