/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-json.h — writing JSON: the runtime state's files and `--json` output. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "mkvm-state.h"

G_BEGIN_DECLS

/** mkvm_json_add_string: member @key of the open object; NULL @value is null. */
void mkvm_json_add_string (JsonBuilder *b, const char *key, const char *value);
/** mkvm_json_add_int: member @key of the open object. */
void mkvm_json_add_int (JsonBuilder *b, const char *key, gint64 value);
/** mkvm_json_add_bool: member @key of the open object. */
void mkvm_json_add_bool (JsonBuilder *b, const char *key, gboolean value);

/**
 * mkvm_json_add_record: @rec as an object (a record file's content, an
 * element of `multikvm domains --json`).
 */
void mkvm_json_add_record (JsonBuilder *b, const MkvmRecord *rec);

/**
 * mkvm_json_to_data:
 * Returns: (transfer full) the document @b built, indented when @pretty,
 * ending in a newline.
 */
char *mkvm_json_to_data (JsonBuilder *b, gboolean pretty);

G_END_DECLS
