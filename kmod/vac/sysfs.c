// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/vac: the contract with userspace (docs/sysfs.md, ABI 1).
 */
#include "common.h"

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/kdev_t.h>

static struct kobject *vac_kobj;
static struct kset *vac_instances_kset;

/* -- /sys/kernel/vac ---------------------------------------------------- */

static ssize_t abi_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", VAC_SYSFS_ABI);
}
static struct kobj_attribute abi_attr = __ATTR_RO(abi);

static ssize_t vendor_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", vac_vendor->name);
}
static struct kobj_attribute vendor_attr = __ATTR_RO(vendor);

static ssize_t default_instance_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	unsigned int id = READ_ONCE(vac_default_id);

	return id ? sysfs_emit(buf, "%u\n", id) : sysfs_emit(buf, "none\n");
}

static ssize_t default_instance_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	unsigned int id;
	int r;

	if (sysfs_streq(buf, "none"))
		id = 0;
	else if (kstrtouint(buf, 10, &id) || !id || id > VAC_MAX_ID)
		return -EINVAL;
	mutex_lock(&vac_lock);
	r = vac_set_default(id);
	mutex_unlock(&vac_lock);
	return r ? r : count;
}
static struct kobj_attribute default_instance_attr = __ATTR_RW(default_instance);

static struct attribute *vac_attrs[] = {
	&abi_attr.attr,
	&vendor_attr.attr,
	&default_instance_attr.attr,
	NULL,
};

static const struct attribute_group vac_group = {
	.attrs = vac_attrs,
};

/* -- /sys/kernel/vac/instances/<id> ------------------------------------- */

struct vac_inst_kobj {
	struct kobject kobj;
	struct vac_instance *inst;	/* valid while the directory exists */
};

#define to_inst(k) (container_of(k, struct vac_inst_kobj, kobj)->inst)

#define VAC_INST_ATTR(_name, fmt, ...)					\
static ssize_t inst_##_name##_show(struct kobject *kobj,		\
				   struct kobj_attribute *attr,		\
				   char *buf)				\
{									\
	struct vac_instance *inst = to_inst(kobj);			\
									\
	return sysfs_emit(buf, fmt "\n", __VA_ARGS__);			\
}									\
static struct kobj_attribute inst_##_name##_attr =			\
	__ATTR(_name, 0444, inst_##_name##_show, NULL)

VAC_INST_ATTR(id, "%u", inst->id);
VAC_INST_ATTR(vendor, "%s", inst->vendor == VAC_VENDOR_AMD ? "amd" : "intel");
VAC_INST_ATTR(module, "%s", module_name(inst->owner));
VAC_INST_ATTR(devname, "%s", inst->devname);
VAC_INST_ATTR(dev, "%u:%u", MAJOR(inst->dev), MINOR(inst->dev));
VAC_INST_ATTR(build_id, "%s", inst->build.id);
VAC_INST_ATTR(build_time, "%llu", inst->build.time);
VAC_INST_ATTR(kvm_version, "%s", inst->build.kvm_version);
VAC_INST_ATTR(kvm_source, "%s", inst->build.kvm_source);
VAC_INST_ATTR(multikvm_version, "%s", inst->build.multikvm_version);
VAC_INST_ATTR(series, "%s", inst->build.series);
VAC_INST_ATTR(patches, "%s", inst->build.patches);
VAC_INST_ATTR(kernel, "%s", inst->build.kernel);
VAC_INST_ATTR(load_time, "%llu", inst->load_time);
VAC_INST_ATTR(vms, "%d", atomic_read(&inst->vms));
VAC_INST_ATTR(vcpus, "%d", atomic_read(&inst->vcpus));

static struct attribute *vac_inst_attrs[] = {
	&inst_id_attr.attr,
	&inst_vendor_attr.attr,
	&inst_module_attr.attr,
	&inst_devname_attr.attr,
	&inst_dev_attr.attr,
	&inst_build_id_attr.attr,
	&inst_build_time_attr.attr,
	&inst_kvm_version_attr.attr,
	&inst_kvm_source_attr.attr,
	&inst_multikvm_version_attr.attr,
	&inst_series_attr.attr,
	&inst_patches_attr.attr,
	&inst_kernel_attr.attr,
	&inst_load_time_attr.attr,
	&inst_vms_attr.attr,
	&inst_vcpus_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vac_inst);

static void vac_inst_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct vac_inst_kobj, kobj));
}

static const struct kobj_type vac_inst_ktype = {
	.release = vac_inst_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vac_inst_groups,
};

int vac_sysfs_add_instance(struct vac_instance *inst)
{
	struct vac_inst_kobj *ik;
	int r;

	ik = kzalloc(sizeof(*ik), GFP_KERNEL);
	if (!ik)
		return -ENOMEM;
	ik->inst = inst;
	ik->kobj.kset = vac_instances_kset;
	r = kobject_init_and_add(&ik->kobj, &vac_inst_ktype, NULL, "%u",
				 inst->id);
	if (r) {
		kobject_put(&ik->kobj);
		return r;
	}
	kobject_uevent(&ik->kobj, KOBJ_ADD);
	inst->kobj = &ik->kobj;
	return 0;
}

void vac_sysfs_remove_instance(struct vac_instance *inst)
{
	/* kobject_del() waits for readers: no show() runs after it. */
	kobject_del(inst->kobj);
	kobject_put(inst->kobj);
	inst->kobj = NULL;
}

/* -- /sys/module/kvm, /sys/module/kvm_<vendor> -------------------------- */

/*
 * Tools that look for KVM by module name (libvirt reads
 * /sys/module/kvm_amd/parameters/nested and .../sev, others
 * /sys/module/kvm/parameters/...) find the default instance: while there
 * is one, both names are symlinks in /sys/module to its module's
 * directory.  An instance is KVM common and vendor folded into one
 * module, so its directory has both modules' parameters.  Stock modules
 * of these names cannot appear meanwhile: vac refuses them while the
 * loader calls MODULE_STATE_COMING, before it makes their directory.
 * vac_lock serialises the changes.
 */
static char vac_alias_vendor[16];		/* "kvm_amd" or "kvm_intel" */
static const char * const vac_alias_names[] = { "kvm", vac_alias_vendor };
static bool vac_alias_made[ARRAY_SIZE(vac_alias_names)];

/* /sys/module: the kset of every module's kobject, vac's included */
static struct kobject *vac_modules_kobj(void)
{
	return &THIS_MODULE->mkobj.kobj.kset->kobj;
}

static void vac_alias_remove(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vac_alias_names); i++) {
		if (!vac_alias_made[i])
			continue;
		sysfs_remove_link(vac_modules_kobj(), vac_alias_names[i]);
		vac_alias_made[i] = false;
	}
}

/*
 * Point the links at @inst's module (it is live: its directory exists), or
 * remove them for NULL.  A link is removed before its successor is made
 * (kernfs cannot replace one in place): in between, a reader finds no
 * such file, never a link to a module that is gone.
 */
void vac_sysfs_set_alias(struct vac_instance *inst)
{
	int i, r;

	lockdep_assert_held(&vac_lock);
	vac_alias_remove();
	if (!inst)
		return;
	for (i = 0; i < ARRAY_SIZE(vac_alias_names); i++) {
		r = sysfs_create_link_nowarn(vac_modules_kobj(),
					     &inst->owner->mkobj.kobj,
					     vac_alias_names[i]);
		if (!r)
			vac_alias_made[i] = true;
		else if (r == -EEXIST)
			pr_warn("/sys/module/%s exists and is not vac's (KVM built into this kernel?): tools that look for %s find it, not instance %u\n",
				vac_alias_names[i], vac_alias_names[i],
				inst->id);
		else
			pr_warn("cannot link /sys/module/%s to instance %u (%d): tools that look for %s will not find it\n",
				vac_alias_names[i], inst->id, r,
				vac_alias_names[i]);
	}
}

int vac_sysfs_init(void)
{
	int r;

	snprintf(vac_alias_vendor, sizeof(vac_alias_vendor), "kvm_%s",
		 vac_vendor->name);
	vac_kobj = kobject_create_and_add("vac", kernel_kobj);
	if (!vac_kobj)
		return -ENOMEM;
	r = sysfs_create_group(vac_kobj, &vac_group);
	if (r)
		goto err;
	vac_instances_kset = kset_create_and_add("instances", NULL, vac_kobj);
	if (!vac_instances_kset) {
		r = -ENOMEM;
		goto err;
	}
	return 0;
err:
	kobject_put(vac_kobj);
	return r;
}

void vac_sysfs_exit(void)
{
	mutex_lock(&vac_lock);
	vac_alias_remove();
	mutex_unlock(&vac_lock);
	kset_unregister(vac_instances_kset);
	kobject_put(vac_kobj);
}
