/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <glib/gstdio.h>
#include "mkvm-inventory.h"
#include "mkvm-node.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-state.h"
#include "mkvm-wish.h"

static void
patch_free (gpointer p)
{
  MkvmPatch *patch = p;
  g_free (patch->name);
  g_free (patch->sha);
  g_free (patch);
}

static void
build_clear (MkvmBuild *b)
{
  g_free (b->kvm_version);
  g_free (b->kvm_source);
  g_free (b->multikvm_version);
  g_free (b->series);
  g_clear_pointer (&b->patches, g_ptr_array_unref);
  g_free (b->kernel);
}

static void
instance_free (gpointer p)
{
  MkvmInstance *i = p;
  g_free (i->vendor);
  g_free (i->module);
  g_free (i->devname);
  g_free (i->device);
  g_free (i->build_id);
  build_clear (&i->build);
  g_free (i->device_problem);
  if (i->params)
    g_hash_table_unref (i->params);
  g_free (i);
}

void
mkvm_inventory_free (MkvmInventory *inv)
{
  if (!inv)
    return;
  g_free (inv->vendor);
  g_free (inv->kernel_release);
  g_ptr_array_unref (inv->instances);
  g_free (inv);
}

/* One-line sysfs attribute, trimmed; NULL when absent. */
static char *
read_attr (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) local = NULL;
  char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI, "cannot read %s: %s", path,
                   local->message);
      return NULL;
    }
  return g_strstrip (text);
}

static gboolean
parse_u64 (const char *s, guint64 max, guint64 *out)
{
  return s && *s && g_ascii_string_to_unsigned (s, 10, 0, max, out, NULL);
}

static gboolean
safe_name (const char *s)
{
  if (!s || !*s || strlen (s) > 64 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum (*s) || *s == '_' || *s == '-' || *s == '.'))
      return FALSE;
  return TRUE;
}

static GHashTable *
read_params (const char *module)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *dir = NULL;
  GDir *d;
  const char *n;

  if (!module || !safe_name (module))
    return h;
  dir = g_build_filename (mkvm_path_sysfs (), "module", module, "parameters", NULL);
  d = g_dir_open (dir, 0, NULL);
  if (!d)
    return h;
  while ((n = g_dir_read_name (d)))
    {
      char *v = read_attr (dir, n, NULL);   /* write-only params: skipped */
      if (v)
        g_hash_table_insert (h, g_strdup (n), v);
    }
  g_dir_close (d);
  return h;
}

static void
check_device (MkvmInstance *inst)
{
  struct stat st;
  g_clear_pointer (&inst->device_problem, g_free);
  inst->device_ok = FALSE;
  if (stat (inst->device, &st) < 0)
    {
      int e = errno;
      inst->device_problem = g_strdup_printf ("device %s: %s", inst->device, g_strerror (e));
      return;
    }
  if (!S_ISCHR (st.st_mode))
    {
      inst->device_problem = g_strdup_printf ("device %s is not a character device",
                                              inst->device);
      return;
    }
  if (!inst->is_static && st.st_rdev != inst->dev)
    {
      inst->device_problem =
        g_strdup_printf ("device %s is %u:%u, vac reports %u:%u (stale node? check udev)",
                         inst->device, major (st.st_rdev), minor (st.st_rdev),
                         major (inst->dev), minor (inst->dev));
      return;
    }
  if (inst->is_static)
    inst->dev = st.st_rdev;
  inst->device_ok = TRUE;
}

/* UTF-8 without control characters (C0, DEL, C1); with !@spaces, no space. */
static gboolean
plain_text (const char *s, gboolean spaces)
{
  if (!g_utf8_validate (s, -1, NULL))
    return FALSE;
  for (; *s; s = g_utf8_next_char (s))
    {
      gunichar c = g_utf8_get_char (s);
      if (g_unichar_iscntrl (c) || (!spaces && c == ' '))
        return FALSE;
    }
  return TRUE;
}

static gboolean
hex8 (const char *s)
{
  if (strlen (s) != 8)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit (*s))
      return FALSE;
  return TRUE;
}

static void
bad_build_attr (const char *dir, const char *name, const char *value, const char *want,
                GError **error)
{
  g_autofree char *shown = g_strndup (value, 80);
  g_autofree char *esc = g_strescape (shown, NULL);
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI, "%s/%s is '%s%s': expected %s", dir, name,
               esc, strlen (value) > 80 ? "..." : "", want);
}

/*
 * Optional line of the build identity (newer vac): *out is NULL when the
 * file is absent, or (unless @keep_empty) the line is empty.  A value longer
 * than @max bytes, with control characters, not UTF-8 or (with !@spaces)
 * with a space is an error.
 */
static gboolean
read_build_attr (const char *dir, const char *name, gsize max, gboolean spaces,
                 gboolean keep_empty, char **out, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;

  *out = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!(text = read_attr (dir, name, error)))
    return FALSE;
  if (strlen (text) > max || !plain_text (text, spaces))
    {
      g_autofree char *want = g_strdup_printf ("one line of at most %zu bytes without "
                                               "control characters%s", max,
                                               spaces ? "" : " or spaces");
      bad_build_attr (dir, name, text, want, error);
      return FALSE;
    }
  if (*text || keep_empty)
    *out = g_steal_pointer (&text);
  return TRUE;
}

/* "NAME@SHA8 NAME@SHA8 ..." (empty: none); NAME is a file name. */
static GPtrArray *
parse_patches (const char *dir, const char *line, GError **error)
{
  g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func (patch_free);
  g_auto(GStrv) words = g_strsplit (line, " ", -1);

  for (char **w = words; *w; w++)
    {
      char *at = strrchr (*w, '@');
      g_autofree char *name = at ? g_strndup (*w, at - *w) : NULL;
      MkvmPatch *patch;
      if (!**w)
        continue;
      if (!name || !*name || strlen (name) > 255 || strchr (name, '/')
          || strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || !hex8 (at + 1))
        {
          bad_build_attr (dir, "patches", *w, "NAME@SHA8 words (NAME a file name, SHA8 "
                          "8 hex digits)", error);
          return NULL;
        }
      patch = g_new0 (MkvmPatch, 1);
      patch->name = g_steal_pointer (&name);
      patch->sha = g_strdup (at + 1);
      g_ptr_array_add (patches, patch);
    }
  return g_steal_pointer (&patches);
}

static gboolean
load_build (const char *dir, MkvmBuild *b, GError **error)
{
  g_autofree char *patches = NULL;

  if (!read_build_attr (dir, "kvm_version", 64, FALSE, FALSE, &b->kvm_version, error)
      || !read_build_attr (dir, "kvm_source", 255, TRUE, FALSE, &b->kvm_source, error)
      || !read_build_attr (dir, "multikvm_version", 64, FALSE, FALSE, &b->multikvm_version,
                           error)
      || !read_build_attr (dir, "series", 8, FALSE, FALSE, &b->series, error)
      || !read_build_attr (dir, "patches", 4095, TRUE, TRUE, &patches, error)
      || !read_build_attr (dir, "kernel", 64, FALSE, FALSE, &b->kernel, error))
    return FALSE;
  if (b->series && !hex8 (b->series))
    {
      bad_build_attr (dir, "series", b->series, "8 hex digits", error);
      return FALSE;
    }
  /* a missing file: unknown (NULL); an empty line: none */
  return !patches || (b->patches = parse_patches (dir, patches, error)) != NULL;
}

static MkvmInstance *
load_instance (const char *dir, guint id, GError **error)
{
  g_autofree char *idtext = NULL, *dev = NULL, *bt = NULL, *lt = NULL, *vms = NULL,
                  *vcpus = NULL;
  MkvmInstance *inst;
  guint64 v;
  g_auto(GStrv) mm = NULL;
  guint64 ma, mi;

  if (!(idtext = read_attr (dir, "id", error)))
    return NULL;
  if (!parse_u64 (idtext, MKVM_INSTANCE_MAX, &v) || v != id)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI, "%s/id is '%s', expected %u",
                   dir, idtext, id);
      return NULL;
    }
  inst = g_new0 (MkvmInstance, 1);
  inst->id = id;
  if (!(inst->vendor = read_attr (dir, "vendor", error))
      || !(inst->module = read_attr (dir, "module", error))
      || !(inst->devname = read_attr (dir, "devname", error))
      || !(dev = read_attr (dir, "dev", error))
      || !(inst->build_id = read_attr (dir, "build_id", error))
      || !(bt = read_attr (dir, "build_time", error))
      || !(lt = read_attr (dir, "load_time", error))
      || !(vms = read_attr (dir, "vms", error))
      || !(vcpus = read_attr (dir, "vcpus", error)))
    goto bad;
  if (!safe_name (inst->devname) || !safe_name (inst->module))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI,
                   "%s: devname '%s' or module '%s' is not a plain name", dir,
                   inst->devname, inst->module);
      goto bad;
    }
  mm = g_strsplit (dev, ":", 3);
  if (g_strv_length (mm) != 2 || !parse_u64 (mm[0], 4095, &ma) || !parse_u64 (mm[1], 1048575, &mi))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI, "%s/dev is '%s', expected major:minor",
                   dir, dev);
      goto bad;
    }
  inst->dev = makedev (ma, mi);
  if (!parse_u64 (bt, G_MAXINT64, &v))
    goto num;
  inst->build_time = v;
  if (!parse_u64 (lt, G_MAXINT64, &v))
    goto num;
  inst->load_time = v;
  if (!parse_u64 (vms, G_MAXUINT, &v))
    goto num;
  inst->vms = v;
  if (!parse_u64 (vcpus, G_MAXUINT, &v))
    goto num;
  inst->vcpus = v;
  if (!load_build (dir, &inst->build, error))
    goto bad;
  inst->device = g_build_filename (mkvm_path_devdir (), inst->devname, NULL);
  inst->params = read_params (inst->module);
  check_device (inst);
  return inst;

num:
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI,
               "%s: build_time, load_time, vms or vcpus is not a number", dir);
bad:
  instance_free (inst);
  return NULL;
}

static gint
instance_cmp (gconstpointer a, gconstpointer b)
{
  const MkvmInstance *ia = *(MkvmInstance * const *) a, *ib = *(MkvmInstance * const *) b;
  return (ia->id > ib->id) - (ia->id < ib->id);
}

MkvmInventory *
mkvm_inventory_load (const MkvmPolicy *policy, GError **error)
{
  g_autoptr(MkvmInventory) inv = g_new0 (MkvmInventory, 1);
  g_autofree char *vac = mkvm_path_vac (NULL);
  g_autofree char *instdir = mkvm_path_vac ("instances");

  inv->instances = g_ptr_array_new_with_free_func (instance_free);
  {
    g_autofree char *sysk = g_build_filename (mkvm_path_proc (), "sys", "kernel", NULL);
    inv->kernel_release = read_attr (sysk, "osrelease", NULL);
  }
  if (g_file_test (vac, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *abi = read_attr (vac, "abi", error);
      g_autofree char *def = NULL;
      guint64 v;
      GDir *d;
      const char *n;
      g_autoptr(GError) local = NULL;

      if (!abi)
        return NULL;
      if (strcmp (abi, "1") != 0)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI,
                       "vac sysfs ABI '%s' is not supported (this multikvm knows 1): "
                       "install matching multikvm userspace", abi);
          return NULL;
        }
      inv->abi = 1;
      inv->vendor = read_attr (vac, "vendor", NULL);
      def = read_attr (vac, "default_instance", NULL);
      if (def && parse_u64 (def, MKVM_INSTANCE_MAX, &v))
        inv->default_instance = v;
      d = g_dir_open (instdir, 0, &local);
      if (!d)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_ABI, "cannot list %s: %s", instdir,
                       local->message);
          return NULL;
        }
      while ((n = g_dir_read_name (d)))
        {
          guint id;
          g_autofree char *dir = g_build_filename (instdir, n, NULL);
          MkvmInstance *inst;
          if (!mkvm_parse_instance_id (n, "instance directory", &id, NULL))
            continue;
          inst = load_instance (dir, id, error);
          if (!inst)
            {
              /* The instance may have been unloaded while we read it. */
              if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
                {
                  g_clear_error (error);
                  continue;
                }
              g_dir_close (d);
              return NULL;
            }
          g_ptr_array_add (inv->instances, inst);
        }
      g_dir_close (d);
    }
  for (guint i = 0; policy && i < policy->statics->len; i++)
    {
      MkvmStaticInstance *s = g_ptr_array_index (policy->statics, i);
      MkvmInstance *inst;
      if (mkvm_inventory_find (inv, s->id))
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s declares static instance %u but vac already has an "
                       "instance %u: remove the declaration", policy->source, s->id, s->id);
          return NULL;
        }
      inst = g_new0 (MkvmInstance, 1);
      inst->id = s->id;
      inst->is_static = TRUE;
      inst->module = g_strdup (s->module);
      inst->device = g_strdup (s->device);
      inst->devname = g_path_get_basename (s->device);
      inst->params = read_params (s->module);
      check_device (inst);
      g_ptr_array_add (inv->instances, inst);
    }
  g_ptr_array_sort (inv->instances, instance_cmp);
  return g_steal_pointer (&inv);
}

MkvmInstance *
mkvm_inventory_find (const MkvmInventory *inv, guint id)
{
  for (guint i = 0; i < inv->instances->len; i++)
    {
      MkvmInstance *inst = g_ptr_array_index (inv->instances, i);
      if (inst->id == id)
        return inst;
    }
  return NULL;
}

MkvmInstance *
mkvm_inventory_find_by_rdev (const MkvmInventory *inv, dev_t rdev)
{
  for (guint i = 0; i < inv->instances->len; i++)
    {
      MkvmInstance *inst = g_ptr_array_index (inv->instances, i);
      if (inst->device_ok && inst->dev == rdev)
        return inst;
    }
  return NULL;
}

gboolean
mkvm_inventory_check_device (const MkvmInventory *inv, const char *path, guint *out_id,
                             GError **error)
{
  struct stat st;
  MkvmInstance *inst;

  if (!path || stat (path, &st) < 0)
    {
      int e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE, "device %s: %s",
                   path ? path : "(null)", g_strerror (e));
      return FALSE;
    }
  if (!S_ISCHR (st.st_mode))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "device %s is not a character device", path);
      return FALSE;
    }
  inst = mkvm_inventory_find_by_stat (inv, &st, path);
  if (!inst)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "device %s (%u:%u) is not the node of any KVM instance vac reports: "
                   "check 'multikvm status'", path, major (st.st_rdev), minor (st.st_rdev));
      return FALSE;
    }
  if (out_id)
    *out_id = inst->id;
  return TRUE;
}

char *
mkvm_release_version (const char *release)
{
  gsize n = release ? strcspn (release, "+-") : 0;
  g_autofree char *v = n ? g_strndup (release, n) : NULL;
  if (!v || !g_ascii_isdigit (*v) || !g_ascii_isdigit (v[n - 1]))
    return NULL;
  for (const char *c = v; *c; c++)
    if (!g_ascii_isdigit (*c) && *c != '.')
      return NULL;
  return g_steal_pointer (&v);
}

gboolean
mkvm_instance_kvm_differs (const MkvmInventory *inv, const MkvmInstance *inst)
{
  g_autofree char *running = mkvm_release_version (inv->kernel_release);
  return running && inst->build.kvm_version && strcmp (running, inst->build.kvm_version) != 0;
}

/* Y/N/1/0 (any case) compare as booleans; anything else exactly. */
static int
as_bool (const char *v)
{
  if (g_ascii_strcasecmp (v, "Y") == 0 || strcmp (v, "1") == 0)
    return 1;
  if (g_ascii_strcasecmp (v, "N") == 0 || strcmp (v, "0") == 0)
    return 0;
  return -1;
}

static gboolean
value_matches (const char *have, const char *want)
{
  g_auto(GStrv) alts = g_strsplit (want, "|", -1);
  for (char **a = alts; *a; a++)
    {
      g_autofree char *w = g_strstrip (g_strdup (*a));
      int hb = as_bool (have), wb = as_bool (w);
      if (strcmp (have, w) == 0 || (hb >= 0 && hb == wb))
        return TRUE;
    }
  return FALSE;
}

gboolean
mkvm_instance_satisfies (const MkvmInstance *inst, const MkvmProfile *profile, char **why)
{
  g_autoptr(GList) keys = g_hash_table_get_keys (profile->params);

  /* sorted for stable messages */
  keys = g_list_sort (keys, (GCompareFunc) strcmp);
  for (GList *l = keys; l; l = l->next)
    {
      const char *want = g_hash_table_lookup (profile->params, l->data);
      const char *have = inst->params ? g_hash_table_lookup (inst->params, l->data) : NULL;
      if (!have || !value_matches (have, want))
        {
          if (why)
            *why = have ? g_strdup_printf ("%s=%s, profile %s needs %s", (char *) l->data,
                                           have, profile->name, want)
                        : g_strdup_printf ("no parameter %s (module %s), profile %s needs %s",
                                           (char *) l->data, inst->module ? inst->module : "?",
                                           profile->name, want);
          return FALSE;
        }
    }
  if (why)
    *why = NULL;
  return TRUE;
}
