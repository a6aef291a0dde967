/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include "mkvm-sysfs.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"

gboolean
mkvm_vac_write_default (guint id, GError **error)
{
  g_autofree char *path = mkvm_path_vac ("default_instance");
  g_autofree char *text = id ? g_strdup_printf ("%u\n", id) : g_strdup ("none\n");
  FILE *f = fopen (path, "we");
  int e;
  if (!f)
    goto fail;
  if (fputs (text, f) == EOF)
    {
      e = errno;
      fclose (f);
      errno = e;
      goto fail;
    }
  if (fclose (f) != 0)
    goto fail;
  return TRUE;
fail:
  e = errno;
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot write %s: %s", path, g_strerror (e));
  return FALSE;
}
