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

static const struct {
  const char *name;
  int (*fn) (CliGlobal *, int, char **);
  const char *usage;
} commands[] = {
  { "status", cmd_status, "status [--json]" },
  { "domains", cmd_domains, "domains [--json]" },
  { "drain", cmd_drain, "drain N --reason TEXT" },
  { "undrain", cmd_undrain, "undrain N" },
  { "retire", cmd_retire, "retire N [--wait [--timeout SECONDS]]" },
  { "default", cmd_default, "default N|none" },
  { "assign", cmd_assign, "assign DOMAIN (--instance N | --profile P | --clear) [--live] [--config]" },
  { "doctor", cmd_doctor, "doctor" },
  { "reconcile", cmd_reconcile, "reconcile" },
  { "evacuate", cmd_evacuate, "evacuate N [--to M] [--max-pause-ms X] [--json]" },
};

static void
usage (FILE *f)
{
  fprintf (f, "Usage: multikvm [-c URI] COMMAND [ARGS]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  multikvm %s\n", commands[i].usage);
  fprintf (f, "\nExit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 refused, "
           "5 doctor found problems.  See multikvm(8).\n");
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
      {
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        optind = 0;   /* full getopt reset for the subcommand */
        return commands[i].fn (&g, sub_argc, sub_argv);
      }
  cli_fail (EXIT_USAGE, "unknown command '%s'", argv[optind]);
  usage (stderr);
  return EXIT_USAGE;
}
