// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/debug/vac: debug views for tests (not a stable ABI).
 *
 *   instances	one line per instance vac knows, shown to userspace
 *		(published) or not: "id=<n> module=<m> published=<0|1>
 *		virt=<0|1> cpus=<list>"
 *   virt	one line per online CPU: "cpu=<n> users=<instances with
 *		virtualization on there>"
 */
#include "common.h"

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static struct dentry *vac_debugfs_dir;

static int vac_instances_show(struct seq_file *m, void *unused)
{
	struct vac_instance *inst;

	mutex_lock(&vac_lock);
	list_for_each_entry(inst, &vac_instances, node)
		seq_printf(m, "id=%u module=%s published=%d virt=%d cpus=%*pbl\n",
			   inst->id, module_name(inst->owner), inst->published,
			   READ_ONCE(inst->virt_enabled),
			   cpumask_pr_args(&inst->cpus));
	mutex_unlock(&vac_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vac_instances);

static int vac_virt_show(struct seq_file *m, void *unused)
{
	int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		seq_printf(m, "cpu=%d users=%u\n", cpu, vac_virt_users_on(cpu));
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vac_virt);

void vac_debugfs_init(void)
{
	vac_debugfs_dir = debugfs_create_dir("vac", NULL);
	debugfs_create_file("instances", 0444, vac_debugfs_dir, NULL,
			    &vac_instances_fops);
	debugfs_create_file("virt", 0444, vac_debugfs_dir, NULL,
			    &vac_virt_fops);
	if (vac_vendor->debugfs_init)
		vac_vendor->debugfs_init(vac_debugfs_dir);
}

void vac_debugfs_exit(void)
{
	debugfs_remove_recursive(vac_debugfs_dir);
}
