/* SPDX-License-Identifier: GPL-2.0-or-later */
/* multikvm define: virsh define, with our short form moved into <metadata>. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int
cmd_define (CliGlobal *g, int argc, char **argv)
{
  const char *file;
  g_autofree char *text = NULL, *xml = NULL, *md = NULL;
  gsize len = 0;
  gboolean moved;
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  virConnectPtr conn;
  virDomainPtr dom;
  g_autoptr(GError) error = NULL;

  if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
    return cli_usage ("define");
  file = argv[1];
  if (strcmp (file, "-") == 0)
    {
      g_autoptr(GIOChannel) in = g_io_channel_unix_new (0);
      g_io_channel_set_encoding (in, NULL, NULL);
      if (g_io_channel_read_to_end (in, &text, &len, &error) != G_IO_STATUS_NORMAL)
        return cli_fail (EXIT_FAIL, "cannot read the domain XML from stdin: %s",
                         error ? error->message : "read failed");
    }
  else if (!g_file_get_contents (file, &text, &len, &error))
    return cli_fail (EXIT_FAIL, "%s", error->message);
  if (!(xml = mkvm_wish_normalize_xml (text, len, &moved, &error)))
    return cli_fail (EXIT_USAGE, "%s: %s", file, error->message);

  conn = cli_virt_open (g->uri, FALSE);
  if (!conn)
    return cli_fail (EXIT_FAIL, "cannot connect to libvirt%s%s: %s", g->uri ? " at " : "",
                     g->uri ? g->uri : "", cli_virt_message ());
  dom = virDomainDefineXML (conn, xml);
  if (!dom)
    {
      int code = cli_fail (EXIT_FAIL, "%s: libvirt did not define the domain: %s", file,
                           cli_virt_message ());
      virConnectClose (conn);
      return code;
    }
  virDomainGetUUIDString (dom, uuid);
  /* what libvirt kept: the proof that the wish survived */
  md = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, MKVM_METADATA_URI,
                             VIR_DOMAIN_AFFECT_CONFIG);
  cli_print (g, "domain '%s' defined (%s); multikvm metadata %s%s\n", virDomainGetName (dom),
             uuid, md ? md : "none (the policy's default profile)",
             moved ? " (moved from <kvm> under <domain>)" : "");
  if (g->json)
    {
      json_builder_begin_object (g->json);
      mkvm_json_add_string (g->json, "domain", virDomainGetName (dom));
      mkvm_json_add_string (g->json, "uuid", uuid);
      mkvm_json_add_string (g->json, "metadata", md);
      mkvm_json_add_bool (g->json, "moved", moved);
      json_builder_end_object (g->json);
    }
  virDomainFree (dom);
  virConnectClose (conn);
  return EXIT_OK;
}
