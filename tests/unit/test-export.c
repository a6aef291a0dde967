/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: `multikvm export`'s formats (policy/mkvm-export.c) on a
 * fixture host with the example policy (data/policy.xml), and the samples
 * in docs/export/, which must be what the code writes for that fixture.
 *
 *   test-export [--tap]            the tests
 *   test-export --write DIR        writes the samples into DIR (regenerate
 *                                  docs/export/ with DIR=docs/export) and
 *                                  DIR/fixture.json, what the fixture set up,
 *                                  for tests/unit/check-export.py
 */
#include <string.h>
#include <glib/gstdio.h>
#include "multikvm.h"
#include "fixture.h"

/* The fixture: what each instance is, as the checks read it back. */
static const struct {
  guint id;
  const char *kvm_version;
  const char *patches;          /* "" = none */
  guint vms;                    /* vcpus = 2 * vms (fx_instance) */
  const char *params;
  const char *drain;            /* NULL = not draining */
} instances[] = {
  { 1, "6.12.107", "", 2, "nx_huge_pages=N mitigate_smt_rsb=Y", "upgrade to 6.12.117" },
  { 2, "6.12.117", "fix-cve-2026-4242.patch@1a2b3c4d", 3, "nx_huge_pages=Y mitigate_smt_rsb=Y",
    NULL },
  { 3, "6.12.117", "", 0, "nx_huge_pages=N mitigate_smt_rsb=Y", NULL },
};
static const struct {
  MkvmRefusal reason;
  guint count;
} refused[] = {
  { MKVM_REFUSAL_DENIED, 2 },
  { MKVM_REFUSAL_NO_CANDIDATE, 1 },
};

static const char *const samples[] = { "provider.yaml", "labels.txt", "multikvm.prom",
                                       "export.json" };

typedef struct {
  Fixture *fx;
  MkvmPolicy *policy;
  MkvmInventory *inv;
  GPtrArray *drains;
  MkvmExport *ex;
} Host;

static void
host_clear (Host *h)
{
  g_clear_pointer (&h->ex, mkvm_export_free);
  g_clear_pointer (&h->drains, g_ptr_array_unref);
  g_clear_pointer (&h->inv, mkvm_inventory_free);
  g_clear_pointer (&h->policy, mkvm_policy_free);
  g_clear_pointer (&h->fx, fx_free);
}

static void
host_setup (Host *h)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *policy = g_build_filename (SRCDIR, "data", "policy.xml", NULL);
  guint64 counts[MKVM_REFUSAL_N];

  h->fx = fx_new ();
  fx_vac (h->fx, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (instances); i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", instances[i].id);
      g_autofree char *bid = g_build_filename (h->fx->sys, "kernel", "vac", "instances", id,
                                               "build_id", NULL);
      g_autofree char *text = NULL;

      fx_instance (h->fx, instances[i].id, 1764000000 + 1000 * instances[i].id,
                   instances[i].vms, instances[i].params);
      fx_build (h->fx, instances[i].id, instances[i].kvm_version, instances[i].patches);
      text = g_strdup_printf ("%s-1~deb12u1 0.1.0 3f2a9c01%s%.*s\n", instances[i].kvm_version,
                              *instances[i].patches ? " +" : "",
                              (int) strcspn (instances[i].patches, "@"), instances[i].patches);
      fx_write (bid, text);
      if (instances[i].drain)
        {
          g_assert_true (mkvm_instance_drain (NULL, instances[i].id, instances[i].drain,
                                              &error));
          g_assert_no_error (error);
        }
    }
  for (guint r = 0; r < G_N_ELEMENTS (refused); r++)
    for (guint k = 0; k < refused[r].count; k++)
      {
        g_assert_true (mkvm_refusal_count (NULL, refused[r].reason, &error));
        g_assert_no_error (error);
      }
  h->policy = mkvm_policy_load (policy, &error);
  g_assert_no_error (error);
  h->inv = mkvm_inventory_load (h->policy, &error);
  g_assert_no_error (error);
  h->drains = mkvm_drains_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (mkvm_refusals_load (NULL, counts, &error));
  g_assert_no_error (error);
  h->ex = mkvm_export_new (h->policy, h->inv, h->drains, counts);
}

static char *
sample (const MkvmExport *ex, const char *name)
{
  if (strcmp (name, "provider.yaml") == 0)
    return mkvm_export_placement (ex);
  if (strcmp (name, "labels.txt") == 0)
    return mkvm_export_labels (ex);
  if (strcmp (name, "multikvm.prom") == 0)
    return mkvm_export_prometheus (ex);
  return mkvm_export_json (ex);
}

/* What the fixture set up, for check-export.py: the inputs, not our output. */
static char *
fixture_json (const MkvmPolicy *policy)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "instances");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (instances); i++)
    {
      g_auto(GStrv) kv = g_strsplit (instances[i].params, " ", -1);
      json_builder_begin_object (b);
      mkvm_json_add_int (b, "instance", instances[i].id);
      mkvm_json_add_string (b, "kvm_version", instances[i].kvm_version);
      mkvm_json_add_string (b, "patches", instances[i].patches);
      mkvm_json_add_int (b, "vms", instances[i].vms);
      mkvm_json_add_int (b, "vcpus", 2 * instances[i].vms);
      mkvm_json_add_bool (b, "draining", instances[i].drain != NULL);
      json_builder_set_member_name (b, "params");
      json_builder_begin_object (b);
      for (char **p = kv; *p; p++)
        {
          char *eq = strchr (*p, '=');
          *eq = '\0';
          mkvm_json_add_string (b, *p, eq + 1);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "series");
  json_builder_add_string_value (b, "3f2a9c01");
  json_builder_set_member_name (b, "profiles");
  json_builder_begin_object (b);
  for (guint p = 0; p < policy->profiles->len; p++)
    {
      const MkvmProfile *prof = g_ptr_array_index (policy->profiles, p);
      GHashTableIter it;
      gpointer k, v;
      json_builder_set_member_name (b, prof->name);
      json_builder_begin_object (b);
      g_hash_table_iter_init (&it, prof->params);
      while (g_hash_table_iter_next (&it, &k, &v))
        mkvm_json_add_string (b, k, v);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "refusals");
  json_builder_begin_object (b);
  for (guint r = 0; r < G_N_ELEMENTS (refused); r++)
    mkvm_json_add_int (b, mkvm_refusal_name (refused[r].reason), refused[r].count);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return mkvm_json_to_data (b, TRUE);
}

static int
write_samples (const char *dir)
{
  Host h = { 0 };
  g_autoptr(GError) error = NULL;

  host_setup (&h);
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree char *path = g_build_filename (dir, samples[i], NULL);
      g_autofree char *text = sample (h.ex, samples[i]);
      g_assert_true (mkvm_write_file_atomic (path, text, strlen (text), &error));
      g_assert_no_error (error);
    }
  {
    g_autofree char *path = g_build_filename (dir, "fixture.json", NULL);
    g_autofree char *text = fixture_json (h.policy);
    g_assert_true (mkvm_write_file_atomic (path, text, strlen (text), &error));
  }
  host_clear (&h);
  return 0;
}

/* docs/export/ holds what the code writes for this fixture. */
static void
test_samples (void)
{
  Host h = { 0 };

  host_setup (&h);
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree char *path = g_build_filename (SRCDIR, "docs", "export", samples[i], NULL);
      g_autofree char *want = sample (h.ex, samples[i]);
      g_autofree char *have = NULL;
      g_autoptr(GError) error = NULL;

      g_file_get_contents (path, &have, NULL, &error);
      g_assert_no_error (error);
      if (strcmp (have, want) != 0)
        g_error ("docs/export/%s is not what the code writes: regenerate with "
                 "'BUILD/tests/unit/test-export --write docs/export' (and drop fixture.json)",
                 samples[i]);
    }
  host_clear (&h);
}

/* What is offered: instance 1 drains, so 6.12.107 and fast are not. */
static void
test_traits (void)
{
  Host h = { 0 };
  g_autoptr(GPtrArray) t = NULL;
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree char *labels = NULL;

  host_setup (&h);
  t = mkvm_export_traits (h.ex);
  for (guint i = 0; i < t->len; i++)
    g_string_append_printf (all, "%s ", (const char *) g_ptr_array_index (t, i));
  g_assert_cmpstr (all->str, ==, "CUSTOM_MKVM_HOST CUSTOM_MKVM_PROFILE_FAST "
                   "CUSTOM_MKVM_PROFILE_HARDENED CUSTOM_MKVM_PROFILE_STANDARD "
                   "CUSTOM_MKVM_KVM_6_12_117 CUSTOM_MKVM_SERIES_3F2A9C01 "
                   "CUSTOM_MKVM_PATCH_1A2B3C4D ");
  labels = mkvm_export_labels (h.ex);
  g_assert_nonnull (strstr (labels, "\nmultikvm.io/kvm-6.12.107=false\n"));
  g_assert_nonnull (strstr (labels, "\nmultikvm.io/kvm-6.12.117=true\n"));
  g_assert_nonnull (strstr (labels, "\nmultikvm.io/profile-hardened=true\n"));
  host_clear (&h);
}

/* Bad targets: one line, nothing written. */
static void
test_targets (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autofree char *missing = g_build_filename (fx->root, "nodir", "x.prom", NULL);
  g_autofree char *good = g_build_filename (fx->root, "x.prom", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (mkvm_export_check_target (good, ".prom", "--prometheus", &error));
  g_assert_no_error (error);
  g_assert_false (mkvm_export_check_target (missing, ".prom", "--prometheus", &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "nodir does not exist: create it"));
  g_clear_error (&error);
  g_assert_false (mkvm_export_check_target (good, ".yaml", "--placement", &error));
  g_assert_nonnull (strstr (error->message, "must end in .yaml"));
  g_clear_error (&error);
  g_assert_false (mkvm_export_check_target (fx->root, NULL, "--labels", &error));
  g_assert_nonnull (strstr (error->message, "is a directory"));
  g_assert_null (strchr (error->message, '\n'));
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);
  if (argc == 3 && strcmp (argv[1], "--write") == 0)
    return write_samples (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/export/samples", test_samples);
  g_test_add_func ("/export/traits", test_traits);
  g_test_add_func ("/export/targets", test_targets);
  return g_test_run ();
}
