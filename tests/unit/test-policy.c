/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the host policy and its schema. */
#include <string.h>
#include "multikvm.h"
#include "fixture.h"

#define HEAD "<policy version='1'>"

static const char *good =
  HEAD
  "<profiles default='standard'>"
  "  <profile name='standard'/>"
  "  <profile name='hardened'><description>  split\n  pages </description>"
  "    <require param='nx_huge_pages' value='Y'/>"
  "    <require param='vmentry_l1d_flush' value='always|cond'/></profile>"
  "</profiles>"
  "<order>least-loaded newest-build</order>"
  "<draining pin='allow'/>"
  "<instances><instance id='7' device='/dev/kvm' module='kvm_amd'/></instances>"
  "</policy>";

static void
test_good (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (good, -1, "t.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p->profiles->len, ==, 2);
  g_assert_cmpstr (p->default_profile, ==, "standard");
  MkvmProfile *h = mkvm_policy_find_profile (p, "hardened");
  g_assert_nonnull (h);
  g_assert_cmpstr (h->description, ==, "split pages");
  g_assert_cmpstr (g_hash_table_lookup (h->params, "nx_huge_pages"), ==, "Y");
  g_assert_null (mkvm_policy_find_profile (p, "nope"));
  g_assert_cmpint (p->pin_draining, ==, MKVM_PIN_DRAINING_ALLOW);
  g_assert_cmpuint (p->order->len, ==, 2);
  g_assert_cmpint (g_array_index (p->order, MkvmOrderKey, 0), ==, MKVM_ORDER_LEAST_LOADED);
  g_assert_cmpuint (p->statics->len, ==, 1);
  MkvmStaticInstance *s = g_ptr_array_index (p->statics, 0);
  g_assert_cmpuint (s->id, ==, 7);
  g_assert_cmpstr (s->device, ==, "/dev/kvm");
}

/* What a domain may ask for: restricted profiles, pins, assignments. */
static void
test_restrictions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (
    HEAD "<profiles default='a'><profile name='a'/><profile name='fast' restricted='yes'/>"
    "<profile name='b' restricted='no'/></profiles><pins allow='no'/><assignments>"
    "<domain uuid='6F1C2B0E-6a43-4e3a-9a56-0c4f1c3b2a11' profile='fast'/>"
    "<domain name='build01' instance='2' profile='b'/></assignments></policy>", -1, "t", &error);
  g_assert_no_error (error);
  g_assert_true (mkvm_policy_find_profile (p, "fast")->restricted);
  g_assert_false (mkvm_policy_find_profile (p, "b")->restricted);
  g_assert_false (p->pins_allowed);
  g_assert_cmpuint (p->assignments->len, ==, 2);
  const MkvmAssignment *a = mkvm_policy_find_assignment (
    p, "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11", "build01");
  g_assert_nonnull (a);                    /* the uuid wins over the name */
  g_assert_cmpstr (a->profile, ==, "fast");
  g_assert_cmpuint (a->instance, ==, 0);
  a = mkvm_policy_find_assignment (p, "00000000-0000-4000-8000-000000000000", "build01");
  g_assert_cmpuint (a->instance, ==, 2);
  g_assert_null (mkvm_policy_find_assignment (p, "00000000-0000-4000-8000-000000000000", "x"));
  g_autoptr(MkvmPolicy) d = mkvm_policy_parse (
    HEAD "<profiles default='a'><profile name='a'/></profiles></policy>", -1, "t", &error);
  g_assert_true (d->pins_allowed);
  g_assert_false (mkvm_policy_find_profile (d, "a")->restricted);
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (
    HEAD "<profiles default='a'><profile name='a'/></profiles></policy>", -1, "t", &error);
  g_assert_no_error (error);
  g_assert_cmpint (p->pin_draining, ==, MKVM_PIN_DRAINING_REFUSE);
  g_assert_cmpuint (p->order->len, ==, 2);
  g_assert_cmpint (g_array_index (p->order, MkvmOrderKey, 0), ==, MKVM_ORDER_NEWEST_BUILD);
  g_assert_cmpint (g_array_index (p->order, MkvmOrderKey, 1), ==, MKVM_ORDER_LEAST_LOADED);
}

static void
test_example_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_load (SRCDIR "/data/policy.xml", &error);
  g_assert_no_error (error);
  g_assert_nonnull (mkvm_policy_find_profile (p, "hardened"));
  /* the embedded schema is the shipped file */
  g_autofree char *rng = NULL;
  g_file_get_contents (SRCDIR "/data/policy.rng", &rng, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rng, ==, mkvm_policy_schema ());
}

static void
test_load_missing (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  /* explicit (env) path missing: error */
  g_assert_null (mkvm_policy_load (NULL, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* no override, default path missing: built-in */
  g_unsetenv ("MULTIKVM_POLICY");
  if (!g_file_test ("/etc/multikvm/policy.xml", G_FILE_TEST_EXISTS))
    {
      g_autoptr(MkvmPolicy) p = mkvm_policy_load (NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (p->source, ==, "(built-in)");
      g_assert_cmpstr (p->default_profile, ==, "default");
    }
  /* file present via env */
  g_setenv ("MULTIKVM_POLICY", fx->policy, TRUE);
  fx_write_policy (fx, good);
  g_autoptr(MkvmPolicy) p2 = mkvm_policy_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p2->profiles->len, ==, 2);
}

typedef struct {
  const char *xml;
  const char *expect;
} Bad;

static const Bad bad[] = {
  { "", "not well-formed" },
  { "<policy version='1'>\377\376</policy>", "not well-formed" },
  { "<policy", "not well-formed" },
  { "<policy version='2'><profiles default='a'><profile name='a'/></profiles></policy>",
    "does not match the schema" },
  { HEAD "</policy>", "does not match the schema" },
  { HEAD "<profiles default='a'/></policy>", "does not match the schema" },
  { HEAD "<profiles default='a'><profile name='A'/></profiles></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a' x='1'/></profiles></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><bogus/></policy>", "does not match" },
  { HEAD "<profiles default='b'><profile name='a'/></profiles></policy>",
    "default profile 'b' is not defined" },
  { HEAD "<profiles default='a'><profile name='a'/><profile name='a'/></profiles></policy>",
    "profile 'a' is defined twice" },
  { HEAD "<profiles default='a'><profile name='a'><require param='x' value='1'/>"
    "<require param='x' value='2'/></profile></profiles></policy>", "requires parameter 'x' twice" },
  { HEAD "<profiles default='a'><profile name='a'><require param='../x' value='1'/>"
    "</profile></profiles></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><order>newest-build newest-build"
    "</order></policy>", "lists 'newest-build' twice" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><order>fastest</order></policy>",
    "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><draining pin='maybe'/></policy>",
    "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><instances><instance id='01' "
    "device='/dev/kvm'/></instances></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><instances><instance id='1' "
    "device='dev/kvm'/></instances></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><instances><instance id='1' "
    "device='/dev/../etc/x'/></instances></policy>", "contains '..'" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><instances>"
    "<instance id='1' device='/dev/a'/><instance id='1' device='/dev/b'/></instances></policy>",
    "declared twice" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles>"
    "<profiles default='a'><profile name='a'/></profiles></policy>", "does not match" },
  /* what a domain may ask for */
  { HEAD "<profiles default='a'><profile name='a' restricted='maybe'/></profiles></policy>",
    "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><pins allow='never'/></policy>",
    "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain name='x' profile='b'/></assignments></policy>", "names profile 'b', which is not" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain name='x'/></assignments></policy>", "assigns nothing" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain name='x' uuid='6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11' profile='a'/>"
    "</assignments></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain uuid='6F1C2B0E-6a43-4e3a-9a56-0c4f1c3b2a11' profile='a'/>"
    "<domain uuid='6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11' instance='2'/>"
    "</assignments></policy>", "is assigned twice" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain uuid='6f1c2b0e-6a43-4e3a' profile='a'/></assignments></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain name='x' instance='0'/></assignments></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><assignments>"
    "<domain name='a&#127;b' profile='a'/></assignments></policy>", "control characters" },
  /* OpenStack Nova flavors */
  { HEAD "<profiles default='a'><profile name='a'/></profiles><flavors>"
    "<flavor name='m1.small' profile='b'/></flavors></policy>",
    "flavor 'm1.small' is mapped to profile 'b', which is not defined" },
  { HEAD "<profiles default='a'><profile name='a'/><profile name='r' restricted='yes'/>"
    "</profiles><flavors><flavor name='m1.small' profile='r'/></flavors></policy>",
    "flavor 'm1.small' is mapped to profile 'r', which is restricted" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><flavors>"
    "<flavor name='m1.small' profile='a'/><flavor name='m1.small' profile='a'/>"
    "</flavors></policy>", "flavor 'm1.small' is mapped twice" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><flavors>"
    "<flavor name='m1.small'/></flavors></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><flavors>"
    "<flavor name='' profile='a'/></flavors></policy>", "does not match" },
  { HEAD "<profiles default='a'><profile name='a'/></profiles><flavors>"
    "<flavor name='a&#9;b' profile='a'/></flavors></policy>", "control characters" },
};

static void
test_bad (gconstpointer data)
{
  const Bad *b = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (b->xml, -1, "/etc/multikvm/policy.xml", &error);
  g_assert_null (p);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_test_message ("%s", error->message);
  if (!strstr (error->message, b->expect))
    g_error ("message '%s' lacks '%s'", error->message, b->expect);
  g_assert_nonnull (strstr (error->message, "/etc/multikvm/policy.xml"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/policy/good", test_good);
  g_test_add_func ("/policy/defaults", test_defaults);
  g_test_add_func ("/policy/restrictions", test_restrictions);
  g_test_add_func ("/policy/example-file", test_example_file);
  g_test_add_func ("/policy/load-missing", test_load_missing);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *name = g_strdup_printf ("/policy/bad/%02u", i);
      g_test_add_data_func (name, &bad[i], test_bad);
    }
  return g_test_run ();
}
