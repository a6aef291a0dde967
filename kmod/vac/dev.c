// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/kvm (misc 10:232): unmodified VMMs and libvirt keep a working
 * /dev/kvm.  Each open is handed to the default instance, whose own file
 * operations then serve the file, as if it had been opened as /dev/kvmN.
 */
#include "common.h"

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

static int vac_dev_open(struct inode *inode, struct file *file)
{
	const struct file_operations *fops = NULL;
	struct vac_instance *inst;
	unsigned int id;

	mutex_lock(&vac_lock);
	id = vac_default_id;
	inst = id ? vac_find_instance(id) : NULL;
	if (inst)
		fops = fops_get(inst->fops);
	mutex_unlock(&vac_lock);

	if (!fops) {
		pr_info_ratelimited("/dev/kvm: no default instance to route to; load a kvm_%s_N module or set /sys/kernel/vac/default_instance\n",
				    vac_vendor->name);
		return -ENODEV;
	}
	replace_fops(file, fops);
	if (file->f_op->open)
		return file->f_op->open(inode, file);
	return 0;
}

static const struct file_operations vac_dev_fops = {
	.owner = THIS_MODULE,
	.open = vac_dev_open,
	.llseek = noop_llseek,
};

static struct miscdevice vac_dev = {
	.minor = KVM_MINOR,
	.name = "kvm",
	.fops = &vac_dev_fops,
};

int vac_dev_init(void)
{
	int r = misc_register(&vac_dev);

	if (r)
		pr_err("cannot register /dev/kvm (misc minor %d): %d\n",
		       KVM_MINOR, r);
	return r;
}

void vac_dev_exit(void)
{
	misc_deregister(&vac_dev);
}
