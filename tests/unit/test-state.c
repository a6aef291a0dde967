/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: runtime state (records, drains, lock, atomicity) and reconciliation. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "multikvm.h"
#include "mkvm-private.h"  /* the lock and the writers under it */
#include "fixture.h"

static char *
uuid_n (guint n)
{
  return g_strdup_printf ("%08x-0000-4000-8000-%012x", n, n);
}

static MkvmRecord *
rec_n (guint n, guint instance)
{
  MkvmRecord *r = mkvm_record_new ();
  r->uuid = uuid_n (n);
  r->name = g_strdup_printf ("vm%04u", n);
  r->instance = instance;
  r->device = g_strdup_printf ("/dev/kvm%u", instance);
  r->profile = g_strdup ("standard");
  r->reason = g_strdup ("test");
  r->created = r->updated = 1700000000 + n;
  return r;
}

static void
test_records (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (NULL, &error);
  g_assert_no_error (error);
  for (guint i = 3; i > 0; i--)
    {
      g_autoptr(MkvmRecord) r = rec_n (i, i);
      r->pid = 100 + i;
      g_assert_true (mkvm_record_write (NULL, r, &error));
      g_assert_no_error (error);
    }
  g_autofree char *u2 = uuid_n (2);
  g_autoptr(MkvmRecord) r2 = mkvm_record_load (NULL, u2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r2->name, ==, "vm0002");
  g_assert_cmpuint (r2->instance, ==, 2);
  g_assert_cmpint (r2->pid, ==, 102);
  g_assert_cmpint (r2->created, ==, 1700000002);
  g_assert_cmpstr (r2->profile, ==, "standard");
  /* upper-case lookup finds it too */
  g_autofree char *up = g_ascii_strup (u2, -1);
  g_autoptr(MkvmRecord) r2b = mkvm_record_load (NULL, up, &error);
  g_assert_no_error (error);

  g_autoptr(GPtrArray) all = mkvm_records_list (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpstr (((MkvmRecord *) g_ptr_array_index (all, 0))->name, ==, "vm0001");
  g_assert_cmpuint (mkvm_records_count_on (all, 2), ==, 1);

  g_autoptr(GHashTable) idx = mkvm_records_index (NULL, &error);
  g_assert_cmpuint (g_hash_table_size (idx), ==, 3);
  g_assert_true (mkvm_record_remove (NULL, u2, &error));
  g_assert_true (mkvm_record_remove (NULL, u2, &error));   /* idempotent */
  g_autoptr(GHashTable) idx2 = mkvm_records_index (NULL, &error);
  g_assert_cmpuint (g_hash_table_size (idx2), ==, 2);
  g_assert_false (g_hash_table_contains (idx2, u2));
  /* a missing index is rebuilt from the files */
  g_autofree char *ip = g_build_filename (fx->run, "index.json", NULL);
  g_unlink (ip);
  g_autoptr(GHashTable) idx3 = mkvm_records_index (NULL, &error);
  g_assert_cmpuint (g_hash_table_size (idx3), ==, 2);
  g_assert_null (mkvm_record_load (NULL, u2, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (mkvm_record_load (NULL, "../../etc/passwd", &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_clear_error (&error);

  /* garbage files are skipped, never fatal */
  g_autofree char *junk = g_build_filename (fx->run, "domains", "00000000-0000-0000-0000-000000000000.json", NULL);
  fx_write (junk, "{\"uuid\": 3");
  g_autofree char *other = g_build_filename (fx->run, "domains", "README", NULL);
  fx_write (other, "x");
  g_autoptr(GPtrArray) all2 = mkvm_records_list (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all2->len, ==, 2);
}

static void
test_drains (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = mkvm_drains_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_true (mkvm_drain_set (NULL, 3, "upgrade", &error));
  g_assert_true (mkvm_drain_set (NULL, 1, "bad \"host\"\n", &error));
  g_assert_true (mkvm_drain_set (NULL, 3, "upgrade 2", &error));
  g_assert_no_error (error);
  g_autoptr(GPtrArray) d = mkvm_drains_load (NULL, &error);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpuint (((MkvmDrain *) g_ptr_array_index (d, 0))->instance, ==, 1);
  g_assert_cmpstr (mkvm_drains_find (d, 1)->reason, ==, "bad \"host\"\n");
  g_assert_cmpstr (mkvm_drains_find (d, 3)->reason, ==, "upgrade 2");
  g_assert_cmpint (mkvm_drains_find (d, 3)->since, >, 1700000000);
  g_assert_true (mkvm_drain_clear (NULL, 3, &error));
  g_assert_true (mkvm_drain_clear (NULL, 7, &error));
  g_autoptr(GPtrArray) d2 = mkvm_drains_load (NULL, &error);
  g_assert_cmpuint (d2->len, ==, 1);
  g_assert_null (mkvm_drains_find (d2, 3));
  /* corrupt drains.json is an error (not silently "no drains") */
  g_autofree char *path = g_build_filename (fx->run, "drains.json", NULL);
  fx_write (path, "{");
  g_assert_null (mkvm_drains_load (NULL, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
}

/* SIGKILL writers in a loop: every record and drains.json stays readable. */
static void
test_sigkill_loop (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  guint rounds = g_test_slow () ? 200 : 40;
  for (guint round = 0; round < rounds; round++)
    {
      pid_t pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          for (guint i = 0;; i++)
            {
              g_autoptr(MkvmLock) l = mkvm_lock_acquire (NULL, NULL);
              g_autoptr(MkvmRecord) r = rec_n (i % 20, 1 + i % 3);
              g_free (r->reason);
              r->reason = g_strnfill (2000 + i % 5000, 'x');
              mkvm_record_write (NULL, r, NULL);
              if (i % 7 == 0)
                mkvm_drain_set (NULL, 1 + i % 5, "loop", NULL);
              if (i % 11 == 0)
                mkvm_record_remove (NULL, r->uuid, NULL);
            }
        }
      g_usleep (g_random_int_range (200, 3000));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      /* every file parses; no warnings */
      g_autoptr(GPtrArray) all = mkvm_records_list (NULL, &error);
      g_assert_no_error (error);
      g_autofree char *ddir = g_build_filename (fx->run, "domains", NULL);
      GDir *d = g_dir_open (ddir, 0, NULL);
      const char *n;
      guint json = 0;
      while (d && (n = g_dir_read_name (d)))
        json += g_str_has_suffix (n, ".json") && n[0] != '.';
      if (d)
        g_dir_close (d);
      g_assert_cmpuint (json, ==, all->len);
      g_autoptr(GPtrArray) dr = mkvm_drains_load (NULL, &error);
      g_assert_no_error (error);
      /* every record is in the index (extra entries may only over-count) */
      g_autoptr(GHashTable) index = mkvm_records_index (NULL, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < all->len; i++)
        {
          MkvmRecord *r = g_ptr_array_index (all, i);
          g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (index, r->uuid)), ==,
                            r->instance);
        }
    }
  /* next lock holder removes leftover temp files */
  g_autoptr(MkvmLock) l = mkvm_lock_acquire (NULL, &error);
  g_assert_no_error (error);
  g_autofree char *dd = g_build_filename (fx->run, "domains", NULL);
  GDir *d = g_dir_open (dd, 0, NULL);
  const char *n;
  while ((n = g_dir_read_name (d)))
    g_assert_false (g_str_has_prefix (n, ".tmp-"));
  g_dir_close (d);
  g_test_message ("%u SIGKILL rounds, state readable after each", rounds);
}

/* 50 parallel placements: each domain gets exactly one record, load balanced. */
static void
test_parallel_place (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  const guint n = 50;
  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1000, 0, NULL);
  fx_instance (fx, 2, 1000, 0, NULL);
  g_autoptr(MkvmPolicy) p = mkvm_policy_new_builtin ();
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (p, &error);
  g_assert_no_error (error);
  pid_t pids[50];
  for (guint i = 0; i < n; i++)
    {
      pids[i] = fork ();
      g_assert_cmpint (pids[i], >=, 0);
      if (pids[i] == 0)
        {
          MkvmWish w = { .name = g_strdup_printf ("vm%u", i), .uuid = uuid_n (i) };
          MkvmRecord *r = mkvm_place_domain (NULL, p, inv, &w, NULL);
          _exit (r ? 0 : 1);
        }
    }
  for (guint i = 0; i < n; i++)
    {
      int status;
      waitpid (pids[i], &status, 0);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  g_autoptr(GPtrArray) all = mkvm_records_list (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *u = uuid_n (i);
      g_autoptr(MkvmRecord) r = mkvm_record_load (NULL, u, &error);
      g_assert_no_error (error);
    }
  guint on1 = mkvm_records_count_on (all, 1), on2 = mkvm_records_count_on (all, 2);
  g_autoptr(GHashTable) index = mkvm_records_index (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (index), ==, n);
  g_assert_cmpuint (mkvm_records_index_count_on (index, 1), ==, on1);
  g_test_message ("50 parallel placements: %u on instance 1, %u on instance 2", on1, on2);
  g_assert_cmpuint (on1, ==, 25);
  g_assert_cmpuint (on2, ==, 25);
}

static void
test_reconcile (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  MkvmReconcileStats st;
  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1000, 1, NULL);
  fx_instance (fx, 2, 2000, 1, NULL);
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);

  const guint one[] = { 1, 0 }, two[] = { 2, 0 }, both[] = { 1, 2, 0 };
  g_autofree char *ua = uuid_n (0xa), *ub = uuid_n (0xb), *uc = uuid_n (0xc), *ud = uuid_n (0xd);
  g_autofree char *uf = uuid_n (0xf), *ug = uuid_n (0x10);
  fx_process (fx, 4242, ua, "alpha", one);          /* no record yet */
  fx_libvirt_domain (fx, "alpha,x", ua, 4242, TRUE);
  fx_process (fx, 4243, ub, "beta", two);           /* record says 1: corrected */
  fx_libvirt_domain (fx, "beta", ub, 4243, FALSE);
  fx_process (fx, 77, uc, "noise", NULL);           /* no kvm fds: ignored */
  fx_libvirt_domain (fx, "noise", uc, 77, TRUE);
  fx_process (fx, 4244, uf, "foxtrot", two);        /* f runs on 2 */
  fx_libvirt_domain (fx, "foxtrot", uf, 4244, TRUE);
  /* Not libvirt's: a process holding instance 1 whose argv claims f's
   * uuid (a QEMU can rewrite its argv) must not move f's record. */
  fx_process (fx, 666, uf, "foxtrot", one);
  /* libvirt's files, but the pid is no longer in a machine cgroup
   * (reused by an unrelated process): ignored. */
  fx_process (fx, 667, ug, "golf", one);
  fx_libvirt_domain (fx, "golf", ug, 667, TRUE);
  {
    g_autofree char *cg = g_build_filename (fx->proc, "667", "cgroup", NULL);
    fx_write (cg, "0::/user.slice/user-1000.slice/session-1.scope\n");
  }
  /* a status file that names another pid, and a name with a control
   * character: both skipped */
  fx_process (fx, 668, ug, "hotel", one);
  fx_libvirt_domain (fx, "hotel", ug, 669, TRUE);
  {
    g_autofree char *pf = g_build_filename (fx->libvirt, "hotel.pid", NULL);
    fx_write (pf, "668\n");
  }
  fx_process (fx, 670, ug, "in\x01dia", one);
  fx_libvirt_domain (fx, "in\x01dia", ug, 670, TRUE);
  {
    g_autoptr(MkvmLock) l = mkvm_lock_acquire (NULL, &error);
    g_autoptr(MkvmRecord) rb = rec_n (0xb, 1);
    rb->pid = 4243;
    mkvm_record_write (NULL, rb, &error);
    g_autoptr(MkvmRecord) rd = rec_n (0xd, 2);     /* domain gone: removed */
    rd->pid = 999;
    mkvm_record_write (NULL, rd, &error);
    g_autoptr(MkvmRecord) re = rec_n (0xe, 2);     /* placed, not started: kept */
    re->updated = g_get_real_time () / G_USEC_PER_SEC - 60;
    mkvm_record_write (NULL, re, &error);
    /* placed, never started, and libvirt runs no QEMU for it (a libvirtd
     * crash between prepare and release): removed after a while */
    g_autoptr(MkvmRecord) rh = rec_n (0x11, 2);
    rh->updated = g_get_real_time () / G_USEC_PER_SEC - MKVM_UNSTARTED_MAX - 1;
    mkvm_record_write (NULL, rh, &error);
    g_autoptr(MkvmRecord) rf = rec_n (0xf, 2);     /* true: kept */
    rf->pid = 4244;
    mkvm_record_write (NULL, rf, &error);
    g_assert_no_error (error);
  }
  g_assert_true (mkvm_reconcile (NULL, inv, &st, &error));
  g_assert_no_error (error);
  g_test_message ("kept %u updated %u created %u removed %u", st.kept, st.updated,
                  st.created, st.removed);
  g_assert_cmpuint (st.created, ==, 1);
  g_assert_cmpuint (st.updated, ==, 1);
  g_assert_cmpuint (st.removed, ==, 2);
  g_assert_cmpuint (st.kept, ==, 1);
  {
    g_autofree char *uh = uuid_n (0x11);
    g_assert_null (mkvm_record_load (NULL, uh, &error));
    g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  g_autoptr(MkvmRecord) a = mkvm_record_load (NULL, ua, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->name, ==, "alpha,x");
  g_assert_cmpuint (a->instance, ==, 1);
  g_assert_cmpint (a->pid, ==, 4242);
  g_assert_nonnull (strstr (a->reason, "libvirt's pid 4242"));
  g_autoptr(MkvmRecord) b = mkvm_record_load (NULL, ub, &error);
  g_assert_cmpuint (b->instance, ==, 2);
  g_autoptr(MkvmRecord) f = mkvm_record_load (NULL, uf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->instance, ==, 2);
  g_assert_cmpint (f->pid, ==, 4244);
  g_assert_null (mkvm_record_load (NULL, ug, &error));
  g_clear_error (&error);
  g_assert_null (mkvm_record_load (NULL, ud, &error));
  g_clear_error (&error);
  g_autofree char *ue = uuid_n (0xe);
  g_autoptr(MkvmRecord) e = mkvm_record_load (NULL, ue, &error);
  g_assert_no_error (error);
  /* second run is a no-op */
  g_assert_true (mkvm_reconcile (NULL, inv, &st, &error));
  g_assert_cmpuint (st.kept, ==, 3);
  g_assert_cmpuint (st.created + st.updated + st.removed, ==, 0);

  /* verify_pid */
  g_assert_true (mkvm_node_verify_pid (inv, 4242, 1, &error));
  g_assert_false (mkvm_node_verify_pid (inv, 4242, 2, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  fx_process (fx, 5000, ud, "two", both);
  g_assert_false (mkvm_node_verify_pid (inv, 5000, 1, &error));
  g_assert_nonnull (strstr (error->message, "instance(s) 1, 2"));
  g_clear_error (&error);
  g_assert_false (mkvm_node_verify_pid (inv, 31337, 1, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_IO);
}

/* The runtime dir and its lock: root's, writable by no one else, no
 * symlinks (owner, mode and O_NOFOLLOW are checked by every writer). */
static void
test_rundir (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *lock = g_build_filename (fx->run, "lock", NULL);
  g_autofree char *target = g_build_filename (fx->root, "elsewhere", NULL);
  g_autofree char *real = g_build_filename (fx->root, "realrun", NULL);
  MkvmLock *l;

  l = mkvm_lock_acquire (NULL, &error);
  g_assert_no_error (error);
  mkvm_lock_release (l);
  g_assert_cmpint (chmod (fx->run, 0777), ==, 0);
  g_assert_null (mkvm_lock_acquire (NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "mode 0777"));
  g_clear_error (&error);
  g_assert_cmpint (chmod (fx->run, 0755), ==, 0);
  g_assert_cmpint (chown (fx->run, 1000, -1), ==, 0);
  g_assert_null (mkvm_lock_acquire (NULL, &error));
  g_assert_nonnull (strstr (error->message, "owned by uid 1000"));
  g_clear_error (&error);
  g_assert_cmpint (chown (fx->run, 0, -1), ==, 0);
  /* a lock planted as a symlink is not followed (nor created elsewhere) */
  g_assert_cmpint (g_unlink (lock), ==, 0);
  g_assert_cmpint (symlink (target, lock), ==, 0);
  g_assert_null (mkvm_lock_acquire (NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "symlink"));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (lock), ==, 0);
  /* the runtime dir itself a symlink */
  g_assert_cmpint (rename (fx->run, real), ==, 0);
  g_assert_cmpint (symlink (real, fx->run), ==, 0);
  g_assert_null (mkvm_lock_acquire (NULL, &error));
  g_assert_nonnull (strstr (error->message, "a symlink"));
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (fx->run), ==, 0);
  g_assert_cmpint (rename (real, fx->run), ==, 0);
}

static void
test_qemu_pid (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_setenv ("MULTIKVM_LIBVIRT_RUNDIR", fx->run, TRUE);
  g_autofree char *p = g_build_filename (fx->run, "web1.pid", NULL);
  fx_write (p, "1234");
  g_assert_cmpint (mkvm_libvirt_qemu_pid ("web1", &error), ==, 1234);
  g_assert_no_error (error);
  g_assert_cmpint (mkvm_libvirt_qemu_pid ("../web1", &error), ==, 0);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_clear_error (&error);
  fx_write (p, "12x");
  g_assert_cmpint (mkvm_libvirt_qemu_pid ("web1", &error), ==, 0);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_unsetenv ("MULTIKVM_LIBVIRT_RUNDIR");
}

static void
test_conf (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *c = g_build_filename (fx->root, "multikvm.conf", NULL);
  g_setenv ("MULTIKVM_CONF", c, TRUE);
  g_assert_null (mkvm_conf_get ("qemu", &error));
  g_assert_no_error (error);
  fx_write (c, "# comment\n qemu = /usr/bin/qemu-old\nqemu=/usr/bin/qemu-system-x86_64\nx\n");
  g_autofree char *v = mkvm_conf_get ("qemu", &error);
  g_assert_cmpstr (v, ==, "/usr/bin/qemu-system-x86_64");
  g_unsetenv ("MULTIKVM_CONF");
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/state/records", test_records);
  g_test_add_func ("/state/drains", test_drains);
  g_test_add_func ("/state/sigkill-loop", test_sigkill_loop);
  g_test_add_func ("/state/parallel-place", test_parallel_place);
  g_test_add_func ("/state/reconcile", test_reconcile);
  g_test_add_func ("/state/rundir", test_rundir);
  g_test_add_func ("/state/qemu-pid", test_qemu_pid);
  g_test_add_func ("/state/conf", test_conf);
  return g_test_run ();
}
