/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt.c — the CLI's libvirt connection: errors are ours to print, once. */
#include <string.h>
#include <libvirt/virterror.h>
#include "cli.h"

static void
quiet_errors (void *data, virErrorPtr err)
{
  /* reported by the caller, one line (cli_virt_message) */
}

virConnectPtr
cli_virt_open (const char *uri, gboolean read_only)
{
  virSetErrorFunc (NULL, quiet_errors);
  return read_only ? virConnectOpenReadOnly (uri) : virConnectOpen (uri);
}

const char *
cli_virt_message (void)
{
  const char *m = virGetLastErrorMessage ();
  return m ? m : "unknown libvirt error";
}

/* virsh's order (vshLookupDomainBy): id, then uuid, then name; a domain
 * named "1" is found by name only when no domain has id 1. */
virDomainPtr
cli_lookup_domain (virConnectPtr conn, const char *arg)
{
  virDomainPtr dom = NULL;
  gint64 id;

  if (g_ascii_string_to_signed (arg, 10, 0, G_MAXINT, &id, NULL))
    dom = virDomainLookupByID (conn, (int) id);
  if (!dom && strlen (arg) == VIR_UUID_STRING_BUFLEN - 1)
    dom = virDomainLookupByUUIDString (conn, arg);
  if (!dom)
    dom = virDomainLookupByName (conn, arg);
  return dom;
}
