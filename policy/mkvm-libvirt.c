/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-libvirt.c — libvirt's QEMU driver files (see mkvm-libvirt.h). */
#include <string.h>
#include "mkvm-libvirt.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"

static const char *
libvirt_qemu_rundir (void)
{
  const char *dir = g_getenv ("MULTIKVM_LIBVIRT_RUNDIR");

  return dir && *dir ? dir : "/run/libvirt/qemu";
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
