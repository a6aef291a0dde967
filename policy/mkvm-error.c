/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mkvm-error.h"

/* What an MKVM_ERROR carries besides its message: the domain it names. */
typedef struct {
  char *domain;
} MkvmErrorPrivate;

static void
mkvm_error_private_init (MkvmErrorPrivate *priv)
{
}

static void
mkvm_error_private_copy (const MkvmErrorPrivate *src, MkvmErrorPrivate *dest)
{
  dest->domain = g_strdup (src->domain);
}

static void
mkvm_error_private_clear (MkvmErrorPrivate *priv)
{
  g_clear_pointer (&priv->domain, g_free);
}

G_DEFINE_EXTENDED_ERROR (MkvmError, mkvm_error)

static MkvmErrorPrivate *
private_of (const GError *error)
{
  return error && error->domain == MKVM_ERROR ? mkvm_error_get_private (error) : NULL;
}

void
mkvm_prefix_domain_error (GError **error, const char *domain)
{
  MkvmErrorPrivate *priv;

  if (!domain || !error || !(priv = private_of (*error)) || priv->domain)
    return;
  g_prefix_error (error, "domain '%s': ", domain);
  priv->domain = g_strdup (domain);
}

void
mkvm_set_domain_error (GError **error, MkvmErrorCode code, const char *domain,
                       const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  if (!error)
    return;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, MKVM_ERROR, code, msg);
  mkvm_prefix_domain_error (error, domain);
}

const char *
mkvm_error_get_domain (const GError *error)
{
  MkvmErrorPrivate *priv = private_of (error);

  return priv ? priv->domain : NULL;
}
