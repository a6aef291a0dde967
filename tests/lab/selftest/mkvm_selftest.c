// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkvm_selftest - a module that misbehaves on purpose, so the lab harness
 * can prove that it reports kernel warnings and crashes as failures.
 *
 * mode=warn   WARN at init, then load normally
 * mode=oops   dereference a bad pointer at init (oops, panic with oops=panic)
 * mode=clean  do nothing
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static char *mode = "clean";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "clean, warn or oops");

static int __init mkvm_selftest_init(void)
{
	if (!strcmp(mode, "warn")) {
		WARN(1, "mkvm_selftest: deliberate warning\n");
	} else if (!strcmp(mode, "oops")) {
		int *volatile p = NULL;

		pr_info("mkvm_selftest: deliberate oops\n");
		*p = 1;
	} else if (strcmp(mode, "clean")) {
		pr_err("mkvm_selftest: unknown mode '%s'\n", mode);
		return -EINVAL;
	}
	return 0;
}

static void __exit mkvm_selftest_exit(void)
{
}

module_init(mkvm_selftest_init);
module_exit(mkvm_selftest_exit);
MODULE_DESCRIPTION("multikvm lab self-test: deliberate warnings and crashes");
MODULE_LICENSE("GPL");
