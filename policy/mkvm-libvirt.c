/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-libvirt.c — libvirt's QEMU driver files (see mkvm-libvirt.h). */
#include <errno.h>
#include <string.h>
#include "mkvm-libvirt.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-private.h"
#include "mkvm-state.h"
#include "mkvm-wish.h"
#include "mkvm-xml.h"

static const char *
libvirt_qemu_rundir (void)
{
  const char *dir = mkvm_test_getenv ("MULTIKVM_LIBVIRT_RUNDIR");

  return dir ? dir : "/run/libvirt/qemu";
}

pid_t
mkvm_libvirt_qemu_pid (const char *domain_name, GError **error)
{
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  guint64 v;

  if (!domain_name || !*domain_name || strchr (domain_name, '/') || domain_name[0] == '.')
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "bad domain name '%s'",
                   domain_name ? domain_name : "");
      return 0;
    }
  file = g_strdup_printf ("%s.pid", domain_name);
  path = g_build_filename (libvirt_qemu_rundir (), file, NULL);
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

void
mkvm_libvirt_qemu_free (MkvmLibvirtQemu *q)
{
  if (q == NULL)
    return;
  g_free (q->name);
  g_free (q->uuid);
  g_free (q);
}

/* One path component of a libvirt machine cgroup: "machine-qemu\x2d3\x2dweb1.scope"
 * (systemd) or "qemu-3-web1.libvirt-qemu" (libvirt's own, under /machine). */
static gboolean
machine_component (const char *c, gsize len, const char *parent, gsize plen)
{
  g_autofree char *s = g_strndup (c, len);

  return (g_str_has_prefix (s, "machine-qemu\\x2d") && g_str_has_suffix (s, ".scope")) ||
         (plen == 7 && strncmp (parent, "machine", 7) == 0 && g_str_has_prefix (s, "qemu-") &&
          g_str_has_suffix (s, ".libvirt-qemu"));
}

gboolean
mkvm_libvirt_machine_cgroup (const char *path, gsize *prefix_len)
{
  const char *prev = NULL, *c = path;
  gsize plen = 0;

  while (c != NULL && *c != '\0')
    {
      const char *end;

      while (*c == '/')
        c++;
      if (*c == '\0')
        break;
      end = strchr (c, '/');
      if (end == NULL)
        end = c + strlen (c);
      if (machine_component (c, end - c, prev, plen))
        {
          if (prefix_len)
            *prefix_len = end - path;
          return TRUE;
        }
      prev = c;
      plen = end - c;
      c = end;
    }
  return FALSE;
}

gboolean
mkvm_libvirt_in_machine_cgroup (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("%s/%d/cgroup", mkvm_path_proc (), (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      /* "ID:CONTROLLERS:/path" (v1) or "0::/path" (v2) */
      const char *p = strchr (*l, ':');

      if (p != NULL && (p = strchr (p + 1, ':')) != NULL && p[1] == '/' &&
          mkvm_libvirt_machine_cgroup (p + 1, NULL))
        return TRUE;
    }
  return FALSE;
}

static xmlNode *
child_element (xmlNode *parent, const char *name)
{
  for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
    if (mkvm_xml_is_elem (c, name))
      return c;
  return NULL;
}

/* <domstatus pid='P'><domain><name>N</name><uuid>U</uuid>...: libvirt's
 * status file of a running domain.  TRUE with *uuid when it names @name and
 * @pid. */
static gboolean
status_matches (const char *path, const char *name, pid_t pid, char **uuid)
{
  g_autofree char *text = NULL, *problem = NULL;
  gsize len = 0;
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root, *dom, *n, *u;
  g_autofree char *ntext = NULL, *utext = NULL;
  xmlChar *p;
  guint64 v = 0;
  gboolean ok;

  *uuid = NULL;
  if (!g_file_get_contents (path, &text, &len, NULL) || len > G_MAXINT)
    return FALSE;
  doc = mkvm_xml_read (text, (int) len, "status.xml", 0, &problem);
  root = doc ? xmlDocGetRootElement (doc) : NULL;
  if (root == NULL || !mkvm_xml_is_elem (root, "domstatus") ||
      (dom = child_element (root, "domain")) == NULL)
    return FALSE;
  if ((n = child_element (dom, "name")) != NULL)
    ntext = mkvm_xml_text (n);
  if ((u = child_element (dom, "uuid")) != NULL)
    utext = mkvm_xml_text (u);
  p = xmlGetProp (root, (const xmlChar *) "pid");
  ok = p != NULL && g_ascii_string_to_unsigned ((const char *) p, 10, 1, G_MAXINT32, &v, NULL) &&
       (pid_t) v == pid && g_strcmp0 (ntext, name) == 0 && mkvm_uuid_valid (utext);
  xmlFree (p);
  if (ok)
    *uuid = g_ascii_strdown (utext, -1);
  return ok;
}

GPtrArray *
mkvm_libvirt_qemus (GError **error)
{
  const char *dir = libvirt_qemu_rundir ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) mkvm_libvirt_qemu_free);
  g_autoptr(GHashTable) pids = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &local);
  const char *n;

  if (d == NULL)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&out);      /* libvirt runs no QEMU */
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot list %s: %s", dir,
                   local->message);
      return NULL;
    }
  while ((n = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *name = NULL, *xml = NULL, *xmlpath = NULL, *uuid = NULL;
      MkvmLibvirtQemu *q;
      pid_t pid;

      if (!g_str_has_suffix (n, ".pid") || strlen (n) <= 4)
        continue;
      name = g_strndup (n, strlen (n) - 4);
      if (!mkvm_domain_name_valid (name) || (pid = mkvm_libvirt_qemu_pid (name, NULL)) == 0)
        continue;
      xml = g_strdup_printf ("%s.xml", name);
      xmlpath = g_build_filename (dir, xml, NULL);
      if (!status_matches (xmlpath, name, pid, &uuid) || !mkvm_libvirt_in_machine_cgroup (pid))
        continue;
      /* a pid two domains claim (a stale file after a crash): neither */
      if (g_hash_table_contains (pids, GINT_TO_POINTER (pid)))
        {
          for (guint i = 0; i < out->len; i++)
            if (((MkvmLibvirtQemu *) g_ptr_array_index (out, i))->pid == pid)
              g_ptr_array_remove_index (out, i--);
          continue;
        }
      g_hash_table_add (pids, GINT_TO_POINTER (pid));
      q = g_new0 (MkvmLibvirtQemu, 1);
      q->name = g_steal_pointer (&name);
      q->uuid = g_steal_pointer (&uuid);
      q->pid = pid;
      g_ptr_array_add (out, q);
    }
  return g_steal_pointer (&out);
}
