/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "mkvm-reconcile.h"
#include "mkvm-node.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-state.h"
#include "mkvm-private.h"

static gint
guint_cmp (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return (x > y) - (x < y);
}

GArray *
mkvm_proc_kvm_instances (const MkvmInventory *inv, pid_t pid, GError **error)
{
  g_autofree char *pidstr = g_strdup_printf ("%d", (int) pid);
  g_autofree char *fddir = g_build_filename (mkvm_path_proc (), pidstr, "fd", NULL);
  g_autoptr(GError) local = NULL;
  GDir *d = g_dir_open (fddir, 0, &local);
  GArray *ids;
  const char *n;

  if (pid <= 0 || !d)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot list %s: %s", fddir,
                   local ? local->message : "bad pid");
      if (d)
        g_dir_close (d);
      return NULL;
    }
  ids = g_array_new (FALSE, FALSE, sizeof (guint));
  while ((n = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (fddir, n, NULL);
      struct stat st;
      MkvmInstance *inst;
      if (stat (p, &st) < 0 || !S_ISCHR (st.st_mode))
        continue;
      inst = mkvm_inventory_find_by_stat (inv, &st);
      if (!inst)
        continue;
      gboolean dup = FALSE;
      for (guint i = 0; i < ids->len; i++)
        dup |= g_array_index (ids, guint, i) == inst->id;
      if (!dup)
        g_array_append_val (ids, inst->id);
    }
  g_dir_close (d);
  g_array_sort (ids, guint_cmp);
  return ids;
}

static char *
ids_text (GArray *ids)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%s%u", i ? ", " : "", g_array_index (ids, guint, i));
  if (!ids->len)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

gboolean
mkvm_verify_pid (const MkvmInventory *inv, pid_t pid, guint instance, GError **error)
{
  g_autoptr(GArray) ids = mkvm_proc_kvm_instances (inv, pid, error);
  g_autofree char *have = NULL;
  if (!ids)
    return FALSE;
  if (ids->len == 1 && g_array_index (ids, guint, 0) == instance)
    return TRUE;
  have = ids_text (ids);
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
               "QEMU pid %d has KVM instance(s) %s open, expected only %u: check that the "
               "domain's <emulator> is multikvm-qemu and QEMU supports -accel kvm,device=",
               (int) pid, have, instance);
  return FALSE;
}

pid_t
mkvm_qemu_read_pid (const char *domain_name, GError **error)
{
  const char *dir = g_getenv ("MULTIKVM_LIBVIRT_RUNDIR");
  g_autofree char *file = g_strdup_printf ("%s.pid", domain_name);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  guint64 v;

  if (!dir || !*dir)
    dir = "/run/libvirt/qemu";
  if (!domain_name || strchr (domain_name, '/') || domain_name[0] == '.')
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "bad domain name '%s'",
                   domain_name ? domain_name : "");
      return 0;
    }
  path = g_build_filename (dir, file, NULL);
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot read %s: %s", path,
                   local->message);
      return 0;
    }
  g_strstrip (text);
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT32, &v, NULL))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s holds '%s', not a pid",
                   path, text);
      return 0;
    }
  return (pid_t) v;
}

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
      ids = mkvm_proc_kvm_instances (inv, (pid_t) v, NULL);
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
