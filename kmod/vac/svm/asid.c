// SPDX-License-Identifier: GPL-2.0-only
/*
 * One ASID allocator per CPU for the guests of every instance.
 *
 * ASIDs are handed out in generations: when a CPU runs out, the generation
 * moves on and the next VMRUN on that CPU, whichever instance does it,
 * flushes all ASIDs (flush_all_asids).  A VMCB whose generation is old
 * takes a new ASID before it runs.  With one allocator, an ASID cannot
 * reach guests of two instances without a flush in between; with one per
 * instance (stock KVM twice) it would.
 *
 * asid_debug=1 records who got which ASID, for the debugfs view
 * /sys/kernel/debug/vac/asids that the lab's tests sample.  Debug builds
 * (kmod/build.sh --debug tlb) check every VMRUN's ASID independently
 * (tlbcheck.c) and can narrow the range (asid_max=N) so that generations
 * wrap often; --debug tlb-broken leaves out the flush on a wrap, to prove
 * that the check fires.
 */
#include "svm/svm.h"
#include "tlbcheck.h"

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/svm.h>

static bool asid_debug;
module_param(asid_debug, bool, 0444);
MODULE_PARM_DESC(asid_debug, "record ASID owners for /sys/kernel/debug/vac/asids");

/*
 * One word per ASID, written at once so that a reader never sees half of
 * an update: generation (low 32 bits) << 32 | instance << 22 | vm tag.
 */
#define VAC_ASID_INST_SHIFT	22
#define VAC_ASID_VM_MASK	((1u << VAC_ASID_INST_SHIFT) - 1)
#define VAC_ASID_TRACK_MAX	65536

static u64 **vac_asid_owner;	/* [cpu][asid] */
static u32 vac_asid_track;

#ifdef MKVM_DEBUG_TLB
static unsigned int asid_max;
module_param(asid_max, uint, 0444);
MODULE_PARM_DESC(asid_max, "debug build: hand out ASIDs 1..N only (0: all), so that generations wrap often");
#endif

/* The highest ASID to hand out on a CPU whose hardware has @hw_max. */
u32 vac_svm_asid_limit(u32 hw_max)
{
#ifdef MKVM_DEBUG_TLB
	if (asid_max && asid_max < hw_max)
		return asid_max;
#endif
	return hw_max;
}

u32 vac_svm_new_asid(u64 *generation, struct vac_instance *inst,
		     const void *vm)
{
	struct vac_svm_cpu *sd = this_cpu_ptr(&vac_svm_cpu);
	u32 asid;

	if (sd->next_asid > sd->max_asid) {
		++sd->asid_generation;
		sd->next_asid = sd->min_asid;
#ifndef MKVM_DEBUG_TLB_BREAK
		sd->flush_all_asids = true;
#endif
		vac_tlb_check_asid_wrap();
	}
	*generation = sd->asid_generation;
	asid = sd->next_asid++;

	if (vac_asid_owner && asid < vac_asid_track)
		WRITE_ONCE(vac_asid_owner[smp_processor_id()][asid],
			   (u64)(u32)sd->asid_generation << 32 |
			   (u64)inst->id << VAC_ASID_INST_SHIFT |
			   hash_ptr((void *)vm, VAC_ASID_INST_SHIFT));
	return asid;
}
EXPORT_SYMBOL_GPL(vac_svm_new_asid);

/* "cpu=<n> asid=<a> gen=<g> instance=<id> vm=<tag>" for the current
 * generation of each CPU. */
static int vac_asids_show(struct seq_file *m, void *v)
{
	unsigned int cpu;
	u32 asid;

	for_each_possible_cpu(cpu) {
		u32 gen = READ_ONCE(per_cpu(vac_svm_cpu, cpu).asid_generation);

		for (asid = 1; asid < vac_asid_track; asid++) {
			u64 e = READ_ONCE(vac_asid_owner[cpu][asid]);

			if (!e || (u32)(e >> 32) != gen)
				continue;
			seq_printf(m, "cpu=%u asid=%u gen=%u instance=%llu vm=%llx\n",
				   cpu, asid, gen,
				   (e >> VAC_ASID_INST_SHIFT) & 0x3ff,
				   e & VAC_ASID_VM_MASK);
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vac_asids);

void vac_svm_asid_debugfs_init(struct dentry *dir)
{
	if (vac_asid_owner)
		debugfs_create_file("asids", 0400, dir, NULL, &vac_asids_fops);
}

int vac_svm_asid_init(void)
{
	unsigned int cpu;

	if (!asid_debug)
		return 0;
	vac_asid_track = min_t(u32, cpuid_ebx(SVM_CPUID_FUNC), VAC_ASID_TRACK_MAX);
	vac_asid_owner = kcalloc(nr_cpu_ids, sizeof(*vac_asid_owner), GFP_KERNEL);
	if (!vac_asid_owner)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		vac_asid_owner[cpu] = vzalloc(vac_asid_track * sizeof(u64));
		if (!vac_asid_owner[cpu]) {
			vac_svm_asid_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void vac_svm_asid_exit(void)
{
	unsigned int cpu;

	if (!vac_asid_owner)
		return;
	for_each_possible_cpu(cpu)
		vfree(vac_asid_owner[cpu]);
	kfree(vac_asid_owner);
	vac_asid_owner = NULL;
}
