/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-divert.h — the "divert" host mode: the wrapper stands in for the
 * system's QEMU.  dpkg diverts MKVM_DIVERT_STOCK (QEMU's package files go
 * to MKVM_DIVERT_REAL, upgrades included) and MKVM_DIVERT_STOCK is a
 * symlink to multikvm-qemu, which execs MKVM_DIVERT_REAL.  Domains whose
 * <emulator> is the stock path are then placed like the wrapper's own.
 * `multikvm divert on|off|status` changes and shows it; this reads it
 * (no dpkg run: dpkg's diversions file is read directly).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MKVM_DIVERT_STOCK "/usr/bin/qemu-system-x86_64"
#define MKVM_DIVERT_REAL MKVM_DIVERT_STOCK ".real"
#define MKVM_DIVERT_DB "/var/lib/dpkg/diversions"

typedef enum {
  MKVM_DIVERT_OFF,       /* no diversion of the stock path, no REAL, no wrapper there */
  MKVM_DIVERT_ON,        /* local diversion to REAL, REAL runs, stock path is the wrapper */
  MKVM_DIVERT_HALF,      /* in between (an interrupted on/off, or changed by hand) */
  MKVM_DIVERT_FOREIGN,   /* the stock path is diverted by a package or elsewhere */
} MkvmDivertMode;

/**
 * MkvmDivert:
 * @mode: see #MkvmDivertMode
 * @diverted_to: (nullable) where dpkg diverts the stock path; NULL if it does not
 * @diverted_by: (nullable) the diverting package, "LOCAL" for a local diversion
 * @stock_exists: the stock path exists (as a file or a symlink)
 * @stock_is_wrapper: the stock path is a symlink to an executable multikvm-qemu
 * @stock_target: (nullable) the stock path's symlink target, as written
 * @real_ok: REAL is an executable regular file
 * @same_file: the stock path and REAL are one file (hard links)
 * @problem: (nullable) for HALF and FOREIGN: what is wrong, one sentence
 * @db_error: (nullable) dpkg's diversions file could not be read (mode is
 *   then decided from the files alone)
 */
typedef struct {
  MkvmDivertMode mode;
  char *diverted_to;
  char *diverted_by;
  gboolean stock_exists;
  gboolean stock_is_wrapper;
  char *stock_target;
  gboolean real_ok;
  gboolean same_file;
  char *problem;
  char *db_error;
} MkvmDivert;

void mkvm_divert_free (MkvmDivert *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmDivert, mkvm_divert_free)

/**
 * mkvm_divert_root:
 * Returns: the root the divert paths are below: "" on a host; the test
 * build honours MULTIKVM_HOSTROOT.
 */
const char *mkvm_divert_root (void);

/**
 * mkvm_divert_read:
 * Reads the mode below mkvm_divert_root().  Returns: (transfer full) never NULL.
 */
MkvmDivert *mkvm_divert_read (void);

/** mkvm_divert_mode_name: "off", "on", "half", "foreign". */
const char *mkvm_divert_mode_name (MkvmDivertMode mode);

G_END_DECLS
