/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-decide.h — which instance a domain runs on. */
#pragma once

#include <glib.h>
#include "mkvm-wish.h"
#include "mkvm-policy.h"
#include "mkvm-inventory.h"
#include "mkvm-state.h"

G_BEGIN_DECLS

/**
 * MkvmDecision:
 * @instance: chosen instance id
 * @device: its device node path
 * @profile: the profile applied (NULL for a bare pin)
 * @reason: one line, e.g. "profile hardened: newest build (1732500000), 3 VMs"
 */
typedef struct {
  guint instance;
  char *device;
  char *profile;
  char *reason;
} MkvmDecision;

void mkvm_decision_free (MkvmDecision *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmDecision, mkvm_decision_free)

/**
 * mkvm_decide:
 * @records: (element-type MkvmRecord) (nullable): current records, used as
 *   load (a domain's own record, same uuid, is not counted)
 * @drains: (element-type MkvmDrain) (nullable)
 *
 * Rules:
 *  - pin (wish->instance): the instance must exist, its device must check
 *    out, it must satisfy the requested profile if one is given, and if it
 *    is draining the policy's pin_draining decides (default: refuse,
 *    MKVM_ERROR_DRAINING).
 *  - profile: unknown profile is MKVM_ERROR_NOT_FOUND; candidates are
 *    instances with a good device that satisfy it and are not draining,
 *    ordered newest build_time first, then fewest records/VMs, then id.
 *  - neither: the policy's default profile.
 * With no candidate: MKVM_ERROR_NO_CANDIDATE, message listing every
 * instance and why it was rejected ("1: draining (upgrade); 2: nx_huge_pages=N,
 * profile hardened needs Y") or "no KVM instances found (is vac loaded?)".
 */
MkvmDecision *mkvm_decide (const MkvmPolicy *policy, const MkvmInventory *inv,
                           GPtrArray *records, GPtrArray *drains,
                           const MkvmWish *wish, GError **error);

/**
 * mkvm_place_domain:
 * The hook's "prepare": under the runtime-dir lock, load records and
 * drains, decide, and write the domain's record (pid 0), replacing any
 * earlier record of the same uuid (which is not counted as load).
 * Logs the placement, or the refusal, to the journal (mkvm-journal.h).
 * @rundir NULL = default.
 * Returns: (transfer full) the record written.
 */
MkvmRecord *mkvm_place_domain (const char *rundir, const MkvmPolicy *policy,
                               const MkvmInventory *inv, const MkvmWish *wish,
                               GError **error);

/**
 * mkvm_place_arrival:
 * @arriving: the domain arrives by migration (the hook's "migrate begin")
 * @build: (nullable) the KVM build_id of the instance it ran on at its
 *   source host (its multikvm placement, mkvm-placement.h), NULL when unknown
 *
 * mkvm_place_domain() for an incoming domain: a pin names an instance of
 * the source host, so under <migration pin="build"/> (the default) the
 * domain gets an instance here that runs @build (not draining, good node,
 * the wish's profile if any, the policy's order), and is refused with one
 * line saying what this host lacks when there is none or @build is unknown.
 * Assignments, <pins allow="no"/> and <migration pin="id"/> take the usual
 * rules.  With @arriving FALSE it is mkvm_place_domain().
 * Returns: (transfer full) the record written (its instance is this host's).
 */
MkvmRecord *mkvm_place_arrival (const char *rundir, const MkvmPolicy *policy,
                                const MkvmInventory *inv, const MkvmWish *wish,
                                gboolean arriving, const char *build, GError **error);

G_END_DECLS
