// SPDX-License-Identifier: GPL-2.0-only
/*
 * vac's Intel VMX part: the VMXON region and VMXON/VMXOFF with CR4.VMXE per
 * CPU, Intel PT's hand-off around VMX operation, the current VMCS, the VPID
 * bitmap, the posted-interrupt wakeup vector and the emergency path that
 * has every instance VMCLEAR its VMCSs before VMXOFF.
 *
 * Each instance keeps its own list of VMCSs loaded on a CPU and VMCLEARs
 * them in its per-CPU disable (vac calls it before VMXOFF) and in its
 * emergency callback.
 */
#include "common.h"
#include "tlbcheck.h"

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/irq.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#define VAC_VMX_NR_VPIDS	(1 << 16)

DEFINE_PER_CPU(struct vmcs *, vac_current_vmcs);
EXPORT_PER_CPU_SYMBOL_GPL(vac_current_vmcs);

static DEFINE_PER_CPU(void *, vac_vmxon_region);

static DEFINE_SPINLOCK(vac_vpid_lock);
static unsigned long *vac_vpid_bitmap;
static u16 *vac_vpid_owner;		/* instance id per VPID, debug view */

static int vac_vmx_supported(void)
{
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("VMX is not usable (disabled by the firmware in IA32_FEAT_CTL?)\n");
		return -ENODEV;
	}
	return 0;
}

/* -- VMXON/VMXOFF --------------------------------------------------------- */

static int vac_vmxon(u64 pa)
{
	cr4_set_bits(X86_CR4_VMXE);
	asm goto("1: vmxon %[pa]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m"(pa) : : fault);
	return 0;
fault:
	cr4_clear_bits(X86_CR4_VMXE);
	return -EFAULT;
}

/* VMXOFF #UDs outside VMX operation; eat that, e.g. in NMI context. */
static void vac_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 ::: "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
}

static int vac_vmx_enable_cpu(void)
{
	void *region = this_cpu_read(vac_vmxon_region);
	int r;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;	/* somebody else is in VMX operation here */

	intel_pt_handle_vmx(1);
	r = vac_vmxon(__pa(region));
	if (r) {
		intel_pt_handle_vmx(0);
		return r;
	}
	this_cpu_write(vac_current_vmcs, NULL);
	return 0;
}

static void vac_vmx_disable_cpu(void)
{
	/* the instances VMCLEARed their VMCSs in their disable_cpu() */
	this_cpu_write(vac_current_vmcs, NULL);
	vac_vmxoff();
	intel_pt_handle_vmx(0);
}

static void vac_vmx_emergency_disable_cpu(void)
{
	struct vac_instance *inst;

	/* CR4.VMXE can only be set in task context: if clear, nothing to do */
	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(inst, &vac_instances, node)
		if (inst->emergency_cpu)
			inst->emergency_cpu();
	rcu_read_unlock();
	vac_vmxoff();
}

/* -- VPIDs ------------------------------------------------------------------ */

int vac_vmx_alloc_vpid(struct vac_instance *inst)
{
	int vpid;

	spin_lock(&vac_vpid_lock);
	vpid = find_first_zero_bit(vac_vpid_bitmap, VAC_VMX_NR_VPIDS);
	if (vpid < VAC_VMX_NR_VPIDS) {
#ifndef MKVM_DEBUG_TLB_BREAK
		__set_bit(vpid, vac_vpid_bitmap);
#else
		/* broken on purpose: the next vCPU gets this VPID too */
#endif
		vac_vpid_owner[vpid] = inst->id;
	} else {
		vpid = 0;
	}
	spin_unlock(&vac_vpid_lock);
	return vpid;
}
EXPORT_SYMBOL_GPL(vac_vmx_alloc_vpid);

void vac_vmx_free_vpid(int vpid)
{
	if (vpid <= 0 || vpid >= VAC_VMX_NR_VPIDS)
		return;
	spin_lock(&vac_vpid_lock);
	__clear_bit(vpid, vac_vpid_bitmap);
	vac_vpid_owner[vpid] = 0;
	spin_unlock(&vac_vpid_lock);
}
EXPORT_SYMBOL_GPL(vac_vmx_free_vpid);

static int vac_vpids_show(struct seq_file *m, void *v)
{
	int vpid;

	spin_lock(&vac_vpid_lock);
	vpid = 1;
	for_each_set_bit_from(vpid, vac_vpid_bitmap, VAC_VMX_NR_VPIDS)
		seq_printf(m, "vpid=%d instance=%u\n", vpid, vac_vpid_owner[vpid]);
	spin_unlock(&vac_vpid_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vac_vpids);

/* -- posted-interrupt wakeup: one vector, every instance's blocked vCPUs -- */

/* how often the vector came, and how many instance handlers it ran */
static atomic64_t vac_pi_wakeups, vac_pi_handler_calls;

static void vac_pi_wakeup(void)
{
	struct vac_instance *inst;

	atomic64_inc(&vac_pi_wakeups);
	rcu_read_lock();
	list_for_each_entry_rcu(inst, &vac_instances, node)
		if (inst->pi_wakeup) {
			inst->pi_wakeup();
			atomic64_inc(&vac_pi_handler_calls);
		}
	rcu_read_unlock();
}

static int vac_pi_wakeup_show(struct seq_file *m, void *v)
{
	seq_printf(m, "wakeups %lld\nhandler_calls %lld\n",
		   (long long)atomic64_read(&vac_pi_wakeups),
		   (long long)atomic64_read(&vac_pi_handler_calls));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vac_pi_wakeup);

static void vac_vmx_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("vpids", 0400, dir, NULL, &vac_vpids_fops);
	debugfs_create_file("pi_wakeup", 0400, dir, NULL, &vac_pi_wakeup_fops);
	vac_tlb_check_debugfs_init(dir);
}

/* -- load/unload ------------------------------------------------------------ */

static void vac_vmx_free(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(vac_vmxon_region, cpu));
		per_cpu(vac_vmxon_region, cpu) = NULL;
	}
	kfree(vac_vpid_owner);
	vac_vpid_owner = NULL;
	bitmap_free(vac_vpid_bitmap);
	vac_vpid_bitmap = NULL;
}

static int vac_vmx_init(void)
{
	u64 basic;
	int cpu;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vac_vpid_bitmap = bitmap_zalloc(VAC_VMX_NR_VPIDS, GFP_KERNEL);
	vac_vpid_owner = kcalloc(VAC_VMX_NR_VPIDS, sizeof(*vac_vpid_owner),
				 GFP_KERNEL);
	if (!vac_vpid_bitmap || !vac_vpid_owner)
		goto nomem;
	__set_bit(0, vac_vpid_bitmap);	/* VPID 0 is the host's */

	for_each_possible_cpu(cpu) {
		struct page *page;
		u32 *region;

		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto nomem;
		region = page_address(page);
		/* The VMXON region starts with the VMCS revision identifier. */
		region[0] = (u32)basic & 0x7fffffff;
		per_cpu(vac_vmxon_region, cpu) = region;
	}
	if (vac_tlb_check_init(VAC_VMX_NR_VPIDS, "VPID"))
		goto nomem;
	kvm_set_posted_intr_wakeup_handler(vac_pi_wakeup);
	return 0;
nomem:
	vac_vmx_free();
	return -ENOMEM;
}

static void vac_vmx_exit(void)
{
	kvm_set_posted_intr_wakeup_handler(NULL);
	vac_tlb_check_exit();
	vac_vmx_free();
}

struct vac_vendor_ops vac_vmx_ops = {
	.name = "intel",
	.vendor = VAC_VENDOR_INTEL,
	.supported = vac_vmx_supported,
	.init = vac_vmx_init,
	.exit = vac_vmx_exit,
	.enable_cpu = vac_vmx_enable_cpu,
	.disable_cpu = vac_vmx_disable_cpu,
	.emergency_disable_cpu = vac_vmx_emergency_disable_cpu,
	.debugfs_init = vac_vmx_debugfs_init,
};
