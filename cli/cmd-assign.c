/* SPDX-License-Identifier: GPL-2.0-or-later */
/* multikvm assign: writes the domain's wish into its libvirt metadata. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

int
cmd_assign (CliGlobal *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "instance", required_argument, NULL, 'i' },
    { "profile", required_argument, NULL, 'p' },
    { "clear", no_argument, NULL, 'x' },
    { "live", no_argument, NULL, 'l' },
    { "config", no_argument, NULL, 'C' },
    { NULL, 0, NULL, 0 },
  };
  guint instance = 0;
  const char *profile = NULL;
  gboolean clear = FALSE;
  unsigned int flags = VIR_DOMAIN_AFFECT_CURRENT;
  int c, code = EXIT_OK;
  virConnectPtr conn;
  virDomainPtr dom;
  g_autofree char *md = NULL;
  g_autoptr(GError) error = NULL;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        if (!cli_parse_id (optarg, &instance))
          return EXIT_USAGE;
        break;
      case 'p':
        if (!mkvm_profile_name_valid (optarg))
          return cli_fail (EXIT_USAGE, "profile '%s' is not a profile name: use 1 to 32 "
                           "characters a-z 0-9 _ - starting with a letter or digit", optarg);
        profile = optarg;
        break;
      case 'x':
        clear = TRUE;
        break;
      case 'l':
        flags |= VIR_DOMAIN_AFFECT_LIVE;
        break;
      case 'C':
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
        break;
      default:
        return cli_usage ("assign");
      }
  if (optind != argc - 1 || (clear && (instance || profile)) || (!clear && !instance && !profile))
    return cli_usage ("assign");

  if (profile)
    {
      g_autoptr(MkvmPolicy) p = mkvm_policy_load (NULL, &error);
      if (!p)
        return cli_fail_error (error);
      if (!mkvm_policy_find_profile (p, profile))
        return cli_fail (EXIT_NOTFOUND, "profile '%s' is not defined in policy %s", profile,
                         p->source);
    }

  conn = cli_virt_open (g->uri, FALSE);
  if (!conn)
    return cli_fail (EXIT_FAIL, "cannot connect to libvirt%s%s: %s", g->uri ? " at " : "",
                     g->uri ? g->uri : "", cli_virt_message ());
  dom = cli_lookup_domain (conn, argv[optind]);
  if (!dom)
    {
      virConnectClose (conn);
      return cli_fail (EXIT_NOTFOUND, "domain '%s' not found", argv[optind]);
    }
  md = clear ? NULL : mkvm_wish_to_metadata (instance, profile);
  if (virDomainSetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, md,
                            clear ? NULL : MKVM_METADATA_PREFIX, MKVM_METADATA_URI, flags) < 0)
    code = cli_fail (EXIT_FAIL, "domain '%s': cannot set metadata: %s", argv[optind],
                     cli_virt_message ());
  else
    {
      const char *where = (flags & VIR_DOMAIN_AFFECT_LIVE) && (flags & VIR_DOMAIN_AFFECT_CONFIG)
                          ? "live and config"
                          : (flags & VIR_DOMAIN_AFFECT_LIVE) ? "live"
                          : (flags & VIR_DOMAIN_AFFECT_CONFIG) ? "config" : "current";
      if (clear)
        cli_print (g, "domain '%s': metadata cleared (%s); takes effect at the next start\n",
                   virDomainGetName (dom), where);
      else
        cli_print (g, "domain '%s': metadata set to %s (%s); takes effect at the next start\n",
                   virDomainGetName (dom), md, where);
      if (g->json)
        {
          char uuid[VIR_UUID_STRING_BUFLEN] = "";
          virDomainGetUUIDString (dom, uuid);
          json_builder_begin_object (g->json);
          mkvm_json_add_string (g->json, "domain", virDomainGetName (dom));
          mkvm_json_add_string (g->json, "uuid", uuid);
          mkvm_json_add_string (g->json, "metadata", md);
          mkvm_json_add_string (g->json, "affect", where);
          json_builder_end_object (g->json);
        }
    }
  virDomainFree (dom);
  virConnectClose (conn);
  return code;
}
