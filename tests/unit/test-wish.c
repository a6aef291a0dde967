/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the domain's wish from its XML. */
#include <stdlib.h>
#include <string.h>
#include "multikvm.h"
#include "fixture.h"

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"
#define NS "xmlns:mkvm='" MKVM_METADATA_URI "'"

static MkvmWish *
parse_md (const char *md, GError **error)
{
  g_autofree char *xml = fx_domain_xml ("web1", UUID, md);
  return mkvm_wish_from_xml (xml, -1, error);
}

static void
test_none (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = parse_md (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (w->name, ==, "web1");
  g_assert_cmpstr (w->uuid, ==, UUID);
  g_assert_cmpuint (w->instance, ==, 0);
  g_assert_null (w->profile);
  g_assert_false (w->has_metadata);
}

static void
test_pin_and_profile (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = parse_md ("<mkvm:kvm " NS " instance='2' profile='hardened'/>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w->instance, ==, 2);
  g_assert_cmpstr (w->profile, ==, "hardened");
  g_assert_true (w->has_metadata);
}

static void
test_pin_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = parse_md ("<mkvm:kvm " NS " instance='999'/>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w->instance, ==, 999);
  g_assert_null (w->profile);
}

static void
test_other_prefix_and_foreign (void)
{
  g_autoptr(GError) error = NULL;
  /* any prefix works; the URI is what counts; foreign elements are skipped */
  g_autoptr(MkvmWish) w = parse_md (
    "<app:kvm xmlns:app='http://example.org/app/1' instance='../1' junk='1'/>"
    "<x:kvm xmlns:x='" MKVM_METADATA_URI "' profile='fast'/>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (w->profile, ==, "fast");
  g_assert_cmpuint (w->instance, ==, 0);
}

static void
test_uuid_lowercased (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = fx_domain_xml ("a", "6F1C2B0E-6A43-4E3A-9A56-0C4F1C3B2A11", NULL);
  g_autoptr(MkvmWish) w = mkvm_wish_from_xml (xml, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (w->uuid, ==, UUID);
}

typedef struct {
  const char *md;        /* metadata content, or full XML when xml=TRUE */
  gboolean xml;
  const char *expect;    /* substring of the message */
} Bad;

static const Bad bad[] = {
  { "<mkvm:kvm " NS " instance='../1'/>", FALSE, "instance '../1' is not an instance id" },
  { "<mkvm:kvm " NS " instance='01'/>", FALSE, "instance '01'" },
  { "<mkvm:kvm " NS " instance='-1'/>", FALSE, "instance '-1'" },
  { "<mkvm:kvm " NS " instance='+1'/>", FALSE, "instance '+1'" },
  { "<mkvm:kvm " NS " instance='0'/>", FALSE, "instance '0'" },
  { "<mkvm:kvm " NS " instance='1000'/>", FALSE, "instance '1000'" },
  { "<mkvm:kvm " NS " instance='99999999999'/>", FALSE, "instance '99999999999'" },
  { "<mkvm:kvm " NS " instance=' 2'/>", FALSE, "instance ' 2'" },
  { "<mkvm:kvm " NS " instance='2 '/>", FALSE, "instance '2 '" },
  { "<mkvm:kvm " NS " instance=''/>", FALSE, "instance ''" },
  { "<mkvm:kvm " NS " instance='0x2'/>", FALSE, "instance '0x2'" },
  { "<mkvm:kvm " NS " instance='/dev/kvm2'/>", FALSE, "instance '/dev/kvm2'" },
  { "<mkvm:kvm " NS " instance='2&#10;'/>", FALSE, "instance '2\\n'" },
  { "<mkvm:kvm " NS " instance='２'/>", FALSE, "is not an instance id" },
  { "<mkvm:kvm " NS " profile=''/>", FALSE, "profile '' is not a profile name" },
  { "<mkvm:kvm " NS " profile='Hardened'/>", FALSE, "profile 'Hardened'" },
  { "<mkvm:kvm " NS " profile='-x'/>", FALSE, "profile '-x'" },
  { "<mkvm:kvm " NS " profile='a/b'/>", FALSE, "profile 'a/b'" },
  { "<mkvm:kvm " NS " profile='../etc'/>", FALSE, "profile '../etc'" },
  { "<mkvm:kvm " NS " profile='abcdefghijabcdefghijabcdefghijabc'/>", FALSE, "is not a profile name" },
  { "<mkvm:kvm " NS " instance='2' color='red'/>", FALSE, "unknown attribute 'color'" },
  { "<mkvm:kvm " NS " mkvm:instance='2'/>", FALSE, "unknown attribute 'mkvm:instance'" },
  { "<mkvm:kvm " NS " instance='2' instance='3'/>", FALSE, "malformed" },
  { "<mkvm:kvm " NS " instance='2'/><mkvm:kvm " NS " instance='3'/>", FALSE, "more than one" },
  { "<mkvm:kvm " NS "><mkvm:instance>2</mkvm:instance></mkvm:kvm>", FALSE, "unknown element <instance>" },
  { "<mkvm:kvm " NS ">2</mkvm:kvm>", FALSE, "text inside" },
  { "<mkvm:pin " NS " instance='2'/>", FALSE, "unknown element <pin>" },
  { "<kvm instance='2'/>", FALSE, "has no namespace" },
  { "<m:kvm xmlns:m='http://multikvm.org/xmlns/libvirt/domain/2.0' instance='2'/>", FALSE,
    "unsupported multikvm namespace" },
  { "<m:kvm xmlns:m='http://multikvm.org/xmlns/&#10;' instance='2'/>", FALSE,
    "unsupported multikvm namespace 'http://multikvm.org/xmlns/\\n'" },
  { "<mkvm:kvm " NS " instance='2'>", FALSE, "malformed" },
  { "", TRUE, "malformed" },
  { "<domain><name>x</name>", TRUE, "malformed" },
  { "<vm><name>x</name></vm>", TRUE, "expected <domain>" },
  { "<domain><uuid>" UUID "</uuid></domain>", TRUE, "no <name>" },
  { "<domain><name>a&#10;b</name><uuid>" UUID "</uuid></domain>", TRUE, "control characters" },
  { "<domain><name>a\rb</name><uuid>" UUID "</uuid></domain>", TRUE, "control characters" },
  { "<domain><name>web1</name></domain>", TRUE, "domain 'web1': missing or malformed <uuid>" },
  { "<domain><name>web1</name><uuid>../../etc/passwd</uuid></domain>", TRUE, "malformed <uuid>" },
  { "<domain><name>a</name><uuid>2f1c2b0e-6a4\327\322\313\2323a-9a56-0c4f1c3b2a11</uuid>"
    "</domain>", TRUE, "malformed" },
  { "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><name>&e;</name><uuid>"
    UUID "</uuid></domain>", TRUE, "no <name>" },
};

static void
test_bad (gconstpointer data)
{
  const Bad *b = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = NULL;
  if (b->xml)
    w = mkvm_wish_from_xml (b->md, -1, &error);
  else
    w = parse_md (b->md, &error);
  g_assert_null (w);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  if (!strstr (error->message, b->expect))
    g_error ("message '%s' lacks '%s'", error->message, b->expect);
  g_test_message ("%s", error->message);
  g_assert_null (strchr (error->message, '\n'));
  if (!b->xml && strcmp (b->expect, "malformed") != 0)
    g_assert_nonnull (strstr (error->message, "web1"));
}

static void
test_instance_ids (void)
{
  guint v = 0;
  g_assert_true (mkvm_parse_instance_id ("1", "x", &v, NULL));
  g_assert_cmpuint (v, ==, 1);
  g_assert_true (mkvm_parse_instance_id ("10", "x", &v, NULL));
  g_assert_cmpuint (v, ==, 10);
  g_assert_false (mkvm_parse_instance_id (NULL, "x", &v, NULL));
  g_assert_false (mkvm_parse_instance_id ("1a", "x", &v, NULL));
}

static void
test_to_metadata (void)
{
  g_autofree char *a = mkvm_wish_to_metadata (2, "hardened");
  g_autofree char *b = mkvm_wish_to_metadata (0, "fast");
  g_autofree char *c = mkvm_wish_to_metadata (3, NULL);
  g_assert_cmpstr (a, ==, "<kvm instance=\"2\" profile=\"hardened\"/>");
  g_assert_cmpstr (b, ==, "<kvm profile=\"fast\"/>");
  g_assert_cmpstr (c, ==, "<kvm instance=\"3\"/>");
  /* round trip through a domain */
  g_autofree char *md = g_strdup_printf ("<mkvm:kvm " NS "%s", a + 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = parse_md (md, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w->instance, ==, 2);
}

/* libxml2 must print nothing itself (hook stderr reaches the user verbatim). */
static void
test_silent (void)
{
  if (g_test_subprocess ())
    {
      static const char enc[] = "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><domain>"
                                "<name>\033$B\014in></name></domain>";
      g_autoptr(GError) error = NULL;
      g_assert_null (mkvm_wish_from_xml (enc, sizeof enc - 1, &error));
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
      g_clear_error (&error);
      g_assert_null (mkvm_policy_parse (enc, sizeof enc - 1, "p", &error));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("");
}

/* The short form under <domain> moves into <metadata>; the result parses. */
static void
test_normalize_short (void)
{
  static const char *const cases[][3] = {
    /* input (inside <domain>), want instance, want profile */
    { "<name>web1</name><uuid>" UUID "</uuid><kvm instance='2'/>", "2", NULL },
    { "<name>web1</name><kvm profile='hardened'/><uuid>" UUID "</uuid>"
      "<metadata><app:x xmlns:app='http://example.org/a'/></metadata>", NULL, "hardened" },
    { "<name>web1</name><uuid>" UUID "</uuid><kvm instance='3' profile='fast'></kvm>"
      "<metadata><mkvm:kvm " NS " profile='fast' instance='3'/></metadata>", "3", "fast" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *in = g_strdup_printf ("<domain type='kvm'>%s<memory>1</memory></domain>",
                                             cases[i][0]);
      g_autoptr(GError) error = NULL;
      gboolean moved = FALSE;
      g_autofree char *out = mkvm_wish_normalize_xml (in, -1, &moved, &error);
      g_autoptr(MkvmWish) w = NULL;
      g_assert_no_error (error);
      g_assert_true (moved);
      g_assert_null (strstr (out, "<kvm"));      /* the short form is gone */
      g_assert_nonnull (strstr (out, "<memory>1</memory>"));
      w = mkvm_wish_from_xml (out, -1, &error);
      g_assert_no_error (error);
      g_assert_true (w->has_metadata);
      g_assert_cmpuint (w->instance, ==, cases[i][1] ? atoi (cases[i][1]) : 0);
      g_assert_cmpstr (w->profile, ==, cases[i][2]);
      if (i == 1)   /* the foreign element stays, in the same <metadata> */
        g_assert_nonnull (strstr (out, "<metadata><app:x xmlns:app=\"http://example.org/a\"/>"
                                  "<mkvm:kvm xmlns:mkvm=\"" MKVM_METADATA_URI "\" "
                                  "profile=\"hardened\"/></metadata>"));
    }
}

/* Without the short form: the same bytes, uuid or not. */
static void
test_normalize_unchanged (void)
{
  static const char *const cases[] = {
    "<domain type='kvm'>\n  <name>a</name>\n</domain>\n",
    "<domain><name>b</name><metadata><mkvm:kvm " NS " instance='2'/></metadata></domain>",
    "<?xml version='1.0'?><!-- c --><domain><name>c</name><features><kvm><hidden state='on'/>"
    "</kvm></features></domain>",
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean moved = TRUE;
      g_autofree char *out = mkvm_wish_normalize_xml (cases[i], -1, &moved, &error);
      g_assert_no_error (error);
      g_assert_false (moved);
      g_assert_cmpstr (out, ==, cases[i]);
    }
}

static void
test_normalize_bad (void)
{
  static const char *const cases[][2] = {
    { "<domain><name>w</name><kvm instance='2'>", "malformed" },
    { "<domain><name>w</name><kvm instance='../x'/></domain>",
      "domain 'w': instance '../x' is not an instance id" },
    { "<domain><name>w</name><kvm instance='02'/></domain>", "'02' is not an instance id" },
    { "<domain><name>w</name><kvm profile='Hard'/></domain>", "'Hard' is not a profile name" },
    { "<domain><name>w</name><kvm pin='2'/></domain>", "unknown attribute 'pin'" },
    { "<domain><name>w</name><kvm instance='2'/><kvm instance='2'/></domain>",
      "more than one <kvm> under <domain>" },
    { "<domain><name>w</name><kvm instance='2'/><metadata><mkvm:kvm " NS
      " instance='3'/></metadata></domain>",
      "domain 'w': <kvm> under <domain> asks for instance 2, <mkvm:kvm> in <metadata> for "
      "instance 3: keep one of them" },
    { "<domain><name>w</name><kvm profile='a'/><metadata><mkvm:kvm " NS
      " profile='a' instance='1'/></metadata></domain>", "for instance 1, profile a" },
    { "<domain><name>w</name><kvm instance='1' profile='a'/><metadata><mkvm:kvm " NS
      " profile='b' instance='1'/></metadata></domain>",
      "asks for instance 1, profile a, <mkvm:kvm> in <metadata> for instance 1, profile b" },
    { "<domain><name>w</name><metadata><mkvm:kvm " NS " instance='0'/></metadata></domain>",
      "'0' is not an instance id" },
    { "<vm><kvm instance='2'/></vm>", "root <vm>, expected <domain>" },
    /* the name never puts a second line into the message (found by fuzz-wish) */
    { "<domain><name>w&#10;1</name><kvm instanbe='2'/></domain>", "<name> contains control" },
    { "<domain><name>w&#10;1</name><kvm/><kvm/></domain>", "<name> contains control" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = mkvm_wish_normalize_xml (cases[i][0], -1, NULL, &error);
      g_assert_null (out);
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
      if (!strstr (error->message, cases[i][1]))
        g_error ("case %u: '%s' lacks '%s'", i, error->message, cases[i][1]);
      g_assert_null (strchr (error->message, '\n'));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/wish/none", test_none);
  g_test_add_func ("/wish/pin-and-profile", test_pin_and_profile);
  g_test_add_func ("/wish/pin-only", test_pin_only);
  g_test_add_func ("/wish/prefix-and-foreign", test_other_prefix_and_foreign);
  g_test_add_func ("/wish/uuid-lowercased", test_uuid_lowercased);
  g_test_add_func ("/wish/instance-ids", test_instance_ids);
  g_test_add_func ("/wish/to-metadata", test_to_metadata);
  g_test_add_func ("/wish/libxml-silent", test_silent);
  g_test_add_func ("/wish/normalize/short", test_normalize_short);
  g_test_add_func ("/wish/normalize/unchanged", test_normalize_unchanged);
  g_test_add_func ("/wish/normalize/bad", test_normalize_bad);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *name = g_strdup_printf ("/wish/bad/%02u", i);
      g_test_add_data_func (name, &bad[i], test_bad);
    }
  return g_test_run ();
}
