/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-node.h — which instance a kvm node (or an open fd) is, where several
 * nodes may share one device number.
 *
 * Static instances may all be nodes of the same device (e.g. the integration
 * suite's extra nodes of this machine's /dev/kvm, or a host exposing one KVM
 * under several names): they are told apart by inode, as the contract of
 * mkvm_inventory_check_device() says.  vac instances are told apart by the
 * device number vac reports.  Written by the libvirt-hook/qemu-wrapper owner;
 * the rdev-only lookups in mkvm-inventory.c/mkvm-reconcile.c can switch to
 * mkvm_inventory_find_by_stat() and these can go.
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
 * Like mkvm_proc_kvm_instances(), with mkvm_inventory_find_by_stat().
 * Returns: (element-type guint) sorted ids without duplicates, or NULL with
 * MKVM_ERROR_IO.
 */
GArray *mkvm_node_pid_instances (const MkvmInventory *inv, pid_t pid, GError **error);

/**
 * mkvm_node_verify_pid:
 * TRUE when QEMU @pid has instance @id's node open and no other instance's.
 * Else MKVM_ERROR_DEVICE naming what it has open.
 */
gboolean mkvm_node_verify_pid (const MkvmInventory *inv, pid_t pid, guint id,
                               GError **error);

G_END_DECLS
