// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * multikvm-hook — libvirt's qemu hook: <hooks>/qemu.d/multikvm (front.c)
 * runs it for the events below.
 *
 *   NAME prepare begin -     decide and record the domain's instance (a refusal
 *                            is counted: mkvm_refusal_count())
 *   NAME restore begin -     same, for the saved XML (prints nothing: XML unchanged)
 *   NAME migrate begin -     an incoming domain: decide and record by
 *                            mkvm_place_arrival() (a pin means the source
 *                            instance's KVM build), print its XML with the
 *                            pin and placement of this host
 *   NAME started begin -     verify QEMU opened exactly the recorded node,
 *                            confine it to that instance, note its pid
 *                            (a stock <emulator> opens it only while
 *                            `multikvm divert` is on: die_started()),
 *                            and start `multikvm annotate --wait UUID` in
 *                            the background (the placement into the live
 *                            XML, mkvm-placement.h; it waits for libvirt's
 *                            start job to end)
 *   NAME reconnect begin -   daemon restart: re-verify and repair the record,
 *                            confine again
 *   NAME release end *       forget the record
 *
 * Every decision and record comes from libmultikvm; the hook never calls
 * back into libvirt (libvirtd waits for it with the domain locked): the
 * annotation is a detached process.  Failures print one line on stderr, which libvirt shows
 * to the user, and exit 1 (aborting the start).  Exit status: 0 ok (and for
 * every call we do not handle), 1 refused, 2 usage.
 *
 * multikvm.conf: confine=yes (the default) narrows QEMU's device cgroup to
 * its instance and removes the other kvm nodes from its private /dev at
 * "started" (mkvm-confine.h); failing that fails the start.  confine=no
 * leaves QEMU with every node libvirt's cgroup_device_acl gives it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

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

/* A refused placement: counted for `multikvm export --prometheus`
 * (multikvm_refusals_total), then the one line.  Failing to count does not
 * change the answer and adds no line. */
static void G_GNUC_NORETURN
refuse (const GError *error)
{
  mkvm_refusal_count (NULL, mkvm_refusal_from_error (error), NULL);
  die_error (error);
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
         (c->pid = mkvm_libvirt_qemu_pid (dom_name, error)) != 0;
}

/* prepare / restore */
static int
do_place (const MkvmDomain *info)
{
  g_autoptr(MkvmPolicy) policy = NULL;
  g_autoptr(MkvmInventory) inv = NULL;
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(GError) error = NULL;

  if (!mkvm_domain_is_kvm (info))
    return 0;
  /* mkvm_place_domain() journals its placement or refusal; the refusals
   * before it are journaled here */
  if (info->wish == NULL)
    {
      mkvm_journal_refused (info->uuid, info->name ? info->name : dom_name, NULL,
                            info->wish_error);
      refuse (info->wish_error);
    }
  if ((policy = mkvm_policy_load (NULL, &error)) == NULL ||
      (inv = mkvm_inventory_load (policy, &error)) == NULL)
    {
      mkvm_journal_refused (info->wish->uuid, info->wish->name, info->wish, error);
      refuse (error);
    }
  if ((rec = mkvm_place_domain (NULL, policy, inv, info->wish, &error)) == NULL)
    refuse (error);
  return 0;
}

/* migrate: the domain arrives from another host */
static int
do_arrive (const char *xml, gsize len, const MkvmDomain *info)
{
  g_autoptr(MkvmPolicy) policy = NULL;
  g_autoptr(MkvmInventory) inv = NULL;
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(MkvmPlacement) here = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  if (!mkvm_domain_is_kvm (info))
    return 0;
  if (info->wish == NULL || info->placement_error)
    {
      const GError *e = info->wish ? info->placement_error : info->wish_error;
      mkvm_journal_refused (info->uuid, info->name ? info->name : dom_name, info->wish, e);
      refuse (e);
    }
  if ((policy = mkvm_policy_load (NULL, &error)) == NULL ||
      (inv = mkvm_inventory_load (policy, &error)) == NULL)
    {
      mkvm_journal_refused (info->wish->uuid, info->wish->name, info->wish, error);
      refuse (error);
    }
  if ((rec = mkvm_place_arrival (NULL, policy, inv, info->wish, TRUE,
                                 info->placement ? info->placement->build : NULL,
                                 &error)) == NULL)
    refuse (error);
  here = mkvm_placement_new (rec, inv);
  if (!(out = mkvm_placement_rewrite (xml, len, here, info->wish->instance != 0, &error)))
    die_error (error);
  if (fputs (out, stdout) == EOF || fflush (stdout) != 0)
    die ("cannot write the domain's XML to libvirt");
  return 0;
}

/*
 * `multikvm annotate --wait UUID`, detached: libvirtd waits for the hook's
 * exit and for its stdout/stderr to close, and the CLI's libvirt call waits
 * for the start job the hook runs in.  Nothing when the CLI is not there.
 */
static void
spawn_annotate (const char *uuid)
{
  const char *cli = mkvm_test_getenv ("MULTIKVM_CLI");
  pid_t pid;

  if (cli == NULL)
    cli = MKVM_CLI_PATH;
  if (access (cli, X_OK) != 0)
    return;
  pid = fork ();
  if (pid < 0)
    {
      warn ("cannot start 'multikvm annotate': fork failed");
      return;
    }
  if (pid == 0)
    {
      int fd = open ("/dev/null", O_RDWR);

      if (setsid () < 0 || fd < 0 || fork () != 0)
        _exit (0);
      dup2 (fd, 0);
      dup2 (fd, 1);
      dup2 (fd, 2);
      closefrom (3);
      execl (cli, cli, "annotate", "--wait", uuid, (char *) NULL);
      _exit (127);
    }
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* Keep QEMU on its instance (mkvm-confine.h), or say why it cannot be. */
static gboolean
confine (const MkvmInventory *inv, pid_t pid, guint id, GError **error)
{
  const MkvmInstance *inst = mkvm_inventory_find (inv, id);
  gboolean wanted;

  if (!mkvm_confine_wanted (&wanted, error))
    return FALSE;
  if (!wanted)
    return TRUE;
  if (inst == NULL)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND, "instance %u is gone", id);
      return FALSE;
    }
  return mkvm_confine_qemu (inv, pid, inst, NULL, error);
}

/*
 * QEMU opened the wrong node.  A stock <emulator> is placed like the
 * wrapper's only while `multikvm divert on` makes the wrapper the system's
 * QEMU (mkvm-divert.h): say so when it does not.
 */
static void G_GNUC_NORETURN
die_started (const MkvmDomain *info, const GError *error)
{
  g_autoptr(MkvmDivert) divert = NULL;

  if (info->emulator == NULL || strcmp (info->emulator, MKVM_DIVERT_STOCK) != 0)
    die_error (error);
  divert = mkvm_divert_read ();
  if (divert->mode == MKVM_DIVERT_ON)
    die_error (error);
  die (g_strdup_printf ("%s; its <emulator> is %s and `multikvm divert` is %s: run "
                        "`multikvm divert on` (or set <emulator> to multikvm-qemu)",
                        error->message, MKVM_DIVERT_STOCK,
                        mkvm_divert_mode_name (divert->mode)));
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
      !ctx_load (&c, &error))
    die_error (error);
  if (!mkvm_node_verify_pid (c.inv, c.pid, rec->instance, &error))
    die_started (info, error);
  if (!confine (c.inv, c.pid, rec->instance, &error))
    die (g_strdup_printf ("cannot confine QEMU to instance %u: %s; set confine=no in %s to "
                          "start it unconfined", rec->instance, error->message,
                          mkvm_path_conf ()));
  if (!mkvm_domain_started (NULL, info->uuid, c.pid, &error))
    die_error (error);
  spawn_annotate (info->uuid);
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
  g_autoptr(GError) confine_error = NULL;
  gboolean several = FALSE, ok = TRUE;
  guint id = 0;

  if (!mkvm_domain_is_kvm (info) || info->uuid == NULL)
    return 0;
  if (!ctx_load (&c, &error) ||
      !mkvm_domain_reconnected (NULL, c.inv, info->uuid, dom_name, c.pid, &several, &id,
                               &error))
    ok = FALSE;
  if (several)
    warn ("QEMU has several KVM instances open; recording the first");
  /* confinement outlives libvirtd; apply it again all the same (an
   * instance loaded since adds a device number to deny) */
  if (id != 0 && !confine (c.inv, c.pid, id, &confine_error))
    {
      g_autofree char *msg = g_strdup_printf ("cannot confine QEMU to instance %u: %s", id,
                                              confine_error->message);
      warn (msg);
    }
  if (!ok)
    warn (error->message);
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
  g_set_prgname (PROG);   /* the journal's SYSLOG_IDENTIFIER */
  dom_name = argv[1];
  op = argv[2];
  sub = argv[3];
  xml = read_stdin (&len);
  info = mkvm_domain_from_xml (xml, len);

  if (strcmp (sub, "begin") == 0)
    {
      if (strcmp (op, "prepare") == 0 || strcmp (op, "restore") == 0)
        return do_place (info);
      if (strcmp (op, "migrate") == 0)
        return do_arrive (xml, len, info);
      if (strcmp (op, "started") == 0)
        return do_started (info);
      if (strcmp (op, "reconnect") == 0)
        return do_reconnect (info);
    }
  if (strcmp (op, "release") == 0 && strcmp (sub, "end") == 0)
    return do_release (info);
  return 0;
}
