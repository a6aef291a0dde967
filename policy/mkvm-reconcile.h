/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-reconcile.h — records rebuilt from the QEMU processes that run. */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include "mkvm-inventory.h"

G_BEGIN_DECLS

/**
 * MKVM_UNSTARTED_MAX:
 * Seconds a record may stay without a pid (placed at prepare, QEMU not yet
 * started) while libvirt runs no QEMU for the domain; mkvm_reconcile()
 * removes it after that.  Between prepare and QEMU's start libvirt takes
 * seconds; a QEMU that is started (an incoming migration too) has its
 * libvirt pid file and gets its pid from mkvm_reconcile().
 */
#define MKVM_UNSTARTED_MAX 600

/**
 * MkvmReconcileStats: what mkvm_reconcile() did.
 */
typedef struct {
  guint kept;      /* records confirmed by a QEMU libvirt runs */
  guint updated;   /* records whose instance/pid were corrected */
  guint created;   /* records rebuilt from a QEMU process with no record */
  guint removed;   /* records whose QEMU libvirt no longer runs, or never ran */
} MkvmReconcileStats;

/**
 * mkvm_reconcile:
 * @rundir: NULL = default
 * @stats: (out) (optional)
 *
 * Under the lock: for every QEMU libvirt runs (mkvm_libvirt_qemus(): pid,
 * name and uuid from libvirt's own files, never from a process's command
 * line) whose fds include an instance node, creates or corrects the
 * domain's record (instance, device, pid, reason "reconciled from
 * libvirt's pid P ...").  Records with a pid whose domain libvirt no longer
 * runs are removed; records without pid (placed, not yet started) are kept
 * unless libvirt runs no QEMU for them and they were last updated more
 * than MKVM_UNSTARTED_MAX seconds ago.
 */
gboolean mkvm_reconcile (const char *rundir, const MkvmInventory *inv,
                         MkvmReconcileStats *stats, GError **error);

G_END_DECLS
