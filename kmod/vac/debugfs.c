// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/debug/vac: debug views for tests (not a stable ABI).
 */
#include "common.h"

#include <linux/debugfs.h>

static struct dentry *vac_debugfs_dir;

void vac_debugfs_init(void)
{
	vac_debugfs_dir = debugfs_create_dir("vac", NULL);
	if (vac_vendor->debugfs_init)
		vac_vendor->debugfs_init(vac_debugfs_dir);
}

void vac_debugfs_exit(void)
{
	debugfs_remove_recursive(vac_debugfs_dir);
}
