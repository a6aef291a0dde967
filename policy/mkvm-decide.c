/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-decide.h"
#include "mkvm-error.h"
#include "mkvm-journal.h"
#include "mkvm-paths.h"
#include "mkvm-private.h"

void
mkvm_decision_free (MkvmDecision *d)
{
  if (!d)
    return;
  g_free (d->device);
  g_free (d->profile);
  g_free (d->reason);
  g_free (d);
}

/* Load of an instance: recorded domains (other than @self) or live VMs,
 * whichever is larger — records cover domains placed but not yet started,
 * vms covers domains started outside multikvm. */
static guint
load_of (const MkvmInstance *inst, GPtrArray *records, const char *self)
{
  guint n = 0;
  for (guint i = 0; records && i < records->len; i++)
    {
      MkvmRecord *r = g_ptr_array_index (records, i);
      if (r->instance == inst->id && (!self || g_strcmp0 (r->uuid, self) != 0))
        n++;
    }
  return MAX (n, inst->vms);
}

typedef struct {
  const MkvmInstance *inst;
  guint load;
} Candidate;

static gint
candidate_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const MkvmPolicy *policy = data;
  const Candidate *ca = a, *cb = b;
  for (guint i = 0; i < policy->order->len; i++)
    {
      switch (g_array_index (policy->order, MkvmOrderKey, i))
        {
        case MKVM_ORDER_NEWEST_BUILD:
          if (ca->inst->build_time != cb->inst->build_time)
            return ca->inst->build_time > cb->inst->build_time ? -1 : 1;
          break;
        case MKVM_ORDER_LEAST_LOADED:
          if (ca->load != cb->load)
            return ca->load < cb->load ? -1 : 1;
          break;
        case MKVM_ORDER_LOWEST_ID:
          break;
        }
    }
  return (ca->inst->id > cb->inst->id) - (ca->inst->id < cb->inst->id);
}

static MkvmDecision *
decision_new (const MkvmInstance *inst, const char *profile, char *reason)
{
  MkvmDecision *d = g_new0 (MkvmDecision, 1);
  d->instance = inst->id;
  d->device = g_strdup (inst->device);
  d->profile = g_strdup (profile);
  d->reason = reason;
  return d;
}

static MkvmDecision *
decide_pin (const MkvmPolicy *policy, const MkvmInventory *inv, GPtrArray *drains,
            const MkvmWish *wish, GError **error)
{
  const MkvmInstance *inst = mkvm_inventory_find (inv, wish->instance);
  const MkvmProfile *prof = NULL;
  MkvmDrain *drain;
  g_autofree char *why = NULL;

  if (!inst)
    {
      g_autoptr(GString) ids = g_string_new (NULL);
      for (guint i = 0; i < inv->instances->len; i++)
        g_string_append_printf (ids, "%s%u", ids->len ? ", " : "",
                                ((MkvmInstance *) g_ptr_array_index (inv->instances, i))->id);
      mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                             "pinned to instance %u, which is not loaded (loaded: %s): "
                             "load it or change the pin with 'multikvm assign %s --instance N'",
                             wish->instance, ids->len ? ids->str : "none", wish->name);
      return NULL;
    }
  if (!inst->device_ok)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_DEVICE, wish->name,
                             "pinned instance %u is unusable: %s", inst->id,
                             inst->device_problem);
      return NULL;
    }
  if (wish->profile)
    {
      prof = mkvm_policy_find_profile (policy, wish->profile);
      if (!prof)
        {
          mkvm_set_domain_error (error, MKVM_ERROR_NOT_FOUND, wish->name,
                                 "profile '%s' is not defined in policy %s: use one of "
                                 "its profiles or add it", wish->profile, policy->source);
          return NULL;
        }
      if (!mkvm_instance_satisfies (inst, prof, &why))
        {
          mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                                 "pinned instance %u does not satisfy profile %s (%s): "
                                 "drop the pin or the profile", inst->id, prof->name, why);
          return NULL;
        }
    }
  drain = mkvm_drains_find (drains, inst->id);
  if (drain && policy->pin_draining == MKVM_PIN_DRAINING_REFUSE)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_DRAINING, wish->name,
                             "pinned instance %u is draining (%s) and takes no new VMs: "
                             "pin another instance, or 'multikvm undrain %u'", inst->id,
                             drain->reason ? drain->reason : "no reason given", inst->id);
      return NULL;
    }
  return decision_new (inst, prof ? prof->name : NULL,
                       g_strdup_printf ("pinned to instance %u%s%s%s", inst->id,
                                        prof ? ", profile " : "", prof ? prof->name : "",
                                        drain ? " (draining, allowed by policy)" : ""));
}

/*
 * What the domain may have: the policy's assignment for it (a wish that
 * asks for something else is refused), else its own wish, unless it pins
 * an instance where the policy allows no pins or asks for a restricted
 * profile, else (it asks for nothing) the profile the policy's <flavors>
 * give its Nova flavor (@flavor set then), else nothing (the default).
 * @eff shares @wish's and the policy's strings.
 */
static gboolean
authorize (const MkvmPolicy *policy, const MkvmWish *wish, MkvmWish *eff, gboolean *assigned,
           const char **flavor, GError **error)
{
  const MkvmAssignment *a = mkvm_policy_find_assignment (policy, wish->uuid, wish->name);
  const MkvmProfile *prof;

  *eff = *wish;
  *assigned = a != NULL;
  *flavor = NULL;
  if (a != NULL)
    {
      if ((wish->instance && wish->instance != a->instance) ||
          (wish->profile && g_strcmp0 (wish->profile, a->profile) != 0))
        {
          g_autoptr(GString) asks = g_string_new (NULL);
          g_autoptr(GString) gives = g_string_new (NULL);

          if (wish->instance)
            g_string_append_printf (asks, "instance %u", wish->instance);
          if (wish->profile)
            g_string_append_printf (asks, "%sprofile %s", asks->len ? ", " : "", wish->profile);
          if (a->instance)
            g_string_append_printf (gives, "instance %u", a->instance);
          if (a->profile)
            g_string_append_printf (gives, "%sprofile %s", gives->len ? ", " : "", a->profile);
          mkvm_set_domain_error (error, MKVM_ERROR_DENIED, wish->name,
                                 "asks for %s, but policy %s assigns it %s: remove the "
                                 "wish from the domain's metadata ('multikvm assign %s "
                                 "--clear') or change the assignment", asks->str,
                                 policy->source, gives->str, wish->name);
          return FALSE;
        }
      eff->instance = a->instance;
      eff->profile = a->profile;
      return TRUE;
    }
  if (wish->instance && !policy->pins_allowed)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_DENIED, wish->name,
                             "asks for instance %u, but policy %s lets no domain pin an "
                             "instance (<pins allow=\"no\"/>): remove the pin ('multikvm "
                             "assign %s --clear') or assign it in the policy's <assignments>",
                             wish->instance, policy->source, wish->name);
      return FALSE;
    }
  if (wish->profile && (prof = mkvm_policy_find_profile (policy, wish->profile)) &&
      prof->restricted)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_DENIED, wish->name,
                             "asks for profile %s, which policy %s restricts: only the "
                             "policy gives it (<assignments>): remove it from the domain's "
                             "metadata ('multikvm assign %s --clear') or assign it in the "
                             "policy", prof->name, policy->source, wish->name);
      return FALSE;
    }
  if (!wish->instance && !wish->profile &&
      (eff->profile = (char *) mkvm_policy_flavor_profile (policy, wish->flavor)))
    *flavor = wish->flavor;  /* mapped to an unrestricted profile: policy load checked */
  return TRUE;
}

/*
 * Candidates: instances with a good node, not draining, satisfying @prof
 * (when given) and running @build (when given), sorted by the policy's
 * order.  The best one, or MKVM_ERROR_NO_CANDIDATE listing each instance
 * and why it was rejected.  @via: how the profile was chosen, for the
 * reason and the refusal (" (default)", " (flavor m1.small)", "").
 */
static MkvmDecision *
decide_among (const MkvmPolicy *policy, const MkvmInventory *inv, GPtrArray *records,
              GPtrArray *drains, const MkvmWish *wish, const MkvmProfile *prof,
              const char *build, gboolean assigned, const char *via, GError **error)
{
  g_autoptr(GArray) cands = NULL;
  g_autoptr(GString) rejects = NULL;
  const Candidate *best;

  if (inv->instances->len == 0)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                             "no KVM instances found (is vac loaded? see 'multikvm "
                             "status' and 'multikvm doctor')");
      return NULL;
    }
  cands = g_array_new (FALSE, FALSE, sizeof (Candidate));
  rejects = g_string_new (NULL);
  for (guint i = 0; i < inv->instances->len; i++)
    {
      const MkvmInstance *inst = g_ptr_array_index (inv->instances, i);
      g_autofree char *why = NULL;
      MkvmDrain *drain;
      if (build && g_strcmp0 (inst->build_id, build) != 0)
        why = g_strdup_printf ("build '%s'", inst->build_id ? inst->build_id : "unknown");
      else if (!inst->device_ok)
        why = g_strdup (inst->device_problem);
      else if ((drain = mkvm_drains_find (drains, inst->id)))
        why = g_strdup_printf ("draining (%s)", drain->reason ? drain->reason : "no reason");
      else if (prof)
        mkvm_instance_satisfies (inst, prof, &why);
      if (why)
        {
          g_string_append_printf (rejects, "%s%u: %s", rejects->len ? "; " : "", inst->id, why);
          continue;
        }
      Candidate c = { inst, load_of (inst, records, wish->uuid) };
      g_array_append_val (cands, c);
    }
  if (cands->len == 0)
    {
      if (build)
        mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                               "no instance here runs KVM build '%s'%s%s: %s", build,
                               prof ? " with profile " : "", prof ? prof->name : "",
                               rejects->str);
      else
        mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                               "no instance for profile %s%s: %s", prof->name,
                               g_str_has_prefix (via, " (flavor") ? via : "", rejects->str);
      return NULL;
    }
  g_array_sort_with_data (cands, candidate_cmp, (gpointer) policy);
  best = &g_array_index (cands, Candidate, 0);
  if (build)
    return decision_new (best->inst, prof ? prof->name : NULL,
                         g_strdup_printf ("build '%s'%s%s: %u domains, %u candidates", build,
                                          prof ? ", profile " : "", prof ? prof->name : "",
                                          best->load, cands->len));
  return decision_new (best->inst, prof->name,
                       g_strdup_printf ("%sprofile %s%s: build_time %" G_GINT64_FORMAT
                                        ", %u domains, %u candidates",
                                        assigned ? "assigned by the policy: " : "",
                                        prof->name, via,
                                        best->inst->build_time, best->load, cands->len));
}

MkvmDecision *
mkvm_decide (const MkvmPolicy *policy, const MkvmInventory *inv, GPtrArray *records,
             GPtrArray *drains, const MkvmWish *req, GError **error)
{
  const char *pname;
  const MkvmProfile *prof;
  MkvmWish eff;
  const MkvmWish *wish = &eff;
  gboolean assigned;
  const char *flavor;
  g_autofree char *via = NULL;
  MkvmDecision *d;

  if (!authorize (policy, req, &eff, &assigned, &flavor, error))
    return NULL;
  if (wish->instance)
    {
      if ((d = decide_pin (policy, inv, drains, wish, error)) && assigned)
        {
          char *r = g_strconcat ("assigned by the policy: ", d->reason, NULL);
          g_free (d->reason);
          d->reason = r;
        }
      return d;
    }

  pname = wish->profile ? wish->profile : policy->default_profile;
  via = flavor ? g_strdup_printf (" (flavor %s)", flavor)
               : g_strdup (wish->profile ? "" : " (default)");
  prof = mkvm_policy_find_profile (policy, pname);
  if (!prof)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_NOT_FOUND, wish->name,
                             "profile '%s' is not defined in policy %s: use one of its "
                             "profiles or add it", pname, policy->source);
      return NULL;
    }
  return decide_among (policy, inv, records, drains, wish, prof, NULL, assigned, via, error);
}

/*
 * A domain arriving by migration, pinned on its source host to an instance
 * that ran KVM build @build: with <migration pin="build"/> (the default)
 * the pin means that build here, unless the policy assigns the domain or
 * allows no pins (then the usual rules apply and refuse or place it).
 */
static MkvmDecision *
decide_arrival (const MkvmPolicy *policy, const MkvmInventory *inv, GPtrArray *records,
                GPtrArray *drains, const MkvmWish *wish, const char *build, GError **error)
{
  const MkvmProfile *prof = NULL;

  if (!wish->instance || policy->migration_pin != MKVM_MIGRATION_PIN_BUILD ||
      !policy->pins_allowed || mkvm_policy_find_assignment (policy, wish->uuid, wish->name))
    return mkvm_decide (policy, inv, records, drains, wish, error);
  if (!build)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                             "arrives pinned to instance %u of its source host without that "
                             "instance's KVM build (no multikvm placement in its live XML): "
                             "run 'multikvm annotate %s' on the source host and migrate "
                             "again, or set <migration pin=\"id\"/> in policy %s",
                             wish->instance, wish->name, policy->source);
      return NULL;
    }
  if (wish->profile && !(prof = mkvm_policy_find_profile (policy, wish->profile)))
    {
      mkvm_set_domain_error (error, MKVM_ERROR_NOT_FOUND, wish->name,
                             "profile '%s' is not defined in policy %s: use one of its "
                             "profiles or add it", wish->profile, policy->source);
      return NULL;
    }
  return decide_among (policy, inv, records, drains, wish, prof, build, FALSE, "", error);
}

static MkvmRecord *
place_domain (const char *rundir, const MkvmPolicy *policy, const MkvmInventory *inv,
              const MkvmWish *wish, gboolean arriving, const char *build, GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) drains = NULL;
  g_autoptr(MkvmDecision) d = NULL;
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(GHashTable) index = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!lock)
    return NULL;
  /* the load count needs only uuid -> instance: the index, one file */
  if (!(index = mkvm_records_index (rundir, error)))
    return NULL;
  {
    GHashTableIter it;
    gpointer k, v;
    records = g_ptr_array_new_full (g_hash_table_size (index),
                                    (GDestroyNotify) mkvm_record_free);
    g_hash_table_iter_init (&it, index);
    while (g_hash_table_iter_next (&it, &k, &v))
      {
        MkvmRecord *r = mkvm_record_new ();
        r->uuid = g_strdup (k);
        r->instance = GPOINTER_TO_UINT (v);
        g_ptr_array_add (records, r);
      }
  }
  if (!(drains = mkvm_drains_load (rundir, error)))
    return NULL;
  d = arriving ? decide_arrival (policy, inv, records, drains, wish, build, error)
               : mkvm_decide (policy, inv, records, drains, wish, error);
  if (!d)
    return NULL;
  rec = mkvm_record_new ();
  rec->uuid = g_strdup (wish->uuid);
  rec->name = g_strdup (wish->name);
  rec->instance = d->instance;
  rec->device = g_strdup (d->device);
  rec->profile = g_strdup (d->profile);
  rec->reason = g_strdup (d->reason);
  rec->created = rec->updated = now;
  if (!mkvm_record_write_indexed (rundir, rec, index, error))
    return NULL;
  return g_steal_pointer (&rec);
}

MkvmRecord *
mkvm_place_domain (const char *rundir, const MkvmPolicy *policy, const MkvmInventory *inv,
                   const MkvmWish *wish, GError **error)
{
  return mkvm_place_arrival (rundir, policy, inv, wish, FALSE, NULL, error);
}

MkvmRecord *
mkvm_place_arrival (const char *rundir, const MkvmPolicy *policy, const MkvmInventory *inv,
                    const MkvmWish *wish, gboolean arriving, const char *build,
                    GError **error)
{
  GError *local = NULL;
  MkvmRecord *rec = place_domain (rundir, policy, inv, wish, arriving, build, &local);

  if (rec)
    mkvm_journal_placed (rec);
  else
    {
      mkvm_journal_refused (wish->uuid, wish->name, wish, local);
      g_propagate_error (error, local);
    }
  return rec;
}
