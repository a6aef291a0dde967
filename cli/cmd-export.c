/* SPDX-License-Identifier: GPL-2.0-or-later */
/* multikvm export: what this host offers, for schedulers and monitoring
 * (the formats are libmultikvm's, mkvm-export.h); each file atomically. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

#define EXPORT_USAGE "export [--placement FILE.yaml] [--labels FILE] " \
                     "[--prometheus FILE.prom] [--json]"

int
cmd_export (CliGlobal *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "placement", required_argument, NULL, 'P' },
    { "labels", required_argument, NULL, 'L' },
    { "prometheus", required_argument, NULL, 'M' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  /* the files, in this order: option, file name ending, path, text */
  struct {
    const char *option, *suffix, *path;
    char *(*format) (const MkvmExport *);
  } out[] = {
    { "--placement", ".yaml", NULL, mkvm_export_placement },
    { "--labels", NULL, NULL, mkvm_export_labels },
    { "--prometheus", ".prom", NULL, mkvm_export_prometheus },
  };
  gboolean json = FALSE, any = FALSE;
  guint64 refusals[MKVM_REFUSAL_N];
  g_autoptr(MkvmExport) ex = NULL;
  g_autoptr(GError) error = NULL;
  CliState st;
  int c, code = EXIT_OK;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'P':
      case 'L':
      case 'M':
        out[c == 'P' ? 0 : c == 'L' ? 1 : 2].path = optarg;
        any = TRUE;
        break;
      case 'j':
        json = any = TRUE;
        break;
      case 'h':
        printf ("usage: multikvm " EXPORT_USAGE "\n");
        return EXIT_OK;
      default:
        return cli_fail (EXIT_USAGE, "usage: multikvm " EXPORT_USAGE);
      }
  if (optind != argc)
    return cli_fail (EXIT_USAGE, "usage: multikvm " EXPORT_USAGE);
  if (!any)
    return cli_fail (EXIT_USAGE, "export: say what to write: --placement FILE.yaml (Nova), "
                     "--labels FILE (Kubernetes), --prometheus FILE.prom (node_exporter) "
                     "and/or --json (stdout)");
  /* every target checked before anything is written */
  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    if (out[i].path && !mkvm_export_check_target (out[i].path, out[i].suffix, out[i].option,
                                                  &error))
      return cli_fail_error (error);
  if (!cli_state_load (&st, &code))
    return code;
  if (!mkvm_refusals_load (NULL, refusals, &error))
    {
      cli_state_clear (&st);
      return cli_fail_error (error);
    }
  ex = mkvm_export_new (st.policy, st.inv, st.drains, refusals);
  for (guint i = 0; i < G_N_ELEMENTS (out) && code == EXIT_OK; i++)
    if (out[i].path)
      {
        g_autofree char *text = out[i].format (ex);
        if (!mkvm_write_file_atomic (out[i].path, text, strlen (text), &error))
          code = cli_fail_error (error);
      }
  if (json && code == EXIT_OK)
    {
      g_autofree char *text = mkvm_export_json (ex);
      fputs (text, stdout);
    }
  g_clear_pointer (&ex, mkvm_export_free);
  cli_state_clear (&st);
  (void) g;
  return code;
}
