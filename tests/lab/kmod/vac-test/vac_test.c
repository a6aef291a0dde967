// SPDX-License-Identifier: GPL-2.0-only
/*
 * vac_test - calls vac.ko's interface the way an instance built elsewhere
 * would, for the lab (tests/lab/kmod/interface.sh).
 *
 * call=register|enable|report abi=N size=N
 *	call __vac_register_instance(), __vac_enable_virtualization() or
 *	both reports as an instance built for vac ABI N with a struct
 *	vac_instance of N bytes (defaults: this build's, which is refused
 *	here for register and report: vac would take the fake instance for
 *	real; enable with this build's ABI is an instance that never
 *	registered).  The "instance" is a poisoned buffer that vac must not
 *	touch; init fails with vac's error (register, enable) or loads
 *	(report).
 * uret=MSR[,MSR...]
 *	take vac's user-return MSR slots for these MSRs, as an instance with
 *	another MSR list loaded earlier would (the slots stay when this
 *	module is removed), log each slot or refusal (up to the first
 *	-ENOSPC, after which an instance asks no more), and load.
 * pi_wakeup=N
 *	send the posted-interrupt wakeup vector to every CPU N times (VMX:
 *	vac holds the kernel's one handler slot and runs every instance's
 *	handler), and load.
 * fail_cpu=N
 *	be a real instance (this build's ABI, number 999, no /dev/kvm999)
 *	that registers and has vac enable virtualization at load, whose own
 *	per-CPU enable fails on CPU N (tests/lab/kmod/hotplug.sh: CPU N must
 *	then not come online).  Its per-CPU enables and disables must pair
 *	up (a WARN at unload if not); /sys/module/vac_test/parameters/
 *	{enabled,refused} count them.
 */
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <generated/utsrelease.h>
#include <asm/apic.h>
#include <asm/cpufeature.h>
#include <asm/irq_vectors.h>
#include <vac.h>

static char *call = "";
module_param(call, charp, 0444);
MODULE_PARM_DESC(call, "register, enable or report");
static unsigned int abi = VAC_ABI;
module_param(abi, uint, 0444);
MODULE_PARM_DESC(abi, "the vac ABI to claim");
static unsigned long size = sizeof(struct vac_instance);
module_param(size, ulong, 0444);
MODULE_PARM_DESC(size, "the struct vac_instance size to claim");
static unsigned int uret[24];
static int nr_uret;
module_param_array(uret, uint, &nr_uret, 0444);
MODULE_PARM_DESC(uret, "user-return MSRs to take slots for");
static unsigned int pi_wakeup;
module_param(pi_wakeup, uint, 0444);
MODULE_PARM_DESC(pi_wakeup, "send the posted-interrupt wakeup vector to every CPU this many times");

static void vac_test_pi_wakeup(void *unused)
{
	/* taken when this CPU enables interrupts again */
	__apic_send_IPI_self(POSTED_INTR_WAKEUP_VECTOR);
}

static int fail_cpu = -1;
module_param(fail_cpu, int, 0444);
MODULE_PARM_DESC(fail_cpu, "be an instance whose per-CPU enable fails on this CPU");
static DEFINE_PER_CPU(bool, test_cpu_on);
static atomic_t refused = ATOMIC_INIT(0);
static struct vac_instance test_inst;
static const struct file_operations test_fops = { .owner = THIS_MODULE };
static const struct vac_build test_build = {
	.id = "vac_test", .kvm_version = "none", .kvm_source = "none",
	.multikvm_version = "none", .series = "none", .patches = "",
	.kernel = UTS_RELEASE,
};

static int test_enabled(void)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += per_cpu(test_cpu_on, cpu);
	return n;
}

static int get_enabled(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", test_enabled());
}

static int get_refused(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&refused));
}

static const struct kernel_param_ops enabled_ops = { .get = get_enabled };
static const struct kernel_param_ops refused_ops = { .get = get_refused };
module_param_cb(enabled, &enabled_ops, NULL, 0444);
MODULE_PARM_DESC(enabled, "CPUs the fail_cpu instance is enabled on now");
module_param_cb(refused, &refused_ops, NULL, 0444);
MODULE_PARM_DESC(refused, "per-CPU enables the fail_cpu instance refused");

/* vac calls these on the CPU concerned, interrupts off */
static int test_enable_cpu(void)
{
	if (smp_processor_id() == fail_cpu) {
		atomic_inc(&refused);
		return -EIO;
	}
	WARN_ON_ONCE(__this_cpu_read(test_cpu_on));
	__this_cpu_write(test_cpu_on, true);
	return 0;
}

static void test_disable_cpu(void)
{
	WARN_ON_ONCE(!__this_cpu_read(test_cpu_on));
	__this_cpu_write(test_cpu_on, false);
}

#define POISON	0xa5

static u8 fake[4096];

static bool fake_untouched(void)
{
	return !memchr_inv(fake, POISON, sizeof(fake));
}

static int __init vac_test_init(void)
{
	struct vac_instance *inst = (struct vac_instance *)fake;
	int i, r;

	if (pi_wakeup) {
		for (i = 0; i < pi_wakeup; i++)
			on_each_cpu(vac_test_pi_wakeup, NULL, 1);
		pr_info("vac_test: sent the posted-interrupt wakeup vector to every CPU %u times\n",
			pi_wakeup);
		return 0;
	}

	if (fail_cpu >= 0) {
		test_inst.id = VAC_MAX_ID;
		test_inst.vendor = boot_cpu_has(X86_FEATURE_SVM) ?
				   VAC_VENDOR_AMD : VAC_VENDOR_INTEL;
		test_inst.owner = THIS_MODULE;
		test_inst.devname = "kvm999";
		test_inst.fops = &test_fops;
		test_inst.build = test_build;
		test_inst.enable_cpu = test_enable_cpu;
		test_inst.disable_cpu = test_disable_cpu;
		r = vac_register_instance(&test_inst);
		if (r)
			return r;
		r = vac_enable_virtualization(&test_inst);
		pr_info("vac_test: an instance failing on CPU%d: vac enabled it on %d CPUs (%d)\n",
			fail_cpu, test_enabled(), r);
		if (r)
			vac_unregister_instance(&test_inst);
		return r;
	}

	if (nr_uret) {
		for (i = 0; i < nr_uret; i++) {
			r = vac_add_user_return_msr(uret[i]);
			if (r >= 0)
				pr_info("vac_test: MSR 0x%x: vac's user-return slot %d\n",
					uret[i], r);
			else
				pr_info("vac_test: MSR 0x%x: refused (%d)\n",
					uret[i], r);
			if (r == -ENOSPC)
				break;	/* as an instance: ask no more */
		}
		return 0;
	}

	if (abi == VAC_ABI && size == sizeof(struct vac_instance) &&
	    strcmp(call, "enable")) {
		pr_err("vac_test: claim another abi= or size= than this build's (%u, %zu)\n",
		       VAC_ABI, sizeof(struct vac_instance));
		return -EINVAL;
	}
	memset(fake, POISON, sizeof(fake));
	/* one line per attempt: busybox's modprobe retries a failed load */
	pr_info("vac_test: %s as an instance built for vac ABI %u, struct size %lu\n",
		call, abi, size);
	if (!strcmp(call, "register")) {
		r = __vac_register_instance(inst, abi, size, THIS_MODULE);
	} else if (!strcmp(call, "enable")) {
		r = __vac_enable_virtualization(inst, abi, size, THIS_MODULE);
	} else if (!strcmp(call, "report")) {
		__vac_report_l1tf(inst, 0, abi, size);
		__vac_report_itlb_multihit(inst, false, abi, size);
		r = 0;
	} else {
		pr_err("vac_test: call=register, enable or report, or uret=MSR,...\n");
		return -EINVAL;
	}
	WARN(!fake_untouched(), "vac_test: vac wrote into an instance it should have refused\n");
	WARN(!r && strcmp(call, "report"), "vac_test: vac accepted ABI %u size %lu\n",
	     abi, size);
	return r;
}

static void __exit vac_test_exit(void)
{
	if (fail_cpu < 0)
		return;
	vac_disable_virtualization(&test_inst);
	vac_unregister_instance(&test_inst);
	WARN(test_enabled(), "vac_test: vac left the instance enabled on %d CPUs\n",
	     test_enabled());
}

module_init(vac_test_init);
module_exit(vac_test_exit);
MODULE_DESCRIPTION("multikvm lab: vac's interface called as a mismatched instance would");
MODULE_LICENSE("GPL");
