// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-return MSRs: MSRs a guest value may stay loaded in until the CPU
 * returns to userspace.  One list and one per-CPU cache of the value in
 * the hardware for all instances: with a cache per instance, one instance
 * could skip a WRMSR because it believes the host value is loaded while
 * the other instance's guest value is, or leave a guest value to the host.
 */
#include "common.h"

#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#define VAC_MAX_URET_MSRS 16

struct vac_uret_msrs {
	struct user_return_notifier urn;
	bool registered;
	struct {
		u64 host;
		u64 curr;
	} values[VAC_MAX_URET_MSRS];
};

/*
 * Adding a slot: cpus_read_lock, then vac_uret_lock.  The hotplug
 * callbacks (vac_uret_cpu_online/offline, hotplug lock held for write)
 * take neither; they only read vac_nr_uret, so a slot is either published
 * before a CPU comes online (which then reads its host value itself) or
 * after (and its host value was read on every online CPU).
 */
static DEFINE_MUTEX(vac_uret_lock);
static u32 vac_uret_list[VAC_MAX_URET_MSRS];
static unsigned int vac_nr_uret;
static struct vac_uret_msrs __percpu *vac_uret_msrs;

static void vac_on_user_return(struct user_return_notifier *urn)
{
	struct vac_uret_msrs *msrs = container_of(urn, struct vac_uret_msrs, urn);
	unsigned long flags;
	unsigned int slot;

	/* Interrupts off: the offline path may run this concurrently. */
	local_irq_save(flags);
	if (msrs->registered) {
		msrs->registered = false;
		user_return_notifier_unregister(urn);
	}
	local_irq_restore(flags);
	for (slot = 0; slot < READ_ONCE(vac_nr_uret); slot++) {
		if (msrs->values[slot].host != msrs->values[slot].curr) {
			wrmsrl(vac_uret_list[slot], msrs->values[slot].host);
			msrs->values[slot].curr = msrs->values[slot].host;
		}
	}
}

static bool vac_is_supported_user_return_msr(u32 msr)
{
	u64 val;
	int r;

	preempt_disable();
	r = rdmsrl_safe(msr, &val);
	if (!r)
		r = wrmsrl_safe(msr, val);
	preempt_enable();
	return !r;
}

int vac_find_user_return_msr(u32 msr)
{
	unsigned int i;

	for (i = 0; i < READ_ONCE(vac_nr_uret); i++)
		if (vac_uret_list[i] == msr)
			return i;
	return -1;
}
EXPORT_SYMBOL_GPL(vac_find_user_return_msr);

/*
 * vac's slot of @msr, the same for every instance; -EOPNOTSUPP if the CPU
 * lacks it, -ENOSPC if the table is full.
 */
int __vac_add_user_return_msr(u32 msr, struct module *owner)
{
	unsigned int cpu;
	int slot;

	cpus_read_lock();
	mutex_lock(&vac_uret_lock);
	slot = vac_find_user_return_msr(msr);
	if (slot >= 0)
		goto out;
	if (!vac_is_supported_user_return_msr(msr)) {
		slot = -EOPNOTSUPP;
		goto out;
	}
	if (vac_nr_uret >= VAC_MAX_URET_MSRS) {
		/* The instance asks no more and fails to load. */
		pr_err("%s: no user-return MSR slot left for MSR 0x%x (all %d taken since vac loaded); unload every instance and vac to free them\n",
		       owner ? module_name(owner) : "?", msr,
		       VAC_MAX_URET_MSRS);
		slot = -ENOSPC;
		goto out;
	}
	slot = vac_nr_uret;
	/*
	 * Virtualization may already be on: record the host value on every
	 * online CPU.  No CPU comes online meanwhile (cpus_read_lock); one
	 * that does later reads it in vac_uret_cpu_online().
	 */
	for_each_possible_cpu(cpu) {
		struct vac_uret_msrs *msrs = per_cpu_ptr(vac_uret_msrs, cpu);
		u64 val = 0;

		if (cpu_online(cpu))
			rdmsrl_safe_on_cpu(cpu, msr, &val);
		msrs->values[slot].host = val;
		msrs->values[slot].curr = val;
	}
	vac_uret_list[slot] = msr;
	smp_wmb();
	WRITE_ONCE(vac_nr_uret, slot + 1);
out:
	mutex_unlock(&vac_uret_lock);
	cpus_read_unlock();
	return slot;
}
EXPORT_SYMBOL_GPL(__vac_add_user_return_msr);

int vac_set_user_return_msr(unsigned int slot, u64 value, u64 mask)
{
	struct vac_uret_msrs *msrs = this_cpu_ptr(vac_uret_msrs);
	int err;

	value = (value & mask) | (msrs->values[slot].host & ~mask);
	if (value == msrs->values[slot].curr)
		return 0;
	err = wrmsrl_safe(vac_uret_list[slot], value);
	if (err)
		return 1;
	msrs->values[slot].curr = value;
	if (!msrs->registered) {
		msrs->urn.on_user_return = vac_on_user_return;
		user_return_notifier_register(&msrs->urn);
		msrs->registered = true;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vac_set_user_return_msr);

/* Hardware virtualization comes on on this CPU: learn the host values. */
void vac_uret_cpu_online(void)
{
	struct vac_uret_msrs *msrs = this_cpu_ptr(vac_uret_msrs);
	unsigned int i, nr = READ_ONCE(vac_nr_uret);
	u64 val;

	smp_rmb();	/* the list up to nr, see __vac_add_user_return_msr() */
	for (i = 0; i < nr; i++) {
		rdmsrl_safe(vac_uret_list[i], &val);
		msrs->values[i].host = val;
		msrs->values[i].curr = val;
	}
}

/* ...and goes off: put the host values back now. */
void vac_uret_cpu_offline(void)
{
	struct vac_uret_msrs *msrs = this_cpu_ptr(vac_uret_msrs);

	if (msrs->registered)
		vac_on_user_return(&msrs->urn);
}

int vac_uret_init(void)
{
	vac_uret_msrs = alloc_percpu(struct vac_uret_msrs);
	return vac_uret_msrs ? 0 : -ENOMEM;
}

void vac_uret_exit(void)
{
	free_percpu(vac_uret_msrs);
}
