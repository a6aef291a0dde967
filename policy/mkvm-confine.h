/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-confine.h — keep a domain's QEMU on its own KVM instance.
 *
 * libvirt gives every domain the same device ACL (cgroup_device_acl, which
 * must list every instance node: QEMU opens the one it was given before any
 * hook can tell libvirt which), and AppArmor's libvirt-qemu abstraction is
 * shared by every domain.  So at "started", once QEMU has opened its node,
 * the hook narrows what that QEMU may open to its own instance:
 *
 *  1. the device cgroup (the mechanism: the kernel checks it on every open,
 *     whatever the path, for root too): every KVM device number but the
 *     domain's own is denied in the domain's libvirt machine cgroup.  cgroup
 *     v1: "c M:m rwm" into devices.deny; v2: the entries are deleted from
 *     the map of the BPF device program libvirt attached to the domain's
 *     cgroup.  The KVM device numbers are /dev/kvm's (10:232, which vac
 *     routes to its default instance) and those of every instance;
 *  2. QEMU's private /dev (libvirt's mount namespace): every other kvm node
 *     is removed from it, which also covers nodes that share the domain's
 *     own device number (one KVM under several names).  Only when QEMU's
 *     mount namespace is neither the caller's nor PID 1's, and QEMU's /dev
 *     is not the caller's /dev filesystem: the host's /dev is never touched.
 *     With a shared namespace (namespaces = [] in qemu.conf) this step is
 *     skipped; step 1 still confines QEMU to its device number.
 *
 * Failing step 1 (no libvirt machine cgroup, no device controller, an ACL
 * entry allowing a whole major of a KVM device) or step 2 fails the whole.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include "mkvm-inventory.h"

G_BEGIN_DECLS

/**
 * mkvm_confine_wanted:
 * @wanted: (out): the confine= key of multikvm.conf (mkvm_path_conf()):
 *   TRUE for "yes" and when the key or the file is absent, FALSE for "no"
 *
 * Any other value, or a file that cannot be read, is an error (callers
 * refuse: confinement fails closed).
 */
gboolean mkvm_confine_wanted (gboolean *wanted, GError **error);

/**
 * MkvmConfineReport: what mkvm_confine_qemu() did, for messages and tests.
 * @cgroup: "v1 /sys/fs/cgroup/devices/machine/qemu-1-x.libvirt-qemu" or
 *   "v2 ..." (the cgroup narrowed)
 * @denied: KVM device numbers denied there
 * @namespace: "private" (nodes pruned) or "shared" (step 2 skipped)
 * @removed: kvm nodes removed from QEMU's /dev
 */
typedef struct {
  char *cgroup;
  guint denied;
  const char *namespace;
  guint removed;
} MkvmConfineReport;

void mkvm_confine_report_clear (MkvmConfineReport *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MkvmConfineReport, mkvm_confine_report_clear)

/**
 * mkvm_confine_qemu:
 * @pid: QEMU's pid (libvirt's)
 * @keep: the domain's instance; its node is the one QEMU keeps
 * @report: (out) (optional)
 *
 * Both steps above.  MKVM_ERROR_DEVICE with one line saying what could not
 * be done.
 */
gboolean mkvm_confine_qemu (const MkvmInventory *inv, pid_t pid, const MkvmInstance *keep,
                            MkvmConfineReport *report, GError **error);

/**
 * mkvm_confine_deny_list:
 * Returns: (element-type dev_t) the KVM device numbers a QEMU on @keep must
 * not open: 10:232 and every instance's, without @keep's own.
 */
GArray *mkvm_confine_deny_list (const MkvmInventory *inv, const MkvmInstance *keep);

/**
 * mkvm_confine_host_support:
 * @what: (out) (transfer full): "cgroup v1 devices controller at PATH" or
 *   "cgroup v2 with BPF device programs at PATH"
 *
 * Whether this host can confine: a cgroup v1 devices hierarchy is mounted,
 * or cgroup2 is mounted and answers BPF_PROG_QUERY for device programs.
 */
gboolean mkvm_confine_host_support (char **what, GError **error);

G_END_DECLS
