/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: the CLI on libvirt's test driver (real libvirt code, no
 * daemon).  test:///default keeps its domains only while a connection of
 * this process is open, so the CLI runs in this process: its sources are
 * linked with main() renamed multikvm_main (tests/unit/meson.build).
 * test:///default starts with one running domain, "test", id 1.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

int multikvm_main (int argc, char **argv);

static virConnectPtr conn;   /* keeps test:///default's state for the whole run */

/* Runs multikvm -c test:///default ARGS...; its stdout in *@out. */
static int
run_cli (char **out, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *path = NULL;
  va_list ap;
  const char *a;
  int fd, saved, code;

  g_ptr_array_add (args, "multikvm");
  g_ptr_array_add (args, "-c");
  g_ptr_array_add (args, "test:///default");
  va_start (ap, out);
  while ((a = va_arg (ap, const char *)))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  fd = g_file_open_tmp ("mkvm-virt-XXXXXX", &path, NULL);
  g_assert_cmpint (fd, >=, 0);
  fflush (stdout);
  saved = dup (1);
  dup2 (fd, 1);
  optind = 0;
  code = multikvm_main ((int) args->len - 1, (char **) args->pdata);
  fflush (stdout);
  dup2 (saved, 1);
  close (saved);
  close (fd);
  g_assert_true (g_file_get_contents (path, out, NULL, NULL));
  unlink (path);
  return code;
}

static void
define (const char *name, const char *uuid)
{
  g_autofree char *xml = g_strdup_printf ("<domain type='test'><name>%s</name><uuid>%s</uuid>"
                                          "<memory>65536</memory><os><type>hvm</type></os>"
                                          "</domain>", name, uuid);
  virDomainPtr d = virDomainDefineXML (conn, xml);
  g_assert_nonnull (d);
  virDomainFree (d);
}

static char *
name_of (const char *arg)
{
  virDomainPtr d = cli_lookup_domain (conn, arg);
  char *name = d ? g_strdup (virDomainGetName (d)) : NULL;
  if (d)
    virDomainFree (d);
  return name;
}

static char *
metadata_of (const char *name)
{
  virDomainPtr d = virDomainLookupByName (conn, name);
  char *md;
  g_assert_nonnull (d);
  md = virDomainGetMetadata (d, VIR_DOMAIN_METADATA_ELEMENT, MKVM_METADATA_URI,
                             VIR_DOMAIN_AFFECT_CONFIG);
  virDomainFree (d);
  return md;
}

/* virsh's order: id, then uuid, then name */
static void
test_lookup_order (void)
{
  g_autofree char *by_id = NULL, *by_uuid = NULL, *by_name = NULL, *fallback = NULL;
  g_autofree char *plain = NULL, *none = NULL, *md_test = NULL, *md_1 = NULL, *out = NULL;

  /* a domain named like "test"'s id, one named like its uuid, one named "7" (no id 7) */
  define ("1", "11111111-2222-3333-4444-555555555555");
  define (TEST_UUID, "11111111-2222-3333-4444-666666666666");
  define ("7", "11111111-2222-3333-4444-777777777777");
  by_id = name_of ("1");
  by_uuid = name_of (TEST_UUID);
  fallback = name_of ("7");
  by_name = name_of ("11111111-2222-3333-4444-555555555555");
  plain = name_of ("test");
  none = name_of ("nosuch");
  g_assert_cmpstr (by_id, ==, "test");
  g_assert_cmpstr (by_uuid, ==, "test");
  g_assert_cmpstr (fallback, ==, "7");
  g_assert_cmpstr (by_name, ==, "1");
  g_assert_cmpstr (plain, ==, "test");
  g_assert_null (none);

  /* assign uses it: "1" is the running domain "test", not the domain named 1 */
  g_assert_cmpint (run_cli (&out, "assign", "1", "--instance", "2", "--config", NULL), ==, 0);
  md_test = metadata_of ("test");
  md_1 = metadata_of ("1");
  g_assert_cmpstr (md_test, ==, "<kvm instance=\"2\"/>");
  g_assert_null (md_1);
}

static char *
write_file (const char *text)
{
  char *path = NULL;
  int fd = g_file_open_tmp ("mkvm-define-XXXXXX.xml", &path, NULL);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

#define DOMAIN(name, extra) "<domain type='test'><name>" name "</name>" \
  "<memory>65536</memory><os><type>hvm</type></os>" extra "</domain>"

/* multikvm define FILE: the README's one-liner, on the test driver */
static void
test_define (void)
{
  static const struct {
    const char *xml, *name, *want;
    gboolean moved;
  } ok[] = {
    { DOMAIN ("web1", "<kvm instance='2'/>"), "web1", "<kvm instance=\"2\"/>", TRUE },
    { DOMAIN ("web2", "<kvm profile='hardened'/>"), "web2", "<kvm profile=\"hardened\"/>", TRUE },
    { DOMAIN ("web3", "<metadata><mkvm:kvm xmlns:mkvm='" MKVM_METADATA_URI "' instance='3'/>"
              "</metadata>"), "web3", "<kvm instance=\"3\"/>", FALSE },
    { DOMAIN ("web4", ""), "web4", NULL, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autofree char *path = write_file (ok[i].xml);
      g_autofree char *out = NULL, *md = NULL, *want = NULL;
      g_assert_cmpint (run_cli (&out, "define", path, "--json", NULL), ==, 0);
      md = metadata_of (ok[i].name);
      g_assert_cmpstr (md, ==, ok[i].want);
      want = g_strdup_printf ("\"moved\" : %s", ok[i].moved ? "true" : "false");
      if (!strstr (out, want) || !strstr (out, ok[i].name))
        g_error ("define --json of %s printed '%s'", ok[i].name, out);
      unlink (path);
    }
}

/* a bad value or both forms: exit 2, nothing defined */
static void
test_define_refused (void)
{
  static const char *const bad[] = {
    DOMAIN ("bad1", "<kvm instance='../x'/>"),
    DOMAIN ("bad2", "<kvm instance='2'/><metadata><mkvm:kvm xmlns:mkvm='" MKVM_METADATA_URI
            "' instance='3'/></metadata>"),
    DOMAIN ("bad3", "<kvm profile='a'/"),
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = write_file (bad[i]);
      g_autofree char *out = NULL, *name = g_strdup_printf ("bad%u", i + 1);
      virDomainPtr d;
      g_assert_cmpint (run_cli (&out, "define", path, NULL), ==, EXIT_USAGE);
      g_assert_cmpstr (out, ==, "");
      d = virDomainLookupByName (conn, name);
      g_assert_null (d);
      unlink (path);
    }
}

int
main (int argc, char **argv)
{
  int rc;
  g_test_init (&argc, &argv, NULL);
  conn = cli_virt_open ("test:///default", FALSE);
  g_assert_nonnull (conn);
  g_test_add_func ("/virt/lookup-order", test_lookup_order);
  g_test_add_func ("/virt/define", test_define);
  g_test_add_func ("/virt/define-refused", test_define_refused);
  rc = g_test_run ();
  virConnectClose (conn);
  return rc;
}
