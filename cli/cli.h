/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h — the multikvm operator CLI: shared helpers and commands. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>
#include "multikvm.h"

/* Exit codes (documented in multikvm.8). */
enum {
  EXIT_OK = 0,
  EXIT_FAIL = 1,       /* the operation failed (I/O, sysfs, libvirt, module unload) */
  EXIT_USAGE = 2,      /* bad command line */
  EXIT_NOTFOUND = 3,   /* no such instance, domain or profile */
  EXIT_REFUSED = 4,    /* refused: VMs remain, instance is the default, ... */
  EXIT_PROBLEMS = 5,   /* doctor: at least one check failed */
};

typedef struct {
  const char *uri;     /* -c/--connect, NULL = libvirt default */
  /* --json (every verb whose table entry says so; main.c takes the option
   * off the verb's arguments): the verb builds its one document here and
   * prints nothing else on stdout; main prints the document when the verb
   * returns EXIT_OK or EXIT_PROBLEMS (doctor's report).  NULL without. */
  JsonBuilder *json;
} CliGlobal;

/* Prints "multikvm: MESSAGE" to stderr and returns @code. */
int cli_fail (int code, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Prints "multikvm: usage: multikvm USAGE" (the command table's line for
 * @verb) to stderr and returns EXIT_USAGE. */
int cli_usage (const char *verb);
/* printf() to stdout, unless --json was given (then the document is the output). */
void cli_print (CliGlobal *g, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Maps a libmultikvm error to an exit code and prints it. */
int cli_fail_error (GError *error);
/* Parses an instance id argument; prints a usage error on failure. */
gboolean cli_parse_id (const char *arg, guint *id);
char *cli_format_time (gint64 t);

/* Loads policy, inventory, records and drains; prints and returns FALSE on error. */
typedef struct {
  MkvmPolicy *policy;
  MkvmInventory *inv;
  GHashTable *index;     /* uuid -> instance of every record (cheap) */
  GPtrArray *drains;
} CliState;
gboolean cli_state_load (CliState *st, int *code);
void cli_state_clear (CliState *st);

/* libvirt (virt.c): a connection whose errors libvirt does not print (the
 * caller prints cli_virt_message(), one line).  cli_lookup_domain() finds a
 * DOMAIN argument as virsh does (vshLookupDomainBy): as a numeric id
 * (decimal >= 0) first, then as a UUID (36 characters), then as a name;
 * every verb taking a DOMAIN uses it.  NULL when none matches. */
virConnectPtr cli_virt_open (const char *uri, gboolean read_only);
const char *cli_virt_message (void);
virDomainPtr cli_lookup_domain (virConnectPtr conn, const char *name);

int cmd_status (CliGlobal *g, int argc, char **argv);
int cmd_domains (CliGlobal *g, int argc, char **argv);
int cmd_drain (CliGlobal *g, int argc, char **argv);
int cmd_undrain (CliGlobal *g, int argc, char **argv);
int cmd_retire (CliGlobal *g, int argc, char **argv);
int cmd_default (CliGlobal *g, int argc, char **argv);
int cmd_assign (CliGlobal *g, int argc, char **argv);
int cmd_doctor (CliGlobal *g, int argc, char **argv);
int cmd_reconcile (CliGlobal *g, int argc, char **argv);
int cmd_divert (CliGlobal *g, int argc, char **argv);
int cmd_annotate (CliGlobal *g, int argc, char **argv);
int cmd_export (CliGlobal *g, int argc, char **argv);
int cmd_define (CliGlobal *g, int argc, char **argv);
int cmd_evacuate (CliGlobal *g, int argc, char **argv);
