/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: one placement (policy + inventory + lock + 1,000 records + decide +
 * record write) with 16 instances, and the state `multikvm status` loads, against
 * a baseline of parsing the domain XML alone.  Last line: the ratio. */
#include <stdio.h>
#include <glib/gstdio.h>
#include "multikvm.h"
#include "mkvm-private.h"  /* the lock and the writers under it */
#include "fixture.h"

#define N_INSTANCES 16
#define N_RECORDS 1000

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

int
main (int argc, char **argv)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  const guint iters = argc > 1 ? (guint) atoi (argv[1]) : 200;
  double *base = g_new (double, iters), *place = g_new (double, iters),
         *status = g_new (double, iters);
  g_autofree char *xml = NULL;

  /* production keeps the runtime dir on tmpfs (/run): do the same */
  g_autofree char *shm = NULL;
  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    {
      shm = g_strdup ("/dev/shm/mkvm-bench-XXXXXX");
      g_assert_nonnull (g_mkdtemp (shm));
    }
  else
    shm = g_build_filename (fx->root, "run", NULL);
  g_setenv ("MULTIKVM_RUNDIR", shm, TRUE);
  fx_vac (fx, NULL);
  for (guint i = 1; i <= N_INSTANCES; i++)
    fx_instance (fx, i, 1700000000 + (i % 4), i % 3,
                 i % 2 ? "nx_huge_pages=Y mitigate_smt_rsb=Y" : "nx_huge_pages=N");
  fx_write_policy (fx, "<policy version='1'><profiles default='standard'>"
                   "<profile name='standard'/><profile name='hardened'>"
                   "<require param='nx_huge_pages' value='Y'/>"
                   "<require param='mitigate_smt_rsb' value='Y'/></profile>"
                   "</profiles></policy>");
  {
    g_autoptr(MkvmLock) lock = mkvm_lock_acquire (NULL, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < N_RECORDS; i++)
      {
        g_autoptr(MkvmRecord) r = mkvm_record_new ();
        r->uuid = g_strdup_printf ("%08x-0000-4000-8000-%012x", i, i);
        r->name = g_strdup_printf ("vm%04u", i);
        r->instance = 1 + i % N_INSTANCES;
        r->device = g_strdup_printf ("/dev/kvm%u", r->instance);
        r->profile = g_strdup ("standard");
        r->reason = g_strdup ("bench");
        r->pid = 10000 + i;
        mkvm_record_write (NULL, r, &error);
        g_assert_no_error (error);
      }
  }
  xml = fx_domain_xml ("bench", "ffffffff-0000-4000-8000-000000000001",
                       "<mkvm:kvm xmlns:mkvm='" MKVM_METADATA_URI "' profile='hardened'/>");

  for (guint i = 0; i < iters; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(MkvmWish) w = mkvm_wish_from_xml (xml, -1, &error);
      gint64 t1 = g_get_monotonic_time ();
      g_autoptr(MkvmPolicy) p = mkvm_policy_load (NULL, &error);
      g_autoptr(MkvmInventory) inv = mkvm_inventory_load (p, &error);
      g_autoptr(MkvmRecord) r = mkvm_place_domain (NULL, p, inv, w, &error);
      gint64 t2 = g_get_monotonic_time ();
      g_assert_no_error (error);
      g_assert_nonnull (r);
      g_autoptr(MkvmPolicy) p2 = mkvm_policy_load (NULL, &error);
      g_autoptr(MkvmInventory) inv2 = mkvm_inventory_load (p2, &error);
      g_autoptr(GHashTable) index = mkvm_records_index (NULL, &error);
      g_autoptr(GPtrArray) drains = mkvm_drains_load (NULL, &error);
      gint64 t3 = g_get_monotonic_time ();
      g_assert_cmpuint (g_hash_table_size (index), ==, N_RECORDS + 1);
      base[i] = (t1 - t0) / 1000.0;
      place[i] = (t1 - t0 + t2 - t1) / 1000.0;
      status[i] = (t3 - t2) / 1000.0;
    }
  double bmin = base[0], plmin = place[0], stmin = status[0];
  for (guint i = 1; i < iters; i++)
    {
      bmin = MIN (bmin, base[i]);
      plmin = MIN (plmin, place[i]);
      stmin = MIN (stmin, status[i]);
    }
  double b = median (base, iters), pl = median (place, iters), st = median (status, iters);
  printf ("instances %u, recorded domains %u, iterations %u\n", N_INSTANCES, N_RECORDS, iters);
  printf ("baseline  (parse domain XML):                        median %8.3f ms, min %8.3f ms\n",
          b, bmin);
  printf ("placement (parse+policy+inventory+lock+decide+write): median %8.3f ms, min %8.3f ms "
          "(goal <= 5 ms)\n", pl, plmin);
  printf ("status    (policy+inventory+index of 1001+drains):    median %8.3f ms, min %8.3f ms\n",
          st, stmin);
  if (argc > 2)   /* the real CLI: `multikvm status` and `status --json`, 20 runs each */
    {
      for (guint j = 0; j < 2; j++)
        {
          double t[20];
          const char *cli_argv[] = { argv[2], "status", j ? "--json" : NULL, NULL };
          for (guint i = 0; i < G_N_ELEMENTS (t); i++)
            {
              gint64 t0 = g_get_monotonic_time ();
              int ws;
              g_spawn_sync (NULL, (char **) cli_argv, NULL,
                            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &ws, &error);
              g_assert_no_error (error);
              g_assert_true (g_spawn_check_wait_status (ws, NULL));
              t[i] = (g_get_monotonic_time () - t0) / 1000.0;
            }
          printf ("multikvm status%s (process, 16 instances, 1001 domains): median %8.3f ms\n",
                  j ? " --json" : "       ", median (t, G_N_ELEMENTS (t)));
        }
    }
  printf ("ratio placement/parse: %.1f\n", pl / b);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", shm);
    if (system (cmd) != 0)
      g_warning ("cannot remove %s", shm);
  }
  g_free (base);
  g_free (place);
  g_free (status);
  return 0;
}
