/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * multikvm evacuate: moves the running domains off an instance now, one at
 * a time: save to tmpfs, restore onto another instance.  The guest pauses
 * from the start of its save to the end of its restore.  What is not a
 * libvirt call is in the library (mkvm-evacuate.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "cli.h"

#define USAGE "usage: multikvm evacuate N [--to M] [--max-pause-ms X] [--json]"

typedef struct {
  char *name;
  char *uuid;
  const char *result;   /* "moved", "refused", "failed" */
  guint to;
  guint64 ram_kib;
  double estimate_ms;
  double pause_ms;      /* < 0 when not moved */
  char *message;        /* refusal or failure, one line */
  char *save_file;      /* kept after a failed restore */
} Result;

static void
result_free (Result *r)
{
  g_free (r->name);
  g_free (r->uuid);
  g_free (r->message);
  g_free (r->save_file);
  g_free (r);
}

typedef struct {
  CliState st;
  virConnectPtr conn;
  guint from, to;       /* to: --to M, else 0 */
  guint max_pause_ms;   /* 0: no limit */
  char *dir;
  MkvmPauseModel model;
} Evac;

static const char *
state_name (int state)
{
  switch (state)
    {
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTOFF: return "shut off";
    case VIR_DOMAIN_SHUTDOWN: return "shutting down";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "suspended";
    default: return "in an unknown state";
    }
}

static int
dom_state (virDomainPtr dom)
{
  int state = -1, reason;
  if (!dom || virDomainGetState (dom, &state, &reason, 0) < 0)
    return -1;
  return state;
}

static void
refuse (Result *r, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
refuse (Result *r, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  r->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  r->result = "refused";
}

/* virDomainSaveParams: the raw format whatever qemu.conf's save_image_format
 * says (a compressed image pauses the guest longer); no BYPASS_CACHE (on
 * tmpfs the page cache is the storage, and it would add libvirt's iohelper
 * copy); no parallel channels (they need the "sparse" mapped-ram format and
 * multifd, whose setup outweighs the copy of small guests). */
static int
save (virDomainPtr dom, const char *path)
{
  virTypedParameterPtr params = NULL;
  int n = 0, max = 0, rc;

  if (virTypedParamsAddString (&params, &n, &max, VIR_DOMAIN_SAVE_PARAM_FILE, path) < 0 ||
      virTypedParamsAddString (&params, &n, &max, VIR_DOMAIN_SAVE_PARAM_IMAGE_FORMAT,
                               "raw") < 0)
    rc = -1;
  else
    rc = virDomainSaveParams (dom, params, n, 0);
  virTypedParamsFree (params, n);
  return rc;
}

/* After the restore: the domain runs, its record names an instance other
 * than the one evacuated (@want when not 0) and QEMU holds that node. */
static gboolean
verify (Evac *e, Result *r, guint want, GError **error)
{
  virDomainPtr dom = virDomainLookupByUUIDString (e->conn, r->uuid);
  int state = dom_state (dom);
  g_autoptr(MkvmRecord) rec = NULL;
  pid_t pid;

  if (dom)
    virDomainFree (dom);
  if (state != VIR_DOMAIN_RUNNING)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED, "it is %s after the restore",
                   state < 0 ? "gone" : state_name (state));
      return FALSE;
    }
  if (!(rec = mkvm_record_load (NULL, r->uuid, error)) ||
      !(pid = mkvm_libvirt_qemu_pid (r->name, error)) ||
      !mkvm_node_verify_pid (e->st.inv, pid, rec->instance, error))
    return FALSE;
  r->to = rec->instance;
  if (rec->instance == e->from || (want && rec->instance != want))
    {
      if (want)
        g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED,
                     "it was restored onto instance %u, not %u", rec->instance, want);
      else
        g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED,
                     "it was restored onto instance %u again", rec->instance);
      return FALSE;
    }
  return TRUE;
}

/* Where the domain goes: the pin is replaced (edit != 0) by --to M, or for
 * a domain pinned to the evacuated instance by the policy's choice without
 * the pin; otherwise the hook's decision at restore (this one predicts it). */
static gboolean
target (Evac *e, const MkvmDomain *d, guint *to, guint *edit, GError **error)
{
  g_autoptr(GPtrArray) records = mkvm_records_list (NULL, error);
  g_autoptr(GPtrArray) drains = records ? mkvm_drains_load (NULL, error) : NULL;
  g_autoptr(MkvmDecision) dec = NULL;
  MkvmWish w = *d->wish;

  if (!drains)
    return FALSE;
  if (e->to)
    w.instance = e->to;
  else if (w.instance == e->from)
    w.instance = 0;
  if (!(dec = mkvm_decide (e->st.policy, e->st.inv, records, drains, &w, error)))
    return FALSE;
  *to = dec->instance;
  *edit = e->to || d->wish->instance == e->from ? dec->instance : 0;
  return TRUE;
}

static Result *
evacuate_one (Evac *e, const MkvmRecord *rec)
{
  Result *r = g_new0 (Result, 1);
  virDomainPtr dom;
  virDomainInfo info;
  g_autofree char *xml = NULL, *why = NULL, *path = NULL, *file = NULL;
  g_autofree char *dxml = NULL;
  g_autoptr(MkvmDomain) d = NULL;
  g_autoptr(GError) error = NULL;
  guint to = 0, edit = 0;
  gint64 t0;
  int state;

  r->name = g_strdup (rec->name);
  r->uuid = g_strdup (rec->uuid);
  r->pause_ms = -1;
  if (!(dom = virDomainLookupByUUIDString (e->conn, rec->uuid)))
    {
      refuse (r, "libvirt does not know it (a stale record: run 'multikvm reconcile')");
      return r;
    }
  if ((state = dom_state (dom)) != VIR_DOMAIN_RUNNING)
    {
      refuse (r, "it is %s, not running: resume or stop it first", state_name (state));
      goto out;
    }
  if (!(xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_SECURE)) ||
      virDomainGetInfo (dom, &info) < 0)
    {
      refuse (r, "cannot read it from libvirt: %s", cli_virt_message ());
      goto out;
    }
  r->ram_kib = info.memory;
  if ((why = mkvm_domain_unsaveable (xml, -1)))
    {
      refuse (r, "cannot be saved: %s", why);
      goto out;
    }
  d = mkvm_domain_from_xml (xml, -1);
  if (!d->wish)
    {
      refuse (r, "%s", d->wish_error->message);
      goto out;
    }
  if (!target (e, d, &to, &edit, &error))
    {
      refuse (r, "no instance to go to: %s", error->message);
      goto out;
    }
  r->to = to;
  r->estimate_ms = mkvm_pause_estimate_ms (&e->model, r->ram_kib);
  if (e->max_pause_ms && r->estimate_ms > e->max_pause_ms)
    {
      refuse (r, "estimated pause %.0f ms (%" G_GUINT64_FORMAT " MiB at %.0f ms per GiB%s) "
              "exceeds --max-pause-ms %u", r->estimate_ms, r->ram_kib / 1024,
              mkvm_pause_ms_per_gib (&e->model), e->model.gib > 0 ? ", measured" : ", prior",
              e->max_pause_ms);
      goto out;
    }
  file = g_strdup_printf ("%s.save", rec->uuid);
  path = g_build_filename (e->dir, file, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      refuse (r, "%s exists (left by a failed evacuation?): restore or remove it first", path);
      goto out;
    }

  t0 = g_get_monotonic_time ();
  if (save (dom, path) < 0)
    {
      g_autofree char *msg = g_strdup (cli_virt_message ());
      g_unlink (path);
      state = dom_state (dom);
      if (state == VIR_DOMAIN_RUNNING)
        refuse (r, "libvirt cannot save it: %s", msg);
      else
        {
          r->result = "failed";
          r->message = g_strdup_printf ("saving failed: %s; the domain is now %s", msg,
                                        state < 0 ? "gone" : state_name (state));
        }
      goto out;
    }
  if (edit)
    {
      g_autofree char *sxml = virDomainSaveImageGetXMLDesc (e->conn, path,
                                                           VIR_DOMAIN_SAVE_IMAGE_XML_SECURE);
      g_autoptr(GError) local = NULL;
      if (!sxml || !(dxml = mkvm_domain_xml_set_instance (sxml, -1, edit, &local)))
        g_set_error (&error, MKVM_ERROR, MKVM_ERROR_FAILED,
                     "cannot pin the saved XML to instance %u: %s", edit,
                     local ? local->message : cli_virt_message ());
    }
  if (!error && virDomainRestoreFlags (e->conn, path, dxml, VIR_DOMAIN_SAVE_RUNNING) < 0)
    g_set_error (&error, MKVM_ERROR, MKVM_ERROR_FAILED, "restoring failed: %s",
                 cli_virt_message ());
  if (error)
    {
      g_autofree char *xpath = g_strconcat (path, ".xml", NULL);
      gboolean with_xml = dxml && g_file_set_contents_full (
          xpath, dxml, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
      r->result = "failed";
      r->save_file = g_strdup (path);
      r->message = g_strdup_printf ("%s; its memory is saved in %s: fix the cause, then "
                                    "'virsh restore %s%s%s --running'", error->message, path,
                                    path, with_xml ? " --xml " : "", with_xml ? xpath : "");
      goto out;
    }
  r->pause_ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_unlink (path);
  if (!verify (e, r, edit, &error))
    {
      r->result = "failed";
      r->message = g_strdup_printf ("restored, but %s", error->message);
      goto out;
    }
  mkvm_pause_model_add (&e->model, r->ram_kib, r->pause_ms);
  r->result = "moved";
out:
  virDomainFree (dom);
  return r;
}

static void
print_line (const Evac *e, const Result *r)
{
  if (strcmp (r->result, "moved") == 0)
    printf ("evacuate: domain '%s' moved from instance %u to %u: paused %.0f ms "
            "(%" G_GUINT64_FORMAT " MiB)\n", r->name, e->from, r->to, r->pause_ms,
            r->ram_kib / 1024);
  else if (strcmp (r->result, "refused") == 0)
    printf ("evacuate: domain '%s' refused, left running on instance %u: %s\n", r->name,
            e->from, r->message);
  else
    printf ("evacuate: domain '%s' FAILED: %s\n", r->name, r->message);
  fflush (stdout);
}

static void
print_bar (guint done, guint n, const char *name)
{
  char bar[21];
  guint fill = n ? done * 20 / n : 20;
  memset (bar, '#', fill);
  memset (bar + fill, '-', 20 - fill);
  bar[20] = '\0';
  printf ("\r\033[K[%s] %u/%u %s", bar, done, n, name ? name : "");
  fflush (stdout);
}

static void
print_json (const Evac *e, GPtrArray *results, guint moved, guint refused, guint failed)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *s = NULL;

  json_builder_begin_object (b);
  mkvm_json_add_int (b, "instance", e->from);
  json_builder_set_member_name (b, "to");
  if (e->to)
    json_builder_add_int_value (b, e->to);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "max_pause_ms");
  if (e->max_pause_ms)
    json_builder_add_int_value (b, e->max_pause_ms);
  else
    json_builder_add_null_value (b);
  mkvm_json_add_int (b, "moved", moved);
  mkvm_json_add_int (b, "refused", refused);
  mkvm_json_add_int (b, "failed", failed);
  json_builder_set_member_name (b, "ms_per_gib");
  json_builder_add_double_value (b, mkvm_pause_ms_per_gib (&e->model));
  mkvm_json_add_bool (b, "ms_per_gib_measured", e->model.gib > 0);
  json_builder_set_member_name (b, "domains");
  json_builder_begin_array (b);
  for (guint i = 0; i < results->len; i++)
    {
      Result *r = g_ptr_array_index (results, i);
      json_builder_begin_object (b);
      mkvm_json_add_string (b, "name", r->name);
      mkvm_json_add_string (b, "uuid", r->uuid);
      mkvm_json_add_string (b, "result", r->result);
      mkvm_json_add_int (b, "from", e->from);
      json_builder_set_member_name (b, "to");   /* where it went, or was to go */
      if (r->to && strcmp (r->result, "refused") != 0)
        json_builder_add_int_value (b, r->to);
      else
        json_builder_add_null_value (b);
      mkvm_json_add_int (b, "ram_mib", r->ram_kib / 1024);
      json_builder_set_member_name (b, "estimate_ms");
      json_builder_add_double_value (b, r->estimate_ms);
      json_builder_set_member_name (b, "pause_ms");
      if (r->pause_ms >= 0)
        json_builder_add_double_value (b, r->pause_ms);
      else
        json_builder_add_null_value (b);
      mkvm_json_add_string (b, "message", r->message);
      mkvm_json_add_string (b, "save_file", r->save_file);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  s = mkvm_json_to_data (b, TRUE);
  fputs (s, stdout);
}

/* Instance argument that must exist. */
static gboolean
known (const CliState *st, guint id, int *code)
{
  if (mkvm_inventory_find (st->inv, id))
    return TRUE;
  *code = cli_fail (EXIT_NOTFOUND, "instance %u does not exist (see 'multikvm status')", id);
  return FALSE;
}

int
cmd_evacuate (CliGlobal *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "to", required_argument, NULL, 't' },
    { "max-pause-ms", required_argument, NULL, 'm' },
    { "json", no_argument, NULL, 'j' },
    { NULL, 0, NULL, 0 },
  };
  Evac e = { 0 };
  gboolean json = FALSE, tty;
  guint moved = 0, refused = 0, failed = 0;
  int c, code = EXIT_OK;
  g_autoptr(MkvmEvacuateLock) lock = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  g_autoptr(GError) error = NULL;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 't':
        if (!cli_parse_id (optarg, &e.to))
          return EXIT_USAGE;
        break;
      case 'm':
        {
          guint64 v;
          if (!g_ascii_string_to_unsigned (optarg, 10, 1, 3600000, &v, NULL))
            return cli_fail (EXIT_USAGE, "--max-pause-ms takes milliseconds (1..3600000), "
                             "not '%s'", optarg);
          e.max_pause_ms = v;
        }
        break;
      case 'j':
        json = TRUE;
        break;
      default:
        return cli_fail (EXIT_USAGE, USAGE);
      }
  if (optind != argc - 1)
    return cli_fail (EXIT_USAGE, USAGE);
  if (!cli_parse_id (argv[optind], &e.from))
    return EXIT_USAGE;
  if (e.to == e.from)
    return cli_fail (EXIT_USAGE, "--to %u is the instance being evacuated: name another", e.to);
  if (!cli_state_load (&e.st, &code))
    return code;
  if (!known (&e.st, e.from, &code) || (e.to && !known (&e.st, e.to, &code)))
    goto out;
  if (!(lock = mkvm_evacuate_lock (NULL, &error)) ||
      !(e.dir = mkvm_evacuate_dir (NULL, &error)))
    {
      code = cli_fail_error (error);
      goto out;
    }
  if (!mkvm_drains_find (e.st.drains, e.from) &&
      !mkvm_instance_drain (NULL, e.from, "evacuate", &error))
    {
      code = cli_fail_error (error);
      goto out;
    }
  if (!(e.conn = cli_virt_open (g->uri, FALSE)))
    {
      code = cli_fail (EXIT_FAIL, "cannot connect to libvirt%s%s: %s", g->uri ? " at " : "",
                       g->uri ? g->uri : "", cli_virt_message ());
      goto out;
    }
  if (!(records = mkvm_records_list (NULL, &error)))
    {
      code = cli_fail_error (error);
      goto out;
    }
  for (guint i = 0; i < records->len; i++)
    if (((MkvmRecord *) g_ptr_array_index (records, i))->instance == e.from)
      g_ptr_array_add (todo, g_ptr_array_index (records, i));
  tty = !json && isatty (STDOUT_FILENO);
  if (!json)
    {
      g_autofree char *whither = e.to ? g_strdup_printf (" to instance %u", e.to)
                                      : g_strdup (" where the policy places them");
      printf ("evacuate: instance %u draining; %u domain%s to move%s\n", e.from, todo->len,
              todo->len == 1 ? "" : "s", whither);
      fflush (stdout);
    }
  for (guint i = 0; i < todo->len; i++)
    {
      MkvmRecord *rec = g_ptr_array_index (todo, i);
      Result *r;
      if (tty)
        print_bar (i, todo->len, rec->name);
      r = evacuate_one (&e, rec);
      if (tty)
        printf ("\r\033[K");
      g_ptr_array_add (results, r);
      if (strcmp (r->result, "moved") == 0)
        moved++;
      else if (strcmp (r->result, "refused") == 0)
        refused++;
      else
        failed++;
      if (!json)
        print_line (&e, r);
    }
  if (tty && todo->len)
    {
      print_bar (todo->len, todo->len, "done");
      printf ("\n");
    }
  if (json)
    print_json (&e, results, moved, refused, failed);
  else
    printf ("evacuate: instance %u: %u moved, %u refused, %u failed; pause %.0f ms per GiB "
            "(%s)\n", e.from, moved, refused, failed, mkvm_pause_ms_per_gib (&e.model),
            e.model.gib > 0 ? "measured in this run" : "prior, nothing moved");
  if (failed)
    code = cli_fail (EXIT_FAIL, "evacuate: %u domain%s failed to move (see above); instance "
                     "%u stays draining", failed, failed == 1 ? "" : "s", e.from);
  else if (refused)
    code = cli_fail (EXIT_REFUSED, "evacuate: %u domain%s left on instance %u (refused, see "
                     "above); it stays draining", refused, refused == 1 ? "" : "s", e.from);
  else
    code = EXIT_OK;
out:
  if (e.conn)
    virConnectClose (e.conn);
  g_free (e.dir);
  cli_state_clear (&e.st);
  return code;
}
