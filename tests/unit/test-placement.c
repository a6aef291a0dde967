/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: a domain's placement in its live XML, and a migrating
 * domain's pin kept by KVM build (mkvm-placement.h, mkvm_place_arrival). */
#include <string.h>
#include "multikvm.h"
#include "fixture.h"

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"
#define BUILD_OLD "6.12.107-1~deb12u1 0.1.0 11111111"
#define BUILD_NEW "6.12.117-1~deb12u1 0.1.0 22222222"
#define WISH_NS "xmlns:mkvm='" MKVM_METADATA_URI "'"
#define PLACED_NS "xmlns:mkvmp='" MKVM_PLACEMENT_URI "'"

static MkvmPlacement *
placement (guint instance, const char *build, const char *host)
{
  MkvmPlacement *p = g_new0 (MkvmPlacement, 1);
  p->instance = instance;
  p->build = g_strdup (build);
  p->kvm_version = g_strdup ("6.12.117");
  p->profile = g_strdup ("standard");
  p->host = g_strdup (host);
  return p;
}

static void
test_metadata_roundtrip (void)
{
  g_autoptr(MkvmPlacement) p = placement (2, "a \"b\" <c> & d", "node7");
  g_autofree char *md = mkvm_placement_to_metadata (p);
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPlacement) back = mkvm_placement_from_metadata (md, &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (md, "<placement instance=\"2\" build="));
  g_assert_true (mkvm_placement_equal (p, back));
  back->instance = 3;
  g_assert_false (mkvm_placement_equal (p, back));
  /* what libvirt returns: the element in its namespace */
  g_autoptr(MkvmPlacement) ns = mkvm_placement_from_metadata (
    "<placement xmlns='" MKVM_PLACEMENT_URI "' instance='4' host='b'/>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ns->instance, ==, 4);
  g_assert_null (ns->build);
  g_assert_cmpstr (ns->host, ==, "b");
}

static void
test_metadata_bad (void)
{
  static const struct { const char *xml; const char *says; } bad[] = {
    { "<placement instance='../x'/>", "not an instance id" },
    { "<placement instance='0'/>", "not an instance id" },
    { "<placement build='x'/>", "has no instance" },
    { "<placement instance='2' color='red'/>", "unknown attribute 'color'" },
    { "<placement instance='2' host='a&#10;b'/>", "bad host" },
    { "<placement instance='2' profile='Bad Name'/>", "bad profile" },
    { "<kvm instance='2'/>", "expected <placement>" },
    { "<placement instance='2'", "malformed" },
    { "", "malformed" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MkvmPlacement) p = mkvm_placement_from_metadata (bad[i].xml, &error);
      g_assert_null (p);
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
      if (!strstr (error->message, bad[i].says))
        g_error ("%s: '%s' does not say '%s'", bad[i].xml, error->message, bad[i].says);
      g_assert_null (strchr (error->message, '\n'));
    }
  /* 1024 bytes pass, 1025 do not */
  {
    g_autofree char *ok = g_strdup_printf ("<placement instance='2' build='%s'/>",
                                           g_strnfill (1024, 'b'));
    g_autofree char *long_ = g_strdup_printf ("<placement instance='2' build='%s'/>",
                                              g_strnfill (1025, 'b'));
    g_autoptr(GError) error = NULL;
    g_autoptr(MkvmPlacement) p = mkvm_placement_from_metadata (ok, &error);
    g_assert_no_error (error);
    g_assert_null (mkvm_placement_from_metadata (long_, &error));
    g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  }
}

static char *
domain_xml (const char *metadata)
{
  return g_strdup_printf ("<domain type='kvm'><name>web1</name><uuid>" UUID "</uuid>%s"
                          "<memory>16384</memory><devices><emulator>/usr/bin/multikvm-qemu"
                          "</emulator></devices></domain>", metadata);
}

static void
test_domain_reads_placement (void)
{
  g_autofree char *xml = domain_xml (
    "<metadata><mkvm:kvm " WISH_NS " instance='2'/>"
    "<mkvmp:placement " PLACED_NS " instance='2' build='" BUILD_NEW "' host='a'/></metadata>");
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (xml, -1);
  g_assert_nonnull (d->wish);
  g_assert_cmpuint (d->wish->instance, ==, 2);
  g_assert_nonnull (d->placement);
  g_assert_null (d->placement_error);
  g_assert_cmpstr (d->placement->build, ==, BUILD_NEW);

  /* none: no placement, no error */
  g_autofree char *none = domain_xml ("");
  g_autoptr(MkvmDomain) dn = mkvm_domain_from_xml (none, -1);
  g_assert_null (dn->placement);
  g_assert_null (dn->placement_error);

  /* two: refused, the wish unharmed */
  g_autofree char *two = domain_xml (
    "<metadata><mkvmp:placement " PLACED_NS " instance='2'/>"
    "<mkvmp:placement " PLACED_NS " instance='3'/></metadata>");
  g_autoptr(MkvmDomain) d2 = mkvm_domain_from_xml (two, -1);
  g_assert_null (d2->placement);
  g_assert_error (d2->placement_error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (d2->placement_error->message, "domain 'web1': "));
  g_assert_nonnull (d2->wish);
}

static void
test_rewrite (void)
{
  g_autoptr(MkvmPlacement) here = placement (4, BUILD_NEW, "b");
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = domain_xml (
    "<metadata><other xmlns='urn:x'>keep</other><mkvm:kvm " WISH_NS " instance='2'/>"
    "<mkvmp:placement " PLACED_NS " instance='2' build='" BUILD_NEW "' host='a'/></metadata>");
  g_autofree char *out = mkvm_placement_rewrite (xml, -1, here, TRUE, &error);
  g_assert_no_error (error);
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (out, -1);
  g_assert_nonnull (d->wish);
  g_assert_cmpuint (d->wish->instance, ==, 4);
  g_assert_nonnull (d->placement);
  g_assert_true (mkvm_placement_equal (d->placement, here));
  g_assert_nonnull (strstr (out, "<other xmlns=\"urn:x\">keep</other>"));
  g_assert_nonnull (strstr (out, "<emulator>/usr/bin/multikvm-qemu</emulator>"));

  /* without repin the wish stays; a domain without <metadata> gets one */
  g_autofree char *bare = domain_xml ("");
  g_autofree char *out2 = mkvm_placement_rewrite (bare, -1, here, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr(MkvmDomain) d2 = mkvm_domain_from_xml (out2, -1);
  g_assert_cmpuint (d2->wish->instance, ==, 0);
  g_assert_true (mkvm_placement_equal (d2->placement, here));

  g_assert_null (mkvm_placement_rewrite ("<domain>", -1, here, TRUE, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (mkvm_placement_rewrite ("<network/>", -1, here, TRUE, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
}

/* Arrivals: instances 1 (old build), 2 and 4 (one new build). */
typedef struct {
  Fixture *fx;
  MkvmPolicy *policy;
  MkvmInventory *inv;
} Ctx;

static void
set_build (Fixture *fx, guint id, const char *build)
{
  g_autofree char *idtext = g_strdup_printf ("%u", id);
  g_autofree char *path = g_build_filename (fx->sys, "kernel", "vac", "instances", idtext,
                                            "build_id", NULL);
  g_autofree char *line = g_strconcat (build, "\n", NULL);
  fx_write (path, line);
}

static void
ctx_policy (Ctx *c, const char *extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = g_strconcat ("<policy version='1'><profiles default='standard'>"
                                      "<profile name='standard'/>"
                                      "<profile name='hardened'><require param='nx_huge_pages' "
                                      "value='Y'/></profile></profiles>", extra, "</policy>",
                                      NULL);
  g_clear_pointer (&c->policy, mkvm_policy_free);
  g_clear_pointer (&c->inv, mkvm_inventory_free);
  c->policy = mkvm_policy_parse (xml, -1, "test-policy", &error);
  g_assert_no_error (error);
  c->inv = mkvm_inventory_load (c->policy, &error);
  g_assert_no_error (error);
}

static void
ctx_setup (Ctx *c, gconstpointer data)
{
  c->fx = fx_new ();
  fx_vac (c->fx, NULL);
  fx_instance (c->fx, 1, 3000, 0, "nx_huge_pages=Y");
  fx_instance (c->fx, 2, 2000, 3, "nx_huge_pages=N");
  fx_instance (c->fx, 4, 2000, 1, "nx_huge_pages=Y");
  set_build (c->fx, 1, BUILD_OLD);
  set_build (c->fx, 2, BUILD_NEW);
  set_build (c->fx, 4, BUILD_NEW);
  ctx_policy (c, "");
}

static void
ctx_teardown (Ctx *c, gconstpointer data)
{
  mkvm_policy_free (c->policy);
  mkvm_inventory_free (c->inv);
  fx_free (c->fx);
}

static MkvmWish *
wish (guint instance, const char *profile)
{
  MkvmWish *w = g_new0 (MkvmWish, 1);
  w->name = g_strdup ("web1");
  w->uuid = g_strdup (UUID);
  w->instance = instance;
  w->profile = g_strdup (profile);
  return w;
}

static MkvmRecord *
arrive (Ctx *c, guint pin, const char *profile, const char *build, GError **error)
{
  g_autoptr(MkvmWish) w = wish (pin, profile);
  return mkvm_place_arrival (NULL, c->policy, c->inv, w, TRUE, build, error);
}

static void
test_arrival_by_build (Ctx *c, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmRecord) r = NULL;

  /* pinned to 1 at the source, which ran the new build: 2 or 4 here, the
   * less loaded (4: 1 VM against 3), never 1 (the old build) */
  r = arrive (c, 1, NULL, BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 4);
  g_clear_pointer (&r, mkvm_record_free);
  /* the record is this host's */
  r = mkvm_record_load (NULL, UUID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 4);
  g_clear_pointer (&r, mkvm_record_free);

  /* the wish's profile still applies among the build's instances */
  r = arrive (c, 2, "hardened", BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 4);
  g_clear_pointer (&r, mkvm_record_free);

  /* 4 draining: 2 */
  g_assert_true (mkvm_instance_drain (NULL, 4, "upgrade", &error));
  r = arrive (c, 4, NULL, BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 2);
  g_clear_pointer (&r, mkvm_record_free);

  /* ... and hardened then has none: one line naming the build and why */
  g_assert_null (arrive (c, 4, "hardened", BUILD_NEW, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NO_CANDIDATE);
  g_assert_cmpstr (error->message, ==,
                   "domain 'web1': no instance here runs KVM build '" BUILD_NEW "' with "
                   "profile hardened: 1: build '" BUILD_OLD "'; 2: nx_huge_pages=N, profile "
                   "hardened needs Y; 4: draining (upgrade)");
}

static void
test_arrival_refused (Ctx *c, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (arrive (c, 2, NULL, "6.12.99-1 0.1.0 33333333", &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NO_CANDIDATE);
  g_assert_nonnull (strstr (error->message, "no instance here runs KVM build "
                                            "'6.12.99-1 0.1.0 33333333'"));
  g_clear_error (&error);
  /* no placement came with it */
  g_assert_null (arrive (c, 2, NULL, NULL, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NO_CANDIDATE);
  g_assert_nonnull (strstr (error->message, "run 'multikvm annotate web1' on the source"));
  g_clear_error (&error);
  /* nothing was recorded */
  g_assert_null (mkvm_record_load (NULL, UUID, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
}

static void
test_arrival_other_rules (Ctx *c, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmRecord) r = NULL;

  /* unpinned: the usual decision (newest build_time: 1) */
  r = arrive (c, 0, NULL, BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 1);
  g_clear_pointer (&r, mkvm_record_free);

  /* <migration pin="id"/>: the same id, whatever runs there */
  ctx_policy (c, "<migration pin='id'/>");
  g_assert_cmpint (c->policy->migration_pin, ==, MKVM_MIGRATION_PIN_ID);
  r = arrive (c, 1, NULL, BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 1);
  g_clear_pointer (&r, mkvm_record_free);

  /* an assignment: the policy's placement, not the build */
  ctx_policy (c, "<assignments><domain uuid='" UUID "' instance='1'/></assignments>");
  r = arrive (c, 1, NULL, BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 1);
  g_clear_pointer (&r, mkvm_record_free);

  /* pins not allowed: refused as any pin */
  ctx_policy (c, "<pins allow='no'/>");
  g_assert_null (arrive (c, 2, NULL, BUILD_NEW, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DENIED);
  g_clear_error (&error);

  /* not arriving: mkvm_place_domain(), the pin as it is */
  ctx_policy (c, "");
  g_autoptr(MkvmWish) w = wish (1, NULL);
  r = mkvm_place_arrival (NULL, c->policy, c->inv, w, FALSE, BUILD_NEW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 1);
}

static void
test_placement_new (Ctx *c, gconstpointer data)
{
  g_autoptr(MkvmRecord) rec = mkvm_record_new ();
  rec->instance = 4;
  rec->profile = g_strdup ("hardened");
  g_autoptr(MkvmPlacement) p = mkvm_placement_new (rec, c->inv);
  g_assert_cmpuint (p->instance, ==, 4);
  g_assert_cmpstr (p->build, ==, BUILD_NEW);
  g_assert_cmpstr (p->profile, ==, "hardened");
  g_assert_cmpstr (p->host, ==, g_get_host_name ());
  rec->instance = 9;   /* not loaded: no build */
  g_autoptr(MkvmPlacement) q = mkvm_placement_new (rec, c->inv);
  g_assert_null (q->build);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/placement/metadata-roundtrip", test_metadata_roundtrip);
  g_test_add_func ("/placement/metadata-bad", test_metadata_bad);
  g_test_add_func ("/placement/domain-reads-placement", test_domain_reads_placement);
  g_test_add_func ("/placement/rewrite", test_rewrite);
  if (getuid () == 0)
    {
#define T(path, fn) g_test_add ("/placement/" path, Ctx, NULL, ctx_setup, fn, ctx_teardown)
      T ("arrival-by-build", test_arrival_by_build);
      T ("arrival-refused", test_arrival_refused);
      T ("arrival-other-rules", test_arrival_other_rules);
      T ("new", test_placement_new);
#undef T
    }
  return g_test_run ();
}
