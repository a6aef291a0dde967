/* SPDX-License-Identifier: GPL-2.0-or-later */
/* multikvm — operator CLI for multiple KVM instances on one host. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

int
cli_fail (int code, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "multikvm: %s\n", msg);
  return code;
}

void
cli_print (CliGlobal *g, const char *fmt, ...)
{
  va_list ap;
  if (g->json)
    return;
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
}

int
cli_fail_error (GError *error)
{
  int code = EXIT_FAIL;
  if (error->domain == MKVM_ERROR)
    switch (error->code)
      {
      case MKVM_ERROR_NOT_FOUND:
        code = EXIT_NOTFOUND;
        break;
      case MKVM_ERROR_BUSY:
      case MKVM_ERROR_DRAINING:
        code = EXIT_REFUSED;
        break;
      default:
        break;
      }
  return cli_fail (code, "%s", error->message);
}

gboolean
cli_parse_id (const char *arg, guint *id)
{
  g_autoptr(GError) error = NULL;
  if (!mkvm_parse_instance_id (arg, "instance", id, &error))
    {
      cli_fail (EXIT_USAGE, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

char *
cli_format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = t > 0 ? g_date_time_new_from_unix_utc (t) : NULL;
  return dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("-");
}

gboolean
cli_state_load (CliState *st, int *code)
{
  g_autoptr(GError) error = NULL;
  memset (st, 0, sizeof *st);
  if (!(st->policy = mkvm_policy_load (NULL, &error))
      || !(st->inv = mkvm_inventory_load (st->policy, &error))
      || !(st->index = mkvm_records_index (NULL, &error))
      || !(st->drains = mkvm_drains_load (NULL, &error)))
    {
      *code = cli_fail_error (error);
      cli_state_clear (st);
      return FALSE;
    }
  return TRUE;
}

void
cli_state_clear (CliState *st)
{
  g_clear_pointer (&st->policy, mkvm_policy_free);
  g_clear_pointer (&st->inv, mkvm_inventory_free);
  g_clear_pointer (&st->index, g_hash_table_unref);
  g_clear_pointer (&st->drains, g_ptr_array_unref);
}

/* CLI_JSON: main.c takes --json off the verb's arguments (CliGlobal.json). */
enum { CLI_JSON = 1 };

static const struct {
  const char *name;
  int (*fn) (CliGlobal *, int, char **);
  const char *usage;
  unsigned flags;
} commands[] = {
  { "status", cmd_status, "status [--json]", CLI_JSON },
  { "domains", cmd_domains, "domains [--json]", CLI_JSON },
  { "drain", cmd_drain, "drain N --reason TEXT [--json]", CLI_JSON },
  { "undrain", cmd_undrain, "undrain N [--json]", CLI_JSON },
  { "retire", cmd_retire, "retire N [--wait [--timeout SECONDS]] [--json]", CLI_JSON },
  { "default", cmd_default, "default N|none [--json]", CLI_JSON },
  { "assign", cmd_assign, "assign DOMAIN (--instance N | --profile P | --clear) [--live] [--config] [--json]", CLI_JSON },
  { "doctor", cmd_doctor, "doctor [--json]", CLI_JSON },
  { "reconcile", cmd_reconcile, "reconcile [--json]", CLI_JSON },
  { "define", cmd_define, "define FILE|- [--json]", CLI_JSON },
  { "divert", cmd_divert, "divert on|off|status" },
  { "annotate", cmd_annotate, "annotate [--wait] [DOMAIN...] [--json]", CLI_JSON },
  { "export", cmd_export, "export [--placement FILE.yaml] [--labels FILE] [--prometheus FILE.prom] [--json]" },
  { "evacuate", cmd_evacuate, "evacuate N [--to M] [--max-pause-ms X] [--json]" },
};

int
cli_usage (const char *verb)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (verb, commands[i].name) == 0)
      return cli_fail (EXIT_USAGE, "usage: multikvm %s", commands[i].usage);
  return cli_fail (EXIT_USAGE, "usage: multikvm %s ...", verb);
}

static void
usage (FILE *f)
{
  fprintf (f, "Usage: multikvm [-c URI] COMMAND [ARGS]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  multikvm %s\n", commands[i].usage);
  fprintf (f, "\nEvery command takes --help.\n");
  fprintf (f, "\nExit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 refused, "
           "5 doctor found problems.  See multikvm(8).\n");
}

/*
 * Runs verb @i.  The options every verb shares are handled here, before any
 * "--": --help/-h prints the verb's usage line and exits 0; --json (verbs
 * with CLI_JSON) is taken off the arguments and sets g->json.
 */
static int
run_command (CliGlobal *g, guint i, int argc, char **argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  gboolean json = FALSE, end = FALSE;
  int code;

  for (int k = 0; k < argc; k++)
    {
      if (k > 0 && !end)
        {
          if (strcmp (argv[k], "--") == 0)
            end = TRUE;
          else if (strcmp (argv[k], "--help") == 0 || strcmp (argv[k], "-h") == 0)
            {
              printf ("Usage: multikvm %s\n", commands[i].usage);
              return EXIT_OK;
            }
          else if ((commands[i].flags & CLI_JSON) && strcmp (argv[k], "--json") == 0)
            {
              json = TRUE;
              continue;
            }
        }
      g_ptr_array_add (args, argv[k]);
    }
  g_ptr_array_add (args, NULL);
  if (json)
    g->json = json_builder_new ();
  optind = 0;   /* full getopt reset for the subcommand */
  code = commands[i].fn (g, (int) args->len - 1, (char **) args->pdata);
  if (g->json && (code == EXIT_OK || code == EXIT_PROBLEMS))
    {
      g_autoptr(JsonNode) root = json_builder_get_root (g->json);
      if (root)
        {
          g_autofree char *s = mkvm_json_to_data (g->json, TRUE);
          fputs (s, stdout);
        }
      else
        code = cli_fail (EXIT_FAIL, "internal error: %s built no JSON document",
                         commands[i].name);
    }
  g_clear_object (&g->json);
  return code;
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "connect", required_argument, NULL, 'c' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  CliGlobal g = { NULL };
  int c;

  while ((c = getopt_long (argc, argv, "+c:hV", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        g.uri = optarg;
        break;
      case 'h':
        usage (stdout);
        return EXIT_OK;
      case 'V':
        printf ("multikvm %s\n", MKVM_VERSION);
        return EXIT_OK;
      default:
        usage (stderr);
        return EXIT_USAGE;
      }
  if (optind >= argc)
    {
      usage (stderr);
      return EXIT_USAGE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[optind], commands[i].name) == 0)
      return run_command (&g, i, argc - optind, argv + optind);
  cli_fail (EXIT_USAGE, "unknown command '%s'", argv[optind]);
  usage (stderr);
  return EXIT_USAGE;
}
