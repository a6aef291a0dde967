/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-node.c — instance of a kvm node or open fd, by device number. */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "mkvm-node.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"

MkvmInstance *
mkvm_inventory_find_by_stat (const MkvmInventory *inv, const struct stat *st, const char *path)
{
  MkvmInstance *found = NULL;
  guint n = 0;

  if (!S_ISCHR (st->st_mode))
    return NULL;
  for (guint i = 0; i < inv->instances->len; i++)
    {
      MkvmInstance *inst = g_ptr_array_index (inv->instances, i);

      if (!inst->device_ok || inst->dev != st->st_rdev)
        continue;
      if (path != NULL && g_strcmp0 (inst->device, path) == 0)
        return inst;            /* the node declared at this path */
      found = inst;
      n++;
    }
  return n == 1 ? found : NULL; /* several names of one device: only by path */
}

gboolean
mkvm_node_check (const MkvmInventory *inv, const char *path, guint id, GError **error)
{
  guint found;

  if (!mkvm_inventory_check_device (inv, path, &found, error))
    return FALSE;
  if (found != id)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "device %s is the node of instance %u, not of instance %u",
                   path, found, id);
      return FALSE;
    }
  return TRUE;
}

static gint
guint_cmp (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return (x > y) - (x < y);
}

GArray *
mkvm_node_pid_instances (const MkvmInventory *inv, pid_t pid, GError **error)
{
  g_autofree char *fddir = g_strdup_printf ("%s/%d/fd", mkvm_path_proc (), (int) pid);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) d = pid > 0 ? g_dir_open (fddir, 0, &local) : NULL;
  GArray *ids;
  const char *n;

  if (d == NULL)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot list %s: %s", fddir,
                   local ? local->message : "bad pid");
      return NULL;
    }
  ids = g_array_new (FALSE, FALSE, sizeof (guint));
  while ((n = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (fddir, n, NULL);
      g_autofree char *target = NULL;
      MkvmInstance *inst;
      struct stat st;
      gboolean dup = FALSE;

      if (stat (p, &st) < 0 || !S_ISCHR (st.st_mode))
        continue;
      /* the path in the process's own mount namespace (libvirt's private
       * /dev holds fresh nodes under the host's names) */
      target = g_file_read_link (p, NULL);
      if ((inst = mkvm_inventory_find_by_stat (inv, &st, target)) == NULL)
        continue;
      for (guint i = 0; i < ids->len; i++)
        dup |= g_array_index (ids, guint, i) == inst->id;
      if (!dup)
        g_array_append_val (ids, inst->id);
    }
  g_array_sort (ids, guint_cmp);
  return ids;
}

gboolean
mkvm_node_verify_pid (const MkvmInventory *inv, pid_t pid, guint id, GError **error)
{
  g_autoptr(GArray) ids = mkvm_node_pid_instances (inv, pid, error);
  g_autoptr(GString) have = g_string_new (NULL);

  if (ids == NULL)
    return FALSE;
  if (ids->len == 1 && g_array_index (ids, guint, 0) == id)
    return TRUE;
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (have, "%s%u", i ? ", " : "", g_array_index (ids, guint, i));
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
               "QEMU pid %d has KVM instance(s) %s open, expected only %u: check that the "
               "domain's <emulator> is multikvm-qemu and QEMU supports -accel kvm,device=",
               (int) pid, have->len ? have->str : "none", id);
  return FALSE;
}
