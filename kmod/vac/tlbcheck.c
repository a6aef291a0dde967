// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debug builds only (kmod/build.sh --debug tlb): an independent check that
 * no two guests share a TLB tag (SVM ASID, VMX VPID) on a CPU without a
 * flush in between.  The allocators' own tables cannot show that: a tag
 * handed out twice, or a generation wrap without its flush, looks fine in
 * them.  Emulators do not show it either (TCG does not tag its TLB).
 *
 * Instances report right before VMRUN / VM entry: the tag the guest runs
 * with (read from the VMCB/VMCS), the owner, and whether this entry
 * flushes (SVM: TLB_CONTROL); VMX instances report each INVVPID/INVEPT
 * when they execute it.  Per (CPU, tag), vac keeps the owner that last ran
 * and whether a flush came since; a different owner running with a tag
 * that was not flushed is a WARN.
 *
 * The owner is the vCPU, not the VMCB/VMCS.  KVM 6.12 runs L1 and L2 of a
 * vCPU with the same ASID (vmcb01 and vmcb02) and flushes on every nested
 * transition itself: that is per-vCPU business, the same in stock KVM.
 * What vac must guarantee is between vCPUs, of one instance or of two.  A
 * vCPU that moves to another CPU is the same owner there (stock SVM takes
 * a new ASID on the new CPU, VMX flushes everything).  Owner tokens are
 * never reused: a new vCPU allocated where a freed one was is another
 * owner.  The check knows nothing of ASID generations: a wrap is safe only
 * because a flush of all ASIDs comes with it, and the flush is what it
 * sees.
 *
 * Everything is per CPU and touched only by that CPU with interrupts off;
 * /sys/kernel/debug/vac/tlb_check sums the counters for the lab's tests.
 */
#include "tlbcheck.h"

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>

static bool tlb_check = true;
module_param(tlb_check, bool, 0444);
MODULE_PARM_DESC(tlb_check, "debug build: WARN when a TLB tag passes between vCPUs without a flush");

DEFINE_STATIC_KEY_FALSE(vac_tlb_check_on);
EXPORT_SYMBOL_GPL(vac_tlb_check_on);

/* Tags above this are counted as untracked (the lab uses a few dozen). */
#define VAC_TLB_MAX_TAGS	8192

#define VAC_TLB_OWNER_SHIFT	48	/* owner = instance id << 48 | vCPU serial */

struct vac_tlb_tag {
	u64 owner;		/* the vCPU that last ran with it, 0: none */
	u64 epoch;		/* this CPU's flush-all epoch at that run */
	bool flushed;		/* flushed (this tag alone) since */
};

struct vac_tlb_cpu {
	u64 epoch;		/* bumped by each flush of every tag */
	struct vac_tlb_tag *tags;
	/* counters */
	u64 runs, flushes_all, flushes_tag, handovers, violations, untracked;
	u64 asid_wraps;
};

static DEFINE_PER_CPU(struct vac_tlb_cpu, vac_tlb_cpu);
static u32 vac_tlb_nr_tags;
static atomic64_t vac_tlb_serial;
static const char *vac_tlb_tag_name;

u64 vac_tlb_check_owner(struct vac_instance *inst)
{
	return (u64)inst->id << VAC_TLB_OWNER_SHIFT |
	       atomic64_inc_return(&vac_tlb_serial);
}
EXPORT_SYMBOL_GPL(vac_tlb_check_owner);

static void vac_tlb_flush_this_cpu(struct vac_tlb_cpu *c, u32 tag,
				   enum vac_tlb_flush flush)
{
	if (flush == VAC_TLB_FLUSH_ALL) {
		c->epoch++;
		c->flushes_all++;
	} else if (flush == VAC_TLB_FLUSH_TAG) {
		c->flushes_tag++;
		if (tag < vac_tlb_nr_tags)
			c->tags[tag].flushed = true;
	}
}

void __vac_tlb_check_run(u32 tag, u64 owner, enum vac_tlb_flush flush)
{
	struct vac_tlb_cpu *c = this_cpu_ptr(&vac_tlb_cpu);
	struct vac_tlb_tag *t;

	lockdep_assert_irqs_disabled();
	c->runs++;
	vac_tlb_flush_this_cpu(c, tag, flush);
	if (tag >= vac_tlb_nr_tags) {
		c->untracked++;
		return;
	}
	t = &c->tags[tag];
	if (t->owner && t->owner != owner) {
		if (t->epoch == c->epoch && !t->flushed) {
			c->violations++;
			WARN_ONCE(1, "vac: CPU %u: instance %llu vCPU %llu runs with %s %u without a flush since instance %llu vCPU %llu ran with it\n",
				  smp_processor_id(),
				  owner >> VAC_TLB_OWNER_SHIFT,
				  owner & GENMASK_ULL(VAC_TLB_OWNER_SHIFT - 1, 0),
				  vac_tlb_tag_name, tag,
				  t->owner >> VAC_TLB_OWNER_SHIFT,
				  t->owner & GENMASK_ULL(VAC_TLB_OWNER_SHIFT - 1, 0));
		} else {
			c->handovers++;
		}
	}
	t->owner = owner;
	t->epoch = c->epoch;
	t->flushed = false;
}
EXPORT_SYMBOL_GPL(__vac_tlb_check_run);

void __vac_tlb_check_flush(u32 tag, enum vac_tlb_flush flush)
{
	unsigned long flags;

	local_irq_save(flags);
	vac_tlb_flush_this_cpu(this_cpu_ptr(&vac_tlb_cpu), tag, flush);
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(__vac_tlb_check_flush);

/* SVM: the ASID allocator of this CPU started a new generation. */
void vac_tlb_check_asid_wrap(void)
{
	this_cpu_inc(vac_tlb_cpu.asid_wraps);
}

static int vac_tlb_check_show(struct seq_file *m, void *v)
{
	u64 runs = 0, fa = 0, ft = 0, ho = 0, vi = 0, un = 0, wr = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vac_tlb_cpu *c = per_cpu_ptr(&vac_tlb_cpu, cpu);

		runs += READ_ONCE(c->runs);
		fa += READ_ONCE(c->flushes_all);
		ft += READ_ONCE(c->flushes_tag);
		ho += READ_ONCE(c->handovers);
		vi += READ_ONCE(c->violations);
		un += READ_ONCE(c->untracked);
		wr += READ_ONCE(c->asid_wraps);
	}
	seq_printf(m, "on %d\ntag %s\ntags %u\nruns %llu\nflushes_all %llu\nflushes_tag %llu\nhandovers %llu\nviolations %llu\nuntracked %llu\nasid_wraps %llu\n",
		   static_key_enabled(&vac_tlb_check_on), vac_tlb_tag_name,
		   vac_tlb_nr_tags, runs, fa, ft, ho, vi, un, wr);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vac_tlb_check);

void vac_tlb_check_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("tlb_check", 0400, dir, NULL, &vac_tlb_check_fops);
}

static void vac_tlb_check_free(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		vfree(per_cpu(vac_tlb_cpu, cpu).tags);
		per_cpu(vac_tlb_cpu, cpu).tags = NULL;
	}
}

/* At vac's load, from the vendor part: tags 0..nr_tags-1 exist. */
int vac_tlb_check_init(u32 nr_tags, const char *tag_name)
{
	unsigned int cpu;

	vac_tlb_tag_name = tag_name;
	vac_tlb_nr_tags = min_t(u32, nr_tags, VAC_TLB_MAX_TAGS);
	for_each_possible_cpu(cpu) {
		struct vac_tlb_cpu *c = per_cpu_ptr(&vac_tlb_cpu, cpu);

		memset(c, 0, sizeof(*c));
		c->epoch = 1;
		c->tags = vzalloc(array_size(vac_tlb_nr_tags, sizeof(*c->tags)));
		if (!c->tags) {
			vac_tlb_check_free();
			return -ENOMEM;
		}
	}
	if (tlb_check)
		static_branch_enable(&vac_tlb_check_on);
	pr_info("debug build: %s check %s (%u tags per CPU)\n", tag_name,
		tlb_check ? "on" : "off (tlb_check=0)", vac_tlb_nr_tags);
	return 0;
}

void vac_tlb_check_exit(void)
{
	static_branch_disable(&vac_tlb_check_on);
	vac_tlb_check_free();
}
