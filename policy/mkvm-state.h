/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-state.h — runtime state under the runtime dir (/run/multikvm). */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/*
 * Layout of the runtime dir (mkvm_path_rundir(), MULTIKVM_RUNDIR):
 *   lock               flock()ed exclusively by every writer (and by the
 *                      decision, so parallel starts see each other)
 *   domains/<uuid>.json  one record per running domain
 *   drains.json        {"drains":[{"instance":2,"reason":"...","since":T}]}
 *   index.json         {"records":{"<uuid>":<instance>,...}}: a cache for the
 *                      load count of decisions; every record file is in it
 *                      (written before a record, updated after a removal),
 *                      extra entries only over-count until mkvm_reconcile()
 *                      rebuilds it from the record files.
 * Every file is written to a temp file in the same directory, fsync'ed,
 * renamed over the target, and the directory fsync'ed: a reader sees the
 * old or the new content, never a partial one.  Readers take no lock.
 */

/**
 * MkvmRecord:
 * @uuid: domain uuid (file name)
 * @name: domain name
 * @instance: instance id the domain was placed on
 * @device: device node path handed to QEMU
 * @profile: profile the decision used (NULL for a pin without profile)
 * @reason: one line, why this instance ("pinned", "profile hardened:
 *   newest build", "reconciled from /proc/PID/fd")
 * @created, @updated: seconds since the epoch
 * @pid: QEMU pid when known, else 0
 */
typedef struct {
  char *uuid;
  char *name;
  guint instance;
  char *device;
  char *profile;
  char *reason;
  gint64 created;
  gint64 updated;
  pid_t pid;
} MkvmRecord;

MkvmRecord *mkvm_record_new (void);
MkvmRecord *mkvm_record_copy (const MkvmRecord *rec);
void mkvm_record_free (MkvmRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmRecord, mkvm_record_free)

/** MkvmDrain: drain flag of one instance. */
typedef struct {
  guint instance;
  char *reason;
  gint64 since;
} MkvmDrain;

void mkvm_drain_free (MkvmDrain *drain);

/*
 * All functions below take @rundir (NULL = mkvm_path_rundir()).  Every
 * change is one operation that takes the lock itself: mkvm_instance_drain()
 * and mkvm_instance_undrain() here, mkvm_place_domain() (mkvm-decide.h),
 * the hook's events (mkvm-events.h) and mkvm_reconcile().
 */

/** mkvm_record_load: MKVM_ERROR_NOT_FOUND when there is no record for @uuid. */
MkvmRecord *mkvm_record_load (const char *rundir, const char *uuid, GError **error);
/**
 * mkvm_records_list: (element-type MkvmRecord) every record, sorted by
 * name.  Unreadable files are skipped (g_debug only: a front end's stderr
 * belongs to the user).
 */
GPtrArray *mkvm_records_list (const char *rundir, GError **error);
/**
 * mkvm_records_index:
 * Returns: (transfer full) (element-type utf8 guint) uuid → instance id
 * (GUINT_TO_POINTER) of every record, from index.json; rebuilt from the
 * record files when the index is missing or unreadable.  Cheap: one file.
 */
GHashTable *mkvm_records_index (const char *rundir, GError **error);
/** mkvm_records_index_count_on: entries of @index on instance @id. */
guint mkvm_records_index_count_on (GHashTable *index, guint id);

/** mkvm_records_count_on: records whose instance is @id. */
guint mkvm_records_count_on (GPtrArray *records, guint id);

/** mkvm_drains_load: (element-type MkvmDrain) sorted by instance; empty when no file. */
GPtrArray *mkvm_drains_load (const char *rundir, GError **error);
/** mkvm_drains_find: (transfer none) drain of @id or NULL. */
MkvmDrain *mkvm_drains_find (GPtrArray *drains, guint id);
/**
 * mkvm_instance_drain: under the lock, flags instance @id draining with
 * @reason (replacing the reason of an earlier drain, keeping its time).
 */
gboolean mkvm_instance_drain (const char *rundir, guint id, const char *reason,
                              GError **error);
/** mkvm_instance_undrain: under the lock, clears the drain flag of @id (if any). */
gboolean mkvm_instance_undrain (const char *rundir, guint id, GError **error);

/**
 * MkvmRefusal: why the hook refused a domain at prepare, restore or
 * migrate, as multikvm_refusals_total's reason label.  From the error's
 * code (mkvm_refusal_from_error()).
 */
typedef enum {
  MKVM_REFUSAL_INVALID,       /* the domain's XML or metadata, or the policy */
  MKVM_REFUSAL_DENIED,        /* asks for what the policy does not let it have */
  MKVM_REFUSAL_NOT_FOUND,     /* asks for an undefined profile */
  MKVM_REFUSAL_NO_CANDIDATE,  /* no instance satisfies it, or its pin is not loaded */
  MKVM_REFUSAL_DRAINING,      /* pinned to a draining instance */
  MKVM_REFUSAL_DEVICE,        /* the instance's device node is wrong */
  MKVM_REFUSAL_OTHER,         /* sysfs, I/O, anything else */
  MKVM_REFUSAL_N
} MkvmRefusal;

/** mkvm_refusal_name: "invalid", "denied", "not_found", "no_candidate", ... */
const char *mkvm_refusal_name (MkvmRefusal r);
/** mkvm_refusal_from_error: the reason of a refusal with @error (NULL: other). */
MkvmRefusal mkvm_refusal_from_error (const GError *error);

/**
 * mkvm_refusal_count: under the lock, adds one to the count of refusals
 * with @reason in <rundir>/refusals.json ({"refusals":{"denied":3,...}}).
 * The runtime dir is a tmpfs: the counts start at 0 at boot and only grow.
 */
gboolean mkvm_refusal_count (const char *rundir, MkvmRefusal reason, GError **error);

/**
 * mkvm_refusals_load: the counts, indexed by MkvmRefusal, into @counts
 * (all 0 when there is no file).  Readers take no lock.
 */
gboolean mkvm_refusals_load (const char *rundir, guint64 counts[MKVM_REFUSAL_N],
                             GError **error);

/** mkvm_write_file_atomic: temp + fsync + rename + dir fsync, mode 0644. */
gboolean mkvm_write_file_atomic (const char *path, const char *data, gsize len,
                                 GError **error);

/** mkvm_uuid_valid: canonical 8-4-4-4-12 hex uuid (either case). */
gboolean mkvm_uuid_valid (const char *uuid);

G_END_DECLS
