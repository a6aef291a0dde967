/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vac.ko: the one owner of system-wide virtualization state, shared by
 * every KVM instance module (kvm_amd_N, kvm_intel_N) loaded next to it.
 *
 * An instance registers itself with vac_register_instance(), then asks vac
 * to turn virtualization on and off (vac_enable_virtualization()), to hand
 * out ASIDs, to track the current VMCB, to switch user-return MSRs and to
 * dispatch perf's guest callbacks to it.  It keeps no copy of that state.
 */
#ifndef _VAC_H
#define _VAC_H

#include <linux/init.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/atomic.h>

/*
 * The interface between vac.ko and the instances: this file's types,
 * functions and their meaning.  Instances are built from other KVM sources
 * and other multikvm versions than the vac.ko they meet, so vac checks it
 * before it touches an instance: any change here that an instance built
 * against the old file would get wrong bumps VAC_ABI (a changed struct
 * vac_instance also shows in its size, which vac checks too).  The sysfs
 * contract with userspace has its own number (docs/sysfs.md).
 */
#define VAC_ABI		3
#define VAC_MAX_ID	999

struct module;
struct file_operations;
struct vmcb;

enum vac_vendor {
	VAC_VENDOR_AMD,
	VAC_VENDOR_INTEL,
};

/*
 * Which KVM an instance runs (kmod/build.sh writes it into the instance):
 * KVM from one linux-source-6.12 point release, multikvm's series and any
 * operator hotfixes, built against one kernel.
 */
struct vac_build {
	const char *id;			/* "<kvm_source> <multikvm> <series>[ +hotfix...]" */
	u64 time;			/* seconds since the epoch */
	const char *kvm_version;	/* upstream version of the KVM source: "6.12.117" */
	const char *kvm_source;		/* Debian version of linux-source-6.12 */
	const char *multikvm_version;
	const char *series;		/* hash of the patch series */
	const char *patches;		/* hotfixes: "name@sha8 ...", "" for none */
	const char *kernel;		/* release built against */
};

/*
 * What an instance tells vac about itself.  The instance owns the memory;
 * fields above "private" are set before vac_register_instance() and not
 * changed afterwards, except the counters and @dev, which the instance
 * sets once /dev/kvmN exists, before its init returns.  vac shows the
 * instance to userspace only when its module is live (init returned 0).
 *
 * Its layout is checked by vac at run time (VAC_ABI and its size), not by
 * the module loader: modversions would fold it into the CRC of every vac
 * symbol and refuse an instance of another layout with a line per symbol,
 * before vac could say what is wrong.
 */
#ifdef __GENKSYMS__
struct vac_instance;
#else
struct vac_instance {
	unsigned int id;			/* N of /dev/kvmN, 1..999 */
	enum vac_vendor vendor;
	struct module *owner;
	const char *devname;			/* "kvm2" */
	dev_t dev;				/* of /dev/kvmN, see above */
	const struct file_operations *fops;	/* /dev/kvm opens routed here */
	struct vac_build build;

	/*
	 * Per-CPU callbacks, run on the CPU concerned with interrupts off,
	 * after vac enabled virtualization there and before it disables it.
	 */
	int (*enable_cpu)(void);
	void (*disable_cpu)(void);

	/*
	 * Crash/kexec/NMI shootdown, on the CPU concerned, in NMI context:
	 * forget the per-CPU hardware state (VMX: VMCLEAR the instance's
	 * loaded VMCSs) before vac turns virtualization off.
	 */
	void (*emergency_cpu)(void);

	/* VMX posted-interrupt wakeup vector: wake this instance's vCPUs */
	void (*pi_wakeup)(void);

	/* on Hyper-V: its TSC page changed (process context, vac_lock held) */
	void (*hv_tsc_changed)(void);

	/* perf guest callbacks for the vCPU this instance runs on this CPU */
	unsigned int (*perf_state)(void);
	unsigned long (*perf_get_ip)(void);
	unsigned int (*perf_pt_intr)(void);

	atomic_t vms;
	atomic_t vcpus;

	/* reported mitigation state, see vac_report_*(); 0 = not reported */
	int l1tf;				/* enum vmx_l1d_flush_state + 1 */
	int itlb_multihit;			/* 1 vulnerable, 2 mitigated */

	/* private to vac */
	struct list_head node;
	struct list_head virt_node;
	struct cpumask cpus;			/* where enable_cpu() ran */
	struct kobject *kobj;
	u64 load_time;
	bool virt_enabled;
	bool published;				/* in sysfs, /dev/kvm may route here */
};
#endif

/*
 * The calls an instance can make before vac has checked it carry the
 * VAC_ABI and the size of struct vac_instance it was built with: vac
 * refuses a mismatch with one log line and -ENOEXEC (register, enable) or
 * ignores the call (reports), and does not touch *inst.  Their names and
 * prototypes stay the same in every ABI.  The instance calls the inline
 * wrappers below.
 */
int __vac_register_instance(struct vac_instance *inst, unsigned int abi,
			    size_t size, struct module *owner);
int __vac_enable_virtualization(struct vac_instance *inst, unsigned int abi,
				size_t size, struct module *owner);
void __vac_report_l1tf(struct vac_instance *inst, int vmx_l1d_flush_state,
		       unsigned int abi, size_t size);
void __vac_report_itlb_multihit(struct vac_instance *inst, bool mitigated,
				unsigned int abi, size_t size);

static inline int vac_register_instance(struct vac_instance *inst)
{
	return __vac_register_instance(inst, VAC_ABI, sizeof(*inst), THIS_MODULE);
}

void vac_unregister_instance(struct vac_instance *inst);

/* Turn virtualization on on every online CPU (and on CPUs that come online)
 * for this instance; refcounted per CPU across instances.  Only for a
 * registered instance (-EINVAL otherwise), so that vac's crash-time path
 * knows every instance with virtualization on. */
static inline int vac_enable_virtualization(struct vac_instance *inst)
{
	return __vac_enable_virtualization(inst, VAC_ABI, sizeof(*inst),
					   THIS_MODULE);
}

void vac_disable_virtualization(struct vac_instance *inst);

/* Set once the system goes down or crashes: faults on VMRUN/VMX
 * instructions are then expected. */
extern bool vac_rebooting;

/* The instance whose vCPU is loaded on this CPU (perf dispatch). */
DECLARE_PER_CPU(struct vac_instance *, vac_running_instance);

static inline void vac_vcpu_load(struct vac_instance *inst)
{
	__this_cpu_write(vac_running_instance, inst);
}

static inline void vac_vcpu_put(void)
{
	__this_cpu_write(vac_running_instance, NULL);
}

/*
 * The core kernel's mitigation state for KVM (l1tf_vmx_mitigation,
 * itlb_multihit_kvm_mitigation, shown in /sys/devices/system/cpu/
 * vulnerabilities/) is one global: instances report theirs to vac, which
 * publishes the least mitigated loaded instance's, so the host is never
 * described as better protected than its weakest instance, and one
 * instance's unload does not reset it for the others.
 */
static inline void vac_report_l1tf(struct vac_instance *inst,
				   int vmx_l1d_flush_state)
{
	__vac_report_l1tf(inst, vmx_l1d_flush_state, VAC_ABI, sizeof(*inst));
}

static inline void vac_report_itlb_multihit(struct vac_instance *inst,
					    bool mitigated)
{
	__vac_report_itlb_multihit(inst, mitigated, VAC_ABI, sizeof(*inst));
}

/*
 * User-return MSRs: one list of MSRs and one per-CPU cache for everybody.
 * vac numbers the MSRs in the order instances first add them, so its slot
 * for an MSR is not the instance's own index; an instance maps its own
 * numbering to vac's slots.  Adding returns vac's slot, or a negative
 * error: -EOPNOTSUPP if the CPU lacks the MSR, -ENOSPC if vac's table is
 * full (logged; the instance then asks no more and fails to load).  Slots
 * live as long as vac.ko.
 */
int __vac_add_user_return_msr(u32 msr, struct module *owner);
int vac_find_user_return_msr(u32 msr);
int vac_set_user_return_msr(unsigned int slot, u64 value, u64 mask);

static inline int vac_add_user_return_msr(u32 msr)
{
	return __vac_add_user_return_msr(msr, THIS_MODULE);
}

/* ---- AMD SVM ------------------------------------------------------------ */

/*
 * Per-CPU SVM state.  The layout of the first part is what kvm-amd calls
 * struct svm_cpu_data; the instance patches make svm_data an alias of it.
 */
struct vac_svm_cpu {
	u64 asid_generation;
	u32 max_asid;
	u32 next_asid;
	u32 min_asid;

	bool flush_all_asids;
	bool bp_spec_reduce_set;

	struct vmcb *save_area;		/* the host save area (HSAVE) */
	unsigned long save_area_pa;

	struct vmcb *current_vmcb;

	/* index = sev_asid, value = vmcb pointer; SEV is refused for now */
	struct vmcb **sev_vmcbs;

	/* vac's own */
	u64 tsc_ratio;			/* current MSR_AMD64_TSC_RATIO */
};

DECLARE_PER_CPU(struct vac_svm_cpu, vac_svm_cpu);

/* A new ASID for a VMCB on this CPU, from the allocator all instances
 * share; *generation is set to the generation it belongs to. */
u32 vac_svm_new_asid(u64 *generation, struct vac_instance *inst,
		     const void *vm);
void vac_svm_write_tsc_multiplier(u64 multiplier);
void vac_svm_srso_vm_init(void);
void vac_svm_srso_vm_destroy(void);

/* ---- Intel VMX ---------------------------------------------------------- */

struct vmcs;

/*
 * The VMCS that VMPTRLD made current on this CPU, whichever instance it
 * belongs to: a per-instance cache would let VMWRITEs land in another
 * instance's VMCS.
 */
DECLARE_PER_CPU(struct vmcs *, vac_current_vmcs);

/* VPIDs from one bitmap for every instance's guests (0: none left). */
int vac_vmx_alloc_vpid(struct vac_instance *inst);
void vac_vmx_free_vpid(int vpid);

#endif /* _VAC_H */
