/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the inventory from a fixture sysfs tree. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <glib/gstdio.h>
#include "multikvm.h"
#include "fixture.h"

static void
test_no_vac (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (inv->abi, ==, 0);
  g_assert_cmpuint (inv->instances->len, ==, 0);
}

static void
test_bad_abi (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  fx_vac (fx, "2");
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_null (inv);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_ABI);
  g_assert_nonnull (strstr (error->message, "ABI '2'"));
}

static void
test_instances (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  fx_vac (fx, NULL);
  fx_instance (fx, 2, 2000, 3, "nx_huge_pages=Y mitigate_smt_rsb=N");
  fx_instance (fx, 1, 1000, 0, "nx_huge_pages=N");
  /* a non-id directory is ignored */
  g_autofree char *junk = g_build_filename (fx->sys, "kernel/vac/instances/01", NULL);
  g_mkdir_with_parents (junk, 0755);
  g_autofree char *def = g_build_filename (fx->sys, "kernel/vac/default_instance", NULL);
  fx_write (def, "2\n");

  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (inv->abi, ==, 1);
  g_assert_cmpstr (inv->vendor, ==, "amd");
  g_assert_cmpuint (inv->default_instance, ==, 2);
  g_assert_cmpuint (inv->instances->len, ==, 2);
  MkvmInstance *a = g_ptr_array_index (inv->instances, 0);
  MkvmInstance *b = mkvm_inventory_find (inv, 2);
  g_assert_cmpuint (a->id, ==, 1);
  g_assert_cmpstr (a->module, ==, "kvm_amd_1");
  g_assert_true (a->device_ok);
  g_assert_null (a->device_problem);
  g_assert_cmpuint (major (b->dev), ==, 240);
  g_assert_cmpuint (minor (b->dev), ==, 2);
  g_assert_cmpuint (b->vms, ==, 3);
  g_assert_cmpuint (b->vcpus, ==, 6);
  g_assert_cmpint (b->build_time, ==, 2000);
  g_assert_cmpstr (g_hash_table_lookup (b->params, "nx_huge_pages"), ==, "Y");
  g_assert_null (mkvm_inventory_find (inv, 3));

  /* device check used by the wrapper */
  guint id = 0;
  g_autofree char *node = g_build_filename (fx->dev, "kvm2", NULL);
  g_assert_true (mkvm_inventory_check_device (inv, node, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 2);
  g_assert_false (mkvm_inventory_check_device (inv, "/dev/null", &id, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE);
  g_clear_error (&error);
  g_autofree char *missing = g_build_filename (fx->dev, "kvm9", NULL);
  g_assert_false (mkvm_inventory_check_device (inv, missing, &id, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE);
  g_clear_error (&error);
  g_assert_false (mkvm_inventory_check_device (inv, fx->dev, &id, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE);
}

static void
test_device_problems (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1, 0, NULL);
  fx_instance (fx, 2, 1, 0, NULL);
  fx_instance (fx, 3, 1, 0, NULL);
  g_autofree char *n1 = g_build_filename (fx->dev, "kvm1", NULL);
  g_autofree char *n2 = g_build_filename (fx->dev, "kvm2", NULL);
  g_autofree char *n3 = g_build_filename (fx->dev, "kvm3", NULL);
  g_unlink (n1);                                   /* missing */
  g_unlink (n2);
  g_assert_cmpint (mknod (n2, S_IFCHR | 0600, makedev (240, 77)), ==, 0);   /* stale */
  g_unlink (n3);
  fx_write (n3, "regular file\n");                 /* not a char device */
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      MkvmInstance *in = g_ptr_array_index (inv->instances, i);
      g_assert_false (in->device_ok);
      g_test_message ("%u: %s", in->id, in->device_problem);
    }
  g_assert_nonnull (strstr (mkvm_inventory_find (inv, 1)->device_problem, "No such file"));
  g_assert_nonnull (strstr (mkvm_inventory_find (inv, 2)->device_problem, "vac reports 240:2"));
  g_assert_nonnull (strstr (mkvm_inventory_find (inv, 3)->device_problem, "not a character"));
}

static void
test_malformed_sysfs (void)
{
  const char *cases[][2] = {
    { "dev", "240\n" }, { "dev", "a:b\n" }, { "id", "3\n" }, { "vms", "-1\n" },
    { "build_time", "soon\n" }, { "devname", "../kvm1\n" }, { "module", "a/b\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Fixture) fx = fx_new ();
      g_autoptr(GError) error = NULL;
      fx_vac (fx, NULL);
      fx_instance (fx, 1, 1, 0, NULL);
      g_autofree char *p = g_build_filename (fx->sys, "kernel/vac/instances/1", cases[i][0], NULL);
      fx_write (p, cases[i][1]);
      g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
      g_assert_null (inv);
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_ABI);
      g_test_message ("%s", error->message);
    }
}

static MkvmPatch *
patch_at (const MkvmInstance *in, guint i)
{
  return g_ptr_array_index (in->build.patches, i);
}

/* issue 13: the build identity files, and the running kernel */
static void
test_build (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *osrelease = g_build_filename (fx->proc, "sys/kernel/osrelease", NULL);
  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1, 0, NULL);
  fx_instance (fx, 2, 2, 0, NULL);
  fx_build (fx, 1, "6.12.107", "");
  fx_build (fx, 2, "6.12.117", "fix-foo.patch@1a2b3c4d  fix-bar.patch@0BADCAFE");
  fx_write (osrelease, "6.12.107+deb12-amd64\n");

  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (inv->kernel_release, ==, "6.12.107+deb12-amd64");
  MkvmInstance *a = mkvm_inventory_find (inv, 1), *b = mkvm_inventory_find (inv, 2);
  g_assert_cmpstr (a->build.kvm_version, ==, "6.12.107");
  g_assert_cmpstr (a->build.kvm_source, ==, "6.12.107-1~deb12u1");
  g_assert_cmpstr (a->build.multikvm_version, ==, "0.1.0");
  g_assert_cmpstr (a->build.series, ==, "3f2a9c01");
  g_assert_cmpstr (a->build.kernel, ==, "6.12.107+deb12-amd64");
  g_assert_nonnull (a->build.patches);
  g_assert_cmpuint (a->build.patches->len, ==, 0);
  g_assert_false (mkvm_instance_kvm_differs (inv, a));
  g_assert_cmpuint (b->build.patches->len, ==, 2);
  g_assert_cmpstr (patch_at (b, 0)->name, ==, "fix-foo.patch");
  g_assert_cmpstr (patch_at (b, 0)->sha, ==, "1a2b3c4d");
  g_assert_cmpstr (patch_at (b, 1)->name, ==, "fix-bar.patch");
  g_assert_cmpstr (patch_at (b, 1)->sha, ==, "0BADCAFE");
  g_assert_true (mkvm_instance_kvm_differs (inv, b));
}

/* an older vac publishes none (or some) of the files: unknown, not an error */
static void
test_build_missing (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1, 0, NULL);
  fx_instance (fx, 2, 1, 0, NULL);
  g_autofree char *kv = g_build_filename (fx->sys, "kernel/vac/instances/2/kvm_version", NULL);
  g_autofree char *src = g_build_filename (fx->sys, "kernel/vac/instances/2/kvm_source", NULL);
  fx_write (kv, "6.12.117\n");
  fx_write (src, "\n");

  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (inv->kernel_release);        /* no <proc>/sys/kernel/osrelease */
  for (guint id = 1; id <= 2; id++)
    {
      MkvmInstance *in = mkvm_inventory_find (inv, id);
      g_assert_cmpstr (in->build.kvm_version, ==, id == 2 ? "6.12.117" : NULL);
      g_assert_null (in->build.kvm_source);
      g_assert_null (in->build.multikvm_version);
      g_assert_null (in->build.series);
      g_assert_null (in->build.patches);
      g_assert_null (in->build.kernel);
      g_assert_nonnull (in->build_id);
      g_assert_false (mkvm_instance_kvm_differs (inv, in));   /* running kernel unknown */
    }
}

static void
test_build_malformed (void)
{
  g_autofree char *long_kernel = g_strnfill (65, 'k');
  g_autofree char *long_patch = g_strdup_printf ("%s@1a2b3c4d", long_kernel);
  const char *cases[][2] = {
    { "kvm_version", "6.12\001117\n" }, { "kvm_version", "6.12 117\n" },
    { "kvm_version", "6.12.117\n6.12.118\n" }, { "kvm_source", "6.12.117\t-1\n" },
    { "kvm_source", "\xff\xfe\n" }, { "kvm_source", "x\xc2\x85y\n" },
    { "series", "3f2a9c0\n" }, { "series", "3f2a9c0g\n" }, { "series", "3f2a9c011\n" },
    { "patches", "fix-foo.patch\n" }, { "patches", "fix-foo.patch@1a2b3c\n" },
    { "patches", "@1a2b3c4d\n" }, { "patches", "../fix.patch@1a2b3c4d\n" },
    { "patches", "..@1a2b3c4d\n" }, { "patches", "a@1a2b3c4d\033[2J\n" },
    { "kernel", long_kernel },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Fixture) fx = fx_new ();
      g_autoptr(GError) error = NULL;
      fx_vac (fx, NULL);
      fx_instance (fx, 1, 1, 0, NULL);
      fx_build (fx, 1, "6.12.117", "");
      g_autofree char *p = g_build_filename (fx->sys, "kernel/vac/instances/1", cases[i][0], NULL);
      fx_write (p, cases[i][1]);
      g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
      g_assert_null (inv);
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_ABI);
      g_assert_nonnull (strstr (error->message, cases[i][0]));
      g_assert_null (strchr (error->message, '\n'));
      g_test_message ("%s", error->message);
    }
  /* bounds are inclusive: a 64-byte kernel release and a 255-byte patch name are fine */
  {
    g_autoptr(Fixture) fx = fx_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *k64 = g_strnfill (64, 'k');
    g_autofree char *n255 = g_strnfill (255, 'p');
    g_autofree char *pl = g_strdup_printf ("%s@1a2b3c4d", n255);
    fx_vac (fx, NULL);
    fx_instance (fx, 1, 1, 0, NULL);
    fx_build (fx, 1, "6.12.117", pl);
    g_autofree char *p = g_build_filename (fx->sys, "kernel/vac/instances/1/kernel", NULL);
    fx_write (p, k64);
    g_autoptr(MkvmInventory) inv = mkvm_inventory_load (NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (mkvm_inventory_find (inv, 1)->build.kernel, ==, k64);
    /* one byte more is refused */
    g_autofree char *pl2 = g_strdup_printf ("p%s", pl);
    g_autofree char *pp = g_build_filename (fx->sys, "kernel/vac/instances/1/patches", NULL);
    fx_write (pp, pl2);
    g_autoptr(MkvmInventory) inv2 = mkvm_inventory_load (NULL, &error);
    g_assert_null (inv2);
    g_assert_error (error, MKVM_ERROR, MKVM_ERROR_ABI);
  }
}

static void
test_release_version (void)
{
  const char *cases[][2] = {
    { "6.12.107+deb12-amd64", "6.12.107" }, { "6.12.38+deb13-cloud-amd64", "6.12.38" },
    { "6.1.0-18-amd64", "6.1.0" }, { "6.12.117", "6.12.117" }, { "", NULL },
    { "+deb12", NULL }, { "6.12.x-1", NULL }, { "6.12.-1", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *v = mkvm_release_version (cases[i][0]);
      g_assert_cmpstr (v, ==, cases[i][1]);
    }
  g_assert_null (mkvm_release_version (NULL));
}

static void
test_static (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *node = g_build_filename (fx->dev, "kvm-old", NULL);
  g_assert_cmpint (mknod (node, S_IFCHR | 0600, makedev (10, 232)), ==, 0);
  g_autofree char *xml = g_strdup_printf (
    "<policy version='1'><profiles default='a'><profile name='a'/></profiles>"
    "<instances><instance id='50' device='%s' module='kvm_amd'/></instances></policy>", node);
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (xml, -1, "t", &error);
  g_assert_no_error (error);
  g_autofree char *pdir = g_build_filename (fx->sys, "module/kvm_amd/parameters/npt", NULL);
  fx_write (pdir, "Y\n");
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (p, &error);
  g_assert_no_error (error);
  MkvmInstance *s = mkvm_inventory_find (inv, 50);
  g_assert_nonnull (s);
  g_assert_true (s->is_static);
  g_assert_true (s->device_ok);
  g_assert_cmpstr (g_hash_table_lookup (s->params, "npt"), ==, "Y");
  guint id;
  g_assert_true (mkvm_inventory_check_device (inv, node, &id, &error));
  g_assert_cmpuint (id, ==, 50);
  /* clash with vac */
  fx_vac (fx, NULL);
  fx_instance (fx, 50, 1, 0, NULL);
  g_autoptr(MkvmInventory) inv2 = mkvm_inventory_load (p, &error);
  g_assert_null (inv2);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
}

/* Static nodes of one device number are told apart by path. */
static void
test_static_same_rdev (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *a = g_build_filename (fx->dev, "kvm7", NULL);
  g_autofree char *b = g_build_filename (fx->dev, "kvm8", NULL);
  g_assert_cmpint (mknod (a, S_IFCHR | 0600, makedev (10, 232)), ==, 0);
  g_assert_cmpint (mknod (b, S_IFCHR | 0600, makedev (10, 232)), ==, 0);
  g_autofree char *xml = g_strdup_printf (
    "<policy version='1'><profiles default='a'><profile name='a'/></profiles>"
    "<instances><instance id='7' device='%s'/><instance id='8' device='%s'/></instances>"
    "</policy>", a, b);
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (xml, -1, "t", &error);
  g_assert_no_error (error);
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (p, &error);
  g_assert_no_error (error);
  guint id = 0;
  g_assert_true (mkvm_inventory_check_device (inv, b, &id, &error));
  g_assert_cmpuint (id, ==, 8);
  g_assert_true (mkvm_inventory_check_device (inv, a, &id, &error));
  g_assert_cmpuint (id, ==, 7);
  /* and from /proc/PID/fd */
  const guint eight[] = { 8, 0 };
  fx_process (fx, 321, "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11", "x", eight);
  g_autoptr(GArray) ids = mkvm_node_pid_instances (inv, 321, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpuint (g_array_index (ids, guint, 0), ==, 8);
}

/*
 * Static instances seen from QEMU's side: libvirt gives QEMU a private /dev
 * with fresh nodes (other inodes, same names and device numbers).  A child
 * in its own mount namespace mounts a tmpfs over the fixture's dev, makes
 * fresh nodes there and opens two of them; the parent (the hook's view)
 * finds both instances from /proc/CHILD/fd.  1:3 and 1:5 stand in for KVM
 * devices (they open without a driver of ours): 7 and 8 are two names of
 * one device, 9 the only node of its device (like device="/dev/kvm").
 */
static void
test_static_private_dev (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  const char *names[] = { "kvm7", "kvm8", "kvm" };
  const dev_t devs[] = { makedev (1, 3), makedev (1, 3), makedev (1, 5) };
  g_autofree char *xml = NULL;
  int ready[2];
  char c;
  pid_t child;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *p = g_build_filename (fx->dev, names[i], NULL);
      g_assert_cmpint (mknod (p, S_IFCHR | 0600, devs[i]), ==, 0);
    }
  xml = g_strdup_printf ("<policy version='1'><profiles default='a'><profile name='a'/>"
                         "</profiles><instances><instance id='7' device='%s/kvm7'/>"
                         "<instance id='8' device='%s/kvm8'/><instance id='9' device='%s/kvm'/>"
                         "</instances></policy>", fx->dev, fx->dev, fx->dev);
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (xml, -1, "t", &error);
  g_assert_no_error (error);
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (p, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pipe (ready), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
          mount ("tmpfs", fx->dev, "tmpfs", 0, "mode=0755") < 0)
        _exit (1);
      for (guint i = 0; i < 3; i++)
        {
          g_autofree char *n = g_build_filename (fx->dev, names[i], NULL);
          if (mknod (n, S_IFCHR | 0600, devs[i]) < 0 || (i > 0 && open (n, O_RDWR) < 0))
            _exit (1);
        }
      if (write (ready[1], "x", 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  close (ready[1]);
  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  close (ready[0]);
  g_setenv ("MULTIKVM_PROC", "/proc", TRUE);
  g_autoptr(GArray) ids = mkvm_node_pid_instances (inv, child, &error);
  g_setenv ("MULTIKVM_PROC", fx->proc, TRUE);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (ids, guint, 0), ==, 8);
  g_assert_cmpuint (g_array_index (ids, guint, 1), ==, 9);
}

static void
test_satisfies (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1, 0, "nx_huge_pages=1 vmentry_l1d_flush=cond");
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (
    "<policy version='1'><profiles default='a'><profile name='a'>"
    "<require param='nx_huge_pages' value='Y'/><require param='vmentry_l1d_flush' value='always|cond'/>"
    "</profile><profile name='b'><require param='nx_huge_pages' value='N'/></profile>"
    "<profile name='c'><require param='mitigate_smt_rsb' value='Y'/></profile></profiles></policy>",
    -1, "t", &error);
  g_assert_no_error (error);
  g_autoptr(MkvmInventory) inv = mkvm_inventory_load (p, &error);
  g_assert_no_error (error);
  MkvmInstance *in = mkvm_inventory_find (inv, 1);
  char *why = NULL;
  g_assert_true (mkvm_instance_satisfies (in, mkvm_policy_find_profile (p, "a"), &why));
  g_assert_null (why);
  g_assert_false (mkvm_instance_satisfies (in, mkvm_policy_find_profile (p, "b"), &why));
  g_assert_cmpstr (why, ==, "nx_huge_pages=1, profile b needs N");
  g_free (why);
  g_assert_false (mkvm_instance_satisfies (in, mkvm_policy_find_profile (p, "c"), &why));
  g_assert_nonnull (strstr (why, "no parameter mitigate_smt_rsb"));
  g_free (why);
}

static void
test_write_default (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  fx_vac (fx, NULL);
  g_assert_true (mkvm_vac_write_default (3, &error));
  g_autofree char *path = g_build_filename (fx->sys, "kernel/vac/default_instance", NULL);
  g_autofree char *text = NULL;
  g_file_get_contents (path, &text, NULL, NULL);
  g_assert_cmpstr (text, ==, "3\n");
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inventory/no-vac", test_no_vac);
  g_test_add_func ("/inventory/bad-abi", test_bad_abi);
  g_test_add_func ("/inventory/instances", test_instances);
  g_test_add_func ("/inventory/device-problems", test_device_problems);
  g_test_add_func ("/inventory/malformed-sysfs", test_malformed_sysfs);
  g_test_add_func ("/inventory/build", test_build);
  g_test_add_func ("/inventory/build-missing", test_build_missing);
  g_test_add_func ("/inventory/build-malformed", test_build_malformed);
  g_test_add_func ("/inventory/release-version", test_release_version);
  g_test_add_func ("/inventory/static", test_static);
  g_test_add_func ("/inventory/static-same-rdev", test_static_same_rdev);
  g_test_add_func ("/inventory/static-private-dev", test_static_private_dev);
  g_test_add_func ("/inventory/satisfies", test_satisfies);
  g_test_add_func ("/inventory/write-default", test_write_default);
  return g_test_run ();
}
