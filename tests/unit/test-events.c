/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the locked operations front ends call (drain, undrain and the
 * hook's started, reconnect and release). */
#include <string.h>
#include <glib/gstdio.h>
#include "multikvm.h"
#include "mkvm-private.h"   /* to write a record as it stands */
#include "fixture.h"

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"

/* A lock path that cannot be opened: every locked operation must fail. */
static void
break_lock (Fixture *fx)
{
  g_autofree char *lock = g_build_filename (fx->run, "lock", NULL);
  g_autofree char *inside = g_build_filename (lock, "x", NULL);

  g_unlink (lock);
  fx_write (inside, "");
}

static void
assert_lock_error (GError **error)
{
  g_assert_error (*error, MKVM_ERROR, MKVM_ERROR_IO);
  g_assert_true (g_str_has_prefix ((*error)->message, "cannot open lock "));
  g_clear_error (error);
}

static MkvmInventory *
two_instances (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  MkvmInventory *inv;

  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1000, 0, NULL);
  fx_instance (fx, 2, 2000, 0, NULL);
  inv = mkvm_inventory_load (NULL, &error);
  g_assert_no_error (error);
  return inv;
}

static void
test_drain (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) d = NULL;
  g_autoptr(GPtrArray) d2 = NULL;

  g_assert_true (mkvm_instance_drain (NULL, 4, "upgrade", &error));
  g_assert_true (mkvm_instance_drain (NULL, 2, "x", &error));
  g_assert_no_error (error);
  d = mkvm_drains_load (NULL, &error);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpstr (mkvm_drains_find (d, 4)->reason, ==, "upgrade");
  g_assert_true (mkvm_instance_undrain (NULL, 4, &error));
  g_assert_true (mkvm_instance_undrain (NULL, 9, &error));   /* none: no error */
  g_assert_no_error (error);
  d2 = mkvm_drains_load (NULL, &error);
  g_assert_cmpuint (d2->len, ==, 1);
  g_assert_nonnull (mkvm_drains_find (d2, 2));
  break_lock (fx);
  g_assert_false (mkvm_instance_drain (NULL, 1, "y", &error));
  assert_lock_error (&error);
  g_assert_false (mkvm_instance_undrain (NULL, 2, &error));
  assert_lock_error (&error);
}

static void
test_started_released (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(MkvmInventory) inv = two_instances (fx);
  g_autoptr(MkvmPolicy) policy = mkvm_policy_new_builtin ();
  g_autofree char *xml = fx_domain_xml ("web1", UUID, NULL);
  g_autoptr(MkvmWish) wish = mkvm_wish_from_xml (xml, -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmRecord) placed = mkvm_place_domain (NULL, policy, inv, wish, &error);
  g_autoptr(MkvmRecord) rec = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (placed->pid, ==, 0);
  g_assert_true (mkvm_domain_started (NULL, UUID, 4242, &error));
  g_assert_no_error (error);
  rec = mkvm_record_load (NULL, UUID, &error);
  g_assert_cmpint (rec->pid, ==, 4242);
  g_assert_cmpuint (rec->instance, ==, placed->instance);
  g_assert_cmpstr (rec->reason, ==, placed->reason);
  g_assert_cmpint (rec->updated, >=, placed->updated);

  g_assert_true (mkvm_domain_released (NULL, UUID, &error));
  g_assert_true (mkvm_domain_released (NULL, UUID, &error));   /* none: no error */
  g_assert_no_error (error);
  g_assert_null (mkvm_record_load (NULL, UUID, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* started without the record prepare writes */
  g_assert_false (mkvm_domain_started (NULL, UUID, 4242, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  break_lock (fx);
  g_assert_false (mkvm_domain_started (NULL, UUID, 1, &error));
  assert_lock_error (&error);
  g_assert_false (mkvm_domain_released (NULL, UUID, &error));
  assert_lock_error (&error);
}

static void
test_reconnected (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(MkvmInventory) inv = two_instances (fx);
  g_autoptr(GError) error = NULL;
  static const guint on2[] = { 2, 0 }, both[] = { 2, 1, 0 }, none[] = { 0 };
  gboolean several = TRUE;
  guint instance = 99;
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(MkvmRecord) rec2 = NULL;
  g_autoptr(MkvmRecord) rec3 = NULL;

  /* no record: made from the process */
  fx_process (fx, 500, UUID, "web1", on2);
  g_assert_true (mkvm_domain_reconnected (NULL, inv, UUID, "web1", 500, &several, &instance,
                                          &error));
  g_assert_no_error (error);
  g_assert_false (several);
  g_assert_cmpuint (instance, ==, 2);
  rec = mkvm_record_load (NULL, UUID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rec->instance, ==, 2);
  g_assert_cmpstr (rec->device, ==, mkvm_inventory_find (inv, 2)->device);
  g_assert_cmpint (rec->pid, ==, 500);
  g_assert_cmpstr (rec->name, ==, "web1");
  g_assert_cmpstr (rec->reason, ==, "reconciled from /proc/500/fd at reconnect");

  /* the process moved (another pid on instance 1, both open): corrected to the lowest */
  fx_process (fx, 501, UUID, "web1", both);
  g_assert_true (mkvm_domain_reconnected (NULL, inv, UUID, "ignored", 501, &several, &instance,
                                          &error));
  g_assert_true (several);
  g_assert_cmpuint (instance, ==, 1);
  rec2 = mkvm_record_load (NULL, UUID, &error);
  g_assert_cmpuint (rec2->instance, ==, 1);
  g_assert_cmpint (rec2->pid, ==, 501);
  g_assert_cmpstr (rec2->name, ==, "web1");
  g_assert_cmpint (rec2->created, ==, rec->created);

  /* the operation takes the lock */
  break_lock (fx);
  g_assert_false (mkvm_domain_reconnected (NULL, inv, UUID, "web1", 501, NULL, &instance,
                                           &error));
  assert_lock_error (&error);
  g_assert_cmpuint (instance, ==, 0);
  {
    g_autofree char *lock = g_build_filename (fx->run, "lock", NULL);
    g_autofree char *inside = g_build_filename (lock, "x", NULL);
    g_assert_cmpint (g_unlink (inside), ==, 0);
    g_assert_cmpint (g_rmdir (lock), ==, 0);
  }
  /* a record that is true is not rewritten */
  rec2->updated = 1;
  g_assert_true (mkvm_record_write (NULL, rec2, &error));
  g_assert_true (mkvm_domain_reconnected (NULL, inv, UUID, "web1", 501, NULL, NULL, &error));
  g_assert_no_error (error);
  rec3 = mkvm_record_load (NULL, UUID, &error);
  g_assert_cmpint (rec3->updated, ==, 1);

  /* no instance open: the record goes */
  fx_process (fx, 502, UUID, "web1", none);
  g_assert_true (mkvm_domain_reconnected (NULL, inv, UUID, "web1", 502, NULL, &instance,
                                          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (instance, ==, 0);
  g_assert_null (mkvm_record_load (NULL, UUID, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* no such process */
  g_assert_false (mkvm_domain_reconnected (NULL, inv, UUID, "web1", 9999, NULL, NULL, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_IO);
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/events/drain", test_drain);
  g_test_add_func ("/events/started-released", test_started_released);
  g_test_add_func ("/events/reconnected", test_reconnected);
  return g_test_run ();
}
