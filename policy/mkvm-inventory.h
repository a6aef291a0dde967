/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-inventory.h — the KVM instances present on this host. */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include "mkvm-policy.h"

G_BEGIN_DECLS

/**
 * MkvmPatch:
 * @name: file name of an operator hotfix patch, e.g. "fix-foo.patch"
 * @sha: the first 8 hex digits of its SHA-256, as vac publishes them
 */
typedef struct {
  char *name;
  char *sha;
} MkvmPatch;

/**
 * MkvmBuild:
 * What an instance module was built from: sysfs kvm_version ("6.12.117"),
 * kvm_source ("6.12.117-1~deb12u1" or a tarball name), multikvm_version,
 * series (8 hex digits), patches and kernel ("6.12.107+deb12-amd64", the
 * release it was built against).  A field is NULL when vac does not publish
 * it (older vac) or publishes an empty line: unknown.
 * @patches: (element-type MkvmPatch) hotfixes applied after the series, in
 *   order; NULL when unknown, empty when none
 */
typedef struct {
  char *kvm_version;
  char *kvm_source;
  char *multikvm_version;
  char *series;
  GPtrArray *patches;
  char *kernel;
} MkvmBuild;

/**
 * MkvmInstance:
 * @id: 1..999
 * @vendor, @module, @devname, @build_id: from sysfs (may be NULL for statics)
 * @device: device node path, <devdir>/<devname> (or the static declaration)
 * @dev: char device number vac reports (statics: of the declared node, once
 *   @device_ok)
 * @build: what the module was built from (all NULL for statics)
 * @build_time, @load_time: seconds since the epoch (0 when unknown)
 * @vms, @vcpus: live counts from sysfs (0 for statics)
 * @params: (element-type utf8 utf8) /sys/module/<module>/parameters/<name>
 * @is_static: declared in the policy rather than found in sysfs
 * @device_ok: the node exists and is the char device @dev
 * @device_problem: why @device_ok is FALSE (one line), else NULL
 */
typedef struct {
  guint id;
  char *vendor;
  char *module;
  char *devname;
  char *device;
  dev_t dev;
  char *build_id;
  MkvmBuild build;
  gint64 build_time;
  gint64 load_time;
  guint vms;
  guint vcpus;
  GHashTable *params;
  gboolean is_static;
  gboolean device_ok;
  char *device_problem;
} MkvmInstance;

/**
 * MkvmInventory:
 * @abi: vac ABI (1), 0 when vac is absent (statics only)
 * @vendor: host vendor from vac, may be NULL
 * @default_instance: vac's default_instance, 0 for "none"/absent
 * @instances: (element-type MkvmInstance) sorted by id
 * @kernel_release: the running kernel's release, e.g. "6.12.107+deb12-amd64"
 *   (<proc>/sys/kernel/osrelease, MULTIKVM_PROC), NULL when unreadable
 */
typedef struct {
  guint abi;
  char *vendor;
  guint default_instance;
  GPtrArray *instances;
  char *kernel_release;
} MkvmInventory;

void mkvm_inventory_free (MkvmInventory *inv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmInventory, mkvm_inventory_free)

/**
 * mkvm_inventory_load:
 * @policy: (nullable) for static declarations
 *
 * Reads <sysfs>/kernel/vac (MULTIKVM_SYSFS) and device nodes under
 * <devdir> (MULTIKVM_DEVDIR).  vac absent is not an error (empty inventory
 * plus statics); an unknown ABI or an unreadable instance directory is
 * MKVM_ERROR_ABI.
 */
MkvmInventory *mkvm_inventory_load (const MkvmPolicy *policy, GError **error);

/** mkvm_inventory_find: (transfer none) instance by id, or NULL. */
MkvmInstance *mkvm_inventory_find (const MkvmInventory *inv, guint id);

/**
 * mkvm_inventory_check_device:
 * @path: a device path, e.g. "/dev/kvm2" (as the wrapper got it)
 * @out_id: (out) (optional): instance the node belongs to
 *
 * TRUE when @path (after stat, following symlinks) is a character device
 * whose st_rdev equals the dev of one instance of @inv (for statics: of the
 * declared node; statics sharing one device number are told apart by
 * @path, see mkvm_inventory_find_by_stat()).  Else MKVM_ERROR_DEVICE.
 */
gboolean mkvm_inventory_check_device (const MkvmInventory *inv, const char *path,
                                      guint *out_id, GError **error);

/**
 * mkvm_instance_find_by_rdev: (transfer none) instance whose dev equals
 * @rdev (statics: whose node has that rdev), or NULL.
 */
MkvmInstance *mkvm_inventory_find_by_rdev (const MkvmInventory *inv, dev_t rdev);

/**
 * mkvm_instance_satisfies:
 * @why: (out) (optional) (transfer full): first mismatch, e.g.
 *   "nx_huge_pages=N, profile hardened needs Y"
 */
gboolean mkvm_instance_satisfies (const MkvmInstance *inst, const MkvmProfile *profile,
                                  char **why);

/**
 * mkvm_release_version:
 * @release: (nullable) a kernel release, e.g. "6.12.107+deb12-amd64"
 *
 * Returns: (transfer full) (nullable) its upstream version up to the first
 * '+' or '-' ("6.12.107"), or NULL when that is not digits and dots.
 */
char *mkvm_release_version (const char *release);

/**
 * mkvm_instance_kvm_differs:
 *
 * TRUE when the instance's KVM version is known and differs from the
 * upstream version of the running kernel (@inv->kernel_release), e.g. KVM
 * 6.12.117 on a 6.12.107 kernel.  FALSE when either is unknown.
 */
gboolean mkvm_instance_kvm_differs (const MkvmInventory *inv, const MkvmInstance *inst);

G_END_DECLS
