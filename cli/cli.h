/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h — the multikvm operator CLI: shared helpers and commands. */
#pragma once

#include <glib.h>
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
} CliGlobal;

/* Prints "multikvm: MESSAGE" to stderr and returns @code. */
int cli_fail (int code, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
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
 * caller prints cli_virt_message(), one line); a domain by name, uuid or id. */
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
int cmd_evacuate (CliGlobal *g, int argc, char **argv);
