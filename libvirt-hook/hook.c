// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * multikvm-hook — libvirt's qemu hook: <hooks>/qemu.d/multikvm (front.c)
 * runs it for the events below.
 *
 *   NAME prepare begin -     decide and record the domain's instance
 *   NAME restore begin -     same, for the saved XML (prints nothing: XML unchanged)
 *   NAME migrate begin -     same, for an incoming domain (prints nothing)
 *   NAME started begin -     verify QEMU opened exactly the recorded node,
 *                            note its pid, optionally hide the other nodes
 *   NAME reconnect begin -   daemon restart: re-verify and repair the record
 *   NAME release end *       forget the record
 *
 * Every decision and record comes from libmultikvm; the hook never calls
 * back into libvirt.  Failures print one line on stderr, which libvirt shows
 * to the user, and exit 1 (aborting the start).  Exit status: 0 ok (and for
 * every call we do not handle), 1 refused, 2 usage.
 *
 * multikvm.conf: isolate=yes removes every kvm node but the chosen one from
 * QEMU's private /dev at "started".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "multikvm.h"
#include "mkvm-node.h"

#define PROG "multikvm-hook"

static const char *dom_name = "?";

static void G_GNUC_NORETURN
die (const char *msg)
{
  fprintf (stderr, PROG ": domain '%s': %s\n", dom_name, msg);
  exit (1);
}

/* A library error names the domain itself when it concerns one. */
static void G_GNUC_NORETURN
die_error (const GError *error)
{
  if (mkvm_error_get_domain (error) != NULL)
    fprintf (stderr, PROG ": %s\n", error->message);
  else
    fprintf (stderr, PROG ": domain '%s': %s\n", dom_name, error->message);
  exit (1);
}

static void
warn (const char *msg)
{
  fprintf (stderr, PROG ": warning: domain '%s': %s\n", dom_name, msg);
}

static char *
read_stdin (gsize *len)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  char chunk[16384];
  ssize_t n;

  while ((n = read (0, chunk, sizeof chunk)) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      g_string_append_len (buf, chunk, n);
    }
  *len = buf->len;
  return g_string_free (g_steal_pointer (&buf), FALSE);
}

/* What started and reconnect start from. */
typedef struct {
  MkvmPolicy *policy;
  MkvmInventory *inv;
  pid_t pid;                    /* QEMU's */
} Ctx;

static void
ctx_clear (Ctx *c)
{
  g_clear_pointer (&c->policy, mkvm_policy_free);
  g_clear_pointer (&c->inv, mkvm_inventory_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctx, ctx_clear)

/* The policy, the inventory and QEMU's pid. */
static gboolean
ctx_load (Ctx *c, GError **error)
{
  return (c->policy = mkvm_policy_load (NULL, error)) != NULL &&
         (c->inv = mkvm_inventory_load (c->policy, error)) != NULL &&
         (c->pid = mkvm_qemu_read_pid (dom_name, error)) != 0;
}

/* prepare / restore / migrate */
static int
do_place (const MkvmDomain *info)
{
  g_autoptr(MkvmPolicy) policy = NULL;
  g_autoptr(MkvmInventory) inv = NULL;
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(GError) error = NULL;

  if (!mkvm_domain_is_kvm (info))
    return 0;
  if (info->wish == NULL)
    die_error (info->wish_error);
  if ((policy = mkvm_policy_load (NULL, &error)) == NULL ||
      (inv = mkvm_inventory_load (policy, &error)) == NULL ||
      (rec = mkvm_place_domain (NULL, policy, inv, info->wish, &error)) == NULL)
    die_error (error);
  return 0;
}

static gboolean
isolation_wanted (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *v = mkvm_conf_get ("isolate", &error);

  return v != NULL && (g_ascii_strcasecmp (v, "yes") == 0 || strcmp (v, "1") == 0 ||
                       g_ascii_strcasecmp (v, "true") == 0);
}

/*
 * In QEMU's mount namespace, unlink every kvm node of /dev except the one
 * recorded: char devices of an instance, and /dev/kvm, /dev/kvmN.  The node
 * kept is the recorded path itself (same inode), so this also holds where
 * several nodes share one device number.  Done in a child: setns() wants a
 * single-threaded caller and must not affect the hook itself.
 */
static void
isolate (const MkvmInventory *inv, pid_t pid, const char *keep_path)
{
  g_autofree char *ns = g_strdup_printf ("%s/%d/ns/mnt", mkvm_path_proc (), pid);
  int fd = open (ns, O_RDONLY | O_CLOEXEC);
  char why[256] = "";
  int pfd[2];
  pid_t child;
  int status;
  ssize_t n;

  if (fd < 0 || pipe2 (pfd, O_CLOEXEC) < 0)
    die (g_strdup_printf ("cannot open %s to isolate QEMU: %s", ns, g_strerror (errno)));
  child = fork ();
  if (child == 0)
    {
      struct stat keep;
      struct dirent *e;
      DIR *d;

      close (pfd[0]);
#define CHILD_FAIL(what, arg) \
      do { dprintf (pfd[1], "%s %s: %s", what, arg, g_strerror (errno)); _exit (1); } while (0)
      if (setns (fd, CLONE_NEWNS) < 0)
        CHILD_FAIL ("setns", ns);
      if (stat (keep_path, &keep) < 0)
        CHILD_FAIL ("stat", keep_path);
      if ((d = opendir ("/dev")) == NULL)
        CHILD_FAIL ("opendir", "/dev");
      while ((e = readdir (d)) != NULL)
        {
          g_autofree char *path = g_strconcat ("/dev/", e->d_name, NULL);
          const char *tail = e->d_name + 3;
          struct stat st;

          if (!g_str_has_prefix (e->d_name, "kvm") ||
              lstat (path, &st) < 0 || !S_ISCHR (st.st_mode) ||
              (st.st_dev == keep.st_dev && st.st_ino == keep.st_ino))
            continue;
          if (mkvm_inventory_find_by_rdev (inv, st.st_rdev) == NULL &&
              *tail != '\0' && strspn (tail, "0123456789") != strlen (tail))
            continue;           /* kvm-something that is no instance of ours */
          /* A node bind-mounted into /dev came along as a mount: detach it
           * (in QEMU's namespace only), then remove what is underneath. */
          if (unlink (path) < 0 && (errno != EBUSY || umount2 (path, MNT_DETACH) < 0 ||
                                    (unlink (path) < 0 && errno != ENOENT)))
            CHILD_FAIL ("unlink", path);
        }
      _exit (0);
#undef CHILD_FAIL
    }
  close (fd);
  close (pfd[1]);
  while ((n = read (pfd[0], why, sizeof why - 1)) < 0 && errno == EINTR)
    ;
  why[n > 0 ? n : 0] = '\0';
  close (pfd[0]);
  if (child < 0 || waitpid (child, &status, 0) < 0 || !WIFEXITED (status) ||
      WEXITSTATUS (status) != 0)
    die (g_strdup_printf ("could not remove the other KVM nodes from QEMU's /dev (pid %d: %s); "
                          "set isolate=no in %s to start without isolation",
                          pid, why[0] ? why : "child failed", mkvm_path_conf ()));
}

static int
do_started (const MkvmDomain *info)
{
  g_auto(Ctx) c = { 0 };
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(GError) error = NULL;

  if (!mkvm_domain_is_kvm (info))
    return 0;
  if (info->uuid == NULL)
    die ("the domain XML has no valid <uuid>");
  /* prepare recorded the domain: a missing record is an error too. */
  if ((rec = mkvm_record_load (NULL, info->uuid, &error)) == NULL ||
      !ctx_load (&c, &error) ||
      !mkvm_node_verify_pid (c.inv, c.pid, rec->instance, &error))
    die_error (error);
  if (isolation_wanted ())
    isolate (c.inv, c.pid, rec->device);
  if (!mkvm_domain_started (NULL, info->uuid, c.pid, &error))
    die_error (error);
  return 0;
}

/*
 * Daemon restart: QEMU keeps running.  The process is the truth: correct or
 * create the record from /proc/PID/fd.  Never fails (a failing reconnect
 * kills the guest); problems are reported as warnings.
 */
static int
do_reconnect (const MkvmDomain *info)
{
  g_auto(Ctx) c = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean several = FALSE;

  if (!mkvm_domain_is_kvm (info) || info->uuid == NULL)
    return 0;
  if (!ctx_load (&c, &error) ||
      !mkvm_domain_reconnected (NULL, c.inv, info->uuid, dom_name, c.pid, &several, &error))
    warn (error->message);
  if (several)
    warn ("QEMU has several KVM instances open; recording the first");
  return 0;
}

static int
do_release (const MkvmDomain *info)
{
  g_autoptr(GError) error = NULL;

  if (info->uuid == NULL)
    return 0;
  if (!mkvm_domain_released (NULL, info->uuid, &error))
    warn (error->message);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *xml = NULL;
  g_autoptr(MkvmDomain) info = NULL;
  gsize len = 0;
  const char *op, *sub;

  if (argc < 4)
    {
      fprintf (stderr, "usage: multikvm-hook DOMAIN OPERATION SUB-OPERATION EXTRA "
                       "< domain.xml\n(run by libvirtd through <hooks>/qemu.d/multikvm)\n");
      return 2;
    }
  dom_name = argv[1];
  op = argv[2];
  sub = argv[3];
  xml = read_stdin (&len);
  info = mkvm_domain_from_xml (xml, len);

  if (strcmp (sub, "begin") == 0)
    {
      if (strcmp (op, "prepare") == 0 || strcmp (op, "restore") == 0 ||
          strcmp (op, "migrate") == 0)
        return do_place (info);
      if (strcmp (op, "started") == 0)
        return do_started (info);
      if (strcmp (op, "reconnect") == 0)
        return do_reconnect (info);
    }
  if (strcmp (op, "release") == 0 && strcmp (sub, "end") == 0)
    return do_release (info);
  return 0;
}
