/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: what `multikvm evacuate` does besides libvirt calls — the
 * restore XML's pin, what cannot be saved, the pause estimate, the lock. */
#include <string.h>
#include <glib/gstdio.h>
#include "multikvm.h"

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"
#define NS "xmlns:mkvm='" MKVM_METADATA_URI "'"
#define HEAD "<domain type='kvm'><name>web1</name><uuid>" UUID "</uuid>"
#define DEVS "<devices><emulator>/usr/bin/multikvm-qemu</emulator></devices>"

/* The edited document's wish, and that nothing else changed. */
static MkvmWish *
edited (const char *xml, guint instance)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = mkvm_domain_xml_set_instance (xml, -1, instance, &error);
  MkvmWish *w;

  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_nonnull (strstr (out, "<emulator>/usr/bin/multikvm-qemu</emulator>"));
  w = mkvm_wish_from_xml (out, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (w->name, ==, "web1");
  g_assert_cmpstr (w->uuid, ==, UUID);
  return w;
}

static void
test_set_pinned (void)
{
  g_autoptr(MkvmWish) w = edited (
      HEAD "<metadata><other xmlns='urn:x'>keep</other><mkvm:kvm " NS " instance='7' "
      "profile='hardened'/></metadata>" DEVS "</domain>", 8);

  g_assert_true (w->has_metadata);
  g_assert_cmpuint (w->instance, ==, 8);
  g_assert_cmpstr (w->profile, ==, "hardened");
}

/* A profile only: the pin is added, the profile kept. */
static void
test_set_profile_only (void)
{
  g_autoptr(MkvmWish) w = edited (
      HEAD "<metadata><mkvm:kvm " NS " profile='p'/></metadata>" DEVS "</domain>", 9);

  g_assert_cmpuint (w->instance, ==, 9);
  g_assert_cmpstr (w->profile, ==, "p");
}

/* No metadata, or metadata without ours: ours is added. */
static void
test_set_absent (void)
{
  g_autoptr(MkvmWish) a = edited (HEAD DEVS "</domain>", 12);
  g_autoptr(MkvmWish) b = edited (
      HEAD "<metadata><nova:instance xmlns:nova='urn:nova'/></metadata>" DEVS "</domain>", 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = mkvm_domain_xml_set_instance (
      HEAD "<metadata><nova:instance xmlns:nova='urn:nova'/></metadata>" DEVS "</domain>", -1,
      3, &error);

  g_assert_true (a->has_metadata);
  g_assert_cmpuint (a->instance, ==, 12);
  g_assert_null (a->profile);
  g_assert_cmpuint (b->instance, ==, 3);
  /* one <metadata>, the foreign element kept */
  g_assert_nonnull (strstr (out, "<nova:instance"));
  g_assert_null (strstr (strstr (out, "<metadata") + 1, "<metadata"));
}

/* An invalid wish or instance is refused with the parser's message. */
static void
test_set_invalid (void)
{
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_autofree char *o1 = mkvm_domain_xml_set_instance (
      HEAD "<metadata><mkvm:kvm " NS " instance='07'/></metadata></domain>", -1, 8, &e1);
  g_autofree char *o2 = mkvm_domain_xml_set_instance ("<domain><name>x", -1, 8, &e2);
  g_autofree char *o3 = mkvm_domain_xml_set_instance (HEAD "</domain>", -1, 0, &e3);

  g_assert_null (o1);
  g_assert_error (e1, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_nonnull (strstr (e1->message, "domain 'web1'"));
  g_assert_null (o2);
  g_assert_error (e2, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_null (o3);
  g_assert_error (e3, MKVM_ERROR, MKVM_ERROR_INVALID);
}

static void
test_unsaveable (void)
{
  g_autofree char *pci = mkvm_domain_unsaveable (
      HEAD "<devices><hostdev mode='subsystem' type='pci'/></devices></domain>", -1);
  g_autofree char *iface = mkvm_domain_unsaveable (
      HEAD "<devices><interface type='hostdev'/></devices></domain>", -1);
  g_autofree char *caps = mkvm_domain_unsaveable (
      HEAD "<devices><hostdev mode='capabilities' type='storage'/></devices></domain>", -1);
  g_autofree char *usb = mkvm_domain_unsaveable (
      HEAD "<devices><hostdev mode='subsystem' type='usb'/></devices></domain>", -1);
  g_autofree char *plain = mkvm_domain_unsaveable (
      HEAD "<devices><interface type='network'/><disk/></devices></domain>", -1);

  g_assert_cmpstr (pci, ==, "it has <hostdev mode='subsystem' type='pci'> (a host device)");
  g_assert_cmpstr (iface, ==, "it has <interface type='hostdev'> (a host device)");
  g_assert_cmpstr (caps, ==,
                   "it has <hostdev mode='capabilities' type='storage'> (a host device)");
  g_assert_null (usb);
  g_assert_null (plain);
  g_assert_null (mkvm_domain_unsaveable ("<domain", -1));
}

static void
test_estimate (void)
{
  MkvmPauseModel m = { 0 };

  /* before any domain: the prior */
  g_assert_cmpfloat (mkvm_pause_ms_per_gib (&m), ==, MKVM_PAUSE_PRIOR_MS_PER_GIB);
  g_assert_cmpfloat_with_epsilon (mkvm_pause_estimate_ms (&m, 256 * 1024),
                                  MKVM_PAUSE_PRIOR_MS_PER_GIB / 4, 1e-9);
  /* 512 MiB in 300 ms, then 512 MiB in 500 ms: 800 ms per GiB */
  mkvm_pause_model_add (&m, 512 * 1024, 300);
  g_assert_cmpfloat_with_epsilon (mkvm_pause_ms_per_gib (&m), 600, 1e-9);
  mkvm_pause_model_add (&m, 512 * 1024, 500);
  g_assert_cmpfloat_with_epsilon (mkvm_pause_ms_per_gib (&m), 800, 1e-9);
  g_assert_cmpfloat_with_epsilon (mkvm_pause_estimate_ms (&m, 2 * 1024 * 1024), 1600, 1e-9);
  /* nothing measured from a domain without RAM */
  mkvm_pause_model_add (&m, 0, 1000);
  g_assert_cmpfloat_with_epsilon (mkvm_pause_ms_per_gib (&m), 800, 1e-9);
}

static void
test_lock (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mkvm-evac-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *save = NULL;
  MkvmEvacuateLock *a, *b, *c;
  GStatBuf st;

  g_assert_nonnull (dir);
  a = mkvm_evacuate_lock (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a);
  b = mkvm_evacuate_lock (dir, &error);
  g_assert_null (b);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "another 'multikvm evacuate' is running"));
  g_clear_error (&error);
  mkvm_evacuate_unlock (a);
  c = mkvm_evacuate_lock (dir, &error);
  g_assert_no_error (error);
  mkvm_evacuate_unlock (c);

  save = mkvm_evacuate_dir (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (save, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  g_assert_cmpint (g_chmod (save, 0755), ==, 0);
  g_clear_pointer (&save, g_free);
  save = mkvm_evacuate_dir (dir, &error);
  g_assert_null (save);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_IO);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/evacuate/set-instance/pinned", test_set_pinned);
  g_test_add_func ("/evacuate/set-instance/profile-only", test_set_profile_only);
  g_test_add_func ("/evacuate/set-instance/absent", test_set_absent);
  g_test_add_func ("/evacuate/set-instance/invalid", test_set_invalid);
  g_test_add_func ("/evacuate/unsaveable", test_unsaveable);
  g_test_add_func ("/evacuate/estimate", test_estimate);
  g_test_add_func ("/evacuate/lock", test_lock);
  return g_test_run ();
}
