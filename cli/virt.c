/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt.c — the CLI's libvirt connection: errors are ours to print, once. */
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

virDomainPtr
cli_lookup_domain (virConnectPtr conn, const char *name)
{
  virDomainPtr dom = virDomainLookupByName (conn, name);
  guint64 id;
  if (!dom && mkvm_uuid_valid (name))
    dom = virDomainLookupByUUIDString (conn, name);
  if (!dom && g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &id, NULL))
    dom = virDomainLookupByID (conn, (int) id);
  return dom;
}
