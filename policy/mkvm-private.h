/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-private.h — library-internal helpers (not installed, not API). */
#pragma once

#include "mkvm-state.h"

/* mkvm_record_write() with the caller's copy of the index (uuid -> instance),
 * which it updates: saves re-reading index.json.  Lock held by the caller. */
gboolean mkvm_record_write_indexed (const char *rundir, const MkvmRecord *rec,
                                    GHashTable *index, GError **error);

/* libxml2 prints some errors (encoding conversion, I/O) through its global
 * generic handler even with XML_PARSE_NOERROR; front ends must print one
 * line only.  Silence it for the current thread between begin and end. */
typedef struct {
  void *ctx;
  void (*func) (void *, const char *, ...);
} MkvmXmlQuiet;
void mkvm_xml_quiet_begin (MkvmXmlQuiet *saved);
void mkvm_xml_quiet_end (MkvmXmlQuiet *saved);
