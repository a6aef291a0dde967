/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-error.h — error domain of libmultikvm. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MKVM_ERROR:
 *
 * Error domain of every GError produced by libmultikvm.  Messages are one
 * line, name the object concerned (domain, instance, file) and say what to
 * fix; front ends prefix them with their program name.
 */
#define MKVM_ERROR (mkvm_error_quark ())
GQuark mkvm_error_quark (void);

typedef enum {
  MKVM_ERROR_FAILED,        /* anything else */
  MKVM_ERROR_INVALID,       /* malformed input: domain XML, policy, state file */
  MKVM_ERROR_NOT_FOUND,     /* file, instance, profile or record does not exist */
  MKVM_ERROR_NO_CANDIDATE,  /* no instance satisfies the wish (message lists why) */
  MKVM_ERROR_DRAINING,      /* pinned instance is draining */
  MKVM_ERROR_DEVICE,        /* device node missing or not the char device vac reports */
  MKVM_ERROR_ABI,           /* vac sysfs ABI unknown or sysfs unreadable */
  MKVM_ERROR_BUSY,          /* instance still has VMs or records (retire) */
  MKVM_ERROR_IO,            /* I/O error on runtime state, lock, /proc */
  MKVM_ERROR_DENIED,        /* the policy does not let the domain ask for it */
} MkvmErrorCode;

G_END_DECLS
