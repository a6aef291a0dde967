// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * multikvm-qemu — the domain's <emulator>.  Finds the domain's record by
 * -uuid, points `-accel kvm` at the recorded instance's node and execs the
 * real QEMU in place (same pid, every inherited fd kept).  Capability probes
 * (no -uuid) and domains without a record run the real QEMU untouched.
 * Installed as the system's QEMU by `multikvm divert on`, it runs dpkg's
 * diverted binary (exec_qemu()).
 *
 * Exit status (only when QEMU is not exec'ed): 1 = refused (record invalid,
 * device not a kvm node of the inventory, no -accel kvm), 127 = the real
 * QEMU could not be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "multikvm.h"
#include "mkvm-node.h"
#include "argv.h"

#define PROG "multikvm-qemu"
#define DEFAULT_QEMU "/usr/bin/qemu-system-x86_64"

static char *
real_qemu (void)
{
  g_autoptr(GError) error = NULL;
  char *qemu = mkvm_conf_get ("qemu", &error);

  if (error != NULL)
    fprintf (stderr, PROG ": warning: %s; using " DEFAULT_QEMU "\n", error->message);
  if (qemu == NULL || *qemu == '\0')
    {
      g_free (qemu);
      qemu = g_strdup (DEFAULT_QEMU);
    }
  return qemu;
}

/*
 * qemu= names this wrapper when `multikvm divert on` made it the system's
 * QEMU (mkvm-divert.h): the real binary is then dpkg's diverted one, QEMU's
 * path plus ".real".  argv[0] stays what libvirt ran (the stock path), so
 * the process looks like stock QEMU; QEMU finds its files by /proc/self/exe.
 */
static int G_GNUC_NORETURN
exec_qemu (const char *qemu, char **argv)
{
  char *self = realpath ("/proc/self/exe", NULL);
  char *target = realpath (qemu, NULL);

  if (self != NULL && target != NULL && strcmp (self, target) == 0)
    {
      g_autofree char *real = g_strconcat (qemu, ".real", NULL);

      if (access (real, X_OK) < 0)
        {
          fprintf (stderr, PROG ": qemu=%s in %s is this wrapper and %s is missing; set "
                   "qemu= to the real QEMU binary or check `multikvm divert status`\n",
                   qemu, mkvm_path_conf (), real);
          exit (127);
        }
      execv (real, argv);
      fprintf (stderr, PROG ": cannot execute %s: %s (see `multikvm divert status`)\n",
               real, g_strerror (errno));
      exit (127);
    }
  argv[0] = (char *) qemu;
  execv (qemu, argv);
  fprintf (stderr, PROG ": cannot execute %s: %s (set qemu= in %s)\n",
           qemu, g_strerror (errno), mkvm_path_conf ());
  exit (127);
}

static int G_GNUC_NORETURN
refuse (const char *uuid, const char *name, const char *msg)
{
  if (name != NULL)
    fprintf (stderr, PROG ": domain '%s': %s\n", name, msg);
  else
    fprintf (stderr, PROG ": domain %s: %s\n", uuid, msg);
  exit (1);
}

int
main (int argc, char **argv)
{
  g_autofree char *qemu = real_qemu ();
  g_autofree char *uuid = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(MkvmPolicy) policy = NULL;
  g_autoptr(MkvmInventory) inv = NULL;
  g_auto(GStrv) new_argv = NULL;
  const char *u = mkvm_argv_find_uuid (argv);

  if (u == NULL)
    exec_qemu (qemu, argv);     /* capability probe, or not started by libvirt */
  uuid = g_ascii_strdown (u, -1);
  if (!mkvm_uuid_valid (uuid))
    exec_qemu (qemu, argv);

  rec = mkvm_record_load (NULL, uuid, &error);
  if (rec == NULL)
    {
      if (g_error_matches (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND))
        exec_qemu (qemu, argv);  /* not placed by multikvm: run as libvirt asked */
      refuse (uuid, NULL, error->message);
    }

  policy = mkvm_policy_load (NULL, &error);
  if (policy == NULL)
    refuse (uuid, rec->name, error->message);
  inv = mkvm_inventory_load (policy, &error);
  if (inv == NULL)
    refuse (uuid, rec->name, error->message);
  if (!mkvm_node_check (inv, rec->device, rec->instance, &error))
    {
      g_autofree char *msg = g_strdup_printf (
          "recorded device %s is not the KVM node of instance %u (%s); "
          "check the instance with `multikvm status` and start the domain again",
          rec->device ? rec->device : "(none)", rec->instance, error->message);
      refuse (uuid, rec->name, msg);
    }

  new_argv = mkvm_argv_set_kvm_device (argv, rec->device, &error);
  if (new_argv == NULL)
    refuse (uuid, rec->name, error->message);
  (void) argc;
  exec_qemu (qemu, new_argv);
}
