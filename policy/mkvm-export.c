/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "mkvm-export.h"
#include "mkvm-error.h"
#include "mkvm-json.h"

/* What a scheduler can ask for: a kind and a value, offered when some
 * instance that takes new VMs has it. */
typedef enum {
  FEATURE_PROFILE,
  FEATURE_KVM,
  FEATURE_SERIES,
  FEATURE_PATCH,
} FeatureKind;

static const char *const kind_trait[] = { "PROFILE", "KVM", "SERIES", "PATCH" };
static const char *const kind_label[] = { "profile", "kvm", "series", "patch" };

typedef struct {
  FeatureKind kind;
  char *value;
  gboolean offered;
} Feature;

struct _MkvmExport {
  const MkvmPolicy *policy;
  const MkvmInventory *inv;
  GPtrArray *drains;
  guint64 refusals[MKVM_REFUSAL_N];
  GPtrArray *features;   /* (element-type Feature) by kind, then value */
};

static void
feature_free (gpointer p)
{
  Feature *f = p;
  g_free (f->value);
  g_free (f);
}

static gint
feature_cmp (gconstpointer a, gconstpointer b)
{
  const Feature *fa = *(Feature *const *) a, *fb = *(Feature *const *) b;
  if (fa->kind != fb->kind)
    return fa->kind < fb->kind ? -1 : 1;
  return strcmp (fa->value, fb->value);
}

static void
feature_add (GPtrArray *features, FeatureKind kind, const char *value, gboolean offered)
{
  Feature *f;

  if (!value || !*value)
    return;
  for (guint i = 0; i < features->len; i++)
    {
      f = g_ptr_array_index (features, i);
      if (f->kind == kind && strcmp (f->value, value) == 0)
        {
          f->offered |= offered;
          return;
        }
    }
  f = g_new0 (Feature, 1);
  f->kind = kind;
  f->value = g_strdup (value);
  f->offered = offered;
  g_ptr_array_add (features, f);
}

static gboolean
offers (const MkvmExport *ex, const MkvmInstance *inst)
{
  return inst->device_ok && !mkvm_drains_find (ex->drains, inst->id);
}

MkvmExport *
mkvm_export_new (const MkvmPolicy *policy, const MkvmInventory *inv, GPtrArray *drains,
                 const guint64 *refusals)
{
  MkvmExport *ex = g_new0 (MkvmExport, 1);

  ex->policy = policy;
  ex->inv = inv;
  ex->drains = drains;
  if (refusals)
    memcpy (ex->refusals, refusals, sizeof ex->refusals);
  ex->features = g_ptr_array_new_with_free_func (feature_free);
  for (guint p = 0; p < policy->profiles->len; p++)
    {
      const MkvmProfile *prof = g_ptr_array_index (policy->profiles, p);
      gboolean offered = FALSE;
      for (guint i = 0; i < inv->instances->len && !offered; i++)
        {
          const MkvmInstance *inst = g_ptr_array_index (inv->instances, i);
          offered = offers (ex, inst) && mkvm_instance_satisfies (inst, prof, NULL);
        }
      feature_add (ex->features, FEATURE_PROFILE, prof->name, offered);
    }
  for (guint i = 0; i < inv->instances->len; i++)
    {
      const MkvmInstance *inst = g_ptr_array_index (inv->instances, i);
      gboolean offered = offers (ex, inst);

      feature_add (ex->features, FEATURE_KVM, inst->build.kvm_version, offered);
      feature_add (ex->features, FEATURE_SERIES, inst->build.series, offered);
      for (guint k = 0; inst->build.patches && k < inst->build.patches->len; k++)
        feature_add (ex->features, FEATURE_PATCH,
                     ((MkvmPatch *) g_ptr_array_index (inst->build.patches, k))->sha, offered);
    }
  g_ptr_array_sort (ex->features, feature_cmp);
  return ex;
}

void
mkvm_export_free (MkvmExport *ex)
{
  if (!ex)
    return;
  g_ptr_array_unref (ex->features);
  g_free (ex);
}

/* Placement's rule: ^CUSTOM_[A-Z0-9_]+$, at most 255 bytes. */
static char *
trait_name (const char *kind, const char *value)
{
  GString *t = g_string_new ("CUSTOM_MKVM_");

  g_string_append (t, kind);
  if (value)
    {
      g_string_append_c (t, '_');
      for (const char *c = value; *c; c++)
        g_string_append_c (t, g_ascii_isalnum (*c) ? g_ascii_toupper (*c) : '_');
    }
  if (t->len > 255)
    {
      g_string_free (t, TRUE);
      return NULL;
    }
  return g_string_free (t, FALSE);
}

GPtrArray *
mkvm_export_traits (const MkvmExport *ex)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (out, trait_name ("HOST", NULL));
  for (guint i = 0; i < ex->features->len; i++)
    {
      const Feature *f = g_ptr_array_index (ex->features, i);
      char *t = f->offered ? trait_name (kind_trait[f->kind], f->value) : NULL;
      if (t)
        g_ptr_array_add (out, t);
    }
  return out;
}

char *
mkvm_export_placement (const MkvmExport *ex)
{
  g_autoptr(GPtrArray) traits = mkvm_export_traits (ex);
  GString *y = g_string_new (NULL);

  g_string_append (y,
    "# Written by 'multikvm export --placement': what this host's KVM instances\n"
    "# offer, for Nova's [compute]provider_config_location (read at nova-compute start).\n"
    "meta:\n"
    "  schema_version: '1.0'\n"
    "providers:\n"
    "  - identification:\n"
    "      uuid: '$COMPUTE_NODE'\n"
    "    traits:\n"
    "      additional:\n");
  for (guint i = 0; i < traits->len; i++)
    g_string_append_printf (y, "        - %s\n", (const char *) g_ptr_array_index (traits, i));
  return g_string_free (y, FALSE);
}

/* Kubernetes' rules for the name part of a key: at most 63 characters of
 * [A-Za-z0-9._-], starting and ending with a letter or digit. */
static char *
label_key (const char *kind, const char *value)
{
  g_autoptr(GString) n = g_string_new (kind);

  if (value)
    {
      g_string_append_c (n, '-');
      for (const char *c = value; *c; c++)
        g_string_append_c (n, g_ascii_isalnum (*c) || *c == '.' || *c == '_' || *c == '-'
                              ? *c : '_');
    }
  if (n->len > 63 || !g_ascii_isalnum (n->str[0]) || !g_ascii_isalnum (n->str[n->len - 1]))
    return NULL;
  return g_strconcat (MKVM_LABEL_PREFIX, n->str, NULL);
}

/* Labels as "KEY=VALUE" strings, in order. */
static GPtrArray *
labels (const MkvmExport *ex)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *host = label_key ("host", NULL);

  g_ptr_array_add (out, g_strconcat (host, "=true", NULL));
  for (guint i = 0; i < ex->features->len; i++)
    {
      const Feature *f = g_ptr_array_index (ex->features, i);
      g_autofree char *k = label_key (kind_label[f->kind], f->value);
      if (k)
        g_ptr_array_add (out, g_strconcat (k, f->offered ? "=true" : "=false", NULL));
    }
  return out;
}

char *
mkvm_export_labels (const MkvmExport *ex)
{
  g_autoptr(GPtrArray) l = labels (ex);
  GString *s = g_string_new ("# multikvm export --labels: kubectl label node NODE --overwrite "
                             "$(grep -v '^#' FILE)\n");

  for (guint i = 0; i < l->len; i++)
    g_string_append_printf (s, "%s\n", (const char *) g_ptr_array_index (l, i));
  return g_string_free (s, FALSE);
}

/* A label value in the exposition format: \\, \" and \n escaped. */
static void
prom_value (GString *s, const char *v)
{
  g_string_append_c (s, '"');
  for (const char *c = v ? v : ""; *c; c++)
    {
      if (*c == '\\' || *c == '"')
        g_string_append_c (s, '\\');
      if (*c == '\n')
        g_string_append (s, "\\n");
      else
        g_string_append_c (s, *c);
    }
  g_string_append_c (s, '"');
}

static void
prom_family (GString *s, const char *name, const char *type, const char *help)
{
  g_string_append_printf (s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static char *
patches_text (const MkvmBuild *b)
{
  GString *s = g_string_new (NULL);
  for (guint k = 0; b->patches && k < b->patches->len; k++)
    {
      const MkvmPatch *p = g_ptr_array_index (b->patches, k);
      g_string_append_printf (s, "%s%s@%s", s->len ? " " : "", p->name, p->sha);
    }
  return g_string_free (s, FALSE);
}

typedef enum { GAUGE_VMS, GAUGE_VCPUS, GAUGE_DRAINING } Gauge;

static const struct {
  const char *name, *help;
} gauges[] = {
  { "multikvm_instance_vms", "VMs running on the KVM instance (vac's count)." },
  { "multikvm_instance_vcpus", "vCPUs of the VMs running on the KVM instance (vac's count)." },
  { "multikvm_instance_draining", "1 when the instance is draining: it takes no new VMs." },
};

char *
mkvm_export_prometheus (const MkvmExport *ex)
{
  GString *s = g_string_new (NULL);
  GPtrArray *inst = ex->inv->instances;

  for (guint g = 0; g < G_N_ELEMENTS (gauges); g++)
    {
      prom_family (s, gauges[g].name, "gauge", gauges[g].help);
      for (guint i = 0; i < inst->len; i++)
        {
          const MkvmInstance *in = g_ptr_array_index (inst, i);
          guint v = g == GAUGE_VMS ? in->vms : g == GAUGE_VCPUS ? in->vcpus
                  : mkvm_drains_find (ex->drains, in->id) != NULL;
          g_string_append_printf (s, "%s{instance=\"%u\"} %u\n", gauges[g].name, in->id, v);
        }
    }
  prom_family (s, "multikvm_instance_build_info", "gauge",
               "What the instance module was built from (sysfs build identity; empty: "
               "unknown); always 1.");
  for (guint i = 0; i < inst->len; i++)
    {
      const MkvmInstance *in = g_ptr_array_index (inst, i);
      g_autofree char *patches = patches_text (&in->build);
      const char *keys[] = { "module", "build_id", "kvm_version", "kvm_source",
                             "multikvm_version", "series", "patches", "kernel" };
      const char *vals[] = { in->module, in->build_id, in->build.kvm_version,
                             in->build.kvm_source, in->build.multikvm_version,
                             in->build.series, in->build.patches ? patches : NULL,
                             in->build.kernel };

      g_string_append_printf (s, "multikvm_instance_build_info{instance=\"%u\"", in->id);
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          g_string_append_printf (s, ",%s=", keys[k]);
          prom_value (s, vals[k]);
        }
      g_string_append (s, "} 1\n");
    }
  prom_family (s, "multikvm_instance_profile_match", "gauge",
               "1 when the instance satisfies the policy's profile, else 0.");
  for (guint i = 0; i < inst->len; i++)
    for (guint p = 0; p < ex->policy->profiles->len; p++)
      {
        const MkvmInstance *in = g_ptr_array_index (inst, i);
        const MkvmProfile *prof = g_ptr_array_index (ex->policy->profiles, p);
        g_string_append_printf (s, "multikvm_instance_profile_match{instance=\"%u\","
                                "profile=\"%s\"} %d\n", in->id, prof->name,
                                mkvm_instance_satisfies (in, prof, NULL) ? 1 : 0);
      }
  prom_family (s, "multikvm_refusals_total", "counter",
               "Domain starts the hook refused (prepare, restore, migrate) since boot, "
               "by reason.");
  for (guint r = 0; r < MKVM_REFUSAL_N; r++)
    g_string_append_printf (s, "multikvm_refusals_total{reason=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            mkvm_refusal_name (r), ex->refusals[r]);
  return g_string_free (s, FALSE);
}

char *
mkvm_export_json (const MkvmExport *ex)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) traits = mkvm_export_traits (ex);
  g_autoptr(GPtrArray) l = labels (ex);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "traits");
  json_builder_begin_array (b);
  for (guint i = 0; i < traits->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (traits, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "labels");
  json_builder_begin_object (b);
  for (guint i = 0; i < l->len; i++)
    {
      g_autofree char *kv = g_strdup (g_ptr_array_index (l, i));
      char *eq = strchr (kv, '=');
      *eq = '\0';
      mkvm_json_add_string (b, kv, eq + 1);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "instances");
  json_builder_begin_array (b);
  for (guint i = 0; i < ex->inv->instances->len; i++)
    {
      const MkvmInstance *in = g_ptr_array_index (ex->inv->instances, i);
      g_autofree char *patches = patches_text (&in->build);

      json_builder_begin_object (b);
      mkvm_json_add_int (b, "instance", in->id);
      mkvm_json_add_int (b, "vms", in->vms);
      mkvm_json_add_int (b, "vcpus", in->vcpus);
      mkvm_json_add_bool (b, "draining", mkvm_drains_find (ex->drains, in->id) != NULL);
      mkvm_json_add_bool (b, "offers", offers (ex, in));
      mkvm_json_add_string (b, "build_id", in->build_id);
      mkvm_json_add_string (b, "kvm_version", in->build.kvm_version);
      mkvm_json_add_string (b, "series", in->build.series);
      mkvm_json_add_string (b, "patches", in->build.patches ? patches : NULL);
      json_builder_set_member_name (b, "profiles");
      json_builder_begin_object (b);
      for (guint p = 0; p < ex->policy->profiles->len; p++)
        {
          const MkvmProfile *prof = g_ptr_array_index (ex->policy->profiles, p);
          mkvm_json_add_bool (b, prof->name, mkvm_instance_satisfies (in, prof, NULL));
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "refusals");
  json_builder_begin_object (b);
  for (guint r = 0; r < MKVM_REFUSAL_N; r++)
    mkvm_json_add_int (b, mkvm_refusal_name (r), (gint64) MIN (ex->refusals[r],
                                                               (guint64) G_MAXINT64));
  json_builder_end_object (b);
  json_builder_end_object (b);
  return mkvm_json_to_data (b, TRUE);
}

gboolean
mkvm_export_check_target (const char *path, const char *suffix, const char *what,
                          GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;

  if (suffix && !g_str_has_suffix (path, suffix))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "%s %s: the file name must end in %s (its reader reads only *%s files)",
                   what, path, suffix, suffix);
      return FALSE;
    }
  if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "%s %s: directory %s does not exist: create it or choose another path",
                   what, path, dir);
      return FALSE;
    }
  if (access (dir, W_OK) < 0)
    {
      int e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "%s %s: cannot write in %s: %s",
                   what, path, dir, g_strerror (e));
      return FALSE;
    }
  if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "%s %s is a directory: give a file name", what, path);
      return FALSE;
    }
  return TRUE;
}
