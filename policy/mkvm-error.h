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

/**
 * mkvm_set_domain_error:
 * @domain: name of the domain the error concerns
 *
 * Sets an MKVM_ERROR whose message is "domain 'DOMAIN': " followed by the
 * formatted text, and which mkvm_error_get_domain() says names @domain.
 */
void mkvm_set_domain_error (GError **error, MkvmErrorCode code, const char *domain,
                            const char *format, ...) G_GNUC_PRINTF (4, 5);

/**
 * mkvm_prefix_domain_error:
 * Like mkvm_set_domain_error() for an MKVM_ERROR already set: prefixes
 * "domain 'DOMAIN': " to its message.  Nothing when @error or *@error is
 * NULL, when *@error is of another error domain, when it names a domain
 * already, or when @domain is NULL (mkvm_set_domain_error() then sets the
 * message unprefixed).
 */
void mkvm_prefix_domain_error (GError **error, const char *domain);

/**
 * mkvm_error_get_domain:
 * Returns: (nullable) the domain named at the start of @error's message
 * (by mkvm_set_domain_error() or mkvm_prefix_domain_error()), or NULL when
 * the message names none: front ends that speak for one domain add its
 * name then.
 */
const char *mkvm_error_get_domain (const GError *error);

G_END_DECLS
