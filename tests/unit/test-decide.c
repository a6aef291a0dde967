/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the decision. */
#include <string.h>
#include "multikvm.h"
#include <glib/gstdio.h>
#include "fixture.h"

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"

#define POLICY_HEAD \
  "<policy version='1'><profiles default='standard'>" \
  "<profile name='standard'/>" \
  "<profile name='hardened'><require param='nx_huge_pages' value='Y'/></profile>" \
  "<profile name='fast'><require param='nx_huge_pages' value='N'/></profile>" \
  "</profiles>"

typedef struct {
  Fixture *fx;
  MkvmPolicy *policy;
  MkvmInventory *inv;
  GPtrArray *records;
  GPtrArray *drains;
} Ctx;

static void
ctx_load_xml (Ctx *c, const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_clear_pointer (&c->policy, mkvm_policy_free);
  g_clear_pointer (&c->inv, mkvm_inventory_free);
  c->policy = mkvm_policy_parse (xml, -1, "test-policy", &error);
  g_assert_no_error (error);
  c->inv = mkvm_inventory_load (c->policy, &error);
  g_assert_no_error (error);
}

static void
ctx_load (Ctx *c, const char *extra)
{
  g_autofree char *xml = g_strconcat (POLICY_HEAD, extra ? extra : "", "</policy>", NULL);
  ctx_load_xml (c, xml);
}

static void
ctx_setup (Ctx *c, gconstpointer data)
{
  c->fx = fx_new ();
  fx_vac (c->fx, NULL);
  /* 1: old, hardened; 2: newer, fast; 3: newest, hardened, busy */
  fx_instance (c->fx, 1, 1000, 0, "nx_huge_pages=Y");
  fx_instance (c->fx, 2, 2000, 1, "nx_huge_pages=N");
  fx_instance (c->fx, 3, 3000, 5, "nx_huge_pages=Y");
  c->records = g_ptr_array_new_with_free_func ((GDestroyNotify) mkvm_record_free);
  c->drains = g_ptr_array_new_with_free_func ((GDestroyNotify) mkvm_drain_free);
  ctx_load (c, NULL);
}

static void
ctx_teardown (Ctx *c, gconstpointer data)
{
  mkvm_policy_free (c->policy);
  mkvm_inventory_free (c->inv);
  g_ptr_array_unref (c->records);
  g_ptr_array_unref (c->drains);
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

static void
drain (Ctx *c, guint id, const char *reason)
{
  MkvmDrain *d = g_new0 (MkvmDrain, 1);
  d->instance = id;
  d->reason = g_strdup (reason);
  g_ptr_array_add (c->drains, d);
}

static MkvmDecision *
decide_ok (Ctx *c, guint instance, const char *profile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = wish (instance, profile);
  MkvmDecision *d = mkvm_decide (c->policy, c->inv, c->records, c->drains, w, &error);
  g_assert_no_error (error);
  g_test_message ("-> %u (%s)", d->instance, d->reason);
  return d;
}

static void
decide_fails (Ctx *c, guint instance, const char *profile, int code, const char *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = wish (instance, profile);
  g_autoptr(MkvmDecision) d = mkvm_decide (c->policy, c->inv, c->records, c->drains, w, &error);
  g_assert_null (d);
  g_assert_error (error, MKVM_ERROR, code);
  g_test_message ("%s", error->message);
  if (!strstr (error->message, expect))
    g_error ("message '%s' lacks '%s'", error->message, expect);
  g_assert_nonnull (strstr (error->message, "domain 'web1'"));
}

static void
test_default_newest (Ctx *c, gconstpointer data)
{
  g_autoptr(MkvmDecision) d = decide_ok (c, 0, NULL);
  g_assert_cmpuint (d->instance, ==, 3);
  g_assert_cmpstr (d->profile, ==, "standard");
  g_assert_nonnull (strstr (d->device, "/kvm3"));
}

static void
test_profile (Ctx *c, gconstpointer data)
{
  g_autoptr(MkvmDecision) a = decide_ok (c, 0, "hardened");
  g_autoptr(MkvmDecision) b = decide_ok (c, 0, "fast");
  g_assert_cmpuint (a->instance, ==, 3);
  g_assert_cmpuint (b->instance, ==, 2);
}

static void
test_least_loaded_tiebreak (Ctx *c, gconstpointer data)
{
  /* same build time for 1 and 3: fewer VMs wins */
  g_autofree char *bt = g_build_filename (c->fx->sys, "kernel/vac/instances/1/build_time", NULL);
  fx_write (bt, "3000\n");
  ctx_load (c, NULL);
  g_autoptr(MkvmDecision) d = decide_ok (c, 0, "hardened");
  g_assert_cmpuint (d->instance, ==, 1);
  /* records count as load too */
  for (guint i = 0; i < 6; i++)
    {
      MkvmRecord *r = mkvm_record_new ();
      r->uuid = g_strdup_printf ("00000000-0000-0000-0000-%012u", i);
      r->instance = 1;
      g_ptr_array_add (c->records, r);
    }
  g_autoptr(MkvmDecision) e = decide_ok (c, 0, "hardened");
  g_assert_cmpuint (e->instance, ==, 3);
  /* the domain's own record does not count */
  MkvmRecord *self = mkvm_record_new ();
  self->uuid = g_strdup (UUID);
  self->instance = 3;
  g_ptr_array_add (c->records, self);
  g_autoptr(MkvmDecision) f = decide_ok (c, 0, "hardened");
  g_assert_cmpuint (f->instance, ==, 3);
}

static void
test_order_least_loaded_first (Ctx *c, gconstpointer data)
{
  ctx_load (c, "<order>least-loaded newest-build</order>");
  g_autoptr(MkvmDecision) d = decide_ok (c, 0, NULL);
  g_assert_cmpuint (d->instance, ==, 1);
  ctx_load (c, "<order>lowest-id</order>");
  g_autoptr(MkvmDecision) e = decide_ok (c, 0, "fast");
  g_assert_cmpuint (e->instance, ==, 2);
}

static void
test_pin (Ctx *c, gconstpointer data)
{
  g_autoptr(MkvmDecision) d = decide_ok (c, 1, NULL);
  g_assert_cmpuint (d->instance, ==, 1);
  g_assert_null (d->profile);
  g_autoptr(MkvmDecision) e = decide_ok (c, 1, "hardened");
  g_assert_cmpstr (e->profile, ==, "hardened");
}

static void
test_pin_missing (Ctx *c, gconstpointer data)
{
  decide_fails (c, 9, NULL, MKVM_ERROR_NO_CANDIDATE,
                "pinned to instance 9, which is not loaded (loaded: 1, 2, 3)");
}

static void
test_pin_wrong_profile (Ctx *c, gconstpointer data)
{
  decide_fails (c, 2, "hardened", MKVM_ERROR_NO_CANDIDATE,
                "pinned instance 2 does not satisfy profile hardened (nx_huge_pages=N");
}

static void
test_pin_draining (Ctx *c, gconstpointer data)
{
  drain (c, 1, "upgrade to 6.12.118");
  decide_fails (c, 1, NULL, MKVM_ERROR_DRAINING,
                "pinned instance 1 is draining (upgrade to 6.12.118)");
  ctx_load (c, "<draining pin='allow'/>");
  g_autoptr(MkvmDecision) d = decide_ok (c, 1, NULL);
  g_assert_cmpuint (d->instance, ==, 1);
  g_assert_nonnull (strstr (d->reason, "draining"));
}

static void
test_pin_bad_device (Ctx *c, gconstpointer data)
{
  g_autofree char *n = g_build_filename (c->fx->dev, "kvm1", NULL);
  g_remove (n);
  ctx_load (c, NULL);
  decide_fails (c, 1, NULL, MKVM_ERROR_DEVICE, "pinned instance 1 is unusable");
}

static void
test_unknown_profile (Ctx *c, gconstpointer data)
{
  decide_fails (c, 0, "gold", MKVM_ERROR_NOT_FOUND, "profile 'gold' is not defined");
  decide_fails (c, 1, "gold", MKVM_ERROR_NOT_FOUND, "profile 'gold' is not defined");
}

static void
test_no_instances (Ctx *c, gconstpointer data)
{
  g_autoptr(Fixture) empty = fx_new ();   /* points the env at an empty tree */
  ctx_load (c, NULL);
  decide_fails (c, 0, NULL, MKVM_ERROR_NO_CANDIDATE, "no KVM instances found");
  decide_fails (c, 2, NULL, MKVM_ERROR_NO_CANDIDATE, "(loaded: none)");
  fx_free (g_steal_pointer (&empty));
  g_setenv ("MULTIKVM_SYSFS", c->fx->sys, TRUE);
  g_setenv ("MULTIKVM_DEVDIR", c->fx->dev, TRUE);
}

static void
test_all_draining (Ctx *c, gconstpointer data)
{
  drain (c, 1, "a");
  drain (c, 2, "b");
  drain (c, 3, "c");
  decide_fails (c, 0, NULL, MKVM_ERROR_NO_CANDIDATE,
                "no instance for profile standard: 1: draining (a); 2: draining (b); "
                "3: draining (c)");
}

static void
test_reasons_listed (Ctx *c, gconstpointer data)
{
  drain (c, 3, "retiring");
  g_autofree char *n = g_build_filename (c->fx->dev, "kvm1", NULL);
  g_remove (n);
  ctx_load (c, NULL);
  decide_fails (c, 0, "hardened", MKVM_ERROR_NO_CANDIDATE, "1: device ");
  decide_fails (c, 0, "hardened", MKVM_ERROR_NO_CANDIDATE,
                "; 2: nx_huge_pages=N, profile hardened needs Y; 3: draining (retiring)");
}

static void
test_builtin_policy (Ctx *c, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_new_builtin ();
  g_autoptr(MkvmWish) w = wish (0, NULL);
  g_autoptr(MkvmDecision) d = mkvm_decide (p, c->inv, NULL, NULL, w, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (d->instance, ==, 3);
}

static void
test_place (Ctx *c, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = wish (0, "fast");
  g_autoptr(MkvmRecord) r = mkvm_place_domain (NULL, c->policy, c->inv, w, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->instance, ==, 2);
  g_autoptr(MkvmRecord) back = mkvm_record_load (NULL, UUID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->instance, ==, 2);
  g_assert_cmpstr (back->name, ==, "web1");
  g_assert_cmpstr (back->profile, ==, "fast");
  g_assert_cmpint (back->pid, ==, 0);
  /* failure writes nothing */
  g_autoptr(MkvmWish) w2 = wish (0, "gold");
  g_free (w2->uuid);
  w2->uuid = g_strdup ("11111111-1111-1111-1111-111111111111");
  g_assert_null (mkvm_place_domain (NULL, c->policy, c->inv, w2, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_autoptr(GPtrArray) all = mkvm_records_list (NULL, &error);
  g_assert_cmpuint (all->len, ==, 1);
}

/* What a domain may ask for (docs/policy.md): the policy restricts
 * profiles and pins, and assigns domains itself. */
#define RESTRICTING(dflt, extra) \
  "<policy version='1'><profiles default='" dflt "'><profile name='standard'/>" \
  "<profile name='hardened' restricted='yes'><require param='nx_huge_pages' value='Y'/>" \
  "</profile><profile name='fast'><require param='nx_huge_pages' value='N'/></profile>" \
  "</profiles><pins allow='no'/>" extra "</policy>"

static void
test_restricted (Ctx *c, gconstpointer data)
{
  ctx_load_xml (c, RESTRICTING ("standard", ""));
  decide_fails (c, 0, "hardened", MKVM_ERROR_DENIED, "asks for profile hardened, which "
                "policy test-policy restricts");
  decide_fails (c, 2, NULL, MKVM_ERROR_DENIED, "lets no domain pin an instance");
  decide_fails (c, 3, "fast", MKVM_ERROR_DENIED, "lets no domain pin an instance");
  {
    g_autoptr(MkvmDecision) d = decide_ok (c, 0, "fast");
    g_assert_cmpuint (d->instance, ==, 2);
  }
  {
    g_autoptr(MkvmDecision) d = decide_ok (c, 0, NULL);
    g_assert_cmpstr (d->profile, ==, "standard");
  }
  /* a restricted default profile is the policy's own choice */
  ctx_load_xml (c, RESTRICTING ("hardened", ""));
  {
    g_autoptr(MkvmDecision) d = decide_ok (c, 0, NULL);
    g_assert_cmpuint (d->instance, ==, 3);
    g_assert_cmpstr (d->profile, ==, "hardened");
  }
}

static void
test_assigned (Ctx *c, gconstpointer data)
{
  ctx_load_xml (c, RESTRICTING ("standard", "<assignments><domain uuid='" UUID "' "
                                "profile='hardened'/><domain name='web1' instance='2'/>"
                                "</assignments>"));
  {
    /* by uuid (it wins over the name): the restricted profile */
    g_autoptr(MkvmDecision) d = decide_ok (c, 0, NULL);
    g_assert_cmpuint (d->instance, ==, 3);
    g_assert_cmpstr (d->profile, ==, "hardened");
    g_assert_true (g_str_has_prefix (d->reason, "assigned by the policy: profile hardened"));
  }
  {
    g_autoptr(MkvmDecision) d = decide_ok (c, 0, "hardened");   /* the same: fine */
    g_assert_cmpuint (d->instance, ==, 3);
  }
  decide_fails (c, 0, "fast", MKVM_ERROR_DENIED,
                "asks for profile fast, but policy test-policy assigns it profile hardened");
  decide_fails (c, 1, NULL, MKVM_ERROR_DENIED, "asks for instance 1, but policy");
  /* by name: a pin, where domains may pin nothing themselves */
  ctx_load_xml (c, RESTRICTING ("standard", "<assignments><domain name='web1' instance='1'/>"
                                "</assignments>"));
  {
    g_autoptr(MkvmDecision) d = decide_ok (c, 0, NULL);
    g_assert_cmpuint (d->instance, ==, 1);
    g_assert_cmpstr (d->reason, ==, "assigned by the policy: pinned to instance 1");
  }
  {
    g_autoptr(MkvmDecision) d = decide_ok (c, 1, NULL);
    g_assert_cmpuint (d->instance, ==, 1);
  }
  decide_fails (c, 1, "hardened", MKVM_ERROR_DENIED, "asks for instance 1, profile hardened");
  /* an assigned pin still obeys the draining rule */
  drain (c, 1, "upgrade");
  decide_fails (c, 0, NULL, MKVM_ERROR_DRAINING, "pinned instance 1 is draining");
}

/* Nova's flavor: assignment > the domain's own wish > flavor > default. */
static MkvmDecision *
decide_nova (Ctx *c, const char *flavor, const char *own)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nova = fx_nova_metadata ("1.1", flavor);
  g_autofree char *md = g_strdup_printf ("%s%s%s%s", nova, own ? "<mkvm:kvm xmlns:mkvm='"
                                         MKVM_METADATA_URI "' " : "", own ? own : "",
                                         own ? "/>" : "");
  g_autofree char *xml = fx_domain_xml ("web1", UUID, md);
  g_autoptr(MkvmWish) w = mkvm_wish_from_xml (xml, -1, &error);
  MkvmDecision *d;

  g_assert_no_error (error);
  d = mkvm_decide (c->policy, c->inv, c->records, c->drains, w, &error);
  g_assert_no_error (error);
  g_test_message ("%s -> %u (%s)", flavor, d->instance, d->reason);
  return d;
}

#define FLAVORS(extra) \
  POLICY_HEAD "<flavors><flavor name='m1.hardened' profile='hardened'/>" \
  "<flavor name='m1.fast' profile='fast'/></flavors>" extra "</policy>"

static void
test_flavor (Ctx *c, gconstpointer data)
{
  ctx_load_xml (c, FLAVORS (""));
  {
    g_autoptr(MkvmDecision) d = decide_nova (c, "m1.fast", NULL);
    g_assert_cmpuint (d->instance, ==, 2);
    g_assert_cmpstr (d->profile, ==, "fast");
    g_assert_true (g_str_has_prefix (d->reason, "profile fast (flavor m1.fast): "));
  }
  {
    /* a flavor the policy does not list: the default */
    g_autoptr(MkvmDecision) d = decide_nova (c, "m1.small", NULL);
    g_assert_cmpstr (d->profile, ==, "standard");
    g_assert_true (g_str_has_prefix (d->reason, "profile standard (default): "));
  }
  {
    /* the domain's own wish wins over its flavor: a profile, or a bare pin */
    g_autoptr(MkvmDecision) d = decide_nova (c, "m1.fast", "profile='hardened'");
    g_autoptr(MkvmDecision) p = decide_nova (c, "m1.fast", "instance='1'");
    g_assert_cmpstr (d->profile, ==, "hardened");
    g_assert_cmpuint (p->instance, ==, 1);
    g_assert_null (p->profile);
  }
  /* the policy's assignment wins over both */
  ctx_load_xml (c, FLAVORS ("<assignments><domain uuid='" UUID "' profile='hardened'/>"
                            "</assignments>"));
  {
    g_autoptr(MkvmDecision) d = decide_nova (c, "m1.fast", NULL);
    g_assert_cmpuint (d->instance, ==, 3);
    g_assert_cmpstr (d->profile, ==, "hardened");
  }
  /* no instance for the flavor's profile: the refusal names the flavor */
  ctx_load_xml (c, FLAVORS (""));
  drain (c, 2, "upgrade");
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *nova = fx_nova_metadata ("1.0", "m1.fast");
    g_autofree char *xml = fx_domain_xml ("web1", UUID, nova);
    g_autoptr(MkvmWish) w = mkvm_wish_from_xml (xml, -1, &error);
    g_autoptr(MkvmDecision) d = mkvm_decide (c->policy, c->inv, c->records, c->drains, w,
                                             &error);
    g_assert_null (d);
    g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NO_CANDIDATE);
    g_assert_cmpstr (error->message, ==, "domain 'web1': no instance for profile fast "
                     "(flavor m1.fast): 1: nx_huge_pages=Y, profile fast needs N; "
                     "2: draining (upgrade); 3: nx_huge_pages=Y, profile fast needs N");
  }
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);
  g_test_init (&argc, &argv, NULL);
#define T(path, fn) g_test_add ("/decide/" path, Ctx, NULL, ctx_setup, fn, ctx_teardown)
  T ("default-newest", test_default_newest);
  T ("profile", test_profile);
  T ("least-loaded-tiebreak", test_least_loaded_tiebreak);
  T ("order-configurable", test_order_least_loaded_first);
  T ("pin", test_pin);
  T ("pin-missing", test_pin_missing);
  T ("pin-wrong-profile", test_pin_wrong_profile);
  T ("pin-draining", test_pin_draining);
  T ("pin-bad-device", test_pin_bad_device);
  T ("unknown-profile", test_unknown_profile);
  T ("no-instances", test_no_instances);
  T ("all-draining", test_all_draining);
  T ("reasons-listed", test_reasons_listed);
  T ("builtin-policy", test_builtin_policy);
  T ("place", test_place);
  T ("restricted", test_restricted);
  T ("assigned", test_assigned);
  T ("nova-flavor", test_flavor);
  return g_test_run ();
}
