/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * multikvm divert on|off|status: the wrapper stands in for the system's
 * QEMU (mkvm-divert.h), so domains whose <emulator> is the stock
 * /usr/bin/qemu-system-x86_64 (Nova's, virt-install's) are placed too.
 *
 * Every step leaves a working qemu-system-x86_64 at the stock path, so an
 * interruption between two steps never breaks QEMU (the state is "half" and
 * the same command, run again, finishes it).  `dpkg-divert --rename` is not
 * used: it moves the binary away before anything stands in its place.
 *
 *   on:  1. hard-link STOCK to REAL (both names: the real QEMU)
 *        2. dpkg-divert --local --no-rename --divert REAL --add STOCK
 *           (from now on dpkg installs QEMU's binary at REAL)
 *        3. a symlink to the wrapper, renamed over STOCK (atomic)
 *   off: 1. a hard link of REAL, renamed over STOCK (atomic: the original
 *           file, byte for byte, the same inode)
 *        2. dpkg-divert --local --no-rename --remove STOCK
 *        3. unlink REAL (only when it is STOCK's inode)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

typedef struct {
  const char *root;
  char *stock, *real, *tmp;    /* below root */
} Paths;

static void
paths_clear (Paths *p)
{
  g_free (p->stock);
  g_free (p->real);
  g_free (p->tmp);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Paths, paths_clear)

static void
paths_init (Paths *p)
{
  p->root = mkvm_divert_root ();
  p->stock = g_strconcat (p->root, MKVM_DIVERT_STOCK, NULL);
  p->real = g_strconcat (p->root, MKVM_DIVERT_REAL, NULL);
  p->tmp = g_strconcat (p->root, "/usr/bin/.qemu-system-x86_64.multikvm-new", NULL);
}

/* The wrapper the symlink names: the installed one (the test build honours
 * MULTIKVM_WRAPPER). */
static const char *
wrapper_path (void)
{
  const char *w = mkvm_test_getenv ("MULTIKVM_WRAPPER");
  return w ? w : MKVM_WRAPPER_PATH;
}

/* Runs a dpkg tool (with --root below a test root).  FALSE with one line
 * printed (prefixed by @what) on failure. */
static GPtrArray *
dpkg_argv (const Paths *p, const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (args[0]));
  if (*p->root)
    g_ptr_array_add (argv, g_strdup_printf ("--root=%s", p->root));
  for (guint i = 1; args[i]; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  return argv;
}

static gboolean
run_dpkg (const Paths *p, const char *what, const char *const *args)
{
  g_autoptr(GPtrArray) argv = dpkg_argv (p, args);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                     &err, &status, &error))
    {
      cli_fail (EXIT_FAIL, "%s: cannot run %s: %s (divert needs dpkg: a Debian-family host)",
                what, args[0], error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      /* dpkg's last line says why (a lock held by apt, ...) */
      g_auto(GStrv) lines = g_strsplit (g_strstrip (err), "\n", -1);
      guint n = g_strv_length (lines);
      cli_fail (EXIT_FAIL, "%s: %s failed: %s", what, args[0],
                n ? lines[n - 1] : "(no message)");
      return FALSE;
    }
  return TRUE;
}

/* The package owning STOCK, from `dpkg-query -S` (diversion lines skipped). */
static char *
stock_package (const Paths *p)
{
  static const char *const args[] = { "dpkg-query", "--search", MKVM_DIVERT_STOCK, NULL };
  g_autoptr(GPtrArray) argv = dpkg_argv (p, args);
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                     &status, NULL) || !g_spawn_check_wait_status (status, NULL))
    return NULL;
  lines = g_strsplit (out, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_autofree char *suffix = g_strdup_printf (": %s", MKVM_DIVERT_STOCK);
      if (g_str_has_suffix (*l, suffix) && !strstr (*l, "diversion"))
        return g_strndup (*l, strlen (*l) - strlen (suffix));
    }
  return NULL;
}

/* @target (a symlink target, or a hard link of @src when @target is NULL)
 * renamed over @dest: @dest always names a complete file. */
static gboolean
replace (const Paths *p, const char *dest, const char *target, const char *src)
{
  if (unlink (p->tmp) < 0 && errno != ENOENT)
    {
      cli_fail (EXIT_FAIL, "divert: cannot remove %s: %s", p->tmp, g_strerror (errno));
      return FALSE;
    }
  if (target ? symlink (target, p->tmp) < 0 : link (src, p->tmp) < 0)
    {
      cli_fail (EXIT_FAIL, "divert: cannot create %s: %s", p->tmp, g_strerror (errno));
      return FALSE;
    }
  if (rename (p->tmp, dest) < 0)
    {
      int e = errno;
      unlink (p->tmp);
      cli_fail (EXIT_FAIL, "divert: cannot rename %s to %s: %s", p->tmp, dest, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static int
divert_on (void)
{
  g_auto(Paths) p = { 0 };
  g_autoptr(MkvmDivert) d = mkvm_divert_read ();
  const char *w = wrapper_path ();
  gboolean ours = d->diverted_to && d->mode != MKVM_DIVERT_FOREIGN;
  struct stat s;

  paths_init (&p);
  if (d->mode == MKVM_DIVERT_ON)
    {
      printf ("divert: already on (%s is multikvm-qemu, the real QEMU is %s)\n",
              MKVM_DIVERT_STOCK, MKVM_DIVERT_REAL);
      return EXIT_OK;
    }
  if (d->mode == MKVM_DIVERT_FOREIGN)
    return cli_fail (EXIT_REFUSED, "divert on: %s; refusing to touch it", d->problem);
  if (d->db_error)
    return cli_fail (EXIT_FAIL, "divert on: cannot read dpkg's diversions: %s", d->db_error);
  if (access (w, X_OK) < 0)
    return cli_fail (EXIT_FAIL, "divert on: the wrapper %s is not installed (%s)", w,
                     g_strerror (errno));
  if (!d->stock_is_wrapper)
    {
      g_autofree char *pkg = NULL;
      /* STOCK is the real QEMU, installed by its package */
      if (lstat (p.stock, &s) < 0 || !S_ISREG (s.st_mode) || !(s.st_mode & 0111))
        return cli_fail (EXIT_REFUSED, "divert on: %s is not an executable file (install "
                         "qemu-system-x86 first)", MKVM_DIVERT_STOCK);
      if (!ours && (pkg = stock_package (&p)) == NULL)
        return cli_fail (EXIT_REFUSED, "divert on: %s is not installed from a package "
                         "(dpkg-query -S finds none): divert works only for dpkg's QEMU; "
                         "set <emulator>%s</emulator> instead", MKVM_DIVERT_STOCK,
                         MKVM_WRAPPER_PATH);
      if (g_file_test (p.real, G_FILE_TEST_EXISTS) && !d->same_file)
        return cli_fail (EXIT_REFUSED, "divert on: %s exists and is not %s: move it away "
                         "first", MKVM_DIVERT_REAL, MKVM_DIVERT_STOCK);
      /* 1. both names are the real QEMU */
      if (!d->same_file && link (p.stock, p.real) < 0)
        return cli_fail (EXIT_FAIL, "divert on: cannot link %s to %s: %s", MKVM_DIVERT_STOCK,
                         MKVM_DIVERT_REAL, g_strerror (errno));
    }
  else if (!d->real_ok)
    return cli_fail (EXIT_REFUSED, "divert on: %s is the wrapper but the real QEMU %s is "
                     "missing: reinstall qemu-system-x86 (apt-get install --reinstall "
                     "qemu-system-x86)", MKVM_DIVERT_STOCK, MKVM_DIVERT_REAL);
  /* 2. dpkg puts QEMU's updates at REAL */
  if (!ours)
    {
      const char *const args[] = { "dpkg-divert", "--local", "--no-rename", "--divert",
                                   MKVM_DIVERT_REAL, "--add", MKVM_DIVERT_STOCK, NULL };
      if (!run_dpkg (&p, "divert on", args))
        return EXIT_FAIL;
    }
  /* 3. the wrapper stands in for it */
  if (!d->stock_is_wrapper && !replace (&p, p.stock, w, NULL))
    return EXIT_FAIL;
  printf ("divert: on: %s is now %s; dpkg installs QEMU (and its upgrades) as %s, which the "
          "wrapper runs.  Domains started from now on are placed by policy.\n",
          MKVM_DIVERT_STOCK, w, MKVM_DIVERT_REAL);
  return EXIT_OK;
}

static int
divert_off (void)
{
  g_auto(Paths) p = { 0 };
  g_autoptr(MkvmDivert) d = mkvm_divert_read ();
  gboolean ours = d->diverted_to && d->mode != MKVM_DIVERT_FOREIGN;
  struct stat s;

  paths_init (&p);
  if (d->mode == MKVM_DIVERT_OFF)
    {
      printf ("divert: already off\n");
      return EXIT_OK;
    }
  if (d->mode == MKVM_DIVERT_FOREIGN)
    return cli_fail (EXIT_REFUSED, "divert off: %s; refusing to touch it", d->problem);
  if (!d->same_file)
    {
      /* 1. STOCK: the real QEMU again (it must be the wrapper or absent) */
      if (lstat (p.stock, &s) == 0 && !d->stock_is_wrapper)
        return cli_fail (EXIT_REFUSED, "divert off: %s is neither the wrapper nor %s: "
                         "look at both and remove the wrong one", MKVM_DIVERT_STOCK,
                         MKVM_DIVERT_REAL);
      if (!d->real_ok)
        return cli_fail (EXIT_REFUSED, "divert off: the real QEMU %s is missing: reinstall "
                         "qemu-system-x86 (apt-get install --reinstall qemu-system-x86), "
                         "then run divert off again", MKVM_DIVERT_REAL);
      if (!replace (&p, p.stock, NULL, p.real))
        return EXIT_FAIL;
    }
  /* 2. dpkg installs QEMU at STOCK again */
  if (ours)
    {
      const char *const args[] = { "dpkg-divert", "--local", "--no-rename", "--remove",
                                   MKVM_DIVERT_STOCK, NULL };
      if (!run_dpkg (&p, "divert off", args))
        return EXIT_FAIL;
    }
  /* 3. REAL goes: it is STOCK's inode (checked again: nothing else is removed) */
  {
    g_autoptr(MkvmDivert) now = mkvm_divert_read ();
    if (now->same_file && unlink (p.real) < 0)
      return cli_fail (EXIT_FAIL, "divert off: cannot remove %s: %s", MKVM_DIVERT_REAL,
                       g_strerror (errno));
  }
  printf ("divert: off: %s is the real QEMU again (domains running now keep their "
          "instance; new ones need <emulator>%s</emulator>)\n", MKVM_DIVERT_STOCK,
          MKVM_WRAPPER_PATH);
  return EXIT_OK;
}

static int
divert_status (void)
{
  g_autoptr(MkvmDivert) d = mkvm_divert_read ();
  g_autofree char *db = NULL, *stock = NULL;

  if (d->diverted_to)
    db = g_strdup_printf ("%s -> %s (%s)", MKVM_DIVERT_STOCK, d->diverted_to, d->diverted_by);
  else
    db = g_strdup (d->db_error ? d->db_error : "none");
  if (!d->stock_exists)
    stock = g_strdup ("missing");
  else if (d->stock_is_wrapper)
    stock = g_strdup_printf ("the wrapper (-> %s)", d->stock_target);
  else if (d->stock_target)
    stock = g_strdup_printf ("a symlink to %s (not the wrapper)", d->stock_target);
  else
    stock = g_strdup (d->same_file ? "the real QEMU (the same file as " MKVM_DIVERT_REAL ")"
                                   : "the real QEMU");
  printf ("divert: %s\n", mkvm_divert_mode_name (d->mode));
  if (d->problem)
    printf ("  problem: %s\n", d->problem);
  printf ("  dpkg diversion: %s\n", db);
  printf ("  %s: %s\n", MKVM_DIVERT_STOCK, stock);
  printf ("  %s: %s\n", MKVM_DIVERT_REAL, d->real_ok ? "present" : "absent");
  if (d->mode == MKVM_DIVERT_HALF)
    printf ("  fix: multikvm divert on (to finish it) or multikvm divert off (to undo it)\n");
  return d->mode == MKVM_DIVERT_ON || d->mode == MKVM_DIVERT_OFF ? EXIT_OK : EXIT_PROBLEMS;
}

int
cmd_divert (CliGlobal *g, int argc, char **argv)
{
  (void) g;
  if (argc == 2 && strcmp (argv[1], "on") == 0)
    return divert_on ();
  if (argc == 2 && strcmp (argv[1], "off") == 0)
    return divert_off ();
  if (argc == 2 && strcmp (argv[1], "status") == 0)
    return divert_status ();
  return cli_fail (EXIT_USAGE, "usage: multikvm divert on|off|status");
}
