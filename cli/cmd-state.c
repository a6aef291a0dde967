/* SPDX-License-Identifier: GPL-2.0-or-later */
/* multikvm status, domains, drain, undrain, retire, default, reconcile. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <json-glib/json-glib.h>
#include "cli.h"

static GPtrArray *
profiles_of (const MkvmPolicy *p, const MkvmInstance *inst)
{
  GPtrArray *names = g_ptr_array_new ();
  for (guint i = 0; i < p->profiles->len; i++)
    {
      MkvmProfile *prof = g_ptr_array_index (p->profiles, i);
      if (mkvm_instance_satisfies (inst, prof, NULL))
        g_ptr_array_add (names, prof->name);
    }
  return names;
}

/* "6.12.117" plus each hotfix patch after @sep: "6.12.117+fix-foo.patch";
 * NULL when vac does not publish the KVM version. */
static char *
kvm_label (const MkvmInstance *in, const char *sep)
{
  GString *s;
  if (!in->build.kvm_version)
    return NULL;
  s = g_string_new (in->build.kvm_version);
  for (guint i = 0; in->build.patches && i < in->build.patches->len; i++)
    {
      MkvmPatch *p = g_ptr_array_index (in->build.patches, i);
      g_string_append_printf (s, "%s%s", sep, p->name);
    }
  return g_string_free (s, FALSE);
}

/* The table's KVM cell; a trailing '!' flags a KVM other than the running kernel's. */
static char *
kvm_cell (const CliState *st, const MkvmInstance *in)
{
  g_autofree char *label = kvm_label (in, "+");
  if (!label)
    return g_strdup (in->is_static ? "(static)" : "-");
  return g_strconcat (label, mkvm_instance_kvm_differs (st->inv, in) ? "!" : "", NULL);
}

/* "instance 2: KVM 6.12.117 + fix-foo.patch, from ...; ..." (NULL for statics) */
static char *
build_line (const CliState *st, const MkvmInstance *in)
{
  const MkvmBuild *b = &in->build;
  g_autofree char *label = kvm_label (in, " + ");
  GString *s;

  if (in->is_static)
    return NULL;
  s = g_string_new (NULL);
  g_string_printf (s, "instance %u: KVM %s", in->id, label ? label : "unknown");
  if (b->kvm_source)
    g_string_append_printf (s, ", from %s", b->kvm_source);
  if (b->multikvm_version || b->series)
    g_string_append_printf (s, ", multikvm %s series %s",
                            b->multikvm_version ? b->multikvm_version : "?",
                            b->series ? b->series : "?");
  if (!label && !b->kvm_source && in->build_id)
    g_string_append_printf (s, " (build %s; this vac does not publish kvm_version)",
                            in->build_id);
  if (mkvm_instance_kvm_differs (st->inv, in))
    {
      g_autofree char *running = mkvm_release_version (st->inv->kernel_release);
      g_string_append_printf (s, "; differs from the running kernel's KVM %s", running);
    }
  return g_string_free (s, FALSE);
}

static void
json_build (JsonBuilder *b, const CliState *st, const MkvmInstance *in)
{
  const MkvmBuild *bi = &in->build;
  json_builder_set_member_name (b, "build");
  json_builder_begin_object (b);
  mkvm_json_add_string (b, "kvm_version", bi->kvm_version);
  mkvm_json_add_string (b, "kvm_source", bi->kvm_source);
  mkvm_json_add_string (b, "multikvm_version", bi->multikvm_version);
  mkvm_json_add_string (b, "series", bi->series);
  json_builder_set_member_name (b, "patches");
  if (bi->patches)
    {
      json_builder_begin_array (b);
      for (guint k = 0; k < bi->patches->len; k++)
        {
          MkvmPatch *p = g_ptr_array_index (bi->patches, k);
          json_builder_begin_object (b);
          mkvm_json_add_string (b, "name", p->name);
          mkvm_json_add_string (b, "sha", p->sha);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  mkvm_json_add_string (b, "kernel", bi->kernel);
  mkvm_json_add_bool (b, "differs_from_running_kernel", mkvm_instance_kvm_differs (st->inv, in));
  json_builder_end_object (b);
}

static const char *
state_of (const CliState *st, const MkvmInstance *inst)
{
  if (!inst->device_ok)
    return "broken";
  if (mkvm_drains_find (st->drains, inst->id))
    return "draining";
  return "active";
}

int
cmd_status (CliGlobal *g, int argc, char **argv)
{
  int code;
  CliState st;

  if (argc != 1)
    return cli_usage ("status");
  if (!cli_state_load (&st, &code))
    return code;
  if (g->json)
    {
      JsonBuilder *b = g->json;
      json_builder_begin_object (b);
      mkvm_json_add_int (b, "abi", st.inv->abi);
      mkvm_json_add_string (b, "vendor", st.inv->vendor);
      json_builder_set_member_name (b, "default_instance");
      if (st.inv->default_instance)
        json_builder_add_int_value (b, st.inv->default_instance);
      else
        json_builder_add_null_value (b);
      mkvm_json_add_string (b, "kernel_release", st.inv->kernel_release);
      mkvm_json_add_string (b, "policy", st.policy->source);
      mkvm_json_add_string (b, "default_profile", st.policy->default_profile);
      json_builder_set_member_name (b, "instances");
      json_builder_begin_array (b);
      for (guint i = 0; i < st.inv->instances->len; i++)
        {
          MkvmInstance *in = g_ptr_array_index (st.inv->instances, i);
          MkvmDrain *d = mkvm_drains_find (st.drains, in->id);
          g_autoptr(GPtrArray) profs = profiles_of (st.policy, in);
          g_autofree char *dev = g_strdup_printf ("%u:%u", major (in->dev), minor (in->dev));
          json_builder_begin_object (b);
          mkvm_json_add_int (b, "id", in->id);
          mkvm_json_add_string (b, "vendor", in->vendor);
          mkvm_json_add_string (b, "module", in->module);
          mkvm_json_add_string (b, "device", in->device);
          mkvm_json_add_string (b, "dev", dev);
          mkvm_json_add_string (b, "build_id", in->build_id);
          json_build (b, &st, in);
          mkvm_json_add_int (b, "build_time", in->build_time);
          mkvm_json_add_int (b, "load_time", in->load_time);
          mkvm_json_add_int (b, "vms", in->vms);
          mkvm_json_add_int (b, "vcpus", in->vcpus);
          mkvm_json_add_int (b, "domains", mkvm_records_index_count_on (st.index, in->id));
          mkvm_json_add_string (b, "state", state_of (&st, in));
          mkvm_json_add_string (b, "drain_reason", d ? d->reason : NULL);
          mkvm_json_add_bool (b, "default", in->id == st.inv->default_instance);
          mkvm_json_add_bool (b, "static", in->is_static);
          mkvm_json_add_bool (b, "device_ok", in->device_ok);
          mkvm_json_add_string (b, "device_problem", in->device_problem);
          json_builder_set_member_name (b, "profiles");
          json_builder_begin_array (b);
          for (guint k = 0; k < profs->len; k++)
            json_builder_add_string_value (b, g_ptr_array_index (profs, k));
          json_builder_end_array (b);
          json_builder_set_member_name (b, "params");
          json_builder_begin_object (b);
          if (in->params)
            {
              g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (in->params),
                                                   (GCompareFunc) strcmp);
              for (GList *l = keys; l; l = l->next)
                mkvm_json_add_string (b, l->data, g_hash_table_lookup (in->params, l->data));
            }
          json_builder_end_object (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  else
    {
      g_autofree char *def = st.inv->default_instance
                             ? g_strdup_printf ("%u", st.inv->default_instance)
                             : g_strdup ("none");
      const char *kernel = st.inv->kernel_release ? st.inv->kernel_release : "?";
      if (st.inv->abi)
        printf ("vac ABI %u, vendor %s, default instance %s; kernel %s; policy %s, "
                "default profile %s\n", st.inv->abi, st.inv->vendor ? st.inv->vendor : "?",
                def, kernel, st.policy->source, st.policy->default_profile);
      else
        printf ("vac is not loaded; kernel %s; policy %s, default profile %s\n", kernel,
                st.policy->source, st.policy->default_profile);
      printf ("%-4s %-6s %-12s %-24s %-20s %-9s %-24s %s\n", "ID", "VENDOR", "MODULE",
              "KVM", "LOADED", "STATE", "PROFILES", "VMS");
      for (guint i = 0; i < st.inv->instances->len; i++)
        {
          MkvmInstance *in = g_ptr_array_index (st.inv->instances, i);
          g_autoptr(GPtrArray) profs = profiles_of (st.policy, in);
          g_autofree char *loaded = cli_format_time (in->load_time);
          g_autofree char *kvm = kvm_cell (&st, in);
          g_autofree char *id = g_strdup_printf ("%u%s", in->id,
                                                 in->id == st.inv->default_instance ? "*" : "");
          g_ptr_array_add (profs, NULL);
          g_autofree char *plist = g_strjoinv (",", (char **) profs->pdata);
          printf ("%-4s %-6s %-12s %-24s %-20s %-9s %-24s %u\n", id,
                  in->vendor ? in->vendor : "-", in->module ? in->module : "-", kvm, loaded,
                  state_of (&st, in), *plist ? plist : "-", in->vms);
        }
      for (guint i = 0; i < st.inv->instances->len; i++)
        {
          MkvmInstance *in = g_ptr_array_index (st.inv->instances, i);
          MkvmDrain *d = mkvm_drains_find (st.drains, in->id);
          g_autofree char *since = d ? cli_format_time (d->since) : NULL;
          g_autofree char *build = build_line (&st, in);
          if (build)
            printf ("%s\n", build);
          if (d)
            printf ("instance %u draining since %s: %s\n", in->id, since,
                    d->reason ? d->reason : "");
          if (!in->device_ok)
            printf ("instance %u broken: %s\n", in->id, in->device_problem);
        }
    }
  cli_state_clear (&st);
  return EXIT_OK;
}

int
cmd_domains (CliGlobal *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) recs = NULL;

  if (argc != 1)
    return cli_usage ("domains");
  if (!(recs = mkvm_records_list (NULL, &error)))
    return cli_fail_error (error);
  if (g->json)
    {
      json_builder_begin_array (g->json);
      for (guint i = 0; i < recs->len; i++)
        mkvm_json_add_record (g->json, g_ptr_array_index (recs, i));
      json_builder_end_array (g->json);
      return EXIT_OK;
    }
  printf ("%-20s %-36s %-8s %-12s %-10s %-8s %s\n", "NAME", "UUID", "INSTANCE", "DEVICE",
          "PROFILE", "PID", "REASON");
  for (guint i = 0; i < recs->len; i++)
    {
      MkvmRecord *r = g_ptr_array_index (recs, i);
      g_autofree char *pid = r->pid ? g_strdup_printf ("%d", (int) r->pid) : g_strdup ("-");
      printf ("%-20s %-36s %-8u %-12s %-10s %-8s %s\n", r->name, r->uuid, r->instance,
              r->device, r->profile ? r->profile : "-", pid, r->reason ? r->reason : "");
    }
  return EXIT_OK;
}

/* Instance argument that must exist in the inventory. */
static int
existing_instance (const char *arg, CliState *st, MkvmInstance **out)
{
  guint id;
  if (!cli_parse_id (arg, &id))
    return EXIT_USAGE;
  *out = mkvm_inventory_find (st->inv, id);
  if (!*out)
    return cli_fail (EXIT_NOTFOUND, "instance %u does not exist (see 'multikvm status')", id);
  return -1;
}

int
cmd_drain (CliGlobal *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "reason", required_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  const char *reason = NULL;
  int c, code;
  CliState st;
  MkvmInstance *in;
  g_autoptr(GError) error = NULL;

  while ((c = getopt_long (argc, argv, "r:", opts, NULL)) != -1)
    {
      if (c != 'r')
        return cli_usage ("drain");
      reason = optarg;
    }
  if (optind != argc - 1 || !reason || !*reason || strchr (reason, '\n'))
    return cli_fail (EXIT_USAGE, "usage: multikvm drain N --reason TEXT (one line, not empty)");
  if (!cli_state_load (&st, &code))
    return code;
  code = existing_instance (argv[optind], &st, &in);
  if (code < 0)
    {
      if (!mkvm_instance_drain (NULL, in->id, reason, &error))
        code = cli_fail_error (error);
      else
        {
          guint recorded = mkvm_records_index_count_on (st.index, in->id);
          cli_print (g, "instance %u draining (%s): no new VMs; %u running, %u recorded\n",
                     in->id, reason, in->vms, recorded);
          if (g->json)
            {
              json_builder_begin_object (g->json);
              mkvm_json_add_int (g->json, "instance", in->id);
              mkvm_json_add_bool (g->json, "draining", TRUE);
              mkvm_json_add_string (g->json, "reason", reason);
              mkvm_json_add_int (g->json, "vms", in->vms);
              mkvm_json_add_int (g->json, "domains", recorded);
              json_builder_end_object (g->json);
            }
          code = EXIT_OK;
        }
    }
  cli_state_clear (&st);
  return code;
}

int
cmd_undrain (CliGlobal *g, int argc, char **argv)
{
  guint id;
  g_autoptr(GError) error = NULL;

  if (argc != 2 || argv[1][0] == '-')
    return cli_usage ("undrain");
  if (!cli_parse_id (argv[1], &id))
    return EXIT_USAGE;
  /* no inventory check: a drain flag of an unloaded instance can be cleared */
  if (!mkvm_instance_undrain (NULL, id, &error))
    return cli_fail_error (error);
  cli_print (g, "instance %u accepts new VMs\n", id);
  if (g->json)
    {
      json_builder_begin_object (g->json);
      mkvm_json_add_int (g->json, "instance", id);
      mkvm_json_add_bool (g->json, "draining", FALSE);
      json_builder_end_object (g->json);
    }
  return EXIT_OK;
}

int
cmd_default (CliGlobal *g, int argc, char **argv)
{
  guint id = 0;
  int code;
  CliState st;
  g_autoptr(GError) error = NULL;

  if (argc != 2 || argv[1][0] == '-')
    return cli_usage ("default");
  if (!cli_state_load (&st, &code))
    return code;
  code = EXIT_OK;
  if (!st.inv->abi)
    code = cli_fail (EXIT_FAIL, "vac is not loaded: there is no default instance to set");
  else if (strcmp (argv[1], "none") != 0)
    {
      MkvmInstance *in;
      code = existing_instance (argv[1], &st, &in);
      if (code < 0)
        {
          id = in->id;
          code = EXIT_OK;
          if (in->is_static)
            code = cli_fail (EXIT_REFUSED, "instance %u is static (not vac's): it cannot be "
                             "the default", id);
          else if (mkvm_drains_find (st.drains, id))
            code = cli_fail (EXIT_REFUSED, "instance %u is draining: undrain it first", id);
        }
    }
  if (code == EXIT_OK)
    {
      if (!mkvm_vac_write_default (id, &error))
        code = cli_fail_error (error);
      else
        {
          if (id)
            cli_print (g, "/dev/kvm now opens instance %u\n", id);
          else
            cli_print (g, "/dev/kvm now opens no instance\n");
          if (g->json)
            {
              json_builder_begin_object (g->json);
              json_builder_set_member_name (g->json, "default_instance");
              if (id)
                json_builder_add_int_value (g->json, id);
              else
                json_builder_add_null_value (g->json);
              json_builder_end_object (g->json);
            }
        }
    }
  cli_state_clear (&st);
  return code;
}

static char *
names_on (GPtrArray *records, guint id, guint *count)
{
  GString *s = g_string_new (NULL);
  *count = 0;
  for (guint i = 0; i < records->len; i++)
    {
      MkvmRecord *r = g_ptr_array_index (records, i);
      if (r->instance != id)
        continue;
      if (*count < 8)
        g_string_append_printf (s, "%s%s", s->len ? ", " : "", r->name);
      else if (*count == 8)
        g_string_append (s, ", ...");
      (*count)++;
    }
  return g_string_free (s, FALSE);
}

static gboolean
unload_module (const char *module, GError **error)
{
  const char *prog = mkvm_test_getenv ("MULTIKVM_MODPROBE");
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  gboolean custom = prog != NULL;
  const char *argv1[] = { custom ? prog : "modprobe", "-r", module, NULL };
  const char *argv2[] = { "rmmod", module, NULL };

  if (g_spawn_sync (NULL, (char **) argv1, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                    &status, NULL) && g_spawn_check_wait_status (status, NULL))
    return TRUE;
  if (!custom)
    {
      g_clear_pointer (&err, g_free);
      if (g_spawn_sync (NULL, (char **) argv2, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                        &err, &status, NULL) && g_spawn_check_wait_status (status, NULL))
        return TRUE;
    }
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED, "unloading %s failed: %s", module,
               err && *err ? g_strstrip (err) : "modprobe -r and rmmod failed");
  return FALSE;
}

/* retire's --json document; returns EXIT_OK */
static int
retired_json (CliGlobal *g, guint id, const char *module, gboolean elsewhere)
{
  if (g->json)
    {
      json_builder_begin_object (g->json);
      mkvm_json_add_int (g->json, "instance", id);
      mkvm_json_add_string (g->json, "module", module);
      mkvm_json_add_bool (g->json, "retired", TRUE);
      mkvm_json_add_bool (g->json, "unloaded_elsewhere", elsewhere);
      json_builder_end_object (g->json);
    }
  return EXIT_OK;
}

int
cmd_retire (CliGlobal *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "wait", no_argument, NULL, 'w' },
    { "timeout", required_argument, NULL, 't' },
    { NULL, 0, NULL, 0 },
  };
  gboolean wait = FALSE;
  gint64 timeout = 0, start = g_get_monotonic_time ();
  int c, code;
  guint id;
  const char *poll_env = mkvm_test_getenv ("MULTIKVM_POLL_MS");
  guint poll_ms = 1000;
  g_autofree char *last = NULL;
  g_autofree char *module = NULL;
  g_autoptr(GError) error = NULL;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'w':
        wait = TRUE;
        break;
      case 't':
        {
          guint64 v;
          if (!g_ascii_string_to_unsigned (optarg, 10, 1, 7 * 86400, &v, NULL))
            return cli_fail (EXIT_USAGE, "--timeout takes seconds (1..604800)");
          timeout = v;
        }
        break;
      default:
        return cli_usage ("retire");
      }
  if (optind != argc - 1)
    return cli_usage ("retire");
  if (!cli_parse_id (argv[optind], &id))
    return EXIT_USAGE;
  if (poll_env)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (poll_env, 10, 10, 60000, &v, NULL))
        return cli_fail (EXIT_USAGE, "MULTIKVM_POLL_MS is '%s': write milliseconds from 10 "
                         "to 60000", poll_env);
      poll_ms = v;
    }

  for (;;)
    {
      CliState st;
      MkvmInstance *in;
      guint nrec, vms;
      g_autofree char *names = NULL;
      g_autofree char *line = NULL;

      if (!cli_state_load (&st, &code))
        return code;
      in = mkvm_inventory_find (st.inv, id);
      if (!in)
        {
          cli_state_clear (&st);
          if (module)   /* went away while we waited */
            {
              cli_print (g, "retire: instance %u is gone (unloaded elsewhere)\n", id);
              return retired_json (g, id, module, TRUE);
            }
          return cli_fail (EXIT_NOTFOUND, "instance %u does not exist (see 'multikvm status')", id);
        }
      if (in->is_static || !in->module)
        {
          cli_state_clear (&st);
          return cli_fail (EXIT_REFUSED, "instance %u is static (declared in the policy): "
                           "unload its module yourself", id);
        }
      if (st.inv->default_instance == id)
        {
          cli_state_clear (&st);
          return cli_fail (EXIT_REFUSED, "instance %u is the default instance (/dev/kvm): "
                           "choose another with 'multikvm default M' first", id);
        }
      if (!module)
        {
          module = g_strdup (in->module);
          if (!mkvm_drains_find (st.drains, id))
            {
              if (!mkvm_instance_drain (NULL, id, "retiring", &error))
                {
                  cli_state_clear (&st);
                  return cli_fail_error (error);
                }
              cli_print (g, "retire: instance %u draining (retiring): no new VMs\n", id);
            }
        }
      {
        g_autoptr(GPtrArray) records = mkvm_records_list (NULL, &error);
        if (!records)
          {
            cli_state_clear (&st);
            return cli_fail_error (error);
          }
        names = names_on (records, id, &nrec);
      }
      vms = in->vms;
      cli_state_clear (&st);
      if (vms == 0 && nrec == 0)
        break;
      line = g_strdup_printf ("instance %u: %u VMs running, %u domains recorded%s%s%s", id,
                              vms, nrec, nrec ? " (" : "", names, nrec ? ")" : "");
      if (!wait)
        return cli_fail (EXIT_REFUSED, "%s: stop or migrate them, or run 'multikvm retire %u "
                         "--wait' (the instance is now draining)", line, id);
      if (g_strcmp0 (line, last) != 0)
        {
          cli_print (g, "retire: %s; waiting\n", line);
          fflush (stdout);
          g_free (last);
          last = g_steal_pointer (&line);
        }
      if (timeout && g_get_monotonic_time () - start > timeout * G_USEC_PER_SEC)
        return cli_fail (EXIT_FAIL, "retire: timed out after %" G_GINT64_FORMAT " s; %s",
                         timeout, last);
      g_usleep (poll_ms * 1000);
      /* drop records of QEMU processes that are gone */
      {
        g_autoptr(MkvmPolicy) p = mkvm_policy_load (NULL, NULL);
        g_autoptr(MkvmInventory) inv = p ? mkvm_inventory_load (p, NULL) : NULL;
        if (inv)
          mkvm_reconcile (NULL, inv, NULL, NULL);
      }
    }
  cli_print (g, "retire: instance %u has no VMs; unloading %s\n", id, module);
  fflush (stdout);
  if (!unload_module (module, &error))
    return cli_fail_error (error);
  if (!mkvm_instance_undrain (NULL, id, &error))
    return cli_fail_error (error);
  cli_print (g, "retire: instance %u retired (%s unloaded)\n", id, module);
  return retired_json (g, id, module, FALSE);
}

int
cmd_reconcile (CliGlobal *g, int argc, char **argv)
{
  CliState st;
  int code;
  MkvmReconcileStats rs;
  g_autoptr(GError) error = NULL;

  if (argc != 1)
    return cli_usage ("reconcile");
  if (!cli_state_load (&st, &code))
    return code;
  if (!mkvm_reconcile (NULL, st.inv, &rs, &error))
    code = cli_fail_error (error);
  else
    {
      cli_print (g, "reconciled: %u kept, %u updated, %u created, %u removed\n", rs.kept,
                 rs.updated, rs.created, rs.removed);
      if (g->json)
        {
          json_builder_begin_object (g->json);
          mkvm_json_add_int (g->json, "kept", rs.kept);
          mkvm_json_add_int (g->json, "updated", rs.updated);
          mkvm_json_add_int (g->json, "created", rs.created);
          mkvm_json_add_int (g->json, "removed", rs.removed);
          json_builder_end_object (g->json);
        }
      code = EXIT_OK;
    }
  cli_state_clear (&st);
  return code;
}
