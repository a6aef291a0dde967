/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the readers of the runtime state's JSON files — a record
 * (domains/UUID.json), drains.json and index.json — on the same input.
 */
#include "fuzz.h"
#include "mkvm-private.h"

static void
check_record (const char *text, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmRecord) r = mkvm_record_from_json (text, size, "record.json", &error);

  if (!r)
    {
      fuzz_check_error (error);
      return;
    }
  FUZZ_CHECK (mkvm_uuid_valid (r->uuid) && r->name && r->device);
  FUZZ_CHECK (r->instance >= 1 && r->instance <= MKVM_INSTANCE_MAX && r->pid >= 0);
  {
    /* written back as mkvm_record_write() does, it reads back the same */
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autofree char *json = NULL;
    g_autoptr(MkvmRecord) again = NULL;

    mkvm_json_add_record (b, r);
    json = mkvm_json_to_data (b, TRUE);
    again = mkvm_record_from_json (json, strlen (json), "again.json", NULL);
    FUZZ_CHECK (again != NULL);
    FUZZ_CHECK (strcmp (again->uuid, r->uuid) == 0 && strcmp (again->name, r->name) == 0);
    FUZZ_CHECK (strcmp (again->device, r->device) == 0);
    FUZZ_CHECK (g_strcmp0 (again->profile, r->profile) == 0);
    FUZZ_CHECK (g_strcmp0 (again->reason, r->reason) == 0);
    FUZZ_CHECK (again->instance == r->instance && again->pid == r->pid);
    FUZZ_CHECK (again->created == r->created && again->updated == r->updated);
  }
}

static void
check_drains (const char *text, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) drains = mkvm_drains_from_json (text, size, "drains.json", &error);

  if (!drains)
    {
      fuzz_check_error (error);
      return;
    }
  for (guint i = 0; i < drains->len; i++)
    {
      MkvmDrain *d = g_ptr_array_index (drains, i);
      FUZZ_CHECK (d->instance >= 1 && d->instance <= MKVM_INSTANCE_MAX);
      /* sorted, one per instance */
      FUZZ_CHECK (i == 0 || ((MkvmDrain *) g_ptr_array_index (drains, i - 1))->instance
                            < d->instance);
    }
}

static void
check_index (const char *text, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) index = mkvm_records_index_from_json (text, size, "index.json", &error);
  GHashTableIter it;
  gpointer k, v;

  if (!index)
    {
      fuzz_check_error (error);
      return;
    }
  g_hash_table_iter_init (&it, index);
  while (g_hash_table_iter_next (&it, &k, &v))
    FUZZ_CHECK (mkvm_uuid_valid (k) && GPOINTER_TO_UINT (v) >= 1
                && GPOINTER_TO_UINT (v) <= MKVM_INSTANCE_MAX);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  check_record ((const char *) data, size);
  check_drains ((const char *) data, size);
  check_index ((const char *) data, size);
  return 0;
}
