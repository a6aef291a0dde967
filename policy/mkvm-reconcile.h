/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-reconcile.h — the truth from /proc: which kvm node QEMU has open. */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include "mkvm-inventory.h"

G_BEGIN_DECLS

/**
 * mkvm_proc_kvm_instances:
 * @pid: process to inspect (under mkvm_path_proc(), MULTIKVM_PROC)
 *
 * Stats every /proc/PID/fd/N; each char device that belongs to an instance
 * of @inv contributes its id.  Returns: (element-type guint) ids, sorted,
 * without duplicates (GArray of guint), possibly empty; NULL with
 * MKVM_ERROR_IO when the process does not exist or fd is unreadable.
 */
GArray *mkvm_proc_kvm_instances (const MkvmInventory *inv, pid_t pid, GError **error);

/**
 * mkvm_verify_pid:
 * The hook's "started": TRUE when QEMU @pid has @instance's node open and
 * no other instance's.  Else MKVM_ERROR_DEVICE naming what it has open.
 */
gboolean mkvm_verify_pid (const MkvmInventory *inv, pid_t pid, guint instance,
                          GError **error);

/**
 * mkvm_qemu_read_pid:
 * Reads /run/libvirt/qemu/<name>.pid (override dir with MULTIKVM_LIBVIRT_RUNDIR).
 * Returns 0 with @error set on failure.
 */
pid_t mkvm_qemu_read_pid (const char *domain_name, GError **error);

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
