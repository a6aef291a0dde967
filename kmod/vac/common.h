/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vac internals: the common core (registry, virtualization enable,
 * /dev/kvm, sysfs, perf, user-return MSRs) and the vendor parts behind
 * one ops table, like KVM's kvm_x86_ops.
 */
#ifndef _VAC_COMMON_H
#define _VAC_COMMON_H

#define pr_fmt(fmt) "vac: " fmt

#include <linux/mutex.h>
#include <vac.h>

struct dentry;
struct module;

/* The sysfs contract with userspace (docs/sysfs.md), not VAC_ABI. */
#define VAC_SYSFS_ABI	1

struct vac_vendor_ops {
	const char *name;			/* "amd" or "intel" */
	enum vac_vendor vendor;
	int (*supported)(void);			/* 0 or -errno, says why */
	int (*init)(void);			/* at module load */
	void (*exit)(void);
	int (*enable_cpu)(void);		/* this CPU, irqs off */
	void (*disable_cpu)(void);		/* this CPU, irqs off */
	void (*emergency_disable_cpu)(void);	/* crash/NMI shootdown */
	void (*debugfs_init)(struct dentry *dir);
};

extern const struct vac_vendor_ops *vac_vendor;
extern struct vac_vendor_ops vac_svm_ops;
extern struct vac_vendor_ops vac_vmx_ops;

/* registry (main.c); vac_lock protects the instance list and the default */
extern struct mutex vac_lock;
extern struct list_head vac_instances;
extern unsigned int vac_default_id;
struct vac_instance *vac_find_instance(unsigned int id);
int vac_check_abi(unsigned int abi, size_t size, struct module *owner);
int vac_set_default(unsigned int id);
bool vac_instance_registered(struct vac_instance *inst);

/* mitigations.c; vac_lock held */
void vac_mitigations_update(void);

/* virt.c */
int vac_virt_init(void);
void vac_virt_exit(void);
unsigned int vac_virt_users_on(int cpu);

/* dev.c */
int vac_dev_init(void);
void vac_dev_exit(void);

/* sysfs.c */
int vac_sysfs_init(void);
void vac_sysfs_exit(void);
int vac_sysfs_add_instance(struct vac_instance *inst);
void vac_sysfs_remove_instance(struct vac_instance *inst);
void vac_sysfs_set_alias(struct vac_instance *inst);

/* perf.c */
int vac_perf_init(void);
void vac_perf_exit(void);

/* hyperv.c: the Hyper-V TSC change callback slot */
void vac_hyperv_init(void);
void vac_hyperv_exit(void);

/* uret.c */
int vac_uret_init(void);
void vac_uret_exit(void);
void vac_uret_cpu_online(void);
void vac_uret_cpu_offline(void);

/* debugfs.c */
void vac_debugfs_init(void);
void vac_debugfs_exit(void);

#endif /* _VAC_COMMON_H */
