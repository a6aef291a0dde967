/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-export.h — what this host offers, for fleet schedulers and
 * monitoring: a Placement provider.yaml for OpenStack Nova, node labels for
 * Kubernetes/KubeVirt, a Prometheus textfile-collector file, and JSON.
 *
 * An instance *offers* what it has when new VMs can start on it: its device
 * node checks out and it is not draining.  Traits and "true" labels name
 * what some offering instance has: each policy profile it satisfies, its
 * KVM version, its patch series, each hotfix patch (by SHA8).  The
 * Prometheus file describes every instance, offering or not.
 */
#pragma once

#include <glib.h>
#include "mkvm-policy.h"
#include "mkvm-inventory.h"
#include "mkvm-state.h"

G_BEGIN_DECLS

/** Prefix of every node label key (a DNS subdomain, as Kubernetes asks). */
#define MKVM_LABEL_PREFIX "multikvm.io/"

typedef struct _MkvmExport MkvmExport;

/**
 * mkvm_export_new:
 * @drains: (element-type MkvmDrain) (nullable)
 * @refusals: (nullable) counts by MkvmRefusal (mkvm_refusals_load()), NULL
 *   for all 0
 *
 * Keeps pointers to @policy, @inv and @drains: they must outlive the result.
 */
MkvmExport *mkvm_export_new (const MkvmPolicy *policy, const MkvmInventory *inv,
                             GPtrArray *drains, const guint64 *refusals);
void mkvm_export_free (MkvmExport *ex);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmExport, mkvm_export_free)

/**
 * mkvm_export_traits: (transfer container) (element-type utf8) sorted:
 * CUSTOM_MKVM_HOST, then CUSTOM_MKVM_PROFILE_<P>, CUSTOM_MKVM_KVM_<V>,
 * CUSTOM_MKVM_SERIES_<S>, CUSTOM_MKVM_PATCH_<SHA8> of what some offering
 * instance has (upper case, other characters than A-Z 0-9 as '_'; every
 * name matches Placement's ^CUSTOM_[A-Z0-9_]+$ and has at most 255 bytes).
 */
GPtrArray *mkvm_export_traits (const MkvmExport *ex);

/** mkvm_export_placement: (transfer full) provider.yaml (schema_version 1.0). */
char *mkvm_export_placement (const MkvmExport *ex);
/**
 * mkvm_export_labels: (transfer full) one KEY=VALUE a line, after one '#'
 * comment line: multikvm.io/host=true, then multikvm.io/profile-<P>,
 * kvm-<V>, series-<S>, patch-<SHA8> ("true" when some offering instance has
 * it, "false" when only others do, so a stale label is overwritten).
 */
char *mkvm_export_labels (const MkvmExport *ex);
/** mkvm_export_prometheus: (transfer full) the textfile collector's format. */
char *mkvm_export_prometheus (const MkvmExport *ex);
/** mkvm_export_json: (transfer full) traits, labels, instances, refusals. */
char *mkvm_export_json (const MkvmExport *ex);

/**
 * mkvm_export_check_target:
 * @path: where a format is to be written
 * @suffix: (nullable) the file name ending its reader needs (".yaml",
 *   ".prom"), or NULL
 * @what: the option that named it, for the message ("--placement")
 *
 * Before anything is written: @path's directory exists, is a directory we
 * can write, @path is not a directory and ends in @suffix.  Else
 * MKVM_ERROR_INVALID (suffix, directory) or MKVM_ERROR_IO, one line.
 */
gboolean mkvm_export_check_target (const char *path, const char *suffix, const char *what,
                                   GError **error);

G_END_DECLS
