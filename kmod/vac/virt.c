// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtualization enable, refcounted per CPU across instances.
 *
 * An instance that wants virtualization (at load, or at its first VM) calls
 * vac_enable_virtualization().  On every online CPU vac turns the hardware
 * on for the first instance there (vendor enable_cpu: EFER.SVME + HSAVE, or
 * CR4.VMXE + VMXON) and then runs the instance's own per-CPU enable.  One
 * CPU hotplug state, stock KVM's CPUHP_AP_KVM_ONLINE, does the same for CPUs
 * coming online and the reverse for CPUs going offline.  Suspend, resume,
 * shutdown/reboot and the crash-time emergency disable have one owner here.
 */
#include "common.h"
#include "compat.h"

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <asm/reboot.h>

__visible bool vac_rebooting;
EXPORT_SYMBOL_GPL(vac_rebooting);

/* instances with virtualization enabled; changed only under cpus_read_lock */
static LIST_HEAD(vac_virt_users);
static DEFINE_MUTEX(vac_virt_lock);
static DEFINE_PER_CPU(unsigned int, vac_cpu_users);

/* This CPU, interrupts off: hardware on for the first user, then inst. */
static int vac_enable_inst_cpu(struct vac_instance *inst)
{
	int cpu = smp_processor_id();
	int r;

	if (cpumask_test_cpu(cpu, &inst->cpus))
		return 0;
	if (this_cpu_inc_return(vac_cpu_users) == 1) {
		r = vac_vendor->enable_cpu();
		if (r) {
			this_cpu_dec(vac_cpu_users);
			pr_err("enabling virtualization on CPU%d failed (%d)\n",
			       cpu, r);
			return r;
		}
		vac_uret_cpu_online();
	}
	r = inst->enable_cpu ? inst->enable_cpu() : 0;
	if (r) {
		if (!this_cpu_dec_return(vac_cpu_users)) {
			vac_uret_cpu_offline();
			vac_vendor->disable_cpu();
		}
		pr_err("instance %u: enabling virtualization on CPU%d failed (%d)\n",
		       inst->id, cpu, r);
		return r;
	}
	cpumask_set_cpu(cpu, &inst->cpus);
	return 0;
}

static void vac_disable_inst_cpu(struct vac_instance *inst)
{
	int cpu = smp_processor_id();

	if (!cpumask_test_cpu(cpu, &inst->cpus))
		return;
	if (inst->disable_cpu)
		inst->disable_cpu();
	cpumask_clear_cpu(cpu, &inst->cpus);
	if (!this_cpu_dec_return(vac_cpu_users)) {
		vac_uret_cpu_offline();
		vac_vendor->disable_cpu();
	}
}

struct vac_enable_call {
	struct vac_instance *inst;
	atomic_t failed;
};

static void vac_enable_ipi(void *data)
{
	struct vac_enable_call *call = data;

	if (vac_enable_inst_cpu(call->inst))
		atomic_inc(&call->failed);
}

static void vac_disable_ipi(void *data)
{
	vac_disable_inst_cpu(data);
}

/* The ABI first: an instance of another build may call this. */
int __vac_enable_virtualization(struct vac_instance *inst, unsigned int abi,
				size_t size, struct module *owner)
{
	struct vac_enable_call call = { .inst = inst };
	int r;

	r = vac_check_abi(abi, size, owner);
	if (r)
		return r;
	/* The emergency path walks the registered instances only. */
	if (!vac_instance_registered(inst)) {
		pr_err("%s: enables virtualization before it registered with vac; refused\n",
		       module_name(owner));
		return -EINVAL;
	}
	mutex_lock(&vac_virt_lock);
	if (inst->virt_enabled)
		goto out;
	/*
	 * Don't start virtualization while the system goes down, e.g. a VM
	 * created while userspace runs `reboot -f` or `kexec -e`: shutdown
	 * may already have run, and nobody would turn it off again.  This
	 * check is enough because vac_shutdown() takes vac_virt_lock too:
	 * either this enable finishes before vac_shutdown() starts (which
	 * then turns it off), or it starts after vac_shutdown() finished and
	 * sees system_state, which the kernel sets _before_
	 * syscore_shutdown() on every path that calls it (restart, halt,
	 * power off, kexec).  Stock KVM, without such a lock, checks again
	 * after enabling instead; for the same reason it uses the syscore
	 * hook, not a reboot notifier (which runs before system_state is
	 * updated).
	 */
	if (system_state == SYSTEM_HALT || system_state == SYSTEM_POWER_OFF ||
	    system_state == SYSTEM_RESTART) {
		r = -EBUSY;
		goto out;
	}
	cpus_read_lock();
	list_add_tail(&inst->virt_node, &vac_virt_users);
	on_each_cpu(vac_enable_ipi, &call, 1);
	if (atomic_read(&call.failed)) {
		on_each_cpu(vac_disable_ipi, inst, 1);
		list_del(&inst->virt_node);
		r = -EIO;
	} else {
		inst->virt_enabled = true;
	}
	cpus_read_unlock();
out:
	mutex_unlock(&vac_virt_lock);
	return r;
}
EXPORT_SYMBOL_GPL(__vac_enable_virtualization);

void vac_disable_virtualization(struct vac_instance *inst)
{
	mutex_lock(&vac_virt_lock);
	if (inst->virt_enabled) {
		cpus_read_lock();
		on_each_cpu(vac_disable_ipi, inst, 1);
		list_del(&inst->virt_node);
		inst->virt_enabled = false;
		cpus_read_unlock();
	}
	mutex_unlock(&vac_virt_lock);
}
EXPORT_SYMBOL_GPL(vac_disable_virtualization);

/*
 * Hotplug, at stock KVM's CPUHP_AP_KVM_ONLINE, on the CPU concerned from its
 * hotplug thread: the list is stable, the writer side of the hotplug lock is
 * held.  The position matters.  Going down, the states are torn down in
 * reverse: CPUHP_AP_ACTIVE only stops new tasks from coming and pushes each
 * task away when it is next picked there, after the switch (the instances'
 * preempt notifier, vcpu_load(): VMX's VMPTRLD) has already run on this CPU;
 * CPUHP_AP_SCHED_WAIT_EMPTY waits until every such task has left.  Below
 * it no vCPU can run here any more, so virtualization can go off; above it
 * (any dynamic CPUHP_AP_ONLINE_DYN state) a vCPU switched back in after the
 * teardown would do VMPTRLD or VMRUN with VMX/SVM off (#UD, a
 * kvm_spurious_fault BUG).  Coming up, virtualization is on before the CPU
 * turns active and takes tasks.  The slot is free: vac refuses stock KVM.
 *
 * A CPU where one instance cannot enable must not come up (its vCPUs would
 * fail there, as in stock KVM): the instances already enabled on it are
 * turned off again in reverse order, the CPU stays offline and the error
 * goes to whoever onlined it.
 */
static int vac_online_cpu(unsigned int cpu)
{
	struct vac_instance *inst;
	int r = 0;

	local_irq_disable();
	list_for_each_entry(inst, &vac_virt_users, virt_node) {
		r = vac_enable_inst_cpu(inst);
		if (r)
			break;
	}
	if (r) {
		/* A CPU where running VMs could not run must not come up. */
		list_for_each_entry_continue_reverse(inst, &vac_virt_users,
						     virt_node)
			vac_disable_inst_cpu(inst);
	}
	local_irq_enable();
	return r;
}

static int vac_offline_cpu(unsigned int cpu)
{
	struct vac_instance *inst;

	local_irq_disable();
	list_for_each_entry_reverse(inst, &vac_virt_users, virt_node)
		vac_disable_inst_cpu(inst);
	local_irq_enable();
	return 0;
}

static void vac_shutdown_cpu(void *ign)
{
	struct vac_instance *inst;

	list_for_each_entry_reverse(inst, &vac_virt_users, virt_node)
		vac_disable_inst_cpu(inst);
}

/*
 * Syscore: suspend/resume run on the last CPU with interrupts off (the
 * others went through hotplug); shutdown disables virtualization
 * everywhere, e.g. so that INIT is not blocked for the firmware.
 */
static int vac_suspend(void)
{
	vac_shutdown_cpu(NULL);
	return 0;
}

static void vac_resume(void)
{
	struct vac_instance *inst;

	list_for_each_entry(inst, &vac_virt_users, virt_node)
		if (vac_enable_inst_cpu(inst))
			pr_err("instance %u: virtualization lost on resume\n",
			       inst->id);
}

/*
 * Turn virtualization off everywhere before the firmware or the next kernel
 * (kexec) gets the CPUs: VMX blocks INIT after VMXON, and a kexec'd kernel
 * finds EFER.SVME still set on the CPU that ran kexec (stock kvm_amd then
 * refuses to load) or faults clearing CR4.VMXE in VMX operation.
 * vac_rebooting is set first: vCPUs still running meet VMRUN/VMLAUNCH
 * faults where virtualization is already off, and those are now expected.
 *
 * Under vac_virt_lock, so that an enable or disable in flight finishes
 * before the IPIs walk vac_virt_users and the per-CPU counts, and an enable
 * that comes later sees system_state (see __vac_enable_virtualization()).
 * Syscore shutdown runs in task context (syscore_shutdown() itself takes a
 * mutex), so waiting here is allowed; the IPI callbacks cannot take the
 * mutex and need not, they run inside this section.  CPU hotplug is off
 * already (migrate_to_reboot_cpu()).  The crash and emergency-reboot path
 * takes no lock: vac_emergency_disable_cpu() below.
 */
static void vac_shutdown(void)
{
	pr_info("exiting hardware virtualization\n");
	vac_rebooting = true;
	mutex_lock(&vac_virt_lock);
	on_each_cpu(vac_shutdown_cpu, NULL, 1);
	mutex_unlock(&vac_virt_lock);
}

VAC_SYSCORE(vac_syscore, vac_suspend, vac_resume, vac_shutdown);

/* Crash, kexec, NMI shootdown: the single emergency slot of the kernel. */
static void vac_emergency_disable_cpu(void)
{
	vac_rebooting = true;
	vac_vendor->emergency_disable_cpu();
}

/* debugfs: how many instances have virtualization on on @cpu */
unsigned int vac_virt_users_on(int cpu)
{
	return per_cpu(vac_cpu_users, cpu);
}

int vac_virt_init(void)
{
	int r;

	r = cpuhp_setup_state(CPUHP_AP_KVM_ONLINE, "vac:online",
			      vac_online_cpu, vac_offline_cpu);
	if (r) {
		pr_err("cannot take the CPU hotplug state CPUHP_AP_KVM_ONLINE (%d); is another KVM loaded?\n",
		       r);
		return r;
	}
	vac_register_syscore(&vac_syscore);
	cpu_emergency_register_virt_callback(vac_emergency_disable_cpu);
	return 0;
}

void vac_virt_exit(void)
{
	cpu_emergency_unregister_virt_callback(vac_emergency_disable_cpu);
	vac_unregister_syscore(&vac_syscore);
	cpuhp_remove_state(CPUHP_AP_KVM_ONLINE);
}
