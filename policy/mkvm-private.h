/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-private.h — library-internal helpers (not installed, not API). */
#pragma once

#include <libxml/tree.h>
#include "mkvm-domain.h"
#include "mkvm-placement.h"
#include "mkvm-state.h"

/*
 * The lock and the writers under it.  Front ends do not take the lock: they
 * call the library's locked operations (mkvm-state.h), which use these.
 */

/* MkvmLock: an exclusive flock on <rundir>/lock (creates rundir).
 * @rundir: NULL for mkvm_path_rundir(). Blocks until the lock is held. */
typedef struct _MkvmLock MkvmLock;
MkvmLock *mkvm_lock_acquire (const char *rundir, GError **error);
/* Another lock file <rundir>/@name, same checks; with !@wait,
 * MKVM_ERROR_BUSY at once when someone holds it. */
MkvmLock *mkvm_lock_acquire_named (const char *rundir, const char *name, gboolean wait,
                                   GError **error);
void mkvm_lock_release (MkvmLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmLock, mkvm_lock_release)

/* Lock held by the caller. */
gboolean mkvm_record_write (const char *rundir, const MkvmRecord *rec, GError **error);
/* Removing a missing record is not an error.  Lock held by the caller. */
gboolean mkvm_record_remove (const char *rundir, const char *uuid, GError **error);
gboolean mkvm_drain_set (const char *rundir, guint id, const char *reason, GError **error);
gboolean mkvm_drain_clear (const char *rundir, guint id, GError **error);
/* Rewrites index.json from the record files.  Lock held by the caller. */
gboolean mkvm_records_index_rebuild (const char *rundir, GError **error);

/* mkvm_record_write() with the caller's copy of the index (uuid -> instance),
 * which it updates: saves re-reading index.json.  Lock held by the caller. */
gboolean mkvm_record_write_indexed (const char *rundir, const MkvmRecord *rec,
                                    GHashTable *index, GError **error);

/* The wish of domain @d, from the document whose root is @root (NULL when
 * it has none): mkvm_wish_from_xml()'s rules, on facts mkvm_domain_from_xml()
 * read once. */
MkvmWish *mkvm_wish_from_domain (const MkvmDomain *d, xmlNode *root, GError **error);

/*
 * The readers of the runtime state's JSON files, on @len bytes of @text
 * (@source names it in errors): a record (MKVM_ERROR_INVALID unless it has
 * a valid uuid, a name, a device, an instance and a pid), drains.json and
 * index.json (as mkvm_drains_load() and mkvm_records_index() read them).
 */
MkvmRecord *mkvm_record_from_json (const char *text, gsize len, const char *source,
                                   GError **error);
GPtrArray *mkvm_drains_from_json (const char *text, gsize len, const char *source,
                                  GError **error);
GHashTable *mkvm_records_index_from_json (const char *text, gsize len, const char *source,
                                          GError **error);

/* The placement element @el (mkvm-placement.h), by
 * mkvm_placement_from_metadata()'s rules; @domain (nullable) names the
 * domain in errors. */
MkvmPlacement *mkvm_placement_from_node (xmlNode *el, const char *domain, GError **error);
