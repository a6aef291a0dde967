/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-qemu-conf.h — what multikvm reads from libvirt's qemu.conf. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * mkvm_qemu_conf_device_acl:
 * @conf: the text of /etc/libvirt/qemu.conf
 *
 * Returns: (transfer full) (element-type utf8) (nullable): the quoted
 * entries of `cgroup_device_acl = [ ... ]`, or NULL when the setting is
 * absent.  '#' starts a comment outside quotes; a quoted string ends on its
 * line (the list ends at one that does not, which libvirt refuses).
 */
GPtrArray *mkvm_qemu_conf_device_acl (const char *conf);

G_END_DECLS
