/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: what libvirt gives us — a domain's XML read once, errors that
 * name their domain, cgroup_device_acl in qemu.conf. */
#include <string.h>
#include "multikvm.h"
#include "fixture.h"

#define UUID "6F1C2B0E-6A43-4E3A-9A56-0C4F1C3B2A11"
#define NS "xmlns:mkvm='" MKVM_METADATA_URI "'"

static void
test_facts (void)
{
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (
      "<domain type='kvm'><name> web1 </name><uuid>" UUID "</uuid><uuid>bad</uuid>"
      "<devices><disk/><emulator> /usr/bin/multikvm-qemu </emulator>"
      "<emulator>/second</emulator></devices>"
      "<metadata><mkvm:kvm " NS " instance='2'/></metadata></domain>", -1);

  g_assert_cmpstr (d->name, ==, "web1");
  g_assert_cmpstr (d->uuid, ==, "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11");
  g_assert_cmpstr (d->type, ==, "kvm");
  g_assert_cmpstr (d->emulator, ==, "/usr/bin/multikvm-qemu");
  g_assert_true (mkvm_domain_is_kvm (d));
  g_assert_no_error (d->wish_error);
  g_assert_nonnull (d->wish);
  g_assert_cmpuint (d->wish->instance, ==, 2);
  g_assert_cmpstr (d->wish->uuid, ==, d->uuid);
}

/* OpenStack Nova's metadata: the flavor, in both namespaces Nova writes. */
static void
test_nova (void)
{
  static const struct {
    const char *version, *flavor, *expect;
  } cases[] = {
    { "1.1", "m1.hardened", "m1.hardened" },
    { "1.0", "m1.small", "m1.small" },         /* defined by Nova before 23 */
    { "2.0", "m1.small", NULL },               /* a version Nova never wrote */
    { "1.1", "", NULL },
    { "1.1", "a&#10;b", NULL },                /* control characters: no flavor */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *md = fx_nova_metadata (cases[i].version, cases[i].flavor);
      g_autofree char *xml = fx_domain_xml ("web1", UUID, md);
      g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (xml, -1);

      g_assert_no_error (d->wish_error);
      g_assert_cmpstr (d->flavor, ==, cases[i].expect);
      g_assert_cmpstr (d->wish->flavor, ==, cases[i].expect);
      g_assert_false (d->wish->has_metadata);
    }
  {
    /* beside our own element, in the same <metadata>; the first flavor counts */
    g_autofree char *nova = fx_nova_metadata ("1.1", "m1.hardened");
    g_autofree char *nova2 = fx_nova_metadata ("1.1", "m1.second");
    g_autofree char *md = g_strconcat ("<mkvm:kvm " NS " profile='fast'/>", nova, nova2, NULL);
    g_autofree char *xml = fx_domain_xml ("web1", UUID, md);
    g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (xml, -1);

    g_assert_no_error (d->wish_error);
    g_assert_cmpstr (d->wish->flavor, ==, "m1.hardened");
    g_assert_cmpstr (d->wish->profile, ==, "fast");
  }
  {
    /* a nova:flavor outside nova:instance is not Nova's */
    g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (
        "<domain><name>w</name><uuid>" UUID "</uuid><metadata><nova:flavor "
        "xmlns:nova='" MKVM_NOVA_URI_1_1 "' name='m1.small'/></metadata></domain>", -1);
    g_assert_null (d->flavor);
  }
}

/* Invalid metadata: no wish, but the facts release and reconnect need. */
static void
test_lenient (void)
{
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (
      "<domain type='qemu'><name>w</name><uuid>" UUID "</uuid>"
      "<metadata><mkvm:kvm " NS " instance='0'/></metadata></domain>", -1);

  g_assert_null (d->wish);
  g_assert_error (d->wish_error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_cmpstr (d->uuid, ==, "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11");
  g_assert_cmpstr (d->type, ==, "qemu");
  g_assert_false (mkvm_domain_is_kvm (d));
  g_assert_null (d->emulator);
}

/* The first <uuid> counts: an invalid one is no uuid, whatever follows. */
static void
test_first_uuid (void)
{
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (
      "<domain><name>w</name><uuid>nope</uuid><uuid>" UUID "</uuid></domain>", -1);

  g_assert_null (d->uuid);
  g_assert_null (d->type);
  g_assert_true (mkvm_domain_is_kvm (d));
  g_assert_error (d->wish_error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_cmpstr (d->wish_error->message, ==, "domain 'w': missing or malformed <uuid>: "
                   "pass the full domain XML as libvirt gives it");
}

static void
test_malformed (void)
{
  const char *bad[] = { NULL, "", "<domain>", "<domain><name>a</name></domain" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (bad[i], -1);
      g_assert_null (d->name);
      g_assert_null (d->uuid);
      g_assert_null (d->type);
      g_assert_null (d->wish);
      g_assert_true (mkvm_domain_is_kvm (d));   /* unknown: the hook handles it */
      g_assert_error (d->wish_error, MKVM_ERROR, MKVM_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (d->wish_error->message, "domain XML is malformed (line "));
      g_assert_null (mkvm_error_get_domain (d->wish_error));
    }
}

/* A wish error names the domain exactly when it knows it. */
static void
test_wish_error_domain (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) w = NULL;

  w = mkvm_wish_from_xml ("<domain><name>web1</name><uuid>" UUID "</uuid><metadata>"
                          "<mkvm:kvm " NS " instance='07'/></metadata></domain>", -1, &error);
  g_assert_null (w);
  g_assert_cmpstr (mkvm_error_get_domain (error), ==, "web1");
  g_assert_true (g_str_has_prefix (error->message, "domain 'web1': instance '07' is not "));
  g_clear_error (&error);
  w = mkvm_wish_from_xml ("<domain><uuid>" UUID "</uuid></domain>", -1, &error);
  g_assert_null (w);
  g_assert_null (mkvm_error_get_domain (error));
  g_assert_cmpstr (error->message, ==, "domain XML has no <name>: pass the full domain XML");
}

static void
test_error_context (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) other = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "gone");

  mkvm_set_domain_error (&error, MKVM_ERROR_DEVICE, "vm 1", "device %s is bad", "/dev/kvm9");
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE);
  g_assert_cmpstr (error->message, ==, "domain 'vm 1': device /dev/kvm9 is bad");
  g_assert_cmpstr (mkvm_error_get_domain (error), ==, "vm 1");
  /* named once */
  mkvm_prefix_domain_error (&error, "other");
  g_assert_cmpstr (error->message, ==, "domain 'vm 1': device /dev/kvm9 is bad");
  /* copies and prefixes keep it */
  copy = g_error_copy (error);
  g_assert_cmpstr (mkvm_error_get_domain (copy), ==, "vm 1");
  g_prefix_error (&copy, "x: ");
  g_assert_cmpstr (mkvm_error_get_domain (copy), ==, "vm 1");
  g_clear_error (&error);
  g_set_error (&error, MKVM_ERROR, MKVM_ERROR_IO, "cannot lock");
  g_assert_null (mkvm_error_get_domain (error));
  mkvm_prefix_domain_error (&error, "b");
  g_assert_cmpstr (error->message, ==, "domain 'b': cannot lock");
  g_assert_cmpstr (mkvm_error_get_domain (error), ==, "b");
  /* other error domains carry no context and are left alone */
  g_assert_null (mkvm_error_get_domain (other));
  mkvm_prefix_domain_error (&other, "b");
  g_assert_cmpstr (other->message, ==, "gone");
  g_assert_null (mkvm_error_get_domain (NULL));
  mkvm_prefix_domain_error (NULL, "b");
  mkvm_set_domain_error (NULL, MKVM_ERROR_IO, "b", "ignored");
}

static void
test_device_acl (void)
{
  static const struct {
    const char *conf;
    const char *want;   /* entries joined by '|', NULL: not set */
  } cases[] = {
    { "", NULL },
    { "#cgroup_device_acl = [ \"/dev/kvm\" ]\n", NULL },
    { "cgroup_device_acl = [ \"/dev/null\", \"/dev/kvm\" ]\n", "/dev/null|/dev/kvm" },
    { "cgroup_device_acl = [\n  \"/dev/kvm\",  # stock\n  \"/dev/kvm1\" # ours\n]\n",
      "/dev/kvm|/dev/kvm1" },
    { "my_cgroup_device_acl = [ \"/x\" ]\ncgroup_device_acl = [ \"/dev/kvm\" ]", "/dev/kvm" },
    { "cgroup_device_acl = [ \"/dev/a#b\" ]", "/dev/a#b" },
    { "cgroup_device_acl = []", "" },
    /* a quoted string ends on its line, as in libvirt (found by fuzz-qemu-conf) */
    { "cgroup_device_acl = [ \"/dev/kvm\", \"\n\"\n\"#\" ]", "/dev/kvm" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) acl = mkvm_qemu_conf_device_acl (cases[i].conf);
      g_autofree char *got = NULL;

      if (!cases[i].want)
        {
          g_assert_null (acl);
          continue;
        }
      g_assert_nonnull (acl);
      g_ptr_array_add (acl, NULL);
      got = g_strjoinv ("|", (char **) acl->pdata);
      g_assert_cmpstr (got, ==, cases[i].want);
    }
}

/* doctor's confinement check reads two more lists with the same parser */
static void
test_conf_lists (void)
{
  static const char conf[] =
      "# namespaces = [ \"mount\" ]\n"
      "cgroup_controllers = [ \"cpu\", \"devices\" ]  # no \"memory\"\n"
      "namespaces = [ ]\n"
      "cgroup_device_acl = [ \"/dev/kvm\" ]\n";
  g_autoptr(GPtrArray) ctrls = mkvm_qemu_conf_list (conf, "cgroup_controllers");
  g_autoptr(GPtrArray) ns = mkvm_qemu_conf_list (conf, "namespaces");
  g_autoptr(GPtrArray) acl = mkvm_qemu_conf_list (conf, "cgroup_device_acl");
  g_autoptr(GPtrArray) none = mkvm_qemu_conf_list ("cgroup_controllers = [ \"cpu\" ]\n",
                                                   "namespaces");

  g_assert_nonnull (ctrls);
  g_assert_cmpuint (ctrls->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (ctrls, 0), ==, "cpu");
  g_assert_cmpstr (g_ptr_array_index (ctrls, 1), ==, "devices");
  g_assert_nonnull (ns);
  g_assert_cmpuint (ns->len, ==, 0);
  g_assert_nonnull (acl);
  g_assert_cmpuint (acl->len, ==, 1);
  g_assert_null (none);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/domain/facts", test_facts);
  g_test_add_func ("/domain/lenient", test_lenient);
  g_test_add_func ("/domain/nova-flavor", test_nova);
  g_test_add_func ("/domain/first-uuid", test_first_uuid);
  g_test_add_func ("/domain/malformed", test_malformed);
  g_test_add_func ("/domain/wish-error-domain", test_wish_error_domain);
  g_test_add_func ("/domain/error-context", test_error_context);
  g_test_add_func ("/domain/qemu-conf-device-acl", test_device_acl);
  g_test_add_func ("/domain/qemu-conf-lists", test_conf_lists);
  return g_test_run ();
}
