/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "mkvm-reconcile.h"
#include "mkvm-node.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-state.h"

/* uuid and name from a QEMU command line (NUL-separated). */
static gboolean
qemu_identity (pid_t pid, char **uuid, char **name)
{
  g_autofree char *pidstr = g_strdup_printf ("%d", (int) pid);
  g_autofree char *path = g_build_filename (mkvm_path_proc (), pidstr, "cmdline", NULL);
  g_autofree char *buf = NULL;
  gsize len = 0;
  const char *prev = NULL;

  *uuid = *name = NULL;
  if (!g_file_get_contents (path, &buf, &len, NULL))
    return FALSE;
  for (gsize off = 0; off < len; off += strlen (buf + off) + 1)
    {
      const char *arg = buf + off;
      if (prev && strcmp (prev, "-uuid") == 0 && mkvm_uuid_valid (arg) && !*uuid)
        *uuid = g_ascii_strdown (arg, -1);
      else if (prev && strcmp (prev, "-name") == 0 && !*name)
        {
          /* "guest=NAME,debug-threads=on" or plain "NAME"; ",," escapes a comma */
          const char *s = g_str_has_prefix (arg, "guest=") ? arg + 6 : arg;
          GString *n = g_string_new (NULL);
          for (; *s; s++)
            {
              if (*s == ',' && s[1] == ',')
                s++;
              else if (*s == ',')
                break;
              g_string_append_c (n, *s);
            }
          *name = g_string_free (n, FALSE);
        }
      prev = arg;
    }
  if (!*uuid)
    {
      g_clear_pointer (name, g_free);
      return FALSE;
    }
  if (!*name)
    *name = g_strdup (*uuid);
  return TRUE;
}

static gboolean
pid_alive (pid_t pid)
{
  g_autofree char *pidstr = g_strdup_printf ("%d", (int) pid);
  g_autofree char *p = g_build_filename (mkvm_path_proc (), pidstr, NULL);
  return g_file_test (p, G_FILE_TEST_IS_DIR);
}

gboolean
mkvm_reconcile (const char *rundir, const MkvmInventory *inv, MkvmReconcileStats *stats,
                GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  MkvmReconcileStats st = { 0 };
  GDir *d;
  const char *n;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!lock)
    return FALSE;
  if (!(records = mkvm_records_list (rundir, error)))
    return FALSE;
  d = g_dir_open (mkvm_path_proc (), 0, NULL);
  if (!d)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot list %s", mkvm_path_proc ());
      return FALSE;
    }
  while ((n = g_dir_read_name (d)))
    {
      guint64 v;
      g_autoptr(GArray) ids = NULL;
      g_autofree char *uuid = NULL, *name = NULL;
      MkvmRecord *old = NULL;
      if (!g_ascii_string_to_unsigned (n, 10, 1, G_MAXINT32, &v, NULL))
        continue;
      ids = mkvm_node_pid_instances (inv, (pid_t) v, NULL);
      if (!ids || ids->len == 0)
        continue;
      if (!qemu_identity ((pid_t) v, &uuid, &name))
        continue;
      MkvmInstance *inst = mkvm_inventory_find (inv, g_array_index (ids, guint, 0));
      for (guint i = 0; i < records->len; i++)
        if (strcmp (((MkvmRecord *) g_ptr_array_index (records, i))->uuid, uuid) == 0)
          old = g_ptr_array_index (records, i);
      g_hash_table_add (seen, g_strdup (uuid));
      if (old && old->instance == inst->id && old->pid == (pid_t) v)
        {
          st.kept++;
          continue;
        }
      g_autoptr(MkvmRecord) r = old ? mkvm_record_copy (old) : mkvm_record_new ();
      if (!old)
        {
          r->uuid = g_strdup (uuid);
          r->name = g_strdup (name);
          r->created = now;
        }
      r->instance = inst->id;
      g_free (r->device);
      r->device = g_strdup (inst->device);
      r->pid = (pid_t) v;
      r->updated = now;
      g_free (r->reason);
      r->reason = g_strdup_printf ("reconciled from /proc/%d/fd", (int) v);
      if (!mkvm_record_write (rundir, r, error))
        {
          g_dir_close (d);
          return FALSE;
        }
      if (old)
        st.updated++;
      else
        st.created++;
    }
  g_dir_close (d);
  for (guint i = 0; i < records->len; i++)
    {
      MkvmRecord *r = g_ptr_array_index (records, i);
      if (g_hash_table_contains (seen, r->uuid) || r->pid == 0)
        continue;
      if (pid_alive (r->pid))
        {
          st.kept++;
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
