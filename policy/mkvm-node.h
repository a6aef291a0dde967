/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-node.h — which instance a kvm node (or an open fd) is, where several
 * nodes may share one device number.
 *
 * Static instances may all be nodes of the same device (e.g. the integration
 * suite's extra nodes of this machine's /dev/kvm, or a host exposing one KVM
 * under several names): they are told apart by inode, as the contract of
 * mkvm_inventory_check_device() says.  vac instances are told apart by the
 * device number vac reports.  The one place that maps a node, an open fd or
 * a process's fds to an instance: the inventory, the hook, the wrapper and
 * mkvm_reconcile() use it.
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "mkvm-inventory.h"

G_BEGIN_DECLS

/**
 * mkvm_inventory_find_by_stat:
 * @st: stat of a char device (a node, or /proc/PID/fd/N)
 *
 * A static instance whose declared node is the same inode as @st, else a
 * vac (non-static) instance whose dev equals @st->st_rdev, else NULL.
 * Static nodes are stat'ed in the caller's mount namespace.
 * Returns: (transfer none) (nullable)
 */
MkvmInstance *mkvm_inventory_find_by_stat (const MkvmInventory *inv, const struct stat *st);

/**
 * mkvm_node_check:
 * TRUE when @path is a char device and the node of instance @id (by
 * mkvm_inventory_find_by_stat()).  Else MKVM_ERROR_DEVICE saying what it is.
 */
gboolean mkvm_node_check (const MkvmInventory *inv, const char *path, guint id,
                          GError **error);

/**
 * mkvm_node_pid_instances:
 * @pid: process to inspect (under mkvm_path_proc(), MULTIKVM_PROC)
 *
 * Stats every <proc>/PID/fd/N; each one that mkvm_inventory_find_by_stat()
 * maps to an instance contributes its id.
 * Returns: (element-type guint) sorted ids without duplicates, possibly
 * empty, or NULL with MKVM_ERROR_IO when the process does not exist or its
 * fds cannot be listed.
 */
GArray *mkvm_node_pid_instances (const MkvmInventory *inv, pid_t pid, GError **error);

/**
 * mkvm_node_verify_pid:
 * The hook's "started": TRUE when QEMU @pid has instance @id's node open and
 * no other instance's.
 * Else MKVM_ERROR_DEVICE naming what it has open.
 */
gboolean mkvm_node_verify_pid (const MkvmInventory *inv, pid_t pid, guint id,
                               GError **error);

G_END_DECLS
