/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-journal.h"
#include "mkvm-error.h"

typedef struct {
  GLogField f[12];
  gsize n;
} Fields;

static void
add (Fields *fs, const char *key, const char *value)
{
  if (!value || fs->n == G_N_ELEMENTS (fs->f))
    return;
  fs->f[fs->n].key = key;
  fs->f[fs->n].value = value;
  fs->f[fs->n].length = -1;
  fs->n++;
}

static void
send_entry (Fields *fs, GLogLevelFlags level)
{
  const char *prog = g_get_prgname ();
  add (fs, "SYSLOG_IDENTIFIER", prog ? prog : "multikvm");
  /* not g_log_structured_array(): the process's writer may print to stderr,
   * which libvirt shows the user; the journal's writer only sends */
  g_log_writer_journald (level, fs->f, fs->n, NULL);
}

void
mkvm_journal_placed (const MkvmRecord *rec)
{
  Fields fs = { 0 };
  g_autofree char *inst = g_strdup_printf ("%u", rec->instance);
  g_autofree char *msg = g_strdup_printf ("domain '%s' placed on instance %u (%s)%s%s: %s",
                                          rec->name, rec->instance, rec->device,
                                          rec->profile ? ", profile " : "",
                                          rec->profile ? rec->profile : "",
                                          rec->reason ? rec->reason : "");
  add (&fs, "MESSAGE_ID", MKVM_JOURNAL_PLACED);
  add (&fs, "PRIORITY", "6");
  add (&fs, "MESSAGE", msg);
  add (&fs, "DOMAIN_UUID", rec->uuid);
  add (&fs, "DOMAIN_NAME", rec->name);
  add (&fs, "INSTANCE", inst);
  add (&fs, "DEVICE", rec->device);
  add (&fs, "PROFILE", rec->profile);
  add (&fs, "REASON", rec->reason);
  send_entry (&fs, G_LOG_LEVEL_INFO);
}

void
mkvm_journal_refused (const char *uuid, const char *name, const MkvmWish *wish,
                      const GError *error)
{
  Fields fs = { 0 };
  const char *named = mkvm_error_get_domain (error);
  const char *reason = error->message;
  g_autofree char *inst = wish && wish->instance ? g_strdup_printf ("%u", wish->instance)
                                                 : NULL;
  g_autofree char *msg = NULL;

  /* "domain 'web1': no instance ..." -> "no instance ..." */
  if (named && g_str_has_prefix (reason, "domain '")
      && strlen (reason) >= strlen ("domain '': ") + strlen (named))
    reason += strlen ("domain '': ") + strlen (named);
  msg = g_strdup_printf ("domain '%s' refused: %s", name ? name : "?", reason);
  add (&fs, "MESSAGE_ID", MKVM_JOURNAL_REFUSED);
  add (&fs, "PRIORITY", "4");
  add (&fs, "MESSAGE", msg);
  add (&fs, "DOMAIN_UUID", uuid);
  add (&fs, "DOMAIN_NAME", name);
  add (&fs, "INSTANCE", inst);
  add (&fs, "PROFILE", wish ? wish->profile : NULL);
  add (&fs, "REASON", reason);
  send_entry (&fs, G_LOG_LEVEL_WARNING);
}
