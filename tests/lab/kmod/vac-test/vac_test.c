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
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
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
}

module_init(vac_test_init);
module_exit(vac_test_exit);
MODULE_DESCRIPTION("multikvm lab: vac's interface called as a mismatched instance would");
MODULE_LICENSE("GPL");
