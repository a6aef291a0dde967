/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-reconcile.h"
#include "mkvm-node.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-state.h"
#include "mkvm-libvirt.h"
#include "mkvm-private.h"

gboolean
mkvm_reconcile (const char *rundir, const MkvmInventory *inv, MkvmReconcileStats *stats,
                GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) qemus = NULL;
  g_autoptr(GHashTable) running = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  MkvmReconcileStats st = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!lock)
    return FALSE;
  if (!(records = mkvm_records_list (rundir, error)) || !(qemus = mkvm_libvirt_qemus (error)))
    return FALSE;
  for (guint q = 0; q < qemus->len; q++)
    {
      MkvmLibvirtQemu *qemu = g_ptr_array_index (qemus, q);
      g_autoptr(GArray) ids = NULL;
      MkvmRecord *old = NULL;
      MkvmInstance *inst;

      g_hash_table_add (running, qemu->uuid);
      ids = mkvm_node_pid_instances (inv, qemu->pid, NULL);
      if (!ids || ids->len == 0)
        continue;               /* not on a KVM instance we know */
      g_hash_table_add (seen, qemu->uuid);
      inst = mkvm_inventory_find (inv, g_array_index (ids, guint, 0));
      for (guint i = 0; i < records->len; i++)
        if (strcmp (((MkvmRecord *) g_ptr_array_index (records, i))->uuid, qemu->uuid) == 0)
          old = g_ptr_array_index (records, i);
      if (old && old->instance == inst->id && old->pid == qemu->pid)
        {
          st.kept++;
          continue;
        }
      g_autoptr(MkvmRecord) r = old ? mkvm_record_copy (old) : mkvm_record_new ();
      if (!old)
        {
          r->uuid = g_strdup (qemu->uuid);
          r->name = g_strdup (qemu->name);
          r->created = now;
        }
      r->instance = inst->id;
      g_free (r->device);
      r->device = g_strdup (inst->device);
      r->pid = qemu->pid;
      r->updated = now;
      g_free (r->reason);
      r->reason = g_strdup_printf ("reconciled from libvirt's pid %d and its /proc/%d/fd",
                                   (int) qemu->pid, (int) qemu->pid);
      if (!mkvm_record_write (rundir, r, error))
        return FALSE;
      if (old)
        st.updated++;
      else
        st.created++;
    }
  for (guint i = 0; i < records->len; i++)
    {
      MkvmRecord *r = g_ptr_array_index (records, i);

      if (g_hash_table_contains (seen, r->uuid))
        continue;
      /* placed, QEMU not started yet: kept for a while (a libvirtd crash
       * between prepare and release would leave it for ever) */
      if (r->pid == 0 && !g_hash_table_contains (running, r->uuid) &&
          now - r->updated <= MKVM_UNSTARTED_MAX)
        continue;
      if (g_hash_table_contains (running, r->uuid))
        {
          st.kept += r->pid != 0;
          continue;
        }
      if (!mkvm_record_remove (rundir, r->uuid, error))
        return FALSE;
      st.removed++;
    }
  if (!mkvm_records_index_rebuild (rundir, error))
    return FALSE;
  if (stats)
    *stats = st;
  return TRUE;
}
