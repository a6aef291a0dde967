/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-events.h — what libvirt's domain events do to the runtime state, each
 * one operation under the lock.  Prepare is mkvm_place_domain()
 * (mkvm-decide.h).  @rundir NULL = mkvm_path_rundir().
 */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include "mkvm-inventory.h"

G_BEGIN_DECLS

/**
 * mkvm_domain_started:
 * QEMU @pid runs domain @uuid: notes @pid in the record prepare wrote
 * (MKVM_ERROR_NOT_FOUND when there is none).  The caller has verified the
 * process (mkvm_node_verify_pid()).
 */
gboolean mkvm_domain_started (const char *rundir, const char *uuid, pid_t pid,
                              GError **error);

/**
 * mkvm_domain_reconnected:
 * @several: (out) (optional): set when @pid has more than one instance open
 * @instance: (out) (optional): the instance recorded (the lowest id @pid has
 *   open), 0 when it has none open or the state could not be locked; set
 *   even when writing the record fails, so that the caller can confine
 *   QEMU to it all the same
 *
 * libvirtd restarted and QEMU @pid of domain @uuid (@name) kept running:
 * the process is the truth.  When @pid has no instance open, the record is
 * removed; else it is created, or its instance, device and pid corrected
 * ("reconciled from /proc/PID/fd at reconnect"), with the lowest id open.
 * A record that already says so is not rewritten.
 */
gboolean mkvm_domain_reconnected (const char *rundir, const MkvmInventory *inv,
                                  const char *uuid, const char *name, pid_t pid,
                                  gboolean *several, guint *instance, GError **error);

/** mkvm_domain_released: forgets the record of @uuid (none is no error). */
gboolean mkvm_domain_released (const char *rundir, const char *uuid, GError **error);

G_END_DECLS
