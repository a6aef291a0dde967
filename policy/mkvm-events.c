/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mkvm-events.h"
#include "mkvm-node.h"
#include "mkvm-private.h"

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
mkvm_domain_started (const char *rundir, const char *uuid, pid_t pid, GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);
  g_autoptr(MkvmRecord) rec = NULL;

  if (!lock || !(rec = mkvm_record_load (rundir, uuid, error)))
    return FALSE;
  rec->pid = pid;
  rec->updated = now ();
  return mkvm_record_write (rundir, rec, error);
}

gboolean
mkvm_domain_reconnected (const char *rundir, const MkvmInventory *inv, const char *uuid,
                         const char *name, pid_t pid, gboolean *several, guint *instance,
                         GError **error)
{
  g_autoptr(GArray) ids = mkvm_node_pid_instances (inv, pid, error);
  g_autoptr(MkvmLock) lock = NULL;
  g_autoptr(MkvmRecord) rec = NULL;
  MkvmInstance *inst;
  guint id;

  if (several)
    *several = ids && ids->len > 1;
  if (instance)
    *instance = 0;
  if (!ids || !(lock = mkvm_lock_acquire (rundir, error)))
    return FALSE;
  rec = mkvm_record_load (rundir, uuid, NULL);
  if (ids->len == 0)
    return !rec || mkvm_record_remove (rundir, uuid, error);
  id = g_array_index (ids, guint, 0);
  if (instance)
    *instance = id;
  inst = mkvm_inventory_find (inv, id);
  if (rec && rec->instance == id && rec->pid == pid && inst
      && g_strcmp0 (rec->device, inst->device) == 0)
    return TRUE;                /* the record is true */
  if (!rec)
    {
      rec = mkvm_record_new ();
      rec->uuid = g_strdup (uuid);
      rec->name = g_strdup (name);
      rec->created = now ();
    }
  if (rec->instance != id || !inst || g_strcmp0 (rec->device, inst->device) != 0)
    {
      g_free (rec->device);
      rec->device = g_strdup (inst ? inst->device : NULL);
      g_free (rec->reason);
      rec->reason = g_strdup_printf ("reconciled from /proc/%d/fd at reconnect", (int) pid);
      rec->instance = id;
    }
  rec->pid = pid;
  rec->updated = now ();
  return mkvm_record_write (rundir, rec, error);
}

gboolean
mkvm_domain_released (const char *rundir, const char *uuid, GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);

  return lock && mkvm_record_remove (rundir, uuid, error);
}
