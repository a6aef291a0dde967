/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * multikvm annotate: writes each running domain's placement (instance,
 * its KVM build, profile, host) into the domain's live metadata, where a
 * migration carries it to the destination host (mkvm-placement.h).  The
 * hook starts `annotate --wait UUID` after each start.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <libvirt/virterror.h>
#include "cli.h"

/* libvirt waits 30 s for a domain's job per call; --wait tries for this long. */
#define WAIT_SECONDS 600

typedef enum { ANN_SET, ANN_SAME, ANN_NOT_OURS, ANN_FAILED } AnnResult;
static const char *const ann_names[] = { "written", "unchanged", "not_placed", "failed" };

/* --json: one object per domain, in the "domains" array */
static void
json_domain (CliGlobal *g, const char *name, AnnResult r, const MkvmPlacement *p)
{
  if (!g->json)
    return;
  json_builder_begin_object (g->json);
  mkvm_json_add_string (g->json, "domain", name);
  mkvm_json_add_string (g->json, "result", ann_names[r]);
  json_builder_set_member_name (g->json, "placement");
  if (p)
    {
      json_builder_begin_object (g->json);
      mkvm_json_add_int (g->json, "instance", p->instance);
      mkvm_json_add_string (g->json, "build", p->build);
      mkvm_json_add_string (g->json, "kvm", p->kvm_version);
      mkvm_json_add_string (g->json, "profile", p->profile);
      mkvm_json_add_string (g->json, "host", p->host);
      json_builder_end_object (g->json);
    }
  else
    json_builder_add_null_value (g->json);
  json_builder_end_object (g->json);
}

/* The domain's placement into its live metadata unless it is there already;
 * *@placed: what it is (NULL when the domain has none). */
static AnnResult
write_placement (virDomainPtr dom, const MkvmInventory *inv, gboolean wait, gboolean quiet_skip,
               MkvmPlacement **placed)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  const char *name = virDomainGetName (dom);
  g_autoptr(MkvmRecord) rec = NULL;
  g_autoptr(MkvmPlacement) here = NULL;
  g_autoptr(MkvmPlacement) cur = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *md = NULL;
  char *old;
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  if (virDomainGetUUIDString (dom, uuid) < 0)
    {
      cli_fail (EXIT_FAIL, "domain '%s': cannot read its uuid: %s", name, cli_virt_message ());
      return ANN_FAILED;
    }
  if (virDomainIsActive (dom) != 1)
    {
      if (!quiet_skip)
        cli_fail (EXIT_FAIL, "domain '%s' is not running: only a running domain has a "
                  "placement", name);
      return quiet_skip ? ANN_NOT_OURS : ANN_FAILED;
    }
  if (!(rec = mkvm_record_load (NULL, uuid, &error)))
    {
      if (quiet_skip && g_error_matches (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND))
        return ANN_NOT_OURS;
      cli_fail_error (error);
      return ANN_FAILED;
    }
  here = mkvm_placement_new (rec, inv);
  old = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, MKVM_PLACEMENT_URI,
                              VIR_DOMAIN_AFFECT_LIVE);
  if (old)
    {
      cur = mkvm_placement_from_metadata (old, NULL);
      free (old);
      if (cur && mkvm_placement_equal (cur, here))
        {
          *placed = g_steal_pointer (&here);
          return ANN_SAME;
        }
    }
  md = mkvm_placement_to_metadata (here);
  while (virDomainSetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, md, MKVM_PLACEMENT_PREFIX,
                               MKVM_PLACEMENT_URI, VIR_DOMAIN_AFFECT_LIVE) < 0)
    {
      /* a job holds the domain (its start, a migration): libvirt waited
       * 30 s for it; wait on when asked to */
      if (wait && virGetLastErrorCode () == VIR_ERR_OPERATION_TIMEOUT &&
          g_get_monotonic_time () < deadline)
        continue;
      cli_fail (EXIT_FAIL, "domain '%s': cannot write its placement into its live metadata: "
                "%s", name, cli_virt_message ());
      return ANN_FAILED;
    }
  *placed = g_steal_pointer (&here);
  return ANN_SET;
}

static AnnResult
annotate_one (CliGlobal *g, virDomainPtr dom, const MkvmInventory *inv, gboolean wait,
              gboolean quiet_skip)
{
  g_autoptr(MkvmPlacement) placed = NULL;
  AnnResult r = write_placement (dom, inv, wait, quiet_skip, &placed);
  g_autofree char *md = placed ? mkvm_placement_to_metadata (placed) : NULL;

  if (r == ANN_SET)
    cli_print (g, "domain '%s': placement %s\n", virDomainGetName (dom), md);
  json_domain (g, virDomainGetName (dom), r, placed);
  return r;
}

int
cmd_annotate (CliGlobal *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "wait", no_argument, NULL, 'w' },
    { NULL, 0, NULL, 0 },
  };
  gboolean wait = FALSE;
  int c, code = EXIT_OK;
  virConnectPtr conn;
  g_autoptr(MkvmPolicy) policy = NULL;
  g_autoptr(MkvmInventory) inv = NULL;
  g_autoptr(GError) error = NULL;
  guint counts[ANN_FAILED + 1] = { 0 };

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'w':
        wait = TRUE;
        break;
      default:
        return cli_usage ("annotate");
      }
  if (!(policy = mkvm_policy_load (NULL, &error)) ||
      !(inv = mkvm_inventory_load (policy, &error)))
    return cli_fail_error (error);
  if (!(conn = cli_virt_open (g->uri, FALSE)))
    return cli_fail (EXIT_FAIL, "cannot connect to libvirt%s%s: %s", g->uri ? " at " : "",
                     g->uri ? g->uri : "", cli_virt_message ());
  if (g->json)
    {
      json_builder_begin_object (g->json);
      json_builder_set_member_name (g->json, "domains");
      json_builder_begin_array (g->json);
    }
  if (optind < argc)
    for (int i = optind; i < argc; i++)
      {
        virDomainPtr dom = cli_lookup_domain (conn, argv[i]);
        if (!dom)
          {
            code = cli_fail (EXIT_NOTFOUND, "domain '%s' not found", argv[i]);
            continue;
          }
        counts[annotate_one (g, dom, inv, wait, FALSE)]++;
        virDomainFree (dom);
      }
  else
    {
      virDomainPtr *doms = NULL;
      int n = virConnectListAllDomains (conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
      if (n < 0)
        code = cli_fail (EXIT_FAIL, "cannot list domains: %s", cli_virt_message ());
      for (int i = 0; i < n; i++)
        {
          counts[annotate_one (g, doms[i], inv, wait, TRUE)]++;
          virDomainFree (doms[i]);
        }
      free (doms);
      if (n >= 0)
        cli_print (g, "annotated: %u written, %u unchanged, %u not placed by multikvm, "
                   "%u failed\n", counts[ANN_SET], counts[ANN_SAME], counts[ANN_NOT_OURS],
                   counts[ANN_FAILED]);
    }
  if (g->json)
    {
      json_builder_end_array (g->json);
      for (guint r = ANN_SET; r <= ANN_FAILED; r++)
        mkvm_json_add_int (g->json, ann_names[r], counts[r]);
      json_builder_end_object (g->json);
    }
  virConnectClose (conn);
  if (code == EXIT_OK && counts[ANN_FAILED])
    code = EXIT_FAIL;
  return code;
}
