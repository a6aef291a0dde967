/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "mkvm-state.h"
#include "mkvm-error.h"
#include "mkvm-json.h"
#include "mkvm-paths.h"
#include "mkvm-wish.h"
#include "mkvm-private.h"

struct _MkvmLock {
  int fd;
};

gboolean
mkvm_uuid_valid (const char *uuid)
{
  static const int groups[] = { 8, 4, 4, 4, 12 };
  const char *p = uuid;
  if (!uuid)
    return FALSE;
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      for (int i = 0; i < groups[g]; i++, p++)
        if (!g_ascii_isxdigit (*p))
          return FALSE;
      if (g < 4 && *p++ != '-')
        return FALSE;
    }
  return *p == '\0';
}

MkvmRecord *
mkvm_record_new (void)
{
  return g_new0 (MkvmRecord, 1);
}

MkvmRecord *
mkvm_record_copy (const MkvmRecord *r)
{
  MkvmRecord *c = g_new0 (MkvmRecord, 1);
  *c = *r;
  c->uuid = g_strdup (r->uuid);
  c->name = g_strdup (r->name);
  c->device = g_strdup (r->device);
  c->profile = g_strdup (r->profile);
  c->reason = g_strdup (r->reason);
  return c;
}

void
mkvm_record_free (MkvmRecord *r)
{
  if (!r)
    return;
  g_free (r->uuid);
  g_free (r->name);
  g_free (r->device);
  g_free (r->profile);
  g_free (r->reason);
  g_free (r);
}

void
mkvm_drain_free (MkvmDrain *d)
{
  if (!d)
    return;
  g_free (d->reason);
  g_free (d);
}

static const char *
rundir_or_default (const char *rundir)
{
  return rundir ? rundir : mkvm_path_rundir ();
}

static gboolean
ensure_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) < 0)
    {
      int e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot create %s: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static void
remove_stale_temps (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *n;
  if (!d)
    return;
  while ((n = g_dir_read_name (d)))
    if (g_str_has_prefix (n, ".tmp-"))
      {
        g_autofree char *p = g_build_filename (dir, n, NULL);
        g_unlink (p);
      }
  g_dir_close (d);
}

/* A state directory root writes must be root's (our euid's), a real
 * directory, and writable by nobody else: else anyone could plant records,
 * drains or a symlink for the lock. */
static gboolean
dir_is_ours (const char *path, GError **error)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    {
      int e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot stat %s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 022) != 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO,
                   "%s is %s owned by uid %u, mode %04o: it must be a directory of uid %u "
                   "that no one else can write; remove it (systemd-tmpfiles --create "
                   "makes /run/multikvm right)", path,
                   S_ISDIR (st.st_mode) ? "a directory" : S_ISLNK (st.st_mode) ? "a symlink"
                                                                       : "not a directory",
                   (guint) st.st_uid, (guint) (st.st_mode & 07777), (guint) geteuid ());
      return FALSE;
    }
  return TRUE;
}

MkvmLock *
mkvm_lock_acquire (const char *rundir, GError **error)
{
  return mkvm_lock_acquire_named (rundir, "lock", TRUE, error);
}

MkvmLock *
mkvm_lock_acquire_named (const char *rundir, const char *name, gboolean wait,
                         GError **error)
{
  const char *dir = rundir_or_default (rundir);
  g_autofree char *domains = g_build_filename (dir, "domains", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  struct stat st;
  int fd;

  if (!ensure_dir (domains, error) || !dir_is_ours (dir, error) ||
      !dir_is_ours (domains, error))
    return NULL;
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      int e = fd < 0 ? errno : EINVAL;
      if (fd >= 0)
        close (fd);
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot open lock %s: %s%s",
                   path, e == ELOOP ? "it is a symlink" : g_strerror (e),
                   e == EINVAL ? " (not a regular file)" : "");
      return NULL;
    }
  while (flock (fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
    {
      int e = errno;
      if (e == EINTR)
        continue;
      close (fd);
      if (e == EWOULDBLOCK)
        g_set_error (error, MKVM_ERROR, MKVM_ERROR_BUSY, "%s is held by another process",
                     path);
      else
        g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot lock %s: %s",
                     path, g_strerror (e));
      return NULL;
    }
  /* Holding the lock: any temp file left is from a writer that died. */
  if (strcmp (name, "lock") == 0)
    {
      remove_stale_temps (dir);
      remove_stale_temps (domains);
    }
  MkvmLock *l = g_new0 (MkvmLock, 1);
  l->fd = fd;
  return l;
}

void
mkvm_lock_release (MkvmLock *lock)
{
  if (!lock)
    return;
  close (lock->fd);   /* releases the flock */
  g_free (lock);
}

gboolean
mkvm_write_file_atomic (const char *path, const char *data, gsize len, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_build_filename (dir, ".tmp-XXXXXX", NULL);
  int fd, dfd, e;
  gsize off = 0;

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot create a file in %s: %s",
                   dir, g_strerror (e));
      return FALSE;
    }
  while (off < len)
    {
      ssize_t n = write (fd, data + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      off += n;
    }
  if (fchmod (fd, 0644) < 0 || fsync (fd) < 0)
    goto fail;
  if (close (fd) < 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (rename (tmp, path) < 0)
    goto fail;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  return TRUE;

fail:
  e = errno;
  if (fd >= 0)
    close (fd);
  g_unlink (tmp);
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot write %s: %s",
               path, g_strerror (e));
  return FALSE;
}

static gboolean index_update (const char *rundir, GHashTable *index, const char *uuid,
                              guint instance, GError **error);

static char *
record_path (const char *rundir, const char *uuid)
{
  g_autofree char *file = g_strdup_printf ("%s.json", uuid);
  return g_build_filename (rundir_or_default (rundir), "domains", file, NULL);
}

/* The record file of a uuid given by a caller, and the uuid in lower case
 * (what records are named by); NULL with an error if it is not a uuid. */
static char *
uuid_record_path (const char *rundir, const char *uuid, char **lower, GError **error)
{
  if (!mkvm_uuid_valid (uuid))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "'%s' is not a uuid",
                   uuid ? uuid : "");
      return NULL;
    }
  *lower = g_ascii_strdown (uuid, -1);
  return record_path (rundir, *lower);
}

gboolean
mkvm_record_write (const char *rundir, const MkvmRecord *rec, GError **error)
{
  return mkvm_record_write_indexed (rundir, rec, NULL, error);
}

gboolean
mkvm_record_write_indexed (const char *rundir, const MkvmRecord *rec, GHashTable *index,
                           GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *domains = g_build_filename (rundir_or_default (rundir), "domains", NULL);

  if (!mkvm_uuid_valid (rec->uuid))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "record has a malformed uuid '%s'",
                   rec->uuid ? rec->uuid : "");
      return FALSE;
    }
  if (!ensure_dir (domains, error))
    return FALSE;
  mkvm_json_add_record (b, rec);
  json = mkvm_json_to_data (b, TRUE);
  {
    g_autofree char *lower = g_ascii_strdown (rec->uuid, -1);
    path = record_path (rundir, lower);
    /* index first: every record file is always in the index */
    if (!index_update (rundir, index, lower, rec->instance, error))
      return FALSE;
  }
  return mkvm_write_file_atomic (path, json, strlen (json), error);
}

/* @p advanced over JSON blanks up to @end. */
static const char *
skip_blanks (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/*
 * @p at '{': where that object ends, or NULL when it does not (json-glib
 * then says why).  Strings are skipped with their escapes.
 */
static const char *
object_end (const char *p, const char *end)
{
  int depth = 0;

  for (; p < end; p++)
    {
      if (*p == '"')
        {
          for (p++; p < end && *p != '"'; p++)
            if (*p == '\\')
              p++;
          if (p >= end)
            return NULL;
        }
      else if (*p == '{' || *p == '[')
        depth++;
      else if ((*p == '}' || *p == ']') && --depth == 0)
        return p + 1;
    }
  return NULL;
}

/*
 * The JSON object in @len bytes of @text; @source names it in errors.  A
 * state file is one object and nothing else: json-glib would read text
 * with several top-level values ('{..}{..}', 'true{..}') as its first one
 * (and leak the others).
 */
static JsonObject *
object_from_data (const char *text, gsize len, const char *source, JsonParser *parser,
                  GError **error)
{
  g_autoptr(GError) local = NULL;
  const char *start = skip_blanks (text, text + len);
  const char *end = start < text + len && *start == '{' ? object_end (start, text + len) : NULL;
  JsonNode *root;

  if (start == text + len || *start != '{')
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s: not a JSON object", source);
      return NULL;
    }
  if (end && skip_blanks (end, text + len) != text + len)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "%s: data after its JSON object", source);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, len, &local))
    {
      /* json-glib quotes the offending token, newlines and all */
      g_strdelimit (local->message, "\r\n\t", ' ');
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s is unreadable: %s",
                   source, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s: not a JSON object", source);
      return NULL;
    }
  return json_node_get_object (root);
}

static JsonObject *
parse_object (const char *path, JsonParser *parser, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND, "%s does not exist", path);
      else
        g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot read %s: %s", path,
                     local->message);
      return NULL;
    }
  return object_from_data (text, len, path, parser, error);
}

static char *
get_str (JsonObject *o, const char *k)
{
  JsonNode *n = json_object_get_member (o, k);
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

static gint64
get_int (JsonObject *o, const char *k)
{
  JsonNode *n = json_object_get_member (o, k);
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (n);
}

static MkvmRecord *
record_from_object (JsonObject *o, const char *source, GError **error)
{
  g_autoptr(MkvmRecord) r = NULL;
  gint64 inst, pid;

  if (!o)
    return NULL;
  r = mkvm_record_new ();
  r->uuid = get_str (o, "uuid");
  r->name = get_str (o, "name");
  r->device = get_str (o, "device");
  r->profile = get_str (o, "profile");
  r->reason = get_str (o, "reason");
  r->created = get_int (o, "created");
  r->updated = get_int (o, "updated");
  inst = get_int (o, "instance");
  pid = get_int (o, "pid");
  if (!mkvm_uuid_valid (r->uuid) || !r->name || !r->device || inst < 1
      || inst > MKVM_INSTANCE_MAX || pid < 0 || pid > G_MAXINT32)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "%s: record lacks uuid, name, device, instance or pid", source);
      return NULL;
    }
  r->instance = inst;
  r->pid = (pid_t) pid;
  return g_steal_pointer (&r);
}

static MkvmRecord *
record_from_file (const char *path, JsonParser *parser, GError **error)
{
  return record_from_object (parse_object (path, parser, error), path, error);
}

MkvmRecord *
mkvm_record_from_json (const char *text, gsize len, const char *source, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  return record_from_object (object_from_data (text, len, source, parser, error), source,
                             error);
}

MkvmRecord *
mkvm_record_load (const char *rundir, const char *uuid, GError **error)
{
  g_autofree char *lower = NULL;
  g_autofree char *path = uuid_record_path (rundir, uuid, &lower, error);
  MkvmRecord *r;

  if (!path)
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  r = record_from_file (path, parser, error);
  if (r && g_ascii_strcasecmp (r->uuid, lower) != 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s: holds uuid %s", path, r->uuid);
      mkvm_record_free (r);
      return NULL;
    }
  return r;
}

gboolean
mkvm_record_remove (const char *rundir, const char *uuid, GError **error)
{
  g_autofree char *lower = NULL;
  g_autofree char *path = uuid_record_path (rundir, uuid, &lower, error);
  g_autofree char *dir = NULL;

  if (!path)
    return FALSE;
  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      int e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot remove %s: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  dir = g_path_get_dirname (path);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  return index_update (rundir, NULL, lower, 0, error);
}

static gint
record_cmp (gconstpointer a, gconstpointer b)
{
  const MkvmRecord *ra = *(MkvmRecord * const *) a, *rb = *(MkvmRecord * const *) b;
  int c = g_strcmp0 (ra->name, rb->name);
  return c ? c : g_strcmp0 (ra->uuid, rb->uuid);
}

GPtrArray *
mkvm_records_list (const char *rundir, GError **error)
{
  g_autofree char *dir = g_build_filename (rundir_or_default (rundir), "domains", NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) mkvm_record_free);
  g_autoptr(GError) local = NULL;
  GDir *d = g_dir_open (dir, 0, &local);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  const char *n;

  if (!d)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return out;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot list %s: %s", dir,
                   local->message);
      g_ptr_array_unref (out);
      return NULL;
    }
  while ((n = g_dir_read_name (d)))
    {
      g_autoptr(GError) e = NULL;
      g_autofree char *path = NULL;
      MkvmRecord *r;
      if (n[0] == '.' || !g_str_has_suffix (n, ".json"))
        continue;
      path = g_build_filename (dir, n, NULL);
      r = record_from_file (path, parser, &e);
      if (!r)
        {
          if (!g_error_matches (e, MKVM_ERROR, MKVM_ERROR_NOT_FOUND))  /* raced a remove */
            g_debug ("skipping record: %s", e->message);   /* stderr is the user's */
          continue;
        }
      g_ptr_array_add (out, r);
    }
  g_dir_close (d);
  g_ptr_array_sort (out, record_cmp);
  return out;
}

guint
mkvm_records_count_on (GPtrArray *records, guint id)
{
  guint n = 0;
  for (guint i = 0; records && i < records->len; i++)
    if (((MkvmRecord *) g_ptr_array_index (records, i))->instance == id)
      n++;
  return n;
}

static gint
drain_cmp (gconstpointer a, gconstpointer b)
{
  const MkvmDrain *da = *(MkvmDrain * const *) a, *db = *(MkvmDrain * const *) b;
  return (da->instance > db->instance) - (da->instance < db->instance);
}

static GPtrArray *
drains_from_object (JsonObject *o, const char *source, GError **error)
{
  JsonNode *member = json_object_get_member (o, "drains");
  GPtrArray *out;
  JsonArray *a;

  if (member && !JSON_NODE_HOLDS_ARRAY (member))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s: drains is not an array",
                   source);
      return NULL;
    }
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) mkvm_drain_free);
  a = member ? json_node_get_array (member) : NULL;
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonNode *n = json_array_get_element (a, i);
      JsonObject *e;
      gint64 id;
      if (!JSON_NODE_HOLDS_OBJECT (n))
        continue;
      e = json_node_get_object (n);
      id = get_int (e, "instance");
      if (id < 1 || id > MKVM_INSTANCE_MAX || mkvm_drains_find (out, id))
        continue;
      MkvmDrain *d = g_new0 (MkvmDrain, 1);
      d->instance = id;
      d->reason = get_str (e, "reason");
      d->since = get_int (e, "since");
      g_ptr_array_add (out, d);
    }
  g_ptr_array_sort (out, drain_cmp);
  return out;
}

GPtrArray *
mkvm_drains_load (const char *rundir, GError **error)
{
  g_autofree char *path = g_build_filename (rundir_or_default (rundir), "drains.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  JsonObject *o = parse_object (path, parser, &local);

  if (!o)
    {
      if (g_error_matches (local, MKVM_ERROR, MKVM_ERROR_NOT_FOUND))
        return g_ptr_array_new_with_free_func ((GDestroyNotify) mkvm_drain_free);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return drains_from_object (o, path, error);
}

GPtrArray *
mkvm_drains_from_json (const char *text, gsize len, const char *source, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o = object_from_data (text, len, source, parser, error);

  return o ? drains_from_object (o, source, error) : NULL;
}

MkvmDrain *
mkvm_drains_find (GPtrArray *drains, guint id)
{
  for (guint i = 0; drains && i < drains->len; i++)
    {
      MkvmDrain *d = g_ptr_array_index (drains, i);
      if (d->instance == id)
        return d;
    }
  return NULL;
}

static gboolean
drains_save (const char *rundir, GPtrArray *drains, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *path = g_build_filename (rundir_or_default (rundir), "drains.json", NULL);
  g_autofree char *json = NULL;

  if (!ensure_dir (rundir_or_default (rundir), error))
    return FALSE;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "drains");
  json_builder_begin_array (b);
  for (guint i = 0; i < drains->len; i++)
    {
      MkvmDrain *d = g_ptr_array_index (drains, i);
      json_builder_begin_object (b);
      mkvm_json_add_int (b, "instance", d->instance);
      mkvm_json_add_string (b, "reason", d->reason);
      mkvm_json_add_int (b, "since", d->since);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json = mkvm_json_to_data (b, TRUE);
  return mkvm_write_file_atomic (path, json, strlen (json), error);
}

gboolean
mkvm_drain_set (const char *rundir, guint id, const char *reason, GError **error)
{
  g_autoptr(GPtrArray) drains = mkvm_drains_load (rundir, error);
  MkvmDrain *d;
  if (!drains)
    return FALSE;
  d = mkvm_drains_find (drains, id);
  if (!d)
    {
      d = g_new0 (MkvmDrain, 1);
      d->instance = id;
      d->since = g_get_real_time () / G_USEC_PER_SEC;
      g_ptr_array_add (drains, d);
      g_ptr_array_sort (drains, drain_cmp);
    }
  g_free (d->reason);
  d->reason = g_strdup (reason);
  return drains_save (rundir, drains, error);
}

gboolean
mkvm_drain_clear (const char *rundir, guint id, GError **error)
{
  g_autoptr(GPtrArray) drains = mkvm_drains_load (rundir, error);
  MkvmDrain *d;
  if (!drains)
    return FALSE;
  d = mkvm_drains_find (drains, id);
  if (!d)
    return TRUE;
  g_ptr_array_remove (drains, d);
  return drains_save (rundir, drains, error);
}

gboolean
mkvm_instance_drain (const char *rundir, guint id, const char *reason, GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);

  return lock && mkvm_drain_set (rundir, id, reason, error);
}

gboolean
mkvm_instance_undrain (const char *rundir, guint id, GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);

  return lock && mkvm_drain_clear (rundir, id, error);
}

static const char *const refusal_names[MKVM_REFUSAL_N] = {
  "invalid", "denied", "not_found", "no_candidate", "draining", "device", "other",
};

const char *
mkvm_refusal_name (MkvmRefusal r)
{
  return r < MKVM_REFUSAL_N ? refusal_names[r] : "other";
}

MkvmRefusal
mkvm_refusal_from_error (const GError *error)
{
  if (!error || error->domain != MKVM_ERROR)
    return MKVM_REFUSAL_OTHER;
  switch ((MkvmErrorCode) error->code)
    {
    case MKVM_ERROR_INVALID:
      return MKVM_REFUSAL_INVALID;
    case MKVM_ERROR_DENIED:
      return MKVM_REFUSAL_DENIED;
    case MKVM_ERROR_NOT_FOUND:
      return MKVM_REFUSAL_NOT_FOUND;
    case MKVM_ERROR_NO_CANDIDATE:
      return MKVM_REFUSAL_NO_CANDIDATE;
    case MKVM_ERROR_DRAINING:
      return MKVM_REFUSAL_DRAINING;
    case MKVM_ERROR_DEVICE:
      return MKVM_REFUSAL_DEVICE;
    default:
      return MKVM_REFUSAL_OTHER;
    }
}

gboolean
mkvm_refusals_load (const char *rundir, guint64 counts[MKVM_REFUSAL_N], GError **error)
{
  g_autofree char *path = g_build_filename (rundir_or_default (rundir), "refusals.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  JsonObject *o = parse_object (path, parser, &local);
  JsonNode *member;

  memset (counts, 0, sizeof (guint64) * MKVM_REFUSAL_N);
  if (!o)
    {
      if (g_error_matches (local, MKVM_ERROR, MKVM_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  member = json_object_get_member (o, "refusals");
  if (member && !JSON_NODE_HOLDS_OBJECT (member))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s: refusals is not an object",
                   path);
      return FALSE;
    }
  for (guint r = 0; member && r < MKVM_REFUSAL_N; r++)
    counts[r] = MAX (get_int (json_node_get_object (member), refusal_names[r]), 0);
  return TRUE;
}

gboolean
mkvm_refusal_count (const char *rundir, MkvmRefusal reason, GError **error)
{
  g_autoptr(MkvmLock) lock = mkvm_lock_acquire (rundir, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *path = g_build_filename (rundir_or_default (rundir), "refusals.json", NULL);
  g_autofree char *json = NULL;
  guint64 counts[MKVM_REFUSAL_N];

  if (!lock || !mkvm_refusals_load (rundir, counts, error))
    return FALSE;
  counts[reason < MKVM_REFUSAL_N ? reason : MKVM_REFUSAL_OTHER]++;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "refusals");
  json_builder_begin_object (b);
  for (guint r = 0; r < MKVM_REFUSAL_N; r++)
    mkvm_json_add_int (b, refusal_names[r], (gint64) MIN (counts[r], (guint64) G_MAXINT64));
  json_builder_end_object (b);
  json_builder_end_object (b);
  json = mkvm_json_to_data (b, FALSE);
  return mkvm_write_file_atomic (path, json, strlen (json), error);
}

static char *
index_path (const char *rundir)
{
  return g_build_filename (rundir_or_default (rundir), "index.json", NULL);
}

static GHashTable *
index_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static GHashTable *
index_from_records (GPtrArray *records)
{
  GHashTable *h = index_new ();
  for (guint i = 0; i < records->len; i++)
    {
      MkvmRecord *r = g_ptr_array_index (records, i);
      g_hash_table_insert (h, g_strdup (r->uuid), GUINT_TO_POINTER (r->instance));
    }
  return h;
}

static GHashTable *
index_from_object (JsonObject *o, const char *source, GError **error)
{
  JsonObject *recs;
  GHashTable *h;
  g_autoptr(GList) members = NULL;

  if (!json_object_has_member (o, "records")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "records")))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "%s: no records object", source);
      return NULL;
    }
  recs = json_object_get_object_member (o, "records");
  h = index_new ();
  members = json_object_get_members (recs);
  for (GList *l = members; l; l = l->next)
    {
      gint64 id = get_int (recs, l->data);
      if (mkvm_uuid_valid (l->data) && id >= 1 && id <= MKVM_INSTANCE_MAX)
        g_hash_table_insert (h, g_strdup (l->data), GUINT_TO_POINTER ((guint) id));
    }
  return h;
}

/* NULL with MKVM_ERROR_NOT_FOUND / _INVALID when missing or unreadable. */
static GHashTable *
index_read (const char *rundir, GError **error)
{
  g_autofree char *path = index_path (rundir);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o = parse_object (path, parser, error);

  return o ? index_from_object (o, path, error) : NULL;
}

GHashTable *
mkvm_records_index_from_json (const char *text, gsize len, const char *source,
                              GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o = object_from_data (text, len, source, parser, error);

  return o ? index_from_object (o, source, error) : NULL;
}

static gboolean
index_write (const char *rundir, GHashTable *h, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *path = index_path (rundir);
  g_autofree char *json = NULL;
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (h), (GCompareFunc) strcmp);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "records");
  json_builder_begin_object (b);
  for (GList *l = keys; l; l = l->next)
    mkvm_json_add_int (b, l->data, GPOINTER_TO_UINT (g_hash_table_lookup (h, l->data)));
  json_builder_end_object (b);
  json_builder_end_object (b);
  json = mkvm_json_to_data (b, FALSE);
  return mkvm_write_file_atomic (path, json, strlen (json), error);
}

gboolean
mkvm_records_index_rebuild (const char *rundir, GError **error)
{
  g_autoptr(GPtrArray) records = mkvm_records_list (rundir, error);
  g_autoptr(GHashTable) h = NULL;
  if (!records)
    return FALSE;
  h = index_from_records (records);
  return index_write (rundir, h, error);
}

GHashTable *
mkvm_records_index (const char *rundir, GError **error)
{
  g_autoptr(GPtrArray) records = NULL;
  GHashTable *h = index_read (rundir, NULL);
  if (h)
    return h;
  if (!(records = mkvm_records_list (rundir, error)))
    return NULL;
  return index_from_records (records);
}

guint
mkvm_records_index_count_on (GHashTable *index, guint id)
{
  GHashTableIter it;
  gpointer k, v;
  guint n = 0;
  g_hash_table_iter_init (&it, index);
  while (g_hash_table_iter_next (&it, &k, &v))
    n += GPOINTER_TO_UINT (v) == id;
  return n;
}

/* Under the lock: the index with @uuid set to @instance (0 = removed). */
static gboolean
index_update (const char *rundir, GHashTable *index, const char *uuid, guint instance,
              GError **error)
{
  g_autoptr(GHashTable) own = index ? NULL : index_read (rundir, NULL);
  GHashTable *h = index ? index : own;
  gpointer old;
  gboolean had;
  if (!h)
    {
      g_autoptr(GPtrArray) records = mkvm_records_list (rundir, error);
      if (!records)
        return FALSE;
      h = own = index_from_records (records);
    }
  had = g_hash_table_lookup_extended (h, uuid, NULL, &old);
  if (instance && had && GPOINTER_TO_UINT (old) == instance)
    return TRUE;
  if (!instance && !had)
    return TRUE;
  if (instance)
    g_hash_table_insert (h, g_strdup (uuid), GUINT_TO_POINTER (instance));
  else
    g_hash_table_remove (h, uuid);
  return index_write (rundir, h, error);
}
