/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault injection into an instance's init, for the lab's bring-up test
 * (tests/lab/kmod/bringup.sh).  Only in test builds: kmod/build.sh
 * --fault-inject defines MKVM_FAULT_INJECT in the instance's mkvm-build.h.
 * A production build has neither the parameter nor the code.
 *
 *   fail_init_at=STEP	the step STEP of kvm_init() fails with -ENOMEM
 *			instead of running, with one kernel log line
 *
 * Included by virt/kvm/kvm_main.c only, which marks each step with
 * mkvm_fault("STEP") right before it (the series' fault-injection patch).
 */
#ifndef MKVM_FAULT_H
#define MKVM_FAULT_H

#ifdef MKVM_FAULT_INJECT

#include <linux/errno.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

/* the marked steps of kvm_init(), in the order they run */
#define MKVM_FAULT_STEPS \
	"vac vcpu_cache kick_mask irqfd async_pf vfio virt misc"

static const char mkvm_fault_steps[] = MKVM_FAULT_STEPS;
static char *mkvm_fail_init_at;
module_param_named(fail_init_at, mkvm_fail_init_at, charp, 0444);
MODULE_PARM_DESC(fail_init_at,
		 "test builds only: this step of init fails, one of: "
		 MKVM_FAULT_STEPS);

/* -ENOMEM (and the line saying so) if @step is to fail, else 0. */
static inline int mkvm_fault(const char *step)
{
	if (!mkvm_fail_init_at || strcmp(mkvm_fail_init_at, step))
		return 0;
	pr_err("%s: fail_init_at=%s: failing this step of init (fault injection, test build)\n",
	       KBUILD_MODNAME, step);
	return -ENOMEM;
}

/* First thing in init: a step that is not marked would inject nothing. */
static inline int mkvm_fault_check(void)
{
	const char *p = mkvm_fault_steps;
	size_t n;

	if (!mkvm_fail_init_at || !*mkvm_fail_init_at)
		return 0;
	n = strlen(mkvm_fail_init_at);
	while ((p = strstr(p, mkvm_fail_init_at))) {
		if ((p == mkvm_fault_steps || p[-1] == ' ') &&
		    (p[n] == ' ' || !p[n]))
			return 0;
		p += n;
	}
	pr_err("%s: fail_init_at=%s: no such step; the steps are: %s\n",
	       KBUILD_MODNAME, mkvm_fail_init_at, mkvm_fault_steps);
	return -EINVAL;
}

#else

static inline int mkvm_fault(const char *step)
{
	return 0;
}

static inline int mkvm_fault_check(void)
{
	return 0;
}

#endif /* MKVM_FAULT_INJECT */
#endif /* MKVM_FAULT_H */
