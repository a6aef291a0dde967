/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-wish.h — what a domain asks for, parsed from its full libvirt XML. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MkvmWish:
 * @name: domain <name> (never NULL after a successful parse)
 * @uuid: domain <uuid>, lower-case canonical form (never NULL)
 * @instance: pinned instance id, 0 when not pinned
 * @profile: requested profile, NULL when none
 * @has_metadata: TRUE when our <mkvm:kvm> element was present
 * @flavor: the domain's OpenStack Nova flavor (MkvmDomain's @flavor), NULL
 *   when it has none; the policy's <flavors> map it to a profile
 *
 * The domain's wish, from `<metadata><mkvm:kvm xmlns:mkvm=MKVM_METADATA_URI
 * instance="2" profile="hardened"/></metadata>`.  Both attributes are
 * optional; neither means "the policy's default profile".
 */
typedef struct {
  char *name;
  char *uuid;
  guint instance;
  char *profile;
  gboolean has_metadata;
  char *flavor;
} MkvmWish;

void mkvm_wish_free (MkvmWish *wish);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmWish, mkvm_wish_free)

/**
 * mkvm_wish_from_xml:
 * @xml: the full domain XML (as libvirt gives hooks on stdin)
 * @len: its length, or -1 when NUL-terminated
 *
 * Strict: malformed XML, a missing <name>/<uuid>, more than one of our
 * element, an unknown attribute or child element of it, an instance that is
 * not a plain decimal 1..999 (no sign, leading zeros, spaces or paths) or a
 * profile that is not [a-z0-9][a-z0-9_-]{0,31} are MKVM_ERROR_INVALID,
 * with a message naming the domain and saying what to fix.
 * Elements of other namespaces in <metadata> are ignored.
 *
 * Returns: (transfer full) the wish, or NULL with @error set.
 */
MkvmWish *mkvm_wish_from_xml (const char *xml, gssize len, GError **error);

/**
 * mkvm_parse_instance_id:
 * Parses a plain decimal instance id 1..MKVM_INSTANCE_MAX.  @what names the
 * value in the error ("instance", "attribute instance of domain 'x'").
 */
gboolean mkvm_parse_instance_id (const char *text, const char *what,
                                 guint *out, GError **error);

/**
 * mkvm_domain_name_valid: TRUE when @name is a non-empty UTF-8 string without
 * control characters (C0, DEL): what the wish parser accepts as <name>, and
 * what mkvm_reconcile() accepts from libvirt's file names.
 */
gboolean mkvm_domain_name_valid (const char *name);

/** mkvm_profile_name_valid: TRUE when @name matches [a-z0-9][a-z0-9_-]{0,31}. */
gboolean mkvm_profile_name_valid (const char *name);

/**
 * mkvm_wish_to_metadata:
 * Returns: (transfer full) the element content libvirt's
 * virDomainSetMetadata() expects: `<kvm instance="2" profile="p"/>`
 * (either attribute omitted when 0/NULL).
 */
char *mkvm_wish_to_metadata (guint instance, const char *profile);

/**
 * mkvm_wish_normalize_xml:
 * @xml: a domain XML as its author wrote it (for virDomainDefineXML())
 * @len: its length, or -1 when NUL-terminated
 * @moved: (out) (optional): TRUE when the short form was moved
 *
 * The short form people write first, `<kvm instance="2"/>` or `<kvm
 * profile="hardened"/>` directly under <domain> without a namespace (which
 * libvirt drops silently), becomes our element in <metadata> (created when
 * missing): `<mkvm:kvm xmlns:mkvm=MKVM_METADATA_URI instance="2"/>`.  Both
 * forms are checked by mkvm_wish_from_xml()'s rules (a <uuid> is not
 * needed); the short form may repeat the long one, not contradict it.
 * Without a short form the document is returned unchanged, byte for byte.
 * Errors (MKVM_ERROR_INVALID, one line naming the domain): malformed XML,
 * a root other than <domain>, two short forms, a bad value, both forms
 * with different values.
 *
 * Returns: (transfer full) the domain XML to define, or NULL with @error set.
 */
char *mkvm_wish_normalize_xml (const char *xml, gssize len, gboolean *moved, GError **error);

G_END_DECLS
