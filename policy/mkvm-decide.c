/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-decide.h"
#include "mkvm-error.h"
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

MkvmDecision *
mkvm_decide (const MkvmPolicy *policy, const MkvmInventory *inv, GPtrArray *records,
             GPtrArray *drains, const MkvmWish *wish, GError **error)
{
  const char *pname;
  const MkvmProfile *prof;
  g_autoptr(GArray) cands = NULL;
  g_autoptr(GString) rejects = NULL;
  const Candidate *best;

  if (wish->instance)
    return decide_pin (policy, inv, drains, wish, error);

  pname = wish->profile ? wish->profile : policy->default_profile;
  prof = mkvm_policy_find_profile (policy, pname);
  if (!prof)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_NOT_FOUND, wish->name,
                             "profile '%s' is not defined in policy %s: use one of its "
                             "profiles or add it", pname, policy->source);
      return NULL;
    }
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
      if (!inst->device_ok)
        why = g_strdup (inst->device_problem);
      else if ((drain = mkvm_drains_find (drains, inst->id)))
        why = g_strdup_printf ("draining (%s)", drain->reason ? drain->reason : "no reason");
      else
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
      mkvm_set_domain_error (error, MKVM_ERROR_NO_CANDIDATE, wish->name,
                             "no instance for profile %s: %s", prof->name, rejects->str);
      return NULL;
    }
  g_array_sort_with_data (cands, candidate_cmp, (gpointer) policy);
  best = &g_array_index (cands, Candidate, 0);
  return decision_new (best->inst, prof->name,
                       g_strdup_printf ("profile %s%s: build_time %" G_GINT64_FORMAT
                                        ", %u domains, %u candidates",
                                        prof->name, wish->profile ? "" : " (default)",
                                        best->inst->build_time, best->load, cands->len));
}

MkvmRecord *
mkvm_place_domain (const char *rundir, const MkvmPolicy *policy, const MkvmInventory *inv,
                   const MkvmWish *wish, GError **error)
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
  if (!(d = mkvm_decide (policy, inv, records, drains, wish, error)))
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
