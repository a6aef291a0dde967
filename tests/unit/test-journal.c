/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit test: placements and refusals reach the systemd journal with their
 * fields.  In a private mount namespace (root) a tmpfs covers
 * /run/systemd/journal and this program listens where journald would,
 * /run/systemd/journal/socket (AF_UNIX, SOCK_DGRAM), and reads the
 * datagrams of journald's native protocol: "KEY=value\n", or for values
 * with a newline "KEY\n" + 64-bit little-endian length + value + "\n".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "multikvm.h"
#include "fixture.h"

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"
#define SOCKET "/run/systemd/journal/socket"

static gboolean private_journal;   /* the tmpfs is mounted, in our namespace */

/* One datagram: KEY -> value. */
static GHashTable *
parse_entry (const char *p, gsize len)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *end = p + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *eq;
      g_assert_nonnull (nl);
      eq = memchr (p, '=', nl - p);
      if (eq)
        {
          g_autofree char *key = g_strndup (p, eq - p);
          if (g_hash_table_contains (h, key))
            g_error ("journal field %s twice", key);
          g_hash_table_insert (h, g_steal_pointer (&key), g_strndup (eq + 1, nl - eq - 1));
          p = nl + 1;
        }
      else
        {
          guint64 n = 0;
          char *key = g_strndup (p, nl - p);
          p = nl + 1;
          g_assert_cmpint (end - p, >=, 8);
          for (int i = 7; i >= 0; i--)
            n = (n << 8) | (guchar) p[i];
          p += 8;
          g_assert_cmpuint (n + 1, <=, (guint64) (end - p));
          g_hash_table_insert (h, key, g_strndup (p, n));
          g_assert_cmpint (p[n], ==, '\n');
          p += n + 1;
        }
    }
  return h;
}

/* The next datagram, or NULL when none is queued. */
static GHashTable *
receive (int fd)
{
  char buf[65536];
  ssize_t n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0)
    {
      g_assert_cmpint (errno, ==, EAGAIN);
      return NULL;
    }
  return parse_entry (buf, n);
}

/* web1's wish, through the wish parser */
static MkvmWish *
wish (const char *metadata)
{
  g_autofree char *md = g_strdup_printf ("<mkvm:kvm xmlns:mkvm='" MKVM_METADATA_URI "' %s/>",
                                         metadata);
  g_autofree char *xml = fx_domain_xml ("web1", UUID, md);
  g_autoptr(GError) error = NULL;
  MkvmWish *w = mkvm_wish_from_xml (xml, -1, &error);
  g_assert_no_error (error);
  return w;
}

static void
assert_field (GHashTable *e, const char *key, const char *want)
{
  const char *v = g_hash_table_lookup (e, key);
  if (g_strcmp0 (v, want) != 0)
    g_error ("journal field %s is '%s', want '%s'", key, v ? v : "(absent)",
             want ? want : "(absent)");
}

static void
test_journal (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) policy = NULL;
  g_autoptr(MkvmInventory) inv = NULL;
  g_autoptr(MkvmWish) fast = wish ("profile='fast'"), pin = wish ("instance='9'");
  g_autoptr(MkvmRecord) r1 = NULL, r2 = NULL;
  g_autoptr(GHashTable) placed = NULL, refused = NULL, none = NULL;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  if (unshare (CLONE_NEWNS) < 0)
    {
      g_test_skip ("unshare(CLONE_NEWNS) failed: no private mount namespace");
      return;
    }
  g_assert_cmpint (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
  if (g_file_test ("/run/systemd/journal", G_FILE_TEST_IS_DIR))
    g_assert_cmpint (mount ("tmpfs", "/run/systemd/journal", "tmpfs", 0, NULL), ==, 0);
  else
    {
      /* no journal on this host: a tmpfs /run of our own holds the path */
      g_assert_cmpint (mount ("tmpfs", "/run", "tmpfs", 0, NULL), ==, 0);
      g_assert_cmpint (g_mkdir_with_parents ("/run/systemd/journal", 0755), ==, 0);
    }
  private_journal = TRUE;

  fx_vac (fx, NULL);
  fx_instance (fx, 1, 1000, 0, "nx_huge_pages=Y");
  fx_instance (fx, 2, 2000, 0, "nx_huge_pages=N");
  policy = mkvm_policy_parse ("<policy version='1'><profiles default='standard'>"
                              "<profile name='standard'/><profile name='fast'>"
                              "<require param='nx_huge_pages' value='N'/></profile>"
                              "</profiles></policy>", -1, "test-policy", &error);
  g_assert_no_error (error);
  inv = mkvm_inventory_load (policy, &error);
  g_assert_no_error (error);

  /* no socket: the placement works, silently */
  r1 = mkvm_place_domain (NULL, policy, inv, fast, &error);
  g_assert_no_error (error);

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  strcpy (sa.sun_path, SOCKET);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);

  r2 = mkvm_place_domain (NULL, policy, inv, fast, &error);
  g_assert_no_error (error);
  g_assert_null (mkvm_place_domain (NULL, policy, inv, pin, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_NO_CANDIDATE);

  placed = receive (fd);
  refused = receive (fd);
  none = receive (fd);
  g_assert_nonnull (placed);
  g_assert_nonnull (refused);
  g_assert_null (none);

  assert_field (placed, "MESSAGE_ID", MKVM_JOURNAL_PLACED);
  assert_field (placed, "MESSAGE_ID", "7738910085f44379b072d9fa7ce4d9a0");
  assert_field (placed, "PRIORITY", "6");
  assert_field (placed, "DOMAIN_UUID", UUID);
  assert_field (placed, "DOMAIN_NAME", "web1");
  assert_field (placed, "INSTANCE", "2");
  assert_field (placed, "DEVICE", r2->device);
  assert_field (placed, "PROFILE", "fast");
  assert_field (placed, "REASON", r2->reason);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (placed, "MESSAGE"),
                                   "domain 'web1' placed on instance 2 ("));

  assert_field (refused, "MESSAGE_ID", MKVM_JOURNAL_REFUSED);
  assert_field (refused, "MESSAGE_ID", "3fec54458ca744e5a9c0fbf54ce20112");
  assert_field (refused, "PRIORITY", "4");
  assert_field (refused, "DOMAIN_UUID", UUID);
  assert_field (refused, "DOMAIN_NAME", "web1");
  assert_field (refused, "INSTANCE", "9");
  assert_field (refused, "PROFILE", NULL);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (refused, "REASON"),
                                   "pinned to instance 9, which is not loaded"));
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (refused, "MESSAGE"),
                                   "domain 'web1' refused: pinned to instance 9"));
  close (fd);
}

/* A value with a newline travels in the binary form, whole. */
static void
test_binary_form (void)
{
  g_autoptr(GError) error = g_error_new (MKVM_ERROR, MKVM_ERROR_FAILED, "line one\nline two");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  g_autoptr(GHashTable) e = NULL;
  int fd;

  if (!private_journal)
    {
      g_test_skip ("needs the private journal directory of /journal/placed-and-refused");
      return;
    }
  unlink (SOCKET);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  strcpy (sa.sun_path, SOCKET);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  mkvm_journal_refused (NULL, "x", NULL, error);
  e = receive (fd);
  g_assert_nonnull (e);
  assert_field (e, "REASON", "line one\nline two");
  assert_field (e, "DOMAIN_UUID", NULL);
  close (fd);
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/journal/placed-and-refused", test_journal);
  g_test_add_func ("/journal/binary-form", test_binary_form);
  return g_test_run ();
}
