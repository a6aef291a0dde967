/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-evacuate.h — what `multikvm evacuate` needs besides libvirt calls:
 * the restore XML's edit, what cannot be saved, the pause estimate, the
 * one-at-a-time lock and the directory of save images.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * mkvm_domain_xml_set_instance:
 * @xml: a full domain XML (as virDomainSaveImageGetXMLDesc() gives it)
 * @len: its length, or -1 when NUL-terminated
 * @instance: the instance to pin the domain to (1..MKVM_INSTANCE_MAX)
 *
 * The same document with our <mkvm:kvm> element's instance set to
 * @instance (its profile kept), the element (and <metadata>) added when
 * absent; nothing else changes.  The document's wish must be valid
 * (mkvm_wish_from_xml()'s rules; its error is returned otherwise).
 * Returns: (transfer full) the edited XML, or NULL with @error set.
 */
char *mkvm_domain_xml_set_instance (const char *xml, gssize len, guint instance,
                                    GError **error);

/**
 * mkvm_domain_unsaveable:
 * Returns: (transfer full) (nullable) why libvirt cannot save the domain
 * whose XML this is, one phrase ("it has <hostdev type='pci'> (a host
 * device)"), or NULL when nothing in the XML says so.  What the XML shows:
 * a <hostdev> other than USB and an <interface type='hostdev'> (libvirt
 * refuses to save them).  Anything else libvirt (or QEMU's migration
 * blockers) refuses is known only when the save fails.
 */
char *mkvm_domain_unsaveable (const char *xml, gssize len);

/*
 * The pause estimate: the guest is paused from the start of its save to the
 * end of its restore; that time grows with its RAM.  Before the first
 * domain of a run, MKVM_PAUSE_PRIOR_MS_PER_GIB, a conservative prior: 4 s
 * per GiB, i.e. save and restore at 512 MiB/s each (tmpfs copies run at
 * GB/s; see the evacuate-pause benchmark); afterwards, the total pause over the total RAM of the
 * domains moved in this run (their fixed costs, QEMU's start, included:
 * over-estimates big guests).
 */
#define MKVM_PAUSE_PRIOR_MS_PER_GIB 4000.0

typedef struct {
  double pause_ms;      /* total pause of the domains moved so far */
  double gib;           /* their total RAM */
} MkvmPauseModel;

/** mkvm_pause_ms_per_gib: the measured ratio, or the prior before any. */
double mkvm_pause_ms_per_gib (const MkvmPauseModel *m);
/** mkvm_pause_estimate_ms: the pause of a guest of @ram_kib KiB. */
double mkvm_pause_estimate_ms (const MkvmPauseModel *m, guint64 ram_kib);
/** mkvm_pause_model_add: a domain of @ram_kib KiB moved with @pause_ms. */
void mkvm_pause_model_add (MkvmPauseModel *m, guint64 ram_kib, double pause_ms);

/**
 * MkvmEvacuateLock: one evacuation at a time per host, an exclusive flock
 * on <rundir>/evacuate.lock (not the state lock, which the hook takes while
 * a restore runs).
 * mkvm_evacuate_lock: MKVM_ERROR_BUSY at once when another holds it.
 */
typedef struct _MkvmLock MkvmEvacuateLock;
MkvmEvacuateLock *mkvm_evacuate_lock (const char *rundir, GError **error);
void mkvm_evacuate_unlock (MkvmEvacuateLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmEvacuateLock, mkvm_evacuate_unlock)

/**
 * mkvm_evacuate_dir:
 * Returns: (transfer full) <rundir>/evacuate (tmpfs under /run), created
 * mode 0700 and checked to be root's own, where save images live between
 * save and restore; NULL with @error set.
 */
char *mkvm_evacuate_dir (const char *rundir, GError **error);

G_END_DECLS
