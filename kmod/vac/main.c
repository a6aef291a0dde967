// SPDX-License-Identifier: GPL-2.0-only
/*
 * vac.ko — the virtualization owner for side-by-side KVM instances.
 *
 * Core: the instance registry, the guards against stock KVM, and module
 * init/exit in dependency order.  See docs/design.md.
 */
#include "common.h"

#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/timekeeping.h>
#include <linux/string.h>
#include <asm/cpufeature.h>

const struct vac_vendor_ops *vac_vendor;

DEFINE_MUTEX(vac_lock);
LIST_HEAD(vac_instances);
unsigned int vac_default_id;

static unsigned int default_instance;
module_param(default_instance, uint, 0444);
MODULE_PARM_DESC(default_instance,
		 "instance /dev/kvm routes to (default: the first one loaded)");

/* A registered instance, shown to userspace or not yet (inst->published). */
struct vac_instance *vac_find_instance(unsigned int id)
{
	struct vac_instance *inst;

	lockdep_assert_held(&vac_lock);
	list_for_each_entry(inst, &vac_instances, node)
		if (inst->id == id)
			return inst;
	return NULL;
}

/*
 * /dev/kvm routes only to an instance that is up (published), and
 * /sys/module/kvm and /sys/module/kvm_<vendor> name the same one.
 */
int vac_set_default(unsigned int id)
{
	struct vac_instance *inst = NULL;

	lockdep_assert_held(&vac_lock);
	if (id) {
		inst = vac_find_instance(id);
		if (!inst || !inst->published)
			return -ENOENT;
	}
	if (id == vac_default_id)
		return 0;
	if (id)
		pr_info("/dev/kvm now routes to instance %u\n", id);
	else
		pr_info("/dev/kvm routes nowhere: no instance is loaded\n");
	vac_default_id = id;
	vac_sysfs_set_alias(inst);
	return 0;
}

/*
 * An instance built against another vac.h: its struct vac_instance may not
 * be ours, so nothing but this check may look at it.  @owner is NULL for
 * the calls that are ignored quietly (the reports): the instance's next
 * register or enable call fails, with this line.
 */
int vac_check_abi(unsigned int abi, size_t size, struct module *owner)
{
	if (abi == VAC_ABI && size == sizeof(struct vac_instance))
		return 0;
	if (owner)
		pr_err("%s: built for vac ABI %u (struct size %zu), this vac speaks ABI %u (size %zu); rebuild the instance with this multikvm version\n",
		       module_name(owner), abi, size, VAC_ABI,
		       sizeof(struct vac_instance));
	return -ENOEXEC;
}

/*
 * An instance registers first thing in its init, before it turns
 * virtualization on: from here on vac's crash-time path knows it.  vac
 * shows it to userspace (sysfs, /dev/kvm) only once its module is live
 * (vac_publish()), so that nothing reaches an instance whose init may
 * still fail; a failed init unregisters it again, quietly.
 */
int __vac_register_instance(struct vac_instance *inst, unsigned int abi,
			    size_t size, struct module *owner)
{
	struct vac_instance *other;
	int r;

	r = vac_check_abi(abi, size, owner);
	if (r)
		return r;
	if (!inst->id || inst->id > VAC_MAX_ID || !inst->fops || !inst->owner)
		return -EINVAL;
	if (inst->vendor != vac_vendor->vendor) {
		pr_err("%s: this host does %s virtualization; load a kvm_%s_N instance\n",
		       module_name(inst->owner), vac_vendor->name,
		       vac_vendor->name);
		return -ENODEV;
	}

	mutex_lock(&vac_lock);
	other = vac_find_instance(inst->id);
	if (other) {
		pr_err("%s: instance %u is already taken by %s; build this one with another number\n",
		       module_name(inst->owner), inst->id,
		       module_name(other->owner));
		r = -EEXIST;
		goto out;
	}
	inst->published = false;
	list_add_tail_rcu(&inst->node, &vac_instances);
	vac_mitigations_update();
out:
	mutex_unlock(&vac_lock);
	return r;
}
EXPORT_SYMBOL_GPL(__vac_register_instance);

/*
 * The instance's module is live (its init returned 0, /dev/kvmN exists):
 * show it in sysfs and let /dev/kvm route to it.  vac_lock held.
 */
static void vac_publish(struct vac_instance *inst)
{
	int r;

	inst->load_time = ktime_get_real_seconds();
	r = vac_sysfs_add_instance(inst);
	if (r) {
		pr_err("instance %u (%s) is loaded but cannot be shown in /sys/kernel/vac/instances (%d): nothing will choose it; unload it and load it again\n",
		       inst->id, module_name(inst->owner), r);
		return;
	}
	inst->published = true;
	pr_info("instance %u registered: %s, /dev/%s, KVM %s%s%s (%s) built against %s\n",
		inst->id, module_name(inst->owner), inst->devname,
		inst->build.kvm_version, *inst->build.patches ? " + " : "",
		inst->build.patches, inst->build.id, inst->build.kernel);
	if (!vac_default_id &&
	    (!default_instance || default_instance == inst->id))
		vac_set_default(inst->id);
}

/* Is @inst registered?  (Not under vac_lock: the enable path's locks.) */
bool vac_instance_registered(struct vac_instance *inst)
{
	struct vac_instance *i;
	bool found = false;

	rcu_read_lock();
	list_for_each_entry_rcu(i, &vac_instances, node)
		if (i == inst)
			found = true;
	rcu_read_unlock();
	return found;
}

void vac_unregister_instance(struct vac_instance *inst)
{
	struct vac_instance *newest = NULL, *i;

	mutex_lock(&vac_lock);
	list_del_rcu(&inst->node);
	vac_mitigations_update();
	if (inst->virt_enabled)
		pr_err("instance %u left with virtualization still enabled\n",
		       inst->id);
	/* A failed init goes quietly: the instance says why it failed. */
	if (inst->published) {
		vac_sysfs_remove_instance(inst);
		inst->published = false;
		if (vac_default_id == inst->id) {
			/* /dev/kvm must keep working: the newest load. */
			list_for_each_entry(i, &vac_instances, node)
				if (i->published)
					newest = i;
			vac_set_default(newest ? newest->id : 0);
		}
		pr_info("instance %u unregistered\n", inst->id);
	}
	mutex_unlock(&vac_lock);

	/* perf, PI wakeup and emergency paths may still look at it (RCU) */
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(vac_unregister_instance);

/*
 * Stock kvm.ko, kvm-amd.ko and kvm-intel.ko would take the same hardware
 * and the same single-slot kernel hooks: refuse them while vac is loaded.
 */
static const char * const vac_stock_modules[] = { "kvm", "kvm_amd", "kvm_intel" };

/* Its instance, if @mod registered one; vac_lock held. */
static struct vac_instance *vac_instance_of(struct module *mod)
{
	struct vac_instance *inst;

	lockdep_assert_held(&vac_lock);
	list_for_each_entry(inst, &vac_instances, node)
		if (inst->owner == mod)
			return inst;
	return NULL;
}

/*
 * A module going away (unloaded, or its init failed) must have
 * unregistered its instance: else vac would call into freed memory.
 * Drop what it left, and say so: it is a bug in the instance.
 */
static void vac_module_going(struct module *mod)
{
	struct vac_instance *inst;

	mutex_lock(&vac_lock);
	inst = vac_instance_of(mod);
	mutex_unlock(&vac_lock);
	if (!inst)
		return;
	pr_err("%s is going away but left instance %u registered with vac (a bug in the instance); vac drops it\n",
	       mod->name, inst->id);
	vac_disable_virtualization(inst);
	vac_unregister_instance(inst);
}

static int vac_module_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct vac_instance *inst;
	struct module *mod = data;
	int i;

	if (action == MODULE_STATE_LIVE) {
		mutex_lock(&vac_lock);
		inst = vac_instance_of(mod);
		if (inst && !inst->published)
			vac_publish(inst);
		mutex_unlock(&vac_lock);
		return NOTIFY_DONE;
	}
	if (action == MODULE_STATE_GOING) {
		vac_module_going(mod);
		return NOTIFY_DONE;
	}
	if (action != MODULE_STATE_COMING)
		return NOTIFY_DONE;
	for (i = 0; i < ARRAY_SIZE(vac_stock_modules); i++) {
		if (strcmp(mod->name, vac_stock_modules[i]))
			continue;
		pr_err("refusing to load stock %s: vac owns virtualization on this host; use an instance module (kvm_%s_N) or unload vac and its instances first\n",
		       mod->name, vac_vendor->name);
		return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_DONE;
}

static struct notifier_block vac_module_nb = {
	.notifier_call = vac_module_notify,
};

static int vac_check_stock_kvm(void)
{
	void *sym = __symbol_get("kvm_rebooting");

	if (!sym)
		return 0;
	__symbol_put("kvm_rebooting");
	pr_err("stock KVM (kvm.ko) is loaded and owns virtualization; unload it first (modprobe -r kvm_%s kvm)\n",
	       vac_vendor->name);
	return -EBUSY;
}

static int __init vac_init(void)
{
	int r;

	if (boot_cpu_has(X86_FEATURE_SVM))
		vac_vendor = &vac_svm_ops;
	else if (boot_cpu_has(X86_FEATURE_VMX))
		vac_vendor = &vac_vmx_ops;
	else {
		pr_err("this CPU has neither SVM nor VMX (or it is disabled by firmware)\n");
		return -ENODEV;
	}
	r = vac_vendor->supported();
	if (r)
		return r;
	r = vac_check_stock_kvm();
	if (r)
		return r;
	r = register_module_notifier(&vac_module_nb);
	if (r)
		return r;
	r = vac_vendor->init();
	if (r)
		goto err_vendor;
	r = vac_uret_init();
	if (r)
		goto err_uret;
	r = vac_virt_init();
	if (r)
		goto err_virt;
	r = vac_perf_init();
	if (r)
		goto err_perf;
	r = vac_sysfs_init();
	if (r)
		goto err_sysfs;
	r = vac_dev_init();
	if (r)
		goto err_dev;
	vac_hyperv_init();
	vac_debugfs_init();
	pr_info("loaded (%s, instance ABI %d, struct size %zu)\n",
		vac_vendor->name, VAC_ABI, sizeof(struct vac_instance));
	return 0;

err_dev:
	vac_sysfs_exit();
err_sysfs:
	vac_perf_exit();
err_perf:
	vac_virt_exit();
err_virt:
	vac_uret_exit();
err_uret:
	vac_vendor->exit();
err_vendor:
	unregister_module_notifier(&vac_module_nb);
	return r;
}

static void __exit vac_exit(void)
{
	vac_debugfs_exit();
	vac_hyperv_exit();
	vac_dev_exit();
	vac_sysfs_exit();
	vac_perf_exit();
	vac_virt_exit();
	vac_uret_exit();
	vac_vendor->exit();
	unregister_module_notifier(&vac_module_nb);
	pr_info("unloaded\n");
}

module_init(vac_init);
module_exit(vac_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("multikvm: the virtualization owner shared by KVM instance modules");
