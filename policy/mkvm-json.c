/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mkvm-json.h"

void
mkvm_json_add_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
mkvm_json_add_int (JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

void
mkvm_json_add_bool (JsonBuilder *b, const char *key, gboolean value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_boolean_value (b, value);
}

void
mkvm_json_add_record (JsonBuilder *b, const MkvmRecord *rec)
{
  json_builder_begin_object (b);
  mkvm_json_add_string (b, "name", rec->name);
  mkvm_json_add_string (b, "uuid", rec->uuid);
  mkvm_json_add_int (b, "instance", rec->instance);
  mkvm_json_add_string (b, "device", rec->device);
  mkvm_json_add_string (b, "profile", rec->profile);
  mkvm_json_add_string (b, "reason", rec->reason);
  mkvm_json_add_int (b, "created", rec->created);
  mkvm_json_add_int (b, "updated", rec->updated);
  mkvm_json_add_int (b, "pid", rec->pid);
  json_builder_end_object (b);
}

char *
mkvm_json_to_data (JsonBuilder *b, gboolean pretty)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *s = NULL;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, pretty);
  s = json_generator_to_data (gen, NULL);
  return g_strconcat (s, "\n", NULL);
}
