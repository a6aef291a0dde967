/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-domain.h — a domain's libvirt XML, read once for every front end. */
#pragma once

#include <glib.h>
#include "mkvm-wish.h"
#include "mkvm-placement.h"

G_BEGIN_DECLS

/*
 * The namespaces of Nova's instance metadata (nova/virt/libvirt/config.py,
 * NOVA_NS): 1.1 since Nova 23 (Wallaby), 1.0 before; a domain defined by an
 * older Nova keeps 1.0 in its XML.
 */
#define MKVM_NOVA_URI_1_0 "http://openstack.org/xmlns/libvirt/nova/1.0"
#define MKVM_NOVA_URI_1_1 "http://openstack.org/xmlns/libvirt/nova/1.1"

/**
 * MkvmDomain:
 * @name: the first <name>, stripped; NULL when absent
 * @uuid: the first <uuid>, lower case; NULL when absent or not a uuid
 * @type: the root's type attribute ("kvm", "qemu"); NULL when absent
 * @emulator: the first <devices><emulator>, stripped; NULL when absent
 * @flavor: the OpenStack Nova flavor: `name` of the first
 *   `<metadata><nova:instance><nova:flavor>` in one of the namespaces Nova
 *   writes (MKVM_NOVA_URI_1_0, MKVM_NOVA_URI_1_1); NULL when absent, empty or with control
 *   characters; read leniently like @name (Nova's metadata is Nova's)
 * @wish: (nullable) the domain's wish, by mkvm_wish_from_xml()'s strict
 *   rules; NULL when they refuse the document
 * @wish_error: (nullable) why @wish is NULL (malformed XML included)
 * @placement: (nullable) the multikvm placement in its <metadata>
 *   (mkvm-placement.h), NULL when there is none or it is invalid
 * @placement_error: (nullable) why an element that is there is refused
 *
 * @name, @uuid, @type and @emulator are read leniently, whatever our
 * metadata holds: the hook's release and reconnect work even when the
 * metadata was made invalid (`virsh metadata --live`) after the start.
 * For malformed XML they are all NULL.
 */
typedef struct {
  char *name;
  char *uuid;
  char *type;
  char *emulator;
  char *flavor;
  MkvmWish *wish;
  GError *wish_error;
  MkvmPlacement *placement;
  GError *placement_error;
} MkvmDomain;

void mkvm_domain_free (MkvmDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmDomain, mkvm_domain_free)

/**
 * mkvm_domain_from_xml:
 * @xml: (nullable) the full domain XML (as libvirt gives hooks on stdin)
 * @len: its length, or -1 when NUL-terminated
 *
 * Parses the document once.  Returns: (transfer full) never NULL.
 */
MkvmDomain *mkvm_domain_from_xml (const char *xml, gssize len);

/**
 * mkvm_domain_is_kvm: TRUE when the domain's type is "kvm" or unknown
 * (absent, or the XML is malformed): the domains the hook must handle.
 */
gboolean mkvm_domain_is_kvm (const MkvmDomain *domain);

G_END_DECLS
