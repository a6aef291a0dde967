/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mkvm-divert.h"
#include "mkvm-paths.h"

void
mkvm_divert_free (MkvmDivert *d)
{
  if (!d)
    return;
  g_free (d->diverted_to);
  g_free (d->diverted_by);
  g_free (d->stock_target);
  g_free (d->problem);
  g_free (d->db_error);
  g_free (d);
}

const char *
mkvm_divert_root (void)
{
  const char *root = mkvm_test_getenv ("MULTIKVM_HOSTROOT");
  return root ? root : "";
}

const char *
mkvm_divert_mode_name (MkvmDivertMode mode)
{
  switch (mode)
    {
    case MKVM_DIVERT_ON:
      return "on";
    case MKVM_DIVERT_HALF:
      return "half";
    case MKVM_DIVERT_FOREIGN:
      return "foreign";
    case MKVM_DIVERT_OFF:
    default:
      return "off";
    }
}

/* dpkg's diversions file: triples of lines "from", "to", "package" (":" = local). */
static void
read_db (MkvmDivert *d, const char *root)
{
  g_autofree char *path = g_strconcat (root, MKVM_DIVERT_DB, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        d->db_error = g_strdup (error->message);
      return;
    }
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = 0; i + 2 < n; i += 3)
    if (strcmp (lines[i], MKVM_DIVERT_STOCK) == 0)
      {
        d->diverted_to = g_strdup (lines[i + 1]);
        d->diverted_by = g_strdup (strcmp (lines[i + 2], ":") == 0 ? "LOCAL" : lines[i + 2]);
        return;
      }
}

static void
read_files (MkvmDivert *d, const char *root)
{
  g_autofree char *stock = g_strconcat (root, MKVM_DIVERT_STOCK, NULL);
  g_autofree char *real = g_strconcat (root, MKVM_DIVERT_REAL, NULL);
  struct stat ls, ss, rs;
  gboolean stock_stat = stat (stock, &ss) == 0;
  gboolean real_stat = stat (real, &rs) == 0;

  d->stock_exists = lstat (stock, &ls) == 0;
  if (d->stock_exists && S_ISLNK (ls.st_mode))
    {
      g_autofree char *resolved = realpath (stock, NULL);
      g_autofree char *base = resolved ? g_path_get_basename (resolved) : NULL;

      d->stock_target = g_file_read_link (stock, NULL);
      d->stock_is_wrapper = base && strcmp (base, "multikvm-qemu") == 0 &&
                            access (resolved, X_OK) == 0;
    }
  d->real_ok = real_stat && S_ISREG (rs.st_mode) && (rs.st_mode & 0111);
  d->same_file = stock_stat && real_stat && ss.st_dev == rs.st_dev && ss.st_ino == rs.st_ino;
}

MkvmDivert *
mkvm_divert_read (void)
{
  MkvmDivert *d = g_new0 (MkvmDivert, 1);
  const char *root = mkvm_divert_root ();
  g_autofree char *real = g_strconcat (root, MKVM_DIVERT_REAL, NULL);
  gboolean real_exists = g_file_test (real, G_FILE_TEST_EXISTS);
  gboolean ours;

  read_db (d, root);
  read_files (d, root);
  ours = d->diverted_to && strcmp (d->diverted_by, "LOCAL") == 0 &&
         strcmp (d->diverted_to, MKVM_DIVERT_REAL) == 0;
  if (d->diverted_to && !ours)
    {
      d->mode = MKVM_DIVERT_FOREIGN;
      d->problem = g_strdup_printf ("%s is diverted to %s by %s, not by multikvm",
                                    MKVM_DIVERT_STOCK, d->diverted_to,
                                    strcmp (d->diverted_by, "LOCAL") == 0 ? "a local diversion"
                                                                        : d->diverted_by);
    }
  else if (ours && d->real_ok && d->stock_is_wrapper)
    d->mode = MKVM_DIVERT_ON;
  else if (!ours && !real_exists && !d->stock_is_wrapper)
    d->mode = MKVM_DIVERT_OFF;
  else
    {
      d->mode = MKVM_DIVERT_HALF;
      if (ours && !d->real_ok)
        d->problem = g_strdup_printf ("dpkg diverts %s but the real QEMU %s is missing "
                                      "(QEMU's package removed?)", MKVM_DIVERT_STOCK,
                                      MKVM_DIVERT_REAL);
      else if (ours)
        d->problem = g_strdup_printf ("dpkg diverts %s to %s but %s is not the wrapper yet",
                                      MKVM_DIVERT_STOCK, MKVM_DIVERT_REAL, MKVM_DIVERT_STOCK);
      else if (d->stock_is_wrapper)
        d->problem = g_strdup_printf ("%s is the wrapper but dpkg does not divert it (a QEMU "
                                      "upgrade would overwrite it)", MKVM_DIVERT_STOCK);
      else
        d->problem = g_strdup_printf ("%s exists but dpkg does not divert %s (left by an "
                                      "interrupted divert on/off)", MKVM_DIVERT_REAL,
                                      MKVM_DIVERT_STOCK);
    }
  return d;
}
