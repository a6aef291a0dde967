/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-node.h — which instance a kvm node (or an open fd) is, by its char
 * device number: the only identity that holds wherever QEMU's /dev lives
 * (libvirt gives each domain a private /dev with fresh nodes, so inodes of
 * the host's nodes never match).  vac instances have the device number vac
 * reports; a static instance the one of its declared node on the host.
 * Several static declarations may name one device (one KVM under several
 * names, e.g. the integration suite's nodes of this machine's /dev/kvm):
 * those are told apart by path, the node's path as the process that opened
 * it sees it (libvirt creates the private nodes under the host's names).
 *
 * The one place that maps a node, an open fd or a process's fds to an
 * instance: the inventory, the hook, the wrapper and mkvm_reconcile() use
 * it.
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
 * @path: (nullable) the node's path as its opener sees it (for an fd, the
 *   target of /proc/PID/fd/N: a path in the process's mount namespace)
 *
 * The instance (with a good node) whose device number equals @st->st_rdev;
 * when several share it, the one declared at @path.
 * Returns: (transfer none) (nullable)
 */
MkvmInstance *mkvm_inventory_find_by_stat (const MkvmInventory *inv, const struct stat *st,
                                           const char *path);

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
