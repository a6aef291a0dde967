/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mkvm-paths.h"
#include "mkvm-error.h"

gboolean
mkvm_test_build (void)
{
#ifdef MKVM_TEST_OVERRIDES
  return TRUE;
#else
  return FALSE;
#endif
}

const char *
mkvm_test_getenv (const char *var)
{
#ifdef MKVM_TEST_OVERRIDES
  const char *v = secure_getenv (var);

  return v && *v ? v : NULL;
#else
  (void) var;
  return NULL;
#endif
}

static const char *
env_or (const char *var, const char *def)
{
  const char *v = mkvm_test_getenv (var);
  return v ? v : def;
}

const char *mkvm_path_policy (void) { return env_or ("MULTIKVM_POLICY", "/etc/multikvm/policy.xml"); }
const char *mkvm_path_rundir (void) { return env_or ("MULTIKVM_RUNDIR", "/run/multikvm"); }
const char *mkvm_path_sysfs (void)  { return env_or ("MULTIKVM_SYSFS", "/sys"); }
const char *mkvm_path_devdir (void) { return env_or ("MULTIKVM_DEVDIR", "/dev"); }
const char *mkvm_path_conf (void)   { return env_or ("MULTIKVM_CONF", "/etc/multikvm/multikvm.conf"); }
const char *mkvm_path_proc (void)   { return env_or ("MULTIKVM_PROC", "/proc"); }

char *
mkvm_path_vac (const char *sub)
{
  if (sub)
    return g_build_filename (mkvm_path_sysfs (), "kernel", "vac", sub, NULL);
  return g_build_filename (mkvm_path_sysfs (), "kernel", "vac", NULL);
}

char *
mkvm_conf_get (const char *key, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  const char *path = mkvm_path_conf ();
  char *result = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot read %s: %s",
                   path, local->message);
      return NULL;
    }
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *line = g_strstrip (*l);
      if (*line == '#' || *line == '\0')
        continue;
      char *eq = strchr (line, '=');
      if (!eq)
        continue;
      *eq = '\0';
      if (g_strcmp0 (g_strstrip (line), key) == 0)
        {
          g_free (result);
          result = g_strdup (g_strstrip (eq + 1));
        }
    }
  return result;
}
