/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the inventory from a fixture sysfs tree. */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
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

/* Static nodes of one device number are told apart by inode. */
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
  g_autoptr(GArray) ids = mkvm_proc_kvm_instances (inv, 321, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpuint (g_array_index (ids, guint, 0), ==, 8);
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
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inventory/no-vac", test_no_vac);
  g_test_add_func ("/inventory/bad-abi", test_bad_abi);
  g_test_add_func ("/inventory/instances", test_instances);
  g_test_add_func ("/inventory/device-problems", test_device_problems);
  g_test_add_func ("/inventory/malformed-sysfs", test_malformed_sysfs);
  g_test_add_func ("/inventory/static", test_static);
  g_test_add_func ("/inventory/static-same-rdev", test_static_same_rdev);
  g_test_add_func ("/inventory/satisfies", test_satisfies);
  g_test_add_func ("/inventory/write-default", test_write_default);
  return g_test_run ();
}
