// SPDX-License-Identifier: GPL-2.0-or-later
/* argv.c — the QEMU command-line surgery of multikvm-qemu. */
#include "argv.h"

#include <string.h>

static gboolean
is_opt (const char *arg, const char *name)
{
  /* QEMU accepts both -opt and --opt. */
  if (arg[0] != '-')
    return FALSE;
  if (arg[1] == '-')
    arg++;
  return strcmp (arg + 1, name) == 0;
}

const char *
mkvm_argv_find_uuid (char **argv)
{
  for (guint i = 1; argv[i] != NULL; i++)
    if (is_opt (argv[i], "uuid"))
      return argv[i + 1];
  return NULL;
}

/* "kvm", "kvm,a=b,device=x" -> "kvm,a=b,device=DEVICE"; NULL if not kvm. */
static char *
rewrite_accel (const char *value, const char *device)
{
  g_auto(GStrv) opts = g_strsplit (value, ",", -1);
  g_autoptr(GString) out = NULL;

  if (opts[0] == NULL || strcmp (opts[0], "kvm") != 0)
    return NULL;
  out = g_string_new ("kvm");
  for (guint i = 1; opts[i] != NULL; i++)
    if (!g_str_has_prefix (opts[i], "device="))
      g_string_append_printf (out, ",%s", opts[i]);
  g_string_append_printf (out, ",device=%s", device);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char **
mkvm_argv_set_kvm_device (char **argv, const char *device, GError **error)
{
  guint n = g_strv_length (argv);
  g_auto(GStrv) out = g_new0 (char *, n + 1);
  gboolean found = FALSE;

  for (guint i = 0; i < n; i++)
    {
      if (i > 0 && argv[i + 1] != NULL && is_opt (argv[i], "accel"))
        {
          char *rewritten = rewrite_accel (argv[i + 1], device);

          out[i] = g_strdup (argv[i]);
          i++;
          out[i] = rewritten ? rewritten : g_strdup (argv[i]);
          found |= rewritten != NULL;
          continue;
        }
      out[i] = g_strdup (argv[i]);
    }
  if (!found)
    {
      g_set_error (error, g_quark_from_static_string ("mkvm-argv-error"), 0,
                   "QEMU's command line has no '-accel kvm' to point at %s "
                   "(the domain must be <domain type='kvm'> and libvirt >= 11)",
                   device);
      return NULL;
    }
  return g_steal_pointer (&out);
}
