/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-policy.h — the host policy (/etc/multikvm/policy.xml). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MkvmProfile:
 * @name: identifier ([a-z0-9][a-z0-9_-]{0,31})
 * @description: free text, may be NULL
 * @params: (element-type utf8 utf8) module parameter name → required value.
 *   An instance satisfies the profile when every listed parameter exists in
 *   /sys/module/<module>/parameters and its value equals the required one
 *   (after trimming; boolean spellings Y/N/1/0 compare equal).
 * @restricted: restricted="yes": a domain's metadata may not ask for it;
 *   only the policy gives it (an assignment, or as the default profile)
 */
typedef struct {
  char *name;
  char *description;
  GHashTable *params;
  gboolean restricted;
} MkvmProfile;

/** Pin on a draining instance: refuse the start (default) or allow it. */
typedef enum {
  MKVM_PIN_DRAINING_REFUSE,
  MKVM_PIN_DRAINING_ALLOW,
} MkvmPinDraining;

/**
 * How a domain that arrives by migration pinned to an instance of its
 * source host is placed: on an instance here running the same KVM build as
 * the source's instance (default), or on the instance with the same id.
 */
typedef enum {
  MKVM_MIGRATION_PIN_BUILD,
  MKVM_MIGRATION_PIN_ID,
} MkvmMigrationPin;

/** Keys of the selection order among eligible instances. */
typedef enum {
  MKVM_ORDER_NEWEST_BUILD,   /* higher build_time first */
  MKVM_ORDER_LEAST_LOADED,   /* fewer domains (max of records and vms) first */
  MKVM_ORDER_LOWEST_ID,      /* lower id first (always the final tie-break) */
} MkvmOrderKey;

/** A statically declared instance (hosts whose multi-KVM kernel is not vac). */
typedef struct {
  guint id;
  char *device;   /* absolute device node path, e.g. /dev/kvm-hardened */
  char *module;   /* module whose parameters apply, may be NULL */
} MkvmStaticInstance;

/**
 * MkvmAssignment: the policy's own placement of one domain (<assignments>).
 * @uuid: lower case, or NULL when the domain is named
 * @name: the domain's name, or NULL when it is given by uuid
 * @instance: pinned instance, 0 for none
 * @profile: profile, NULL for none (at least one of the two is set)
 */
typedef struct {
  char *uuid;
  char *name;
  guint instance;
  char *profile;
} MkvmAssignment;

/**
 * MkvmFlavor: an OpenStack Nova flavor's profile (<flavors>).
 * @name: the flavor's name, exactly as Nova writes it (no patterns)
 * @profile: a defined, unrestricted profile
 */
typedef struct {
  char *name;
  char *profile;
} MkvmFlavor;

/**
 * MkvmPolicy:
 * @profiles: (element-type MkvmProfile) in file order
 * @default_profile: name of the profile used when a domain asks for none
 * @pin_draining: see MkvmPinDraining
 * @order: (element-type MkvmOrderKey) selection order, default
 *   newest-build then least-loaded; lowest id is always the last tie-break
 * @statics: (element-type MkvmStaticInstance)
 * @source: file the policy came from, or "(built-in)"
 * @pins_allowed: <pins allow="no"/> makes it FALSE: a domain's metadata may
 *   not pin an instance (an assignment may)
 * @assignments: (element-type MkvmAssignment) in file order
 * @migration_pin: <migration pin="build|id"/>, see MkvmMigrationPin
 * @flavors: (element-type MkvmFlavor) in file order
 */
typedef struct {
  GPtrArray *profiles;
  char *default_profile;
  MkvmPinDraining pin_draining;
  GArray *order;
  GPtrArray *statics;
  char *source;
  gboolean pins_allowed;
  GPtrArray *assignments;
  MkvmMigrationPin migration_pin;
  GPtrArray *flavors;
} MkvmPolicy;

void mkvm_policy_free (MkvmPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmPolicy, mkvm_policy_free)

/**
 * mkvm_policy_parse:
 * @xml, @len: document (len -1 = NUL-terminated)
 * @source: name used in error messages
 *
 * Validates against the shipped RelaxNG schema (embedded in the library,
 * identical to data/policy.rng) and then checks semantics (unique profile
 * names and static ids, default profile exists).
 * Returns: (transfer full) or NULL with MKVM_ERROR_INVALID.
 */
MkvmPolicy *mkvm_policy_parse (const char *xml, gssize len, const char *source,
                               GError **error);

/**
 * mkvm_policy_load:
 * @path: file, or NULL for mkvm_path_policy()
 *
 * A missing file at the default path yields the built-in policy (one
 * profile "default" requiring nothing, pins on draining instances refused);
 * a missing explicit path is MKVM_ERROR_NOT_FOUND.
 */
MkvmPolicy *mkvm_policy_load (const char *path, GError **error);

/** mkvm_policy_new_builtin: the policy used when no file exists. */
MkvmPolicy *mkvm_policy_new_builtin (void);

/** mkvm_policy_find_profile: (transfer none) profile by name or NULL. */
MkvmProfile *mkvm_policy_find_profile (const MkvmPolicy *policy, const char *name);

/**
 * mkvm_policy_find_assignment:
 * Returns: (transfer none) (nullable) the assignment of the domain with
 * @uuid, else of the domain named @name.
 */
const MkvmAssignment *mkvm_policy_find_assignment (const MkvmPolicy *policy,
                                                   const char *uuid, const char *name);

/**
 * mkvm_policy_flavor_profile:
 * Returns: (transfer none) (nullable) the profile the policy's <flavors>
 * give Nova flavor @flavor, NULL when @flavor is NULL or not listed.
 */
const char *mkvm_policy_flavor_profile (const MkvmPolicy *policy, const char *flavor);

/** mkvm_policy_schema: (transfer none) the embedded RelaxNG schema text. */
const char *mkvm_policy_schema (void);

G_END_DECLS
