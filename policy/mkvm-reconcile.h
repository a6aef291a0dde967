/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-reconcile.h — records rebuilt from the QEMU processes that run. */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include "mkvm-inventory.h"

G_BEGIN_DECLS

/**
 * MkvmReconcileStats: what mkvm_reconcile() did.
 */
typedef struct {
  guint kept;      /* records confirmed by a live process */
  guint updated;   /* records whose instance/pid were corrected */
  guint created;   /* records rebuilt from a QEMU process with no record */
  guint removed;   /* records whose process is gone */
} MkvmReconcileStats;

/**
 * mkvm_reconcile:
 * @rundir: NULL = default
 * @stats: (out) (optional)
 *
 * Under the lock: scans every process under /proc whose fds include an
 * instance node; for QEMU processes (cmdline has "-uuid U", name from
 * "-name guest=N"), creates or corrects the record of U (instance, device,
 * pid, reason "reconciled from /proc/PID/fd").  Records with a pid whose
 * process is gone are removed; records without pid (placed, not yet
 * started) are kept.
 */
gboolean mkvm_reconcile (const char *rundir, const MkvmInventory *inv,
                         MkvmReconcileStats *stats, GError **error);

G_END_DECLS
