/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: JSON written (mkvm_json_*) and the runtime state's readers. */
#include <string.h>
#include "multikvm.h"
#include "mkvm-private.h"   /* the readers from memory */

#define UUID "6f1c2b0e-6a43-4e3a-9a56-0c4f1c3b2a11"

static void
test_write (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *compact = NULL;
  g_autofree char *pretty = NULL;

  json_builder_begin_object (b);
  mkvm_json_add_string (b, "s", "a \"q\"\n");
  mkvm_json_add_string (b, "null", NULL);
  mkvm_json_add_int (b, "i", -5000000000);
  mkvm_json_add_bool (b, "t", TRUE);
  mkvm_json_add_bool (b, "f", FALSE);
  json_builder_end_object (b);
  compact = mkvm_json_to_data (b, FALSE);
  g_assert_cmpstr (compact, ==,
                   "{\"s\":\"a \\\"q\\\"\\n\",\"null\":null,\"i\":-5000000000,\"t\":true,"
                   "\"f\":false}\n");
  pretty = mkvm_json_to_data (b, TRUE);
  g_assert_true (g_str_has_prefix (pretty, "{\n  \"s\" : "));
  g_assert_true (g_str_has_suffix (pretty, "\n}\n"));
}

static void
test_record (void)
{
  static const char good[] = "{\"uuid\":\"" UUID "\",\"name\":\"web1\",\"instance\":2,"
    "\"device\":\"/dev/kvm2\",\"profile\":null,\"reason\":\"r\",\"created\":1,\"updated\":2,"
    "\"pid\":42}";
  static const char *const bad[] = {
    "", "[]", "{", "{\"uuid\":\"" UUID "\"}",
    "{\"uuid\":\"" UUID "\",\"name\":\"a\",\"instance\":1000,\"device\":\"/d\",\"pid\":0}",
    "{\"uuid\":\"" UUID "\",\"name\":\"a\",\"instance\":1,\"device\":\"/d\",\"pid\":-1}",
    "{\"uuid\":\"x\",\"name\":\"a\",\"instance\":1,\"device\":\"/d\",\"pid\":1}",
    "{\"uuid\":\"" UUID "\",\"name\":\"a\",\"instance\":\"1\",\"device\":\"/d\",\"pid\":1}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmRecord) r = mkvm_record_from_json (good, strlen (good), "r.json", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (r->uuid, ==, UUID);
  g_assert_cmpstr (r->name, ==, "web1");
  g_assert_cmpuint (r->instance, ==, 2);
  g_assert_cmpstr (r->device, ==, "/dev/kvm2");
  g_assert_null (r->profile);
  g_assert_cmpint (r->created, ==, 1);
  g_assert_cmpint (r->updated, ==, 2);
  g_assert_cmpint (r->pid, ==, 42);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(MkvmRecord) no = mkvm_record_from_json (bad[i], strlen (bad[i]), "r.json",
                                                        &error);
      g_assert_null (no);
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, "r.json"));
      g_assert_null (strchr (error->message, '\n'));
      g_clear_error (&error);
    }
}

/* What mkvm_json_add_record() writes, the record reader reads back. */
static void
test_record_round_trip (void)
{
  g_autoptr(MkvmRecord) r = mkvm_record_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(MkvmRecord) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  r->uuid = g_strdup (UUID);
  r->name = g_strdup ("a \"b\"");
  r->instance = 999;
  r->device = g_strdup ("/dev/kvm999");
  r->reason = g_strdup ("pinned");
  r->created = 1700000000;
  r->updated = 1700000001;
  r->pid = G_MAXINT32;
  mkvm_json_add_record (b, r);
  text = mkvm_json_to_data (b, TRUE);
  back = mkvm_record_from_json (text, strlen (text), "r.json", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->uuid, ==, r->uuid);
  g_assert_cmpstr (back->name, ==, r->name);
  g_assert_cmpuint (back->instance, ==, r->instance);
  g_assert_cmpstr (back->device, ==, r->device);
  g_assert_null (back->profile);
  g_assert_cmpstr (back->reason, ==, r->reason);
  g_assert_cmpint (back->created, ==, r->created);
  g_assert_cmpint (back->updated, ==, r->updated);
  g_assert_cmpint (back->pid, ==, r->pid);
}

/* json-glib quotes the offending token, newlines included: the message stays
 * one line (found by fuzz-state). */
static void
test_error_one_line (void)
{
  static const char text[] = "{\"records\":{\"a\":2,\"0000\n   \"since\" : 1\n  :1}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) h = mkvm_records_index_from_json (text, strlen (text), "i.json", &error);

  g_assert_null (h);
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "i.json is unreadable: "));
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_drains (void)
{
  static const char text[] = "{\"drains\":[{\"instance\":3,\"reason\":\"b\",\"since\":7},"
    "{\"instance\":1},{\"instance\":3,\"reason\":\"dup\"},{\"instance\":0},[1],"
    "{\"instance\":1000}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) d = mkvm_drains_from_json (text, strlen (text), "d.json", &error);
  g_autoptr(GPtrArray) none = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpuint (((MkvmDrain *) g_ptr_array_index (d, 0))->instance, ==, 1);
  g_assert_cmpstr (mkvm_drains_find (d, 3)->reason, ==, "b");
  g_assert_cmpint (mkvm_drains_find (d, 3)->since, ==, 7);
  none = mkvm_drains_from_json ("{}", 2, "d.json", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_null (mkvm_drains_from_json ("[]", 2, "d.json", &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_clear_error (&error);
  /* not a list: an error, not "no drains" and no GLib critical (fuzz-state) */
  g_assert_null (mkvm_drains_from_json ("{\"drains\":1}", 12, "d.json", &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "d.json: drains is not an array");
}

/* One object and nothing after it (json-glib reads the first of several
 * values and leaks the rest: found by fuzz-state). */
static void
test_one_object (void)
{
  static const char *const bad[] = {
    "{\"drains\":[]}{\"drains\":[]}", "{\"drains\":[]} 1", "true{\"drains\":[]}", " ",
    "[{\"drains\":[]}]",
  };
  static const char *const good[] = {
    " \r\n{\"drains\":[], \"x\":\"}{\\\"\"}\n\n", "{\"drains\":[{\"instance\":[1]}]}",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) d = mkvm_drains_from_json (bad[i], strlen (bad[i]), "d.json", &error);
      g_assert_null (d);
      g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
      g_clear_error (&error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GPtrArray) d = mkvm_drains_from_json (good[i], strlen (good[i]), "d.json",
                                                      &error);
      g_assert_no_error (error);
      g_assert_cmpuint (d->len, ==, 0);
    }
}

static void
test_index (void)
{
  static const char text[] = "{\"records\":{\"" UUID "\":2,\"nope\":1,"
    "\"00000001-0000-4000-8000-000000000001\":0}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) h = mkvm_records_index_from_json (text, strlen (text), "i.json", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (h), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (h, UUID)), ==, 2);
  g_assert_null (mkvm_records_index_from_json ("{\"records\":[]}", 14, "i.json", &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "i.json: no records object");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/write", test_write);
  g_test_add_func ("/json/record", test_record);
  g_test_add_func ("/json/record-round-trip", test_record_round_trip);
  g_test_add_func ("/json/error-one-line", test_error_one_line);
  g_test_add_func ("/json/drains", test_drains);
  g_test_add_func ("/json/index", test_index);
  g_test_add_func ("/json/one-object", test_one_object);
  return g_test_run ();
}
