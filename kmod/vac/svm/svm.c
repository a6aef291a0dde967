// SPDX-License-Identifier: GPL-2.0-only
/*
 * vac's AMD SVM part: EFER.SVME and the host save area per CPU, the TSC
 * ratio cache, the SRSO BP_SPEC_REDUCE refcount, PMU virtualization, the
 * emergency disable.  The ASID allocator is in asid.c.
 */
#include "svm/svm.h"
#include "tlbcheck.h"

#include <linux/module.h>
#include <linux/gfp.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/mem_encrypt.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/svm.h>

#define VAC_SVM_TSC_RATIO_DEFAULT	0x0100000000ULL

DEFINE_PER_CPU(struct vac_svm_cpu, vac_svm_cpu);
EXPORT_PER_CPU_SYMBOL_GPL(vac_svm_cpu);

static int vac_svm_supported(void)
{
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM))
		return -ENODEV;
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("SVM is disabled by the firmware (VM_CR.SVMDIS); enable it in the BIOS\n");
		return -ENODEV;
	}
	return 0;
}

void vac_svm_write_tsc_multiplier(u64 multiplier)
{
	struct vac_svm_cpu *sd = this_cpu_ptr(&vac_svm_cpu);

	if (multiplier == sd->tsc_ratio)
		return;
	wrmsrl(MSR_AMD64_TSC_RATIO, multiplier);
	sd->tsc_ratio = multiplier;
}
EXPORT_SYMBOL_GPL(vac_svm_write_tsc_multiplier);

static int vac_svm_enable_cpu(void)
{
	struct vac_svm_cpu *sd = this_cpu_ptr(&vac_svm_cpu);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* somebody else owns SVM here */

	/*
	 * A new generation: a VMCB that ran here before must not keep an
	 * ASID whose TLB entries survived while SVM was off.
	 */
	sd->asid_generation++;
	sd->max_asid = vac_svm_asid_limit(cpuid_ebx(SVM_CPUID_FUNC) - 1);
	sd->next_asid = sd->max_asid + 1;
	sd->min_asid = 1;		/* SEV ASIDs are not handed out */

	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, sd->save_area_pa);

	if (boot_cpu_has(X86_FEATURE_TSCRATEMSR)) {
		sd->tsc_ratio = 0;
		vac_svm_write_tsc_multiplier(VAC_SVM_TSC_RATIO_DEFAULT);
	}
	amd_pmu_enable_virt();
	return 0;
}

static void vac_svm_hw_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		/* GIF=1 first, so that INIT and NMI are not blocked. */
		asm volatile("stgi" ::: "memory");
		wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	}
}

static void vac_svm_disable_cpu(void)
{
	if (boot_cpu_has(X86_FEATURE_TSCRATEMSR))
		vac_svm_write_tsc_multiplier(VAC_SVM_TSC_RATIO_DEFAULT);
	vac_svm_hw_disable();
	amd_pmu_disable_virt();
}

static void vac_svm_emergency_disable_cpu(void)
{
	vac_svm_hw_disable();
}

/* -- SRSO: BP_SPEC_REDUCE while any VM of any instance exists ------------ */

static DEFINE_SPINLOCK(vac_srso_lock);
static atomic_t vac_srso_nr_vms;

static void vac_svm_srso_clear(void *ign)
{
	struct vac_svm_cpu *sd = this_cpu_ptr(&vac_svm_cpu);

	if (!sd->bp_spec_reduce_set)
		return;
	msr_clear_bit(MSR_ZEN4_BP_CFG, MSR_ZEN4_BP_CFG_BP_SPEC_REDUCE_BIT);
	sd->bp_spec_reduce_set = false;
}

void vac_svm_srso_vm_init(void)
{
	if (!cpu_feature_enabled(X86_FEATURE_SRSO_BP_SPEC_REDUCE))
		return;
	/* 0 => 1 under the lock: a concurrent 1 => 0 must have finished. */
	if (atomic_inc_not_zero(&vac_srso_nr_vms))
		return;
	guard(spinlock)(&vac_srso_lock);
	atomic_inc(&vac_srso_nr_vms);
}
EXPORT_SYMBOL_GPL(vac_svm_srso_vm_init);

void vac_svm_srso_vm_destroy(void)
{
	if (!cpu_feature_enabled(X86_FEATURE_SRSO_BP_SPEC_REDUCE))
		return;
	if (atomic_dec_return(&vac_srso_nr_vms))
		return;
	guard(spinlock)(&vac_srso_lock);
	if (atomic_read(&vac_srso_nr_vms))
		return;
	on_each_cpu(vac_svm_srso_clear, NULL, 1);
}
EXPORT_SYMBOL_GPL(vac_svm_srso_vm_destroy);

/* -- host save areas ------------------------------------------------------ */

static void vac_svm_free_save_areas(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vac_svm_cpu *sd = per_cpu_ptr(&vac_svm_cpu, cpu);

		if (sd->save_area)
			free_page((unsigned long)sd->save_area);
		sd->save_area = NULL;
		sd->save_area_pa = 0;
	}
}

static int vac_svm_init(void)
{
	int cpu, r;

	for_each_possible_cpu(cpu) {
		struct vac_svm_cpu *sd = per_cpu_ptr(&vac_svm_cpu, cpu);
		struct page *page;

		/* SEV-SNP hosts need SNP-safe pages; SEV is refused for now. */
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vac_svm_free_save_areas();
			return -ENOMEM;
		}
		sd->save_area = page_address(page);
		sd->save_area_pa = __sme_set(page_to_phys(page));
	}
	r = vac_svm_asid_init();
	if (r)
		goto err_asid;
	r = vac_tlb_check_init(cpuid_ebx(SVM_CPUID_FUNC), "ASID");
	if (r)
		goto err_check;
	return 0;

err_check:
	vac_svm_asid_exit();
err_asid:
	vac_svm_free_save_areas();
	return r;
}

static void vac_svm_exit(void)
{
	vac_tlb_check_exit();
	vac_svm_asid_exit();
	vac_svm_free_save_areas();
}

static void vac_svm_debugfs_init(struct dentry *dir)
{
	vac_svm_asid_debugfs_init(dir);
	vac_tlb_check_debugfs_init(dir);
}

struct vac_vendor_ops vac_svm_ops = {
	.name = "amd",
	.vendor = VAC_VENDOR_AMD,
	.supported = vac_svm_supported,
	.init = vac_svm_init,
	.exit = vac_svm_exit,
	.enable_cpu = vac_svm_enable_cpu,
	.disable_cpu = vac_svm_disable_cpu,
	.emergency_disable_cpu = vac_svm_emergency_disable_cpu,
	.debugfs_init = vac_svm_debugfs_init,
};
