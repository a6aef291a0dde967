/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-placement.h — where a running domain was placed, written into its
 * live XML so that it travels with the domain when it migrates.
 *
 * A pin (`<mkvm:kvm instance="2"/>`) names an instance of one host; on
 * another host instance 2 may run other KVM code or not exist.  So after a
 * domain starts, `multikvm annotate` (run by the hook) writes the instance
 * it runs on, that instance's KVM build and the profile it was placed for
 * into the domain's live metadata, in a namespace of its own (the domain's
 * wish, which the user owns, is left alone):
 *
 *   <metadata>
 *     <mkvmp:placement xmlns:mkvmp="http://multikvm.org/xmlns/libvirt/placement/1.0"
 *         instance="2" build="6.12.117-1~deb12u1 0.9 3f2a9c01" kvm="6.12.117"
 *         profile="hardened" host="node7"/>
 *   </metadata>
 *
 * libvirt sends the live XML to the destination, whose hook reads it at
 * "migrate begin" (mkvm_place_arrival()) and prints the domain's XML as it
 * is to run there (mkvm_placement_rewrite()).  The element is what the
 * source host claims: it can only choose among the destination's own
 * instances, as a pin could.
 */
#pragma once

#include <glib.h>
#include "mkvm-inventory.h"
#include "mkvm-state.h"

G_BEGIN_DECLS

/** Namespace, libvirt key (prefix) and local name of the element. */
#define MKVM_PLACEMENT_URI     "http://multikvm.org/xmlns/libvirt/placement/1.0"
#define MKVM_PLACEMENT_PREFIX  "mkvmp"
#define MKVM_PLACEMENT_ELEMENT "placement"

/**
 * MkvmPlacement:
 * @instance: the instance id on @host
 * @build: (nullable) that instance's build_id (docs/sysfs.md); NULL when
 *   unknown (a static instance)
 * @kvm_version: (nullable) its KVM version, e.g. "6.12.117"
 * @profile: (nullable) the profile it was placed for
 * @host: (nullable) the host name it was placed on
 */
typedef struct {
  guint instance;
  char *build;
  char *kvm_version;
  char *profile;
  char *host;
} MkvmPlacement;

void mkvm_placement_free (MkvmPlacement *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmPlacement, mkvm_placement_free)

/**
 * mkvm_placement_new:
 * The placement of the domain of @rec here: its instance, that instance's
 * build and KVM version from @inv (NULL when @inv does not know it), its
 * profile, this host's name.
 * Returns: (transfer full) never NULL.
 */
MkvmPlacement *mkvm_placement_new (const MkvmRecord *rec, const MkvmInventory *inv);

/** mkvm_placement_equal: same instance, build, version, profile and host. */
gboolean mkvm_placement_equal (const MkvmPlacement *a, const MkvmPlacement *b);

/**
 * mkvm_placement_to_metadata:
 * Returns: (transfer full) the element as virDomainSetMetadata() takes it,
 * `<placement instance="2" build="..." .../>` (absent fields omitted).
 */
char *mkvm_placement_to_metadata (const MkvmPlacement *p);

/**
 * mkvm_placement_from_metadata:
 * @xml: the element alone, as virDomainGetMetadata() returns it
 *
 * Strict: malformed XML, another element, an unknown attribute, a bad
 * instance id or profile name, a value with control characters or longer
 * than 1024 bytes are MKVM_ERROR_INVALID, one line.
 * Returns: (transfer full) or NULL with @error set.
 */
MkvmPlacement *mkvm_placement_from_metadata (const char *xml, GError **error);

/**
 * mkvm_placement_rewrite:
 * @xml, @len: a full domain XML (len -1 = NUL-terminated)
 * @here: the placement on this host
 * @repin: also set the wish's instance attribute to @here's instance
 *
 * The domain XML with its placement element replaced by @here (and added
 * to <metadata>, created if need be), and with @repin its wish's pin
 * changed to @here's instance: what the hook prints at "migrate begin".
 * Returns: (transfer full) the document, or NULL with @error set.
 */
char *mkvm_placement_rewrite (const char *xml, gssize len, const MkvmPlacement *here,
                              gboolean repin, GError **error);

G_END_DECLS
