// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of multikvm-qemu's argv surgery (qemu-wrapper/argv.c). */
#include <glib.h>
#include <string.h>
#include "argv.h"

static char **
v (const char *line)
{
  return g_strsplit (line, " ", -1);
}

static void
check_rewrite (const char *in, const char *dev, const char *expected)
{
  g_auto(GStrv) argv = v (in);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) out = mkvm_argv_set_kvm_device (argv, dev, &error);
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (out);
  joined = g_strjoinv (" ", out);
  g_assert_cmpstr (joined, ==, expected);
}

static void
test_uuid (void)
{
  g_auto(GStrv) a = v ("qemu -name guest=d -uuid 6f1d7b8e-0c3b-4a4e-9b7e-1f2a3b4c5d6e -accel kvm");
  g_auto(GStrv) b = v ("qemu --uuid ABC");
  g_auto(GStrv) probe = v ("qemu -S -no-user-config -machine none,accel=kvm:tcg");
  g_auto(GStrv) last = v ("qemu -uuid");
  g_auto(GStrv) arg0 = v ("-uuid x");

  g_assert_cmpstr (mkvm_argv_find_uuid (a), ==, "6f1d7b8e-0c3b-4a4e-9b7e-1f2a3b4c5d6e");
  g_assert_cmpstr (mkvm_argv_find_uuid (b), ==, "ABC");
  g_assert_null (mkvm_argv_find_uuid (probe));
  g_assert_null (mkvm_argv_find_uuid (last));
  g_assert_null (mkvm_argv_find_uuid (arg0));
}

static void
test_rewrite (void)
{
  check_rewrite ("qemu -machine pc -accel kvm -m 16", "/dev/kvm2",
                 "qemu -machine pc -accel kvm,device=/dev/kvm2 -m 16");
  check_rewrite ("qemu -accel kvm,kernel-irqchip=on", "/dev/kvm3",
                 "qemu -accel kvm,kernel-irqchip=on,device=/dev/kvm3");
  check_rewrite ("qemu -accel kvm,device=/dev/kvm,dirty-ring-size=0", "/dev/kvm4",
                 "qemu -accel kvm,dirty-ring-size=0,device=/dev/kvm4");
  check_rewrite ("qemu --accel kvm -accel tcg", "/dev/kvm5",
                 "qemu --accel kvm,device=/dev/kvm5 -accel tcg");
  /* Values of other options are never taken for -accel. */
  check_rewrite ("qemu -name guest=accel -accel kvm -device kvm", "/dev/kvm6",
                 "qemu -name guest=accel -accel kvm,device=/dev/kvm6 -device kvm");
}

static void
test_no_kvm (void)
{
  g_auto(GStrv) tcg = v ("qemu -accel tcg -uuid u");
  g_auto(GStrv) other = v ("qemu -accel kvmfoo");
  g_auto(GStrv) dangling = v ("qemu -accel");
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

  g_assert_null (mkvm_argv_set_kvm_device (tcg, "/dev/kvm2", &e1));
  g_assert_nonnull (e1);
  g_assert_nonnull (strstr (e1->message, "-accel kvm"));
  g_assert_null (mkvm_argv_set_kvm_device (other, "/dev/kvm2", &e2));
  g_assert_nonnull (e2);
  g_assert_null (mkvm_argv_set_kvm_device (dangling, "/dev/kvm2", &e3));
  g_assert_nonnull (e3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/wrapper/argv/uuid", test_uuid);
  g_test_add_func ("/wrapper/argv/rewrite", test_rewrite);
  g_test_add_func ("/wrapper/argv/no-kvm", test_no_kvm);
  return g_test_run ();
}
