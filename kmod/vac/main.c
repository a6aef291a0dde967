// SPDX-License-Identifier: GPL-2.0-only
#include <linux/module.h>
static int __init vac_init(void) { return 0; }
static void __exit vac_exit(void) { }
module_init(vac_init);
module_exit(vac_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("multikvm: virtualization owner for KVM instances");
